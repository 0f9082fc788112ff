"""Keras-convention Adadelta."""

from __future__ import annotations

from typing import Any

from .._params import check_number
from .optimizer import Fixed, LearningRate, Optimizer


class Adadelta(Optimizer):
    r"""Adadelta, Keras 3 maths (``keras.optimizers.Adadelta``).

    With η the learning rate and ρ = rho, per element:

    .. code-block:: text

        a <- ρ*a + (1 - ρ)*(g*g)
        Δ  = -((sqrt(d + ε) * g) / sqrt(a + ε))
        d <- ρ*d + (1 - ρ)*(Δ*Δ)
        p <- p + η*Δ

    after clipping and decoupled weight decay ``p <- p - p*(η*λ)`` (see
    `optkern.Optimizer`). Both running averages start at zero.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
        Updated in place. Groups may override ``learning_rate``, ``weight_decay``.
    learning_rate : float or callable, default 1e-3
    rho : float in [0, 1], default 0.95
    epsilon : float >= 0, default 1e-7
    weight_decay, clipnorm, clipvalue, global_clipnorm : float, optional

    State slots: ``accumulated_grad`` (a) and ``accumulated_delta_var`` (d).
    ``state_dict()`` also holds ``iterations`` and, when it is a number,
    ``learning_rate``. The arrays are held as `optkern.Optimizer` says.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> w = np.zeros(2)
    >>> opt = ok.Adadelta([w], learning_rate=1.0, rho=0.5, epsilon=1.0)
    >>> opt.step([np.array([1.0, -1.0])])
    >>> w
    array([-0.81649658,  0.81649658])
    """

    _kernel = "adadelta"
    _slots = ("accumulated_grad", "accumulated_delta_var")

    rho = Fixed()
    epsilon = Fixed()

    def __init__(
        self,
        params: Any,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        self._rho = check_number("rho", rho, 0.0, 1.0)
        self._epsilon = check_number("epsilon", epsilon)
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)

    def _kernel_fields(self, group: dict | None) -> dict:
        return dict(rho=self._rho, eps=self._epsilon)
