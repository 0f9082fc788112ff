"""Schedulers that multiply the rate by a factor each epoch (torch's chainable
forms): LambdaLR, MultiplicativeLR, StepLR, MultiStepLR, ConstantLR, LinearLR,
ExponentialLR, PolynomialLR."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any, Callable

from ...schedules import _checks
from ._base import LRScheduler, _param_groups


def _lambdas(lr_lambda: Any, n: int) -> list:
    fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
    if len(fns) != n:
        raise ValueError(
            f"lr_lambda must be one function or one per param group ({n}), got {len(fns)}"
        )
    for fn in fns:
        if not callable(fn):
            raise TypeError(f"lr_lambda must be callable, got {type(fn).__name__}")
    return fns


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(epoch)`` (one function, or one per group).

    The functions are not part of ``state_dict()``: pass the same ones when
    constructing the scheduler you load into.
    """

    _unsaved = LRScheduler._unsaved + ("lr_lambdas",)

    def __init__(
        self, optimizer: Any, lr_lambda: Callable | Sequence[Callable], last_epoch: int = -1
    ):
        self.lr_lambdas = _lambdas(lr_lambda, len(_param_groups(optimizer)))
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(LRScheduler):
    """``lr <- lr * lr_lambda(epoch)`` each step after the first (chainable)."""

    _unsaved = LRScheduler._unsaved + ("lr_lambdas",)

    def __init__(
        self, optimizer: Any, lr_lambda: Callable | Sequence[Callable], last_epoch: int = -1
    ):
        self.lr_lambdas = _lambdas(lr_lambda, len(_param_groups(optimizer)))
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:
            return self._current()
        return [
            g["lr"] * fn(self.last_epoch)
            for fn, g in zip(self.lr_lambdas, self.optimizer.param_groups)
        ]


class StepLR(LRScheduler):
    """``lr = initial_lr * gamma ** (epoch // step_size)``: ``lr <- lr * gamma``
    at every epoch that is a positive multiple of ``step_size``."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = _checks.integer("step_size", step_size, 1)
        self.gamma = _checks.number("gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """``lr <- lr * gamma ** k`` at an epoch listed ``k`` times in ``milestones``:
    ``lr = initial_lr * gamma ** (number of milestones <= epoch)``."""

    def __init__(
        self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1, last_epoch: int = -1
    ):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"milestones must be a list of ints, got {type(milestones).__name__}")
        self.milestones = sorted(
            _checks.integer(f"milestones[{i}]", m, 0) for i, m in enumerate(milestones)
        )
        self.gamma = _checks.number("gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return self._current()
        return [g["lr"] * self.gamma**hits for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """``lr = initial_lr * factor`` for epochs ``< total_iters``, then ``initial_lr``."""

    def __init__(
        self, optimizer: Any, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1
    ):
        self.factor = _checks.number("factor", factor, 0.0, 1.0, low_open=True)
        self.total_iters = _checks.integer("total_iters", total_iters, 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0:
            return [g["lr"] * self.factor for g in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return self._current()
        return [g["lr"] * (1.0 / self.factor) for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        after = self.last_epoch >= self.total_iters
        return [base * (self.factor + after * (1 - self.factor)) for base in self.base_lrs]


class LinearLR(LRScheduler):
    """The factor on ``initial_lr`` moves linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs:
    ``lr = initial_lr * (s + (e - s) * min(epoch, total_iters) / total_iters)``,
    applied step by step as torch does (``lr <- lr * (1 + (e - s) /
    (total_iters*s + (epoch - 1)*(e - s)))``)."""

    def __init__(
        self,
        optimizer: Any,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        self.start_factor = _checks.number("start_factor", start_factor, 0.0, 1.0, low_open=True)
        self.end_factor = _checks.number("end_factor", end_factor, 0.0, 1.0)
        self.total_iters = _checks.integer("total_iters", total_iters, 1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        if self.last_epoch == 0:
            return [g["lr"] * s for g in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > n:
            return self._current()
        ratio = 1.0 + (e - s) / (n * s + (self.last_epoch - 1) * (e - s))
        return [g["lr"] * ratio for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        return [base * (s + (e - s) * min(n, self.last_epoch) / n) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``lr = initial_lr * gamma ** epoch`` (``lr <- lr * gamma`` each step)."""

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1):
        self.gamma = _checks.number("gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:
            return self._current()
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """``lr = initial_lr * (1 - min(epoch, total_iters) / total_iters) ** power``,
    applied step by step as torch does."""

    def __init__(
        self, optimizer: Any, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ):
        self.total_iters = _checks.integer("total_iters", total_iters, 1)
        self.power = _checks.number("power", power, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current()
        n = self.total_iters
        factor = ((1.0 - self.last_epoch / n) / (1.0 - (self.last_epoch - 1) / n)) ** self.power
        return [g["lr"] * factor for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        n = self.total_iters
        return [base * (1.0 - min(n, self.last_epoch) / n) ** self.power for base in self.base_lrs]
