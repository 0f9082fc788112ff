"""Keras-convention Adagrad."""

from __future__ import annotations

from typing import Any

from .._params import check_number
from .optimizer import Fixed, LearningRate, Optimizer


class Adagrad(Optimizer):
    r"""Adagrad, Keras 3 maths (``keras.optimizers.Adagrad``).

    With η the learning rate, per element:

    .. code-block:: text

        s <- s + g*g
        p <- p - (η*g) / sqrt(s + ε)

    after clipping and decoupled weight decay ``p <- p - p*(η*λ)`` (see
    `optkern.Optimizer`). The accumulator s starts at
    ``initial_accumulator_value``; ε is added inside the square root, as in Keras.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
        Updated in place. Groups may override ``learning_rate``, ``weight_decay``.
    learning_rate : float or callable, default 1e-3
    initial_accumulator_value : float >= 0, default 0.1
    epsilon : float >= 0, default 1e-7
    weight_decay, clipnorm, clipvalue, global_clipnorm : float, optional

    State slot: ``accumulator``.
    ``state_dict()`` also holds ``iterations`` and, when it is a number,
    ``learning_rate``. The arrays are held as `optkern.Optimizer` says.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> w = np.ones(3, np.float32)
    >>> opt = ok.Adagrad([w], learning_rate=0.1)
    >>> opt.step([np.full(3, 2.0, np.float32)])
    >>> opt.state_dict()["accumulator/0"]
    array([4.1, 4.1, 4.1], dtype=float32)
    """

    _kernel = "adagrad"
    _slots = ("accumulator",)

    initial_accumulator_value = Fixed()
    epsilon = Fixed()

    def __init__(
        self,
        params: Any,
        learning_rate: LearningRate = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        self._initial_accumulator_value = check_number(
            "initial_accumulator_value", initial_accumulator_value
        )
        self._epsilon = check_number("epsilon", epsilon)
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        for s in self._state["accumulator"]:
            s.fill(self._initial_accumulator_value)

    def _kernel_fields(self, group: dict | None) -> dict:
        return dict(eps=self._epsilon)
