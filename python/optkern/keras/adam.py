"""Keras-convention Adam and AdamW (with AMSGrad)."""

from __future__ import annotations

from typing import Any

from .._params import check_flag
from .optimizer import Fixed, LearningRate, MomentsOptimizer


class Adam(MomentsOptimizer):
    r"""Adam, Keras 3 maths (``keras.optimizers.Adam``).

    With t = iterations + 1 and η the learning rate, per element:

    .. code-block:: text

        m <- m + (1 - β1) * (g - m)
        v <- v + (g² - v) * (1 - β2)
        amsgrad: v̂ <- max(v̂, v), and v̂ is used for v below
        α  = η * sqrt(1 - β2ᵗ) / (1 - β1ᵗ)          (in double)
        p <- p - (m * α) / (sqrt(v) + ε)

    after clipping and decoupled weight decay ``p <- p - p*(η*λ)`` (see
    `optkern.Optimizer`). ε is added outside the square root, as in Keras.

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
        Updated in place. Groups may override ``learning_rate``, ``weight_decay``.
    learning_rate : float or callable, default 1e-3
    beta_1 : float in [0, 1), default 0.9
    beta_2 : float in [0, 1), default 0.999
    epsilon : float >= 0, default 1e-7
    amsgrad : bool, default False
    weight_decay, clipnorm, clipvalue, global_clipnorm : float, optional

    State slots: ``momentum``, ``velocity`` and, with amsgrad, ``velocity_hat``.
    ``state_dict()`` also holds ``iterations`` and, when it is a number,
    ``learning_rate``. The arrays are held as `optkern.Optimizer` says.
    """

    _kernel = "adam"
    _slots = ("momentum", "velocity", "velocity_hat")

    amsgrad = Fixed()

    def __init__(
        self,
        params: Any,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        self._set_moments(beta_1, beta_2, epsilon)
        self._amsgrad = check_flag("amsgrad", amsgrad)
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)

    def _slot_needed(self, slot: str, group: dict | None) -> bool:
        return slot != "velocity_hat" or self._amsgrad

    def _kernel_fields(self, group: dict | None) -> dict:
        return dict(
            beta1=self._beta_1, beta2=self._beta_2, eps=self._epsilon, amsgrad=self._amsgrad
        )


class AdamW(Adam):
    r"""AdamW, Keras 3 maths (``keras.optimizers.AdamW``): `Adam` with decoupled
    weight decay ``p <- p - p*(η*λ)`` applied before the Adam rule.

    Parameters are those of `Adam`, with ``weight_decay`` defaulting to 0.004.
    """

    def __init__(
        self,
        params: Any,
        learning_rate: LearningRate = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        if weight_decay is None:
            raise ValueError("AdamW needs a weight_decay (use Adam for none)")
        super().__init__(
            params,
            learning_rate,
            beta_1,
            beta_2,
            epsilon,
            amsgrad,
            weight_decay,
            clipnorm,
            clipvalue,
            global_clipnorm,
        )
