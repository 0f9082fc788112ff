"""Piecewise-constant learning rate (Keras ``PiecewiseConstantDecay``)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from . import _checks
from ._base import LearningRateSchedule


class PiecewiseConstantDecay(LearningRateSchedule):
    r"""``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` once
    ``step > boundaries[-1]`` (Keras: each boundary still belongs to the piece
    before it).

    Parameters
    ----------
    boundaries : sequence of numbers, strictly increasing
    values : sequence of floats >= 0, one more than ``boundaries``
    name : str, default "PiecewiseConstant"

    Examples
    --------
    >>> from optkern.schedules import PiecewiseConstantDecay
    >>> lr = PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])
    >>> lr(100), lr(101), lr(500)
    (0.1, 0.01, 0.001)
    """

    def __init__(
        self, boundaries: Sequence[float], values: Sequence[float], name: str = "PiecewiseConstant"
    ):
        for arg, seq in (("boundaries", boundaries), ("values", values)):
            if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
                raise TypeError(f"{arg} must be a list of numbers, got {type(seq).__name__}")
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"values must have one more entry than boundaries, got "
                f"{len(boundaries)} boundaries and {len(values)} values"
            )
        self.boundaries = [_checks.number(f"boundaries[{i}]", b) for i, b in enumerate(boundaries)]
        for i in range(1, len(self.boundaries)):
            if self.boundaries[i] <= self.boundaries[i - 1]:
                raise ValueError(
                    f"boundaries must be strictly increasing, got "
                    f"boundaries[{i - 1}]={self.boundaries[i - 1]!r} >= "
                    f"boundaries[{i}]={self.boundaries[i]!r}"
                )
        self.values = [_checks.number(f"values[{i}]", v, 0.0) for i, v in enumerate(values)]
        self.name = str(name)

    def _compute(self, step: float) -> float:
        # the number of boundaries strictly below the step is the piece's index
        return float(self.values[bisect.bisect_left(self.boundaries, step)])

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}
