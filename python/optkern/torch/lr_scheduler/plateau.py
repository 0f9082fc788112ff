"""Metric-driven reduction (``ReduceLROnPlateau``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ...schedules import _checks
from ._base import LRScheduler, _param_groups, _per_group


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rates by ``factor`` when a metric has not improved for more
    than ``patience`` steps: ``step(metric)`` once per evaluation.

    Improvement (``best`` starts at +inf for ``mode="min"``, -inf for "max"):
    ``min``/``rel``: ``metric < best * (1 - threshold)``; ``min``/``abs``:
    ``metric < best - threshold``; ``max``/``rel``: ``metric > best * (1 + threshold)``;
    ``max``/``abs``: ``metric > best + threshold``. After a reduction no bad
    epochs are counted for ``cooldown`` steps. A group's rate becomes
    ``max(lr * factor, min_lr)``, and is left alone when that changes it by no
    more than ``eps``.
    """

    _per_group_state = ("_last_lr", "min_lrs")

    def __init__(
        self,
        optimizer: Any,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ):
        groups = _param_groups(optimizer)
        self.factor = _checks.number("factor", factor, 0.0, 1.0, high_open=True)
        self.mode = _checks.text("mode", mode, ("min", "max"))
        self.threshold_mode = _checks.text("threshold_mode", threshold_mode, ("rel", "abs"))
        self.threshold = _checks.number("threshold", threshold, 0.0)
        self.patience = _checks.integer("patience", patience, 0)
        self.cooldown = _checks.integer("cooldown", cooldown, 0)
        self.eps = _checks.number("eps", eps, 0.0)
        self.min_lrs = _per_group(
            "min_lr", min_lr, len(groups), lambda k, v: _checks.number(k, v, 0.0)
        )
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else self.min_lrs[0]
        self.optimizer = optimizer
        self.last_epoch = 0
        self._last_lr = self._current()
        self.mode_worse = math.inf if self.mode == "min" else -math.inf
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min":
            return a < (
                best * (1.0 - self.threshold)
                if self.threshold_mode == "rel"
                else best - self.threshold
            )
        return a > (
            best * (self.threshold + 1.0) if self.threshold_mode == "rel" else best + self.threshold
        )

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """Record one value of the monitored metric (a number; NaN counts as no
        improvement) and reduce the rates if it has stalled."""
        if isinstance(metrics, (str, bytes, bool)):
            raise TypeError(f"metrics must be a number, got {type(metrics).__name__}")
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(f"metrics must be a number, got {type(metrics).__name__}") from None
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise ValueError(
                    f"the optimizer has {len(groups)} param groups but min_lr "
                    f"has {len(self.min_lrs)} entries"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g, floor in zip(groups, self.min_lrs):
                old = float(g["lr"])
                new = max(old * self.factor, floor)
                if old - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current()

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0
