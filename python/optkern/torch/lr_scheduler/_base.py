"""The scheduler base class and the checks every scheduler shares."""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from ...schedules import _checks

# -- helpers ------------------------------------------------------------------------


def _param_groups(optimizer: Any) -> list:
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not groups or not all(isinstance(g, dict) for g in groups):
        raise TypeError(
            f"optimizer must have param_groups (a list of dicts), got {type(optimizer).__name__}"
        )
    for i, g in enumerate(groups):
        _checks.number(f"optimizer.param_groups[{i}]['lr']", g.get("lr"))
    return groups


def _per_group(name: str, value: Any, n: int, check: Callable[[str, Any], Any]) -> list:
    """A scalar repeated for each group, or a list/tuple with one entry per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one entry per param group ({n}), got {len(value)}")
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
        raise TypeError(
            f"state_dict[{name!r}] holds a {type(value).__name__}; expected plain "
            f"numbers, strings, lists and dicts"
        )


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

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
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
                    raise ValueError(
                        f"last_epoch={last_epoch} resumes a schedule, but "
                        f"param_groups[{i}] has no 'initial_lr'; load the "
                        f"optimizer's state first or use last_epoch=-1"
                    )
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
            raise RuntimeError(
                f"{type(self).__name__} computed {len(values)} learning rates "
                f"for {len(groups)} param groups"
            )
        for i, v in enumerate(values):
            ok = not isinstance(v, bool) and isinstance(v, numbers.Real)
            if not ok or not math.isfinite(v) or v < 0:
                raise ValueError(
                    f"{type(self).__name__} computed learning rate {v!r} for "
                    f"param group {i}; learning rates must be finite and >= 0"
                )

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
            raise ValueError(
                f"state_dict does not match {type(self).__name__}: missing "
                f"{missing}, unexpected {unexpected}"
            )
        n = len(self.optimizer.param_groups)
        for key, value in state_dict.items():
            _check_plain(key, value)
            if _kind(value) != _kind(own[key]):
                raise TypeError(
                    f"state_dict[{key!r}] = {value!r} does not match the scheduler's {own[key]!r}"
                )
            if key in self._per_group_state and value is not None and len(value) != n:
                raise ValueError(
                    f"state_dict[{key!r}] has {len(value)} entries; the optimizer "
                    f"has {n} param groups"
                )

    def _load_state(self, state_dict: Mapping) -> None:
        for key, value in state_dict.items():
            setattr(self, key, copy.deepcopy(value))
        for g, lr in zip(self.optimizer.param_groups, self._last_lr):
            g["lr"] = lr

    def _current(self) -> list:
        return [g["lr"] for g in self.optimizer.param_groups]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch})"
