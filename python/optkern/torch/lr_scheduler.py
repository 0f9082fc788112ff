"""Learning-rate schedulers with ``torch.optim.lr_scheduler``'s names, arguments
and arithmetic, acting on the ``param_groups`` of ``optkern.torch`` optimizers
(or any object with torch-style ``param_groups``). torch is never imported.

As in torch: constructing a scheduler records ``group["initial_lr"]`` and sets
the learning rate for the first step; call ``scheduler.step()`` after each
``optimizer.step(grads)``; ``get_last_lr()`` gives the rates now in the groups.
The chainable schedulers (StepLR, MultiStepLR, ConstantLR, LinearLR,
ExponentialLR, PolynomialLR, CosineAnnealingLR, MultiplicativeLR) update the
current ``group["lr"]`` with torch's recursive formulas, so their rates equal
torch's to the last bit. ``state_dict()`` is a dict of plain Python values
(numbers, strings, lists, dicts); lambdas are not saved.

>>> import numpy as np
>>> from optkern.torch import SGD
>>> from optkern.torch.lr_scheduler import StepLR
>>> opt = SGD([np.zeros(3)], lr=0.1)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> for epoch in range(4):
...     opt.step([np.ones(3)])
...     sched.step()
>>> sched.get_last_lr()
[0.025]
"""

from __future__ import annotations

import copy
import math
import numbers
from bisect import bisect_right
from typing import Any, Callable, Mapping, Sequence

from ..schedules import _checks

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "SequentialLR", "ReduceLROnPlateau"]


# -- helpers ------------------------------------------------------------------------

def _param_groups(optimizer: Any) -> list:
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not groups or \
            not all(isinstance(g, dict) for g in groups):
        raise TypeError(f"optimizer must have param_groups (a list of dicts), got "
                        f"{type(optimizer).__name__}")
    for i, g in enumerate(groups):
        _checks.number(f"optimizer.param_groups[{i}]['lr']", g.get("lr"))
    return groups


def _per_group(name: str, value: Any, n: int, check: Callable[[str, Any], Any]) -> list:
    """A scalar repeated for each group, or a list/tuple with one entry per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one entry per param group ({n}), "
                             f"got {len(value)}")
        return [check(f"{name}[{i}]", v) for i, v in enumerate(value)]
    return [check(name, value)] * n


def _check_plain(name: str, value: Any) -> None:
    """Only plain Python data may come in through load_state_dict."""
    if value is None or isinstance(value, (bool, str, numbers.Real)):
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_plain(f"{name}[{i}]", v)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_plain(f"{name}[{k!r}]", v)
    else:
        raise TypeError(f"state_dict[{name!r}] holds a {type(value).__name__}; expected plain "
                        f"numbers, strings, lists and dicts")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if value is None or isinstance(value, numbers.Real):
        return "number"  # None stands for an unset number (e.g. default_min_lr)
    if isinstance(value, str):
        return "str"
    return "container"


class _RestoreGroupsOnError:
    """Puts the groups' entries back if constructing a scheduler fails part-way."""

    def __init__(self, groups: list):
        self.groups, self.saved = groups, [dict(g) for g in groups]

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            for g, saved in zip(self.groups, self.saved):
                g.clear()
                g.update(saved)


# -- base ----------------------------------------------------------------------------

class LRScheduler:
    """Base of the schedulers (``torch.optim.lr_scheduler.LRScheduler``).

    Subclasses implement ``get_lr()`` (the rates for ``last_epoch``, which
    ``step()`` has just advanced), and optionally ``_get_closed_form_lr()``,
    used by ``step(epoch)``.

    Parameters
    ----------
    optimizer : optkern.torch optimizer
        Its ``param_groups`` are read and edited in place.
    last_epoch : int, default -1
        ``-1`` starts the schedule (``group["initial_lr"] = group["lr"]``);
        a value ``>= 0`` resumes it and needs ``initial_lr`` in every group.
    """

    _unsaved: tuple[str, ...] = ("optimizer", "_is_initial")
    _per_group_state: tuple[str, ...] = ("base_lrs", "_last_lr")

    def __init__(self, optimizer: Any, last_epoch: int = -1):
        groups = _param_groups(optimizer)
        last_epoch = _checks.integer("last_epoch", last_epoch, -1)
        if last_epoch >= 0:
            for i, g in enumerate(groups):
                if "initial_lr" not in g:
                    raise ValueError(f"last_epoch={last_epoch} resumes a schedule, but "
                                     f"param_groups[{i}] has no 'initial_lr'; load the "
                                     f"optimizer's state first or use last_epoch=-1")
        self.optimizer = optimizer
        with _RestoreGroupsOnError(groups):
            if last_epoch == -1:
                for g in groups:
                    g.setdefault("initial_lr", g["lr"])
            self.base_lrs = [g["initial_lr"] for g in groups]
            self.last_epoch = last_epoch
            self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    # -- public API ---------------------------------------------------------------
    def get_lr(self) -> list:
        """The learning rates for ``last_epoch`` (called by ``step``)."""
        raise NotImplementedError

    def get_last_lr(self) -> list:
        """The learning rates the last ``step()`` put into the groups."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``, through the closed form where
        there is one) and write the new rates into ``optimizer.param_groups``.
        Call it after ``optimizer.step(grads)``."""
        if epoch is not None:
            epoch = _checks.integer("epoch", epoch, 0)
        count = self._step_count
        self._step_count += 1
        try:
            self._update_lr(epoch)
        except BaseException:
            self._step_count = count
            raise

    def state_dict(self) -> dict:
        """The scheduler's state (not the optimizer's) as plain Python values."""
        return {k: copy.deepcopy(v) for k, v in vars(self).items() if k not in self._unsaved}

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore a `state_dict` (checked whole before anything changes), and put
        its last learning rates back into the optimizer's groups."""
        self._check_state(state_dict)
        self._load_state(state_dict)

    # -- helpers --------------------------------------------------------------------
    def _update_lr(self, epoch: int | None = None) -> None:
        previous = self.last_epoch
        self.last_epoch = previous + 1 if epoch is None else epoch
        try:
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if epoch is not None and closed_form else self.get_lr()
            self._check_lrs(values)
        except BaseException:
            self.last_epoch = previous
            raise
        self._set_lrs(values)

    def _check_lrs(self, values: Sequence) -> None:
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise RuntimeError(f"{type(self).__name__} computed {len(values)} learning rates "
                               f"for {len(groups)} param groups")
        for i, v in enumerate(values):
            ok = not isinstance(v, bool) and isinstance(v, numbers.Real)
            if not ok or not math.isfinite(v) or v < 0:
                raise ValueError(f"{type(self).__name__} computed learning rate {v!r} for "
                                 f"param group {i}; learning rates must be finite and >= 0")

    def _set_lrs(self, values: Sequence) -> None:
        for g, lr in zip(self.optimizer.param_groups, values):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def _check_state(self, state_dict: Any) -> None:
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        own = self.state_dict()
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        if missing or unexpected:
            raise ValueError(f"state_dict does not match {type(self).__name__}: missing "
                             f"{missing}, unexpected {unexpected}")
        n = len(self.optimizer.param_groups)
        for key, value in state_dict.items():
            _check_plain(key, value)
            if _kind(value) != _kind(own[key]):
                raise TypeError(f"state_dict[{key!r}] = {value!r} does not match the "
                                f"scheduler's {own[key]!r}")
            if key in self._per_group_state and value is not None and len(value) != n:
                raise ValueError(f"state_dict[{key!r}] has {len(value)} entries; the optimizer "
                                 f"has {n} param groups")

    def _load_state(self, state_dict: Mapping) -> None:
        for key, value in state_dict.items():
            setattr(self, key, copy.deepcopy(value))
        for g, lr in zip(self.optimizer.param_groups, self._last_lr):
            g["lr"] = lr

    def _current(self) -> list:
        return [g["lr"] for g in self.optimizer.param_groups]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch})"


# -- multiplicative families -----------------------------------------------------------

def _lambdas(lr_lambda: Any, n: int) -> list:
    fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
    if len(fns) != n:
        raise ValueError(f"lr_lambda must be one function or one per param group ({n}), "
                         f"got {len(fns)}")
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

    def __init__(self, optimizer: Any, lr_lambda: Callable | Sequence[Callable],
                 last_epoch: int = -1):
        self.lr_lambdas = _lambdas(lr_lambda, len(_param_groups(optimizer)))
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(LRScheduler):
    """``lr <- lr * lr_lambda(epoch)`` each step after the first (chainable)."""

    _unsaved = LRScheduler._unsaved + ("lr_lambdas",)

    def __init__(self, optimizer: Any, lr_lambda: Callable | Sequence[Callable],
                 last_epoch: int = -1):
        self.lr_lambdas = _lambdas(lr_lambda, len(_param_groups(optimizer)))
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:
            return self._current()
        return [g["lr"] * fn(self.last_epoch)
                for fn, g in zip(self.lr_lambdas, self.optimizer.param_groups)]


class StepLR(LRScheduler):
    """``lr = initial_lr * gamma ** (epoch // step_size)``: ``lr <- lr * gamma``
    at every epoch that is a positive multiple of ``step_size``."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1):
        self.step_size = _checks.integer("step_size", step_size, 1)
        self.gamma = _checks.number("gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """``lr <- lr * gamma ** k`` at an epoch listed ``k`` times in ``milestones``:
    ``lr = initial_lr * gamma ** (number of milestones <= epoch)``."""

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"milestones must be a list of ints, got {type(milestones).__name__}")
        self.milestones = sorted(_checks.integer(f"milestones[{i}]", m, 0)
                                 for i, m in enumerate(milestones))
        self.gamma = _checks.number("gamma", gamma, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return self._current()
        return [g["lr"] * self.gamma ** hits for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """``lr = initial_lr * factor`` for epochs ``< total_iters``, then ``initial_lr``."""

    def __init__(self, optimizer: Any, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1):
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

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        self.start_factor = _checks.number("start_factor", start_factor, 0.0, 1.0,
                                           low_open=True)
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
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """``lr = initial_lr * (1 - min(epoch, total_iters) / total_iters) ** power``,
    applied step by step as torch does."""

    def __init__(self, optimizer: Any, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1):
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
        return [base * (1.0 - min(n, self.last_epoch) / n) ** self.power
                for base in self.base_lrs]


# -- cosine ---------------------------------------------------------------------------

class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from ``initial_lr`` to ``eta_min`` over ``T_max`` epochs
    (and back up over the next ``T_max``, as torch's recursive form does):
    ``lr_t = eta_min + (initial_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``,
    computed step by step as torch does::

        lr <- eta_min + (lr - eta_min) * (1 + cos(pi*t/T_max)) / (1 + cos(pi*(t-1)/T_max))
        # when (t - 1 - T_max) % (2*T_max) == 0 (the bottom of a cycle):
        lr <- lr + (initial_lr - eta_min) * (1 - cos(pi/T_max)) / 2
    """

    def __init__(self, optimizer: Any, T_max: float, eta_min: float = 0.0,
                 last_epoch: int = -1):
        self.T_max = _checks.number("T_max", T_max, 0.0, low_open=True)
        self.eta_min = _checks.number("eta_min", eta_min, 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and t > 0:
            return [low + (base - low) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [g["lr"] + (base - low) * (1 - math.cos(math.pi / T)) / 2
                    for base, g in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (g["lr"] - low) + low for g in groups]

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

    def __init__(self, optimizer: Any, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1):
        self.T_0 = _checks.integer("T_0", T_0, 1)
        self.T_i = self.T_0
        self.T_mult = _checks.integer("T_mult", T_mult, 1)
        self.eta_min = _checks.number("eta_min", eta_min, 0.0)
        self.T_cur = _checks.integer("last_epoch", last_epoch, -1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        low = self.eta_min
        return [low + (base - low) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def _period_start(self, n: int) -> float:
        return self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)

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
                self.T_i = self.T_0 * self.T_mult ** n
        else:
            self.T_i = self.T_0
            self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())


# -- one cycle ------------------------------------------------------------------------

class OneCycleLR(LRScheduler):
    r"""The 1cycle policy: the rate rises from ``max_lr / div_factor`` to
    ``max_lr`` over the first ``pct_start`` of ``total_steps``, then falls to
    ``initial_lr / final_div_factor``; momentum (``momentum``, or ``betas[0]``
    for Adam-like optimizers) moves the opposite way between ``max_momentum``
    and ``base_momentum`` when ``cycle_momentum``.

    Phase ends (in steps): ``pct_start*total_steps - 1`` and ``total_steps - 1``;
    with ``three_phase`` ``pct_start*total_steps - 1``, ``2*pct_start*total_steps - 2``
    (back to ``initial_lr``) and ``total_steps - 1`` (down to the minimum).
    Within a phase from step ``a`` to ``b``, with ``pct = (t - a) / (b - a)``::

        cos:     value = end + (start - end) / 2 * (cos(pi * pct) + 1)
        linear:  value = (end - start) * pct + start

    ``step()`` may be called ``total_steps`` times; one more is a ValueError.
    The last call (step ``total_steps``, past the final phase, whose rate a loop
    of ``total_steps`` updates never uses) leaves the final values in the
    groups; torch extrapolates the last phase there, which for linear
    annealing gives a rate below ``min_lr`` (negative).
    The groups gain ``initial_lr``, ``max_lr``, ``min_lr`` (and ``max_momentum``,
    ``base_momentum``) entries, as in torch. Unlike torch, a ``pct_start`` that
    makes a phase zero steps long is refused at construction.
    """

    def __init__(self, optimizer: Any, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85,
                 max_momentum: float | Sequence[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1):
        groups = _param_groups(optimizer)
        n = len(groups)
        if total_steps is not None:
            self.total_steps = _checks.integer("total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_checks.integer("epochs", epochs, 1)
                                * _checks.integer("steps_per_epoch", steps_per_epoch, 1))
        else:
            raise ValueError("OneCycleLR needs total_steps, or both epochs and steps_per_epoch")
        pct_start = float(_checks.number("pct_start", pct_start, 0.0, 1.0))
        self._anneal_func_type = _checks.text("anneal_strategy", anneal_strategy,
                                              ("cos", "linear"))
        self.cycle_momentum = _checks.flag("cycle_momentum", cycle_momentum)
        three_phase = _checks.flag("three_phase", three_phase)
        div_factor = _checks.number("div_factor", div_factor, 0.0, low_open=True)
        final_div_factor = _checks.number("final_div_factor", final_div_factor, 0.0,
                                          low_open=True)
        max_lrs = _per_group("max_lr", max_lr, n, lambda k, v: _checks.number(k, v, 0.0))
        last_epoch = _checks.integer("last_epoch", last_epoch, -1)
        self._schedule_phases = self._phases(pct_start, three_phase)
        if self.cycle_momentum:
            defaults = getattr(optimizer, "defaults", {})
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError("cycle_momentum=True needs an optimizer with momentum or "
                                 "betas (e.g. SGD, Adam)")
            self.use_beta1 = "betas" in defaults
            top = 1.0 if self.use_beta1 else math.inf
            check = (lambda k, v: _checks.number(k, v, 0.0, top, high_open=self.use_beta1))
            max_momentums = _per_group("max_momentum", max_momentum, n, check)
            base_momentums = _per_group("base_momentum", base_momentum, n, check)
        with _RestoreGroupsOnError(groups):
            if last_epoch == -1:
                for g, top_lr in zip(groups, max_lrs):
                    g["initial_lr"] = top_lr / div_factor
                    g["max_lr"] = top_lr
                    g["min_lr"] = g["initial_lr"] / final_div_factor
                if self.cycle_momentum:
                    for g, m_max, m_base in zip(groups, max_momentums, base_momentums):
                        self._set_momentum(g, m_max)
                        g["max_momentum"] = m_max
                        g["base_momentum"] = m_base
            self._last_momentum = None
            super().__init__(optimizer, last_epoch)

    def _phases(self, pct_start: float, three_phase: bool) -> list:
        total = self.total_steps
        if three_phase:
            phases = [
                {"end_step": float(pct_start * total) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum",
                 "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * total) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum",
                 "end_momentum": "max_momentum"},
                {"end_step": total - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"}]
        else:
            phases = [
                {"end_step": float(pct_start * total) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum",
                 "end_momentum": "base_momentum"},
                {"end_step": total - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"}]
        start = 0.0
        for i, phase in enumerate(phases):  # a phase of zero length would divide by zero
            if phase["end_step"] == start and (phase["end_step"] >= 0 or i == len(phases) - 1):
                raise ValueError(f"pct_start={pct_start} with total_steps={total} makes phase "
                                 f"{i + 1} of the cycle zero steps long")
            start = phase["end_step"]
        return phases

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _set_momentum(self, group: dict, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def get_lr(self) -> list:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR stepped {t} times; total_steps is {self.total_steps}")
        lrs, momentums = [], []
        for g in self.optimizer.param_groups:
            start = 0.0
            last = len(self._schedule_phases) - 1
            for i, phase in enumerate(self._schedule_phases):
                if t <= phase["end_step"] or i == last:
                    pct = (t - start) / (phase["end_step"] - start)
                    past_end = t > phase["end_step"]  # step total_steps: keep the end values
                    lrs.append(g[phase["end_lr"]] if past_end else
                               self._anneal(g[phase["start_lr"]], g[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        momentums.append(
                            g[phase["end_momentum"]] if past_end else
                            self._anneal(g[phase["start_momentum"]], g[phase["end_momentum"]],
                                         pct))
                    break
                start = phase["end_step"]
        if self.cycle_momentum:
            for g, m in zip(self.optimizer.param_groups, momentums):
                self._set_momentum(g, m)
            self._last_momentum = momentums
        return lrs

    def _load_state(self, state_dict: Mapping) -> None:
        super()._load_state(state_dict)
        if self.cycle_momentum and self._last_momentum is not None:
            for g, m in zip(self.optimizer.param_groups, self._last_momentum):
                self._set_momentum(g, m)


# -- composition -----------------------------------------------------------------------

class SequentialLR(LRScheduler):
    """Runs ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]``
    (restarted at its epoch 0), and so on; all must drive the same optimizer.
    """

    _unsaved = ("optimizer", "_schedulers")

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1):
        groups = _param_groups(optimizer)
        if not isinstance(schedulers, (list, tuple)) or not schedulers:
            raise ValueError("schedulers must be a non-empty list of schedulers")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler) or isinstance(s, ReduceLROnPlateau):
                raise TypeError(f"schedulers[{i}] must be an optkern.torch.lr_scheduler "
                                f"scheduler other than ReduceLROnPlateau, got "
                                f"{type(s).__name__}")
            if s.optimizer is not optimizer:
                raise ValueError(f"schedulers[{i}] drives a different optimizer")
        if not isinstance(milestones, (list, tuple)):
            raise TypeError(f"milestones must be a list of ints, got {type(milestones).__name__}")
        milestones = [_checks.integer(f"milestones[{i}]", m, 0) for i, m in enumerate(milestones)]
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"milestones must have one entry fewer than schedulers: got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        if milestones != sorted(milestones):
            raise ValueError(f"milestones must be sorted, got {milestones}")
        last_epoch = _checks.integer("last_epoch", last_epoch, -1)
        self._schedulers = list(schedulers)
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for g in groups:
            g["lr"] = g["initial_lr"]
        self._undo_one_epoch(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    @staticmethod
    def _undo_one_epoch(scheduler: LRScheduler) -> None:
        """Each scheduler stepped once when it was built; wind them back."""
        if isinstance(scheduler, SequentialLR):
            for s in scheduler._schedulers:
                SequentialLR._undo_one_epoch(s)
        else:
            scheduler.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch with the scheduler in charge of it."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        try:
            if index > 0 and self._milestones[index - 1] == self.last_epoch:
                scheduler._update_lr(0)
            else:
                scheduler.step()
        except BaseException:
            self.last_epoch -= 1
            raise
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def _check_state(self, state_dict: Any) -> None:
        if not isinstance(state_dict, Mapping) or \
                not isinstance(state_dict.get("_schedulers"), (list, tuple)):
            raise TypeError("state_dict must be a dict made by SequentialLR.state_dict()")
        inner = state_dict["_schedulers"]
        if len(inner) != len(self._schedulers):
            raise ValueError(f"state_dict has {len(inner)} schedulers; this SequentialLR has "
                             f"{len(self._schedulers)}")
        super()._check_state(state_dict)
        for s, sd in zip(self._schedulers, inner):
            s._check_state(sd)

    def _load_state(self, state_dict: Mapping) -> None:
        for s, sd in zip(self._schedulers, state_dict["_schedulers"]):
            s._load_state(sd)
        super()._load_state({k: v for k, v in state_dict.items() if k != "_schedulers"})


# -- metric-driven -----------------------------------------------------------------------

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

    def __init__(self, optimizer: Any, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | Sequence[float] = 0, eps: float = 1e-8):
        groups = _param_groups(optimizer)
        self.factor = _checks.number("factor", factor, 0.0, 1.0, high_open=True)
        self.mode = _checks.text("mode", mode, ("min", "max"))
        self.threshold_mode = _checks.text("threshold_mode", threshold_mode, ("rel", "abs"))
        self.threshold = _checks.number("threshold", threshold, 0.0)
        self.patience = _checks.integer("patience", patience, 0)
        self.cooldown = _checks.integer("cooldown", cooldown, 0)
        self.eps = _checks.number("eps", eps, 0.0)
        self.min_lrs = _per_group("min_lr", min_lr, len(groups),
                                  lambda k, v: _checks.number(k, v, 0.0))
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
            return a < (best * (1.0 - self.threshold) if self.threshold_mode == "rel"
                        else best - self.threshold)
        return a > (best * (self.threshold + 1.0) if self.threshold_mode == "rel"
                    else best + self.threshold)

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
                raise ValueError(f"the optimizer has {len(groups)} param groups but min_lr "
                                 f"has {len(self.min_lrs)} entries")
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
