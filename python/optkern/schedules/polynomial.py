"""Polynomial decay (Keras ``PolynomialDecay``)."""

from __future__ import annotations

import math
from typing import Any

from . import _checks
from ._base import LearningRateSchedule


class PolynomialDecay(LearningRateSchedule):
    r"""Decay from ``initial_learning_rate`` to ``end_learning_rate`` over
    ``decay_steps`` steps (Keras formula, computed in double)::

        cycle=False:  s = min(step, decay_steps);  D = decay_steps
        cycle=True:   s = step;  D = decay_steps * max(1, ceil(step / decay_steps))
        lr = (initial_learning_rate - end_learning_rate) * (1 - s / D) ** power
             + end_learning_rate

    With ``cycle`` the decay restarts each ``decay_steps`` steps; a step that
    is an exact multiple ``k * decay_steps`` (k >= 1) gives ``end_learning_rate``.

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : number > 0
    end_learning_rate : float >= 0, default 1e-4
    power : float >= 0, default 1.0
    cycle : bool, default False
    name : str, default "PolynomialDecay"

    Examples
    --------
    >>> from optkern.schedules import PolynomialDecay
    >>> PolynomialDecay(1.0, decay_steps=100, end_learning_rate=0.0)(25)
    0.75
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        self.initial_learning_rate = _checks.number(
            "initial_learning_rate", initial_learning_rate, 0.0
        )
        self.decay_steps = _checks.number("decay_steps", decay_steps, 0.0, low_open=True)
        self.end_learning_rate = _checks.number("end_learning_rate", end_learning_rate, 0.0)
        self.power = _checks.number("power", power, 0.0)
        self.cycle = _checks.flag("cycle", cycle)
        self.name = str(name)

    def _compute(self, step: float) -> float:
        decay_steps = float(self.decay_steps)
        if self.cycle:
            multiplier = 1.0 if step == 0 else math.ceil(step / decay_steps)
            decay_steps = decay_steps * multiplier
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * (1.0 - p) ** float(
            self.power
        ) + self.end_learning_rate

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }
