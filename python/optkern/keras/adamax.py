"""Keras-convention Adamax (Adam with the infinity norm)."""

from __future__ import annotations

from typing import Any

from .optimizer import LearningRate, MomentsOptimizer


class Adamax(MomentsOptimizer):
    r"""Adamax, Keras 3 maths (``keras.optimizers.Adamax``).

    With t = iterations + 1 and η the learning rate, per element:

    .. code-block:: text

        m <- m + (g - m) * (1 - β1)
        u <- max(u * β2, |g|)
        p <- p - (η * m) / ((1 - β1ᵗ) * (u + ε))      (1 - β1ᵗ in double)

    after clipping and decoupled weight decay ``p <- p - p*(η*λ)`` (see
    `optkern.Optimizer`). ε is added to u, outside the maximum, as in Keras;
    ``max`` propagates NaN from either side.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
        Updated in place. Groups may override ``learning_rate``, ``weight_decay``.
    learning_rate : float or callable, default 1e-3
    beta_1 : float in [0, 1), default 0.9
    beta_2 : float in [0, 1), default 0.999
    epsilon : float >= 0, default 1e-7
    weight_decay, clipnorm, clipvalue, global_clipnorm : float, optional

    State slots: ``momentum`` (m) and ``norm`` (u), Keras's names.
    ``state_dict()`` also holds ``iterations`` and, when it is a number,
    ``learning_rate``. The arrays are held as `optkern.Optimizer` says.
    """

    _kernel = "adamax"
    _slots = ("momentum", "norm")

    def __init__(
        self,
        params: Any,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        self._set_moments(beta_1, beta_2, epsilon)
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)

    def _kernel_fields(self, group: dict | None) -> dict:
        return dict(beta1=self._beta_1, beta2=self._beta_2, eps=self._epsilon)
