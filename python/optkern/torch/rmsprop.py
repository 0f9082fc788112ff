"""PyTorch-convention RMSprop (``torch.optim.RMSprop`` maths)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._params import check_flag, check_number
from .optimizer import Optimizer, check_common


class RMSprop(Optimizer):
    r"""RMSprop (plain, centered, with momentum), ``torch.optim.RMSprop`` maths.

    Per element, with η = lr, α = alpha, μ = momentum, λ = weight_decay:

    .. code-block:: text

        g <- -g                                  if maximize
        g <- g + λ*p                             if λ != 0   (L2, coupled)
        v <- v*α + ((1 - α)*g)*g
        centered:  ḡ <- ḡ + (1 - α)*(g - ḡ)
                   D  = sqrt(v - ḡ*ḡ) + ε
        otherwise: D  = sqrt(v) + ε
        μ > 0:     b <- b*μ + g/D;  p <- p - η*b
        μ = 0:     p <- p - η*(g/D)

    ε is added outside the square root, as in torch (`optkern.RMSprop`, the
    Keras form, adds it inside).

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
    lr : float >= 0, default 1e-2
    alpha : float in [0, 1], default 0.99
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    momentum : float >= 0, default 0
    centered : bool, default False
    maximize : bool, default False

    State slots: ``square_avg`` (v), ``momentum_buffer`` (b, groups with
    momentum > 0) and ``grad_avg`` (ḡ, centered groups), torch's names; a
    group that turns momentum or centered on later starts that slot at zero.
    ``state_dict()`` also holds ``step`` and every group option as
    ``"param_groups/<i>/<option>"``. The arrays are held as `optkern.torch.Optimizer` says.
    """

    _kernel = "rmsprop"
    _slots = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict) -> None:
        check_common(group)
        check_number("alpha", group["alpha"], 0.0, 1.0)
        check_number("eps", group["eps"])
        check_number("momentum", group["momentum"])
        check_flag("centered", group["centered"])

    def _slot_needed(self, slot: str, group: dict) -> bool:
        if slot == "momentum_buffer":
            return group["momentum"] > 0
        return slot != "grad_avg" or bool(group["centered"])

    def _kernel_fields(self, g: dict) -> dict:
        return dict(
            rho=float(g["alpha"]),
            momentum=float(g["momentum"]),
            eps=float(g["eps"]),
            centered=bool(g["centered"]),
        )

    def _on_group_change(self, index: int, group: dict) -> None:
        # A group that turns momentum or centered on after construction gets
        # zero slots (as torch's state starts them).
        if not self._state:  # construction: the slots are made next
            return
        start = sum(self._group_counts[:index])
        for slot in ("momentum_buffer", "grad_avg"):
            if self._slot_needed(slot, group):
                arrays = self._state[slot]
                for i in range(start, start + self._group_counts[index]):
                    if arrays[i] is None:
                        arrays[i] = np.zeros_like(self.params[i])
