"""Exponential and inverse-time decay (Keras ``ExponentialDecay``, ``InverseTimeDecay``)."""

from __future__ import annotations

import math
from typing import Any

from . import _checks
from ._base import LearningRateSchedule


class _DecayOverSteps(LearningRateSchedule):
    """Shared arguments of the two decays: the rate depends on
    ``p = step / decay_steps`` (``floor`` of it when ``staircase``) through
    ``_decay(p)``."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool,
        name: str,
    ):
        self.initial_learning_rate = _checks.number(
            "initial_learning_rate", initial_learning_rate, 0.0
        )
        self.decay_steps = _checks.number("decay_steps", decay_steps, 0.0, low_open=True)
        self.decay_rate = _checks.number("decay_rate", decay_rate, 0.0)
        self.staircase = _checks.flag("staircase", staircase)
        self.name = str(name)

    def _decay(self, p: float) -> float:
        raise NotImplementedError

    def _compute(self, step: float) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self._decay(p)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_DecayOverSteps):
    r"""``lr(step) = initial_learning_rate * decay_rate ** p`` with
    ``p = step / decay_steps``, or ``p = floor(step / decay_steps)`` when
    ``staircase`` (Keras formula, computed in double).

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : number > 0
    decay_rate : float >= 0
    staircase : bool, default False
    name : str, default "ExponentialDecay"

    Examples
    --------
    >>> from optkern.schedules import ExponentialDecay
    >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
    0.025
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, p: float) -> float:
        return float(self.initial_learning_rate) * float(self.decay_rate) ** p


class InverseTimeDecay(_DecayOverSteps):
    r"""``lr(step) = initial_learning_rate / (1 + decay_rate * p)`` with
    ``p = step / decay_steps``, or ``p = floor(step / decay_steps)`` when
    ``staircase`` (Keras formula, computed in double).

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : number > 0
    decay_rate : float >= 0
    staircase : bool, default False
    name : str, default "InverseTimeDecay"

    Examples
    --------
    >>> from optkern.schedules import InverseTimeDecay
    >>> InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2)
    0.05
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, p: float) -> float:
        return float(self.initial_learning_rate) / (1.0 + self.decay_rate * p)
