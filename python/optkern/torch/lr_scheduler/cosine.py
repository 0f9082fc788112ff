"""Cosine annealing, without and with warm restarts."""

from __future__ import annotations

import math
from typing import Any

from ...schedules import _checks
from ._base import LRScheduler


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from ``initial_lr`` to ``eta_min`` over ``T_max`` epochs
    (and back up over the next ``T_max``, as torch's recursive form does):
    ``lr_t = eta_min + (initial_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``,
    computed step by step as torch does::

        lr <- eta_min + (lr - eta_min) * (1 + cos(pi*t/T_max)) / (1 + cos(pi*(t-1)/T_max))
        # when (t - 1 - T_max) % (2*T_max) == 0 (the bottom of a cycle):
        lr <- lr + (initial_lr - eta_min) * (1 - cos(pi/T_max)) / 2
    """

    def __init__(self, optimizer: Any, T_max: float, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_max = _checks.number("T_max", T_max, 0.0, low_open=True)
        self.eta_min = _checks.number("eta_min", eta_min, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and t > 0:
            return [
                low + (base - low) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs
            ]
        if (t - 1 - T) % (2 * T) == 0:
            return [
                g["lr"] + (base - low) * (1 - math.cos(math.pi / T)) / 2
                for base, g in zip(self.base_lrs, groups)
            ]
        return [
            (1 + math.cos(math.pi * t / T))
            / (1 + math.cos(math.pi * (t - 1) / T))
            * (g["lr"] - low)
            + low
            for g in groups
        ]

    def _get_closed_form_lr(self) -> list:
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        return [low + (base - low) * (1 + math.cos(math.pi * t / T)) / 2 for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR):
    ``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``,
    where period ``i`` lasts ``T_i = T_0 * T_mult**i`` epochs and ``T_cur`` counts
    the epochs (possibly fractional) since the last restart.

    ``step()`` advances one epoch; ``step(epoch)`` jumps to any ``epoch >= 0``
    (a float is fine, e.g. ``epoch + batch / n_batches``). For ``step(epoch)``
    the period index is exact at every restart: torch's
    ``int(log(epoch / T_0 * (T_mult - 1) + 1, T_mult))`` can land one period low
    exactly at a restart (e.g. ``T_mult=3``, epoch ``121 * T_0``), which gives
    ``eta_min`` there instead of the restarted rate; optkern gives the restart.
    """

    def __init__(
        self, optimizer: Any, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1
    ):
        self.T_0 = _checks.integer("T_0", T_0, 1)
        self.T_i = self.T_0
        self.T_mult = _checks.integer("T_mult", T_mult, 1)
        self.eta_min = _checks.number("eta_min", eta_min, 0.0)
        self.T_cur: float = _checks.integer("last_epoch", last_epoch, -1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        low = self.eta_min
        return [
            low + (base - low) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for base in self.base_lrs
        ]

    def _period_start(self, n: int) -> float:
        return self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (a number >= 0, may be fractional)."""
        if epoch is not None:
            epoch = _checks.number("epoch", epoch, 0.0)
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                while self._period_start(n + 1) <= epoch:
                    n += 1
                while n > 0 and self._period_start(n) > epoch:
                    n -= 1
                self.T_cur = epoch - self._period_start(n)
                self.T_i = self.T_0 * self.T_mult**n
        else:
            self.T_i = self.T_0
            self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())
