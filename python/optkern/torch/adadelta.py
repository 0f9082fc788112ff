"""PyTorch-convention Adadelta (``torch.optim.Adadelta`` maths)."""

from __future__ import annotations

from typing import Any

from .._params import check_number
from .optimizer import Optimizer, check_common


class Adadelta(Optimizer):
    r"""Adadelta, ``torch.optim.Adadelta`` maths.

    With η = lr, ρ = rho, λ = weight_decay, per element:

    .. code-block:: text

        g <- -g                                  if maximize
        g <- g + λ*p                             if λ != 0   (L2, coupled)
        a <- a*ρ + ((1 - ρ)*g)*g
        Δ  = (sqrt(d + ε) / sqrt(a + ε)) * g
        d <- d*ρ + ((1 - ρ)*Δ)*Δ
        p <- p - η*Δ

    Both running averages start at zero.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
    lr : float >= 0, default 1.0
    rho : float in [0, 1], default 0.9
    eps : float >= 0, default 1e-6
    weight_decay : float >= 0, default 0
    maximize : bool, default False

    State slots: ``square_avg`` (a) and ``acc_delta`` (d).
    ``state_dict()`` also holds ``step`` and every group option as
    ``"param_groups/<i>/<option>"``. The arrays are held as `optkern.torch.Optimizer` says.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> w = np.zeros(2)
    >>> opt = ok.torch.Adadelta([w], rho=0.5, eps=1.0)
    >>> opt.step([np.array([1.0, -1.0])])
    >>> w
    array([-0.81649658,  0.81649658])
    """

    _kernel = "adadelta"
    _slots = ("square_avg", "acc_delta")

    def __init__(
        self,
        params: Any,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        )

    def _check_group(self, group: dict) -> None:
        check_common(group)
        check_number("rho", group["rho"], 0.0, 1.0)
        check_number("eps", group["eps"])

    def _kernel_fields(self, g: dict) -> dict:
        return dict(rho=float(g["rho"]), eps=float(g["eps"]))
