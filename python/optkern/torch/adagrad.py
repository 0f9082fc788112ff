"""PyTorch-convention Adagrad (``torch.optim.Adagrad`` maths)."""

from __future__ import annotations

from typing import Any

from .._params import check_number
from .optimizer import Optimizer, check_common


class Adagrad(Optimizer):
    r"""Adagrad, ``torch.optim.Adagrad`` maths.

    With t the 1-based step, η = lr, λ = weight_decay, per element:

    .. code-block:: text

        g <- -g                                  if maximize
        g <- g + λ*p                             if λ != 0   (L2, coupled)
        η' = η / (1 + (t - 1)*lr_decay)          (in double, once per step)
        s <- s + g*g
        p <- p - (η'*g) / (sqrt(s) + ε)

    The sum s of every parameter starts at the constructor's
    ``initial_accumulator_value``, as in torch (a group's own entry of that
    name is checked and saved but, as in torch, not used); ε is added outside
    the square root, as in torch.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
    lr : float >= 0, default 1e-2
    lr_decay : float >= 0, default 0
    weight_decay : float >= 0, default 0
    initial_accumulator_value : float >= 0, default 0
    eps : float >= 0, default 1e-10
    maximize : bool, default False

    State slot: ``sum``.
    ``state_dict()`` also holds ``step`` and every group option as
    ``"param_groups/<i>/<option>"``. The arrays are held as `optkern.torch.Optimizer` says.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> w = np.ones(2)
    >>> opt = ok.torch.Adagrad([w], lr=0.5, eps=0.0)
    >>> opt.step([np.array([2.0, -4.0])])
    >>> w
    array([0.5, 1.5])
    """

    _kernel = "adagrad"
    _slots = ("sum",)

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ):
        check_number("initial_accumulator_value", initial_accumulator_value)
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict) -> None:
        check_common(group)
        check_number("lr_decay", group["lr_decay"])
        check_number("initial_accumulator_value", group["initial_accumulator_value"])
        check_number("eps", group["eps"])

    def _make_slot(self, slot: str) -> list:
        sums = super()._make_slot(slot)
        for s in sums:
            s.fill(float(self.defaults["initial_accumulator_value"]))
        return sums

    def _kernel_fields(self, g: dict) -> dict:
        return dict(lr_decay=float(g["lr_decay"]), eps=float(g["eps"]))
