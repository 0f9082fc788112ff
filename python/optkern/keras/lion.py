"""Keras-convention Lion (evolved sign momentum)."""

from __future__ import annotations

from typing import Any

from .._params import check_number
from .optimizer import Fixed, LearningRate, Optimizer


class Lion(Optimizer):
    r"""Lion, Keras 3 maths (``keras.optimizers.Lion``).

    With η the learning rate, per element:

    .. code-block:: text

        p <- p - η * sign(m * β1 + g * (1 - β1))
        m <- m * β2 + g * (1 - β2)

    after clipping and decoupled weight decay ``p <- p - p*(η*λ)`` (see
    `optkern.Optimizer`). ``sign`` is -1, 0 or 1 (0 for ±0, so a zero
    gradient on a zero momentum leaves p as it is) and NaN for NaN, so a NaN
    gradient makes p and m NaN.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
        Updated in place. Groups may override ``learning_rate``, ``weight_decay``.
    learning_rate : float or callable, default 1e-3
    beta_1 : float in (0, 1], default 0.9
        As Keras: β1 = 0 would make Lion sign SGD, and is refused.
    beta_2 : float in [0, 1], default 0.99
    weight_decay, clipnorm, clipvalue, global_clipnorm : float, optional

    State slots: ``momentum`` (m), Keras's name.
    ``state_dict()`` also holds ``iterations`` and, when it is a number,
    ``learning_rate``. The arrays are held as `optkern.Optimizer` says.
    """

    _kernel = "lion"
    _slots = ("momentum",)

    beta_1 = Fixed()
    beta_2 = Fixed()

    def __init__(
        self,
        params: Any,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        self._beta_1 = check_number("beta_1", beta_1, 0.0, 1.0, low_open=True)
        self._beta_2 = check_number("beta_2", beta_2, 0.0, 1.0)
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)

    def _kernel_fields(self, group: dict | None) -> dict:
        return dict(beta1=self._beta_1, beta2=self._beta_2)
