"""Keras-convention RMSprop (plain, centered, with momentum)."""

from __future__ import annotations

from typing import Any

from .._params import check_flag, check_number
from .optimizer import Fixed, LearningRate, Optimizer


class RMSprop(Optimizer):
    r"""RMSprop, Keras 3 maths (``keras.optimizers.RMSprop``).

    With η the learning rate, ρ = rho, μ = momentum, per element:

    .. code-block:: text

        v <- ρ*v + (1 - ρ)*(g*g)
        centered:  ḡ <- ρ*ḡ + (1 - ρ)*g
                   Δ  = (η*g) / sqrt((v - ḡ*ḡ) + ε)
        otherwise: Δ  = (η*g) / sqrt(v + ε)
        μ > 0:     b <- μ*b + Δ;  p <- p - b
        μ = 0:     p <- p - Δ

    after clipping and decoupled weight decay ``p <- p - p*(η*λ)`` (see
    `optkern.Optimizer`). ε is added inside the square root, as in Keras
    (`optkern.torch.RMSprop` adds it outside).

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
        Updated in place. Groups may override ``learning_rate``, ``weight_decay``.
    learning_rate : float or callable, default 1e-3
    rho : float in [0, 1], default 0.9
    momentum : float >= 0, default 0.0
    epsilon : float >= 0, default 1e-7
    centered : bool, default False
    weight_decay, clipnorm, clipvalue, global_clipnorm : float, optional

    State slots: ``velocity`` (v), ``momentum`` (b, only when μ > 0) and
    ``average_gradient`` (ḡ, only when centered), Keras's names.
    ``state_dict()`` also holds ``iterations`` and, when it is a number,
    ``learning_rate``. The arrays are held as `optkern.Optimizer` says.
    """

    _kernel = "rmsprop"
    _slots = ("velocity", "momentum", "average_gradient")

    rho = Fixed()
    momentum = Fixed()
    epsilon = Fixed()
    centered = Fixed()

    def __init__(
        self,
        params: Any,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        self._rho = check_number("rho", rho, 0.0, 1.0)
        self._momentum = check_number("momentum", momentum)
        self._epsilon = check_number("epsilon", epsilon)
        self._centered = check_flag("centered", centered)
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)

    def _slot_needed(self, slot: str, group: dict | None) -> bool:
        if slot == "momentum":
            return self._momentum > 0
        return slot != "average_gradient" or self._centered

    def _kernel_fields(self, group: dict | None) -> dict:
        return dict(
            rho=self._rho, momentum=self._momentum, eps=self._epsilon, centered=self._centered
        )
