"""Keras-convention Nadam (Adam with Nesterov momentum)."""

from __future__ import annotations

from typing import Any

from .._params import check_number
from .._state import check_mapping
from .optimizer import LearningRate, MomentsOptimizer


def _u(beta_1: float, t: int) -> float:
    """The momentum schedule uₜ = β1·(1 − ½·0.96ᵗ), in double."""
    return beta_1 * (1.0 - 0.5 * 0.96**t)


class Nadam(MomentsOptimizer):
    r"""Nadam, Keras 3 maths (``keras.optimizers.Nadam``).

    With t = iterations + 1, η the learning rate and Π the running product of
    the momentum schedule (one scalar per optimizer, starting at 1), per step
    in double:

    .. code-block:: text

        uₜ   = β1 * (1 - 0.5 * 0.96ᵗ)
        uₜ₊₁ = β1 * (1 - 0.5 * 0.96ᵗ⁺¹)
        Π   <- Π * uₜ
        c_m  = η * uₜ₊₁ / (1 - Π * uₜ₊₁)
        c_g  = η * (1 - uₜ) / (1 - Π)

    and per element:

    .. code-block:: text

        m <- m + (1 - β1) * (g - m)
        v <- v + (g² - v) * (1 - β2)
        p <- p - (m * c_m + g * c_g) / (sqrt(v / (1 - β2ᵗ)) + ε)

    which is Keras's ``p <- p - η*m̂/(sqrt(v̂) + ε)`` with
    ``m̂ = uₜ₊₁*m/(1 - Π*uₜ₊₁) + (1 - uₜ)*g/(1 - Π)`` and ``v̂ = v/(1 - β2ᵗ)``,
    the learning rate folded into the two coefficients. Clipping and
    decoupled weight decay ``p <- p - p*(η*λ)`` come first (see
    `optkern.Optimizer`).

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
        Updated in place. Groups may override ``learning_rate``, ``weight_decay``.
    learning_rate : float or callable, default 1e-3
    beta_1 : float in [0, 1), default 0.9
    beta_2 : float in [0, 1), default 0.999
    epsilon : float >= 0, default 1e-7
    weight_decay, clipnorm, clipvalue, global_clipnorm : float, optional

    State slots: ``momentum``, ``velocity``. ``state_dict()`` also holds
    ``iterations``, ``u_product`` (Π, a float) and, when it is a number,
    ``learning_rate``. The arrays are held as `optkern.Optimizer` says.
    """

    _kernel = "nadam"
    _slots = ("momentum", "velocity")

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
        self._u_product = 1.0
        # (t, Π after step t) of the last step handed to the kernel: it counts
        # once ``update_iterations`` reaches t, which the base does only after
        # the kernel applied the step (a refused step leaves Π as it was).
        self._u_pending = (-1, 1.0)

    @property
    def u_product(self) -> float:
        """Π, the product of uₜ over the steps applied so far (1 before the first)."""
        return self._settled_u_product()

    def _settled_u_product(self) -> float:
        t, product = self._u_pending
        if t == self.update_iterations:
            self._u_product = product
            self._u_pending = (-1, 1.0)
        return self._u_product

    def _kernel_fields(self, group: dict | None) -> dict:
        # The kernel computes uₜ and uₜ₊₁ as β1(1 − ½·0.96^(t·ψ)) with ψ = 1.
        return dict(beta1=self._beta_1, beta2=self._beta_2, eps=self._epsilon, momentum_decay=1.0)

    def _step_records(self, records: list, t: int) -> list:
        # t: iterations + 1; with accumulation, updates + 1
        product = self._settled_u_product() * (self._beta_1 * (1.0 - 0.5 * 0.96**t))
        for record in records:
            record.mu_product = product
        self._u_pending = (t, product)
        return records

    def state_dict(self) -> dict:
        """`optkern.Optimizer.state_dict` plus ``"u_product"``: Π, a float."""
        out = super().state_dict()
        out["u_product"] = float(self._settled_u_product())
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> None:
        """`optkern.Optimizer.load_state_dict`, plus ``"u_product"`` (Π).

        Π must be a number in [0, 1]. ``strict`` requires it; otherwise a
        state dict without it gets the Π its ``iterations`` imply (the
        product of uₜ over t = 1 … iterations, in the order the steps
        compute it), or keeps the current one when ``iterations`` is absent
        too. Nothing is modified by a refused call.
        """
        check_mapping(state_dict)
        product = state_dict.get("u_product")
        if product is None:
            if strict:
                raise ValueError("state_dict has no 'u_product' entry")
        else:
            product = check_number("state_dict['u_product']", product, 0.0, 1.0)
        rest = {k: v for k, v in state_dict.items() if k != "u_product"}
        self._settled_u_product()
        super().load_state_dict(rest, strict)
        self._u_pending = (-1, 1.0)
        if product is None and "iterations" in state_dict:
            product = 1.0
            for t in range(1, self.update_iterations + 1):
                product = product * _u(self._beta_1, t)
        if product is not None:
            self._u_product = product
