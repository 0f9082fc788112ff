"""Argument checks shared by the schedules and the torch lr schedulers.

Numbers must be real numbers (Python or NumPy ints and floats, never bools or
strings) and finite; each check names the argument it rejects.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Union

import numpy as np

Number = Union[int, float]


def number(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Number:
    """``value`` as a Python int (if integral type) or float, finite and in range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    x = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if x < low or (low_open and x == low) or x > high or (high_open and x == high):
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lo}{low}, {high}{hi}, got {value!r}")
    return x


def integer(name: str, value: Any, low: int | None = None) -> int:
    """``value`` as a Python int (an integer type, not a bool), at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    x = int(value)
    if low is not None and x < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return x


def flag(name: str, value: Any) -> bool:
    """A bool (Python or NumPy); numbers and strings are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def text(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """One of ``choices``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def step(value: Any) -> float:
    """A schedule's step: a finite real number >= 0, returned as a float."""
    # 0-d NumPy arrays (e.g. a counter kept in an array) are accepted too
    if getattr(value, "shape", None) == () and getattr(
        getattr(value, "dtype", None), "kind", None
    ) in ("i", "u", "f"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"step must be a real number, got {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"step must be a finite number >= 0, got {value!r}")
    return x
