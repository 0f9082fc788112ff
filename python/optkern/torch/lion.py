"""PyTorch-convention Lion. torch.optim has no Lion: this follows the rule of
the Lion paper (Chen et al., 2023, "Symbolic Discovery of Optimization
Algorithms") and optax, with torch's front-end conventions."""

from __future__ import annotations

from typing import Any

from .. import _core
from .._params import check_number
from .optimizer import Optimizer, check_common


class Lion(Optimizer):
    r"""Lion (evolved sign momentum) in the torch front-end's conventions.

    With η = lr, (β1, β2) = betas, λ = weight_decay, per element:

    .. code-block:: text

        g <- -g                                  if maximize
        p <- p * (1 - η*λ)                       if λ != 0 (decoupled, as the paper)
        p <- p - η * sign(m*β1 + g*(1 - β1))
        m <- m*β2 + g*(1 - β2)

    ``sign`` is -1, 0 or 1 (0 for ±0, so a zero gradient on a zero momentum
    leaves p as it is) and NaN for NaN, so a NaN gradient makes p and m NaN.
    1 - η*λ is computed in double once per step. torch.optim has no Lion, so
    no torch state dict is mirrored beyond the slot name.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
    lr : float, default 1e-4
    betas : (float, float), each in [0, 1], default (0.9, 0.99)
    weight_decay : float >= 0, default 0 (decoupled)
    maximize : bool, default False

    State slots: ``exp_avg`` (m). ``state_dict()`` also holds ``step`` and
    every group option as ``"param_groups/<i>/<option>"``. A params dict must
    keep its keys bound to the arrays given here: replacing one
    (``params["W"] = new``) makes the next step a ValueError naming the key;
    see `optkern.torch.Optimizer`.
    """

    _kernel = "lion"
    _slots = ("exp_avg",)

    def __init__(
        self,
        params: Any,
        lr: float = 1e-4,
        betas: tuple = (0.9, 0.99),
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params, dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize)
        )

    def _check_group(self, group: dict) -> None:
        check_common(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        check_number("betas[0]", betas[0], 0.0, 1.0)
        check_number("betas[1]", betas[1], 0.0, 1.0)

    def _kernel_fields(self, g: dict) -> dict:
        return dict(
            beta1=float(g["betas"][0]),
            beta2=float(g["betas"][1]),
            weight_decay_mode=_core.WeightDecay.decoupled_torch,
        )
