"""PyTorch-convention Adam and AdamW (``torch.optim.Adam`` / ``AdamW`` maths)."""

from __future__ import annotations

from typing import Any

from .. import _core
from .._params import check_flag, check_number
from .optimizer import Optimizer, check_betas, check_common


class Adam(Optimizer):
    r"""Adam / AMSGrad, ``torch.optim.Adam`` maths.

    With t the 1-based step, η = lr, (β1, β2) = betas, λ = weight_decay, per element:

    .. code-block:: text

        g <- -g                                  if maximize
        g <- g + λ*p                             if λ != 0 and not decoupled (L2)
        p <- p * (1 - η*λ)                       if λ != 0 and decoupled_weight_decay
        m <- m + (1 - β1)*(g - m)
        v <- v*β2 + (1 - β2)*(g*g)
        amsgrad: v̂ <- max(v̂, v), and v̂ is used for v below
        p <- p - (η/(1 - β1ᵗ)) * (m / (sqrt(v)/sqrt(1 - β2ᵗ) + ε))

    Scalars are computed in double once per step. ε is added after the bias
    correction of the square root, as in torch.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    amsgrad : bool, default False
    maximize : bool, default False
    decoupled_weight_decay : bool, default False (True is AdamW)

    State slots: ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq`` (amsgrad groups).
    ``state_dict()`` also holds ``step`` and every group option as
    ``"param_groups/<i>/<option>"``. The arrays are held as `optkern.torch.Optimizer` says.
    """

    _kernel = "adam"
    _slots = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
                decoupled_weight_decay=decoupled_weight_decay,
            ),
        )

    def _check_group(self, group: dict) -> None:
        check_common(group)
        check_betas(group)
        check_number("eps", group["eps"])
        check_flag("amsgrad", group["amsgrad"])
        check_flag("decoupled_weight_decay", group["decoupled_weight_decay"])

    def _slot_needed(self, slot: str, group: dict) -> bool:
        return slot != "max_exp_avg_sq" or bool(group["amsgrad"])

    def _kernel_fields(self, g: dict) -> dict:
        decoupled = g["decoupled_weight_decay"]
        return dict(
            beta1=float(g["betas"][0]),
            beta2=float(g["betas"][1]),
            eps=float(g["eps"]),
            amsgrad=bool(g["amsgrad"]),
            weight_decay_mode=(
                _core.WeightDecay.decoupled_torch if decoupled else _core.WeightDecay.l2
            ),
        )


class AdamW(Adam):
    r"""AdamW, ``torch.optim.AdamW`` maths: `Adam` with decoupled weight decay
    ``p <- p * (1 - η*λ)`` before the Adam rule; ``weight_decay`` defaults to 1e-2.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
