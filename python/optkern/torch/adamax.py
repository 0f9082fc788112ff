"""PyTorch-convention Adamax (``torch.optim.Adamax`` maths)."""

from __future__ import annotations

from typing import Any

from .._params import check_number
from .optimizer import Optimizer, check_betas, check_common


class Adamax(Optimizer):
    r"""Adamax, ``torch.optim.Adamax`` maths.

    With t the 1-based step, η = lr, (β1, β2) = betas, λ = weight_decay, per element:

    .. code-block:: text

        g <- -g                                  if maximize
        g <- g + λ*p                             if λ != 0 (L2)
        m <- m + (1 - β1)*(g - m)
        u <- max(u*β2, |g| + ε)
        p <- p - (η/(1 - β1ᵗ)) * (m / u)

    η/(1 - β1ᵗ) is computed in double once per step. ε is added to |g| inside
    the maximum, as in torch; ``max`` propagates NaN from either side.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
    lr : float, default 2e-3
    betas : (float, float), each in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    maximize : bool, default False

    State slots: ``exp_avg`` (m) and ``exp_inf`` (u), torch's names.
    ``state_dict()`` also holds ``step`` and every group option as
    ``"param_groups/<i>/<option>"``. The arrays are held as `optkern.torch.Optimizer` says.
    """

    _kernel = "adamax"
    _slots = ("exp_avg", "exp_inf")

    def __init__(
        self,
        params: Any,
        lr: float = 2e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        )

    def _check_group(self, group: dict) -> None:
        check_common(group)
        check_betas(group)
        check_number("eps", group["eps"])

    def _kernel_fields(self, g: dict) -> dict:
        return dict(beta1=float(g["betas"][0]), beta2=float(g["betas"][1]), eps=float(g["eps"]))
