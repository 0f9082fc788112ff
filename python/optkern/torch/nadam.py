"""PyTorch-convention NAdam (``torch.optim.NAdam`` maths)."""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

from .. import _core
from .._params import check_flag, check_number
from .._state import check_mapping, plan_arrays
from .optimizer import Optimizer, check_betas, check_common

_MU = "mu_product"


def _mu(beta1: float, momentum_decay: float, t: float) -> float:
    """μₜ = β1·(1 − ½·0.96^(t·ψ)), in double (t a float, as torch's step)."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))


class NAdam(Optimizer):
    r"""NAdam, ``torch.optim.NAdam`` maths (with ``decoupled_weight_decay``).

    With t the 1-based step, η = lr, (β1, β2) = betas, ψ = momentum_decay,
    λ = weight_decay, per step and tensor:

    .. code-block:: text

        μₜ   = β1 * (1 - 0.5 * 0.96^(t*ψ))          (double)
        μₜ₊₁ = β1 * (1 - 0.5 * 0.96^((t+1)*ψ))      (double)
        Π   <- f32(Π * f32(μₜ))                       (mu_product, a float32 scalar)
        c_g  = -η * (1 - μₜ) / (1 - Π)                (double)
        c_m  = -η * μₜ₊₁ / (1 - Π*μₜ₊₁)               (double)

    and per element:

    .. code-block:: text

        g <- -g                                  if maximize
        g <- g + λ*p                             if λ != 0 and not decoupled (L2)
        p <- p * (1 - η*λ)                       if λ != 0 and decoupled_weight_decay
        m <- m + (1 - β1)*(g - m)
        v <- v*β2 + (1 - β2)*(g*g)
        D  = sqrt(v / (1 - β2ᵗ)) + ε
        p <- p + (c_g*g)/D
        p <- p + (c_m*m)/D

    Π is kept per tensor, as a float32 scalar, exactly as torch keeps its
    ``mu_product``; the coefficients are computed in double from it.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
    lr : float >= 0, default 2e-3
    betas : (float, float), each in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    momentum_decay : float >= 0, default 4e-3
    decoupled_weight_decay : bool, default False
    maximize : bool, default False (keyword only)

    State slots: ``exp_avg``, ``exp_avg_sq`` and ``mu_product`` (Π, a 0-d
    float32 array per tensor). ``state_dict()`` also holds ``step`` and every
    group option as ``"param_groups/<i>/<option>"``. A params dict must keep
    its keys bound to the arrays given here: replacing one
    (``params["W"] = new``) makes the next step a ValueError naming the key;
    see `optkern.torch.Optimizer`.
    """

    _kernel = "nadam"
    _slots = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Any,
        lr: float = 2e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ):
        self._schedules: list = []  # (β1, ψ) of each group, as checked
        self._f32 = array("f", [0.0])  # rounds a double to float32 on assignment
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                momentum_decay=momentum_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )
        # Π per group: one float (a float32 value) when all its tensors share it
        # (always, unless a state dict gave them different ones), else a list of
        # one per tensor.
        self._mu_products: list = [1.0] * len(self._group_counts)

    def _check_group(self, group: dict) -> None:
        check_common(group)
        check_betas(group)
        check_number("eps", group["eps"])
        check_number("momentum_decay", group["momentum_decay"])
        check_flag("decoupled_weight_decay", group["decoupled_weight_decay"])

    def _on_group_change(self, index: int, group: dict) -> None:
        schedule = (float(group["betas"][0]), float(group["momentum_decay"]))
        if index == len(self._schedules):  # construction checks the groups in order
            self._schedules.append(schedule)
        else:
            self._schedules[index] = schedule

    def _kernel_fields(self, g: dict) -> dict:
        decoupled = g["decoupled_weight_decay"]
        return dict(
            beta1=float(g["betas"][0]),
            beta2=float(g["betas"][1]),
            eps=float(g["eps"]),
            momentum_decay=float(g["momentum_decay"]),
            weight_decay_mode=(
                _core.WeightDecay.decoupled_torch if decoupled else _core.WeightDecay.l2
            ),
        )

    def _apply(self, grads: list) -> None:
        # Π ← f32(Π·f32(μₜ)) for every group (the kernel computes μₜ, μₜ₊₁ and
        # the coefficients in double from Π); kept only once the step is applied.
        t = float(self.iterations + 1)
        f32 = self._f32
        products, split = [], False
        for record, (beta1, psi), old in zip(self._records, self._schedules, self._mu_products):
            f32[0] = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))  # μₜ, as _mu
            mu32 = f32[0]
            if type(old) is float:
                f32[0] = old * mu32  # exact in double, then rounded once
                new: Any = f32[0]
                record.mu_product = new
            else:
                new = []
                for x in old:
                    f32[0] = x * mu32
                    new.append(f32[0])
                split = True
            products.append(new)
        if split:
            self._apply_split(grads, products)
        else:
            self._run_kernel(self._records, self._lrs, grads, None)
        self._mu_products = products

    def _apply_split(self, grads: list, products: list) -> None:
        """The step when some group's tensors carry different products: those
        tensors get one record each."""
        records, counts, lrs = [], [], []
        for i, (group, count, product) in enumerate(
            zip(self.param_groups, self._group_counts, products)
        ):
            if isinstance(product, list):
                for x in product:
                    record = self._make_record(group)
                    record.mu_product = x
                    records.append(record)
                    counts.append(1)
                    lrs.append(self._lrs[i])
            else:  # its record already holds the product
                records.append(self._records[i])
                counts.append(count)
                lrs.append(self._lrs[i])
        _core.nadam_step(
            records,
            counts,
            self.iterations + 1,
            lrs,
            self._groups.params,
            grads,
            [self._state[s] for s in self._slots],
            None,
            self._groups.labels,
        )

    # -- state ----------------------------------------------------------------------
    def _products_per_tensor(self) -> list:
        out = []
        for product, count in zip(self._mu_products, self._group_counts):
            out += product if isinstance(product, list) else [product] * count
        return out

    def state_dict(self) -> dict:
        """`optkern.torch.Optimizer.state_dict` plus ``"mu_product/<key>"``: Π of
        each tensor as a 0-d float32 array (torch's ``mu_product``)."""
        out = super().state_dict()
        for key, product in zip(self._groups.keys, self._products_per_tensor()):
            out[f"{_MU}/{key}"] = np.array(product, dtype=np.float32)
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> None:
        """`optkern.torch.Optimizer.load_state_dict`, plus ``"mu_product/<key>"``.

        Each ``mu_product`` must be a 0-d float32 array holding a number in
        [0, 1]. ``strict`` requires one per tensor; otherwise a tensor without
        one gets the Π the loaded ``step`` implies under its group's options
        (or keeps its own when ``step`` is absent too). Nothing is modified by
        a refused call.
        """
        check_mapping(state_dict)
        like = np.float32(1.0)
        names = [f"{_MU}/{key}" for key in self._groups.keys]
        templates = {name: np.array(like) for name in names}
        ours = {
            k: v for k, v in state_dict.items() if isinstance(k, str) and k.startswith(_MU + "/")
        }
        found = plan_arrays(
            ours, set(), templates if strict else {}, {} if strict else templates, strict
        )
        values = {}
        for name, entry in found.items():
            values[name] = float(check_number(f"state_dict[{name!r}]", entry, 0.0, 1.0))
        rest = {k: v for k, v in state_dict.items() if k not in ours}
        super().load_state_dict(rest, strict)
        # -- nothing below can fail ---------------------------------------------------
        current = self._products_per_tensor()
        per_tensor, flat = [], 0
        for group, count in zip(self.param_groups, self._group_counts):
            implied = None
            for name in names[flat : flat + count]:
                if name in values:
                    per_tensor.append(values[name])
                    continue
                if "step" in state_dict:
                    if implied is None:
                        implied = self._implied_product(group)
                    per_tensor.append(implied)
                else:
                    per_tensor.append(current[len(per_tensor)])
            flat += count
        products, flat = [], 0
        for count in self._group_counts:
            mine = per_tensor[flat : flat + count]
            flat += count
            uniform = all(x == mine[0] for x in mine)  # (Π is never NaN here)
            products.append(1.0 if not mine else mine[0] if uniform else list(mine))
        self._mu_products = products

    def _implied_product(self, group: dict) -> float:
        """Π after ``step`` steps under the group's current options."""
        f32, product = self._f32, 1.0
        beta1, psi = float(group["betas"][0]), float(group["momentum_decay"])
        for step in range(1, self.iterations + 1):
            f32[0] = _mu(beta1, psi, float(step))
            mu32 = f32[0]
            f32[0] = product * mu32
            product = f32[0]
        return product
