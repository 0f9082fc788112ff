"""Cosine decay with optional linear warmup, and cosine decay with warm restarts
(Keras ``CosineDecay``, ``CosineDecayRestarts``)."""

from __future__ import annotations

import math
from typing import Any

from . import _checks
from ._base import LearningRateSchedule


class CosineDecay(LearningRateSchedule):
    r"""Cosine decay, after an optional linear warmup (Keras formula, in double).

    Without ``warmup_target``, with ``s = min(step, decay_steps)``::

        lr = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)

    With ``warmup_target``, ``s = min(step, warmup_steps + decay_steps)``:
    while ``s < warmup_steps`` the rate rises linearly,
    ``lr = (warmup_target - initial_learning_rate) * (s / warmup_steps) + initial_learning_rate``;
    afterwards it decays as above from ``warmup_target``, with ``s - warmup_steps``
    in place of ``s``.

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : number > 0
    alpha : float in [0, 1], default 0
        The final rate as a fraction of the rate the decay starts from.
    name : str, default "CosineDecay"
    warmup_target : float >= 0 or None, default None
    warmup_steps : number >= 0, default 0

    Examples
    --------
    >>> from optkern.schedules import CosineDecay
    >>> lr = CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    >>> round(lr(5), 12), round(lr(10), 12), round(lr(60), 12), lr(110)
    (0.05, 0.1, 0.05, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: float = 0,
    ):
        self.initial_learning_rate = _checks.number(
            "initial_learning_rate", initial_learning_rate, 0.0
        )
        self.decay_steps = _checks.number("decay_steps", decay_steps, 0.0, low_open=True)
        self.alpha = _checks.number("alpha", alpha, 0.0, 1.0)
        self.name = str(name)
        self.warmup_target = (
            None if warmup_target is None else _checks.number("warmup_target", warmup_target, 0.0)
        )
        self.warmup_steps = _checks.number("warmup_steps", warmup_steps, 0.0)

    def _decay(self, step: float, start_lr: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * (step / self.decay_steps)))
        return start_lr * ((1.0 - self.alpha) * cosine + self.alpha)

    def _compute(self, step: float) -> float:
        initial = float(self.initial_learning_rate)
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), initial)
        warmup_steps = float(self.warmup_steps)
        step = min(step, self.decay_steps + warmup_steps)
        if step < warmup_steps:
            return (self.warmup_target - initial) * (step / warmup_steps) + initial
        return self._decay(step - warmup_steps, float(self.warmup_target))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


def restart_index(fraction: float, t_mul: float) -> int:
    r"""The period ``i`` that contains ``fraction`` (steps in units of the first
    period) when each period is ``t_mul`` times longer than the one before:
    the ``i`` with ``S(i) <= fraction < S(i + 1)``, ``S(i) = (t_mul**i - 1) / (t_mul - 1)``
    (``S(i) = i`` for ``t_mul == 1``), with ``S`` evaluated in double exactly as
    the schedule evaluates it.

    The closed form ``floor(log(1 + fraction*(t_mul - 1)) / log(t_mul))`` is
    only the first guess: rounding puts it one period low (or high) at some
    period boundaries, so it is corrected until the inequality holds.
    """
    if t_mul == 1.0:
        return math.floor(fraction)
    i = math.floor(math.log1p(fraction * (t_mul - 1.0)) / math.log(t_mul))
    i = max(i, 0)
    while i > 0 and restart_start(i, t_mul) > fraction:
        i -= 1
    while restart_start(i + 1, t_mul) <= fraction:
        i += 1
    return i


def restart_start(i: int, t_mul: float) -> float:
    """``S(i)``: where period ``i`` begins, in units of the first period."""
    if t_mul == 1.0:
        return float(i)
    return (1.0 - t_mul**i) / (1.0 - t_mul)


class CosineDecayRestarts(LearningRateSchedule):
    r"""Cosine decay with warm restarts (SGDR; Keras formula, in double).

    Period ``i`` (from 0) lasts ``first_decay_steps * t_mul**i`` steps and
    starts from ``initial_learning_rate * m_mul**i``. With
    ``f = step / first_decay_steps``, ``i`` the period containing ``f``
    (see `restart_index`; ``i = floor(f)`` when ``t_mul == 1``) and
    ``S(i) = (1 - t_mul**i) / (1 - t_mul)`` where it begins::

        c = (f - S(i)) / t_mul**i          # fraction of period i completed
        lr = initial_learning_rate * ((1 - alpha) * 0.5 * m_mul**i * (1 + cos(pi * c)) + alpha)

    Unlike Keras, the period index is exact at every restart (a step that
    begins a period always gets that period's full rate).

    Parameters
    ----------
    initial_learning_rate : float >= 0
    first_decay_steps : number > 0
    t_mul : float >= 1, default 2.0
        Growth of each period's length.
    m_mul : float >= 0, default 1.0
        Factor on each period's starting rate.
    alpha : float in [0, 1], default 0
        The floor, as a fraction of ``initial_learning_rate``.
    name : str, default "SGDRDecay"

    Examples
    --------
    >>> from optkern.schedules import CosineDecayRestarts
    >>> lr = CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    >>> lr(0), round(lr(5), 12), lr(10), lr(30)
    (0.1, 0.05, 0.05, 0.025)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        self.initial_learning_rate = _checks.number(
            "initial_learning_rate", initial_learning_rate, 0.0
        )
        self.first_decay_steps = _checks.number(
            "first_decay_steps", first_decay_steps, 0.0, low_open=True
        )
        self.t_mul = _checks.number("t_mul", t_mul, 1.0)
        self.m_mul = _checks.number("m_mul", m_mul, 0.0)
        self.alpha = _checks.number("alpha", alpha, 0.0, 1.0)
        self.name = str(name)

    def _compute(self, step: float) -> float:
        t_mul = float(self.t_mul)
        fraction = step / self.first_decay_steps
        i = restart_index(fraction, t_mul)
        completed = (fraction - restart_start(i, t_mul)) / t_mul**i
        cosine = 0.5 * float(self.m_mul) ** i * (1.0 + math.cos(math.pi * completed))
        return float(self.initial_learning_rate) * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
