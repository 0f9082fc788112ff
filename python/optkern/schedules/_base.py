"""The base of the Keras-convention learning-rate schedules."""

from __future__ import annotations

from typing import Any

from . import _checks


class LearningRateSchedule:
    """A learning rate that depends on the optimizer step (``keras.optimizers.schedules``).

    ``schedule(step)`` returns the learning rate (a Python float) for a step
    ``>= 0``; the Keras-convention optimizers call it with their 0-based
    ``iterations`` before each update, so the first update uses ``schedule(0)``.
    The built-in schedules compute in double precision.

    To write your own, override ``__call__(self, step)`` (or ``_compute(self,
    step)``, which receives the step already checked and converted to float),
    and ``get_config()`` if it should be serializable; ``from_config(config)``
    calls ``cls(**config)``.

    Examples
    --------
    >>> from optkern.schedules import LearningRateSchedule
    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, lr):
    ...         self.lr = lr
    ...     def __call__(self, step):
    ...         return self.lr / 2 ** (step // 100)
    ...     def get_config(self):
    ...         return {"lr": self.lr}
    >>> Halving(0.1)(250)
    0.025
    """

    def __call__(self, step: Any) -> float:
        return self._compute(_checks.step(step))

    def _compute(self, step: float) -> float:
        raise NotImplementedError(
            f"learning rate schedule {type(self).__name__} must override __call__(self, step)"
        )

    def get_config(self) -> dict:
        """The constructor arguments, as a dict of plain Python values."""
        raise NotImplementedError(
            f"learning rate schedule {type(self).__name__} must override "
            f"get_config() to be serializable"
        )

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        """A schedule from the output of `get_config`."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            config = self.get_config()
        except NotImplementedError:
            return f"{type(self).__name__}()"
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
        return f"{type(self).__name__}({args})"
