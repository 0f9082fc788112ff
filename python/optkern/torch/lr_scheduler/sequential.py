"""Schedulers run one after another (``SequentialLR``)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from ...schedules import _checks
from ._base import LRScheduler, _param_groups
from .plateau import ReduceLROnPlateau


class SequentialLR(LRScheduler):
    """Runs ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]``
    (restarted at its epoch 0), and so on; all must drive the same optimizer.
    """

    _unsaved = ("optimizer", "_schedulers")

    def __init__(
        self,
        optimizer: Any,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ):
        groups = _param_groups(optimizer)
        if not isinstance(schedulers, (list, tuple)) or not schedulers:
            raise ValueError("schedulers must be a non-empty list of schedulers")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler) or isinstance(s, ReduceLROnPlateau):
                raise TypeError(
                    f"schedulers[{i}] must be an optkern.torch.lr_scheduler "
                    f"scheduler other than ReduceLROnPlateau, got "
                    f"{type(s).__name__}"
                )
            if s.optimizer is not optimizer:
                raise ValueError(f"schedulers[{i}] drives a different optimizer")
        if not isinstance(milestones, (list, tuple)):
            raise TypeError(f"milestones must be a list of ints, got {type(milestones).__name__}")
        milestones = [_checks.integer(f"milestones[{i}]", m, 0) for i, m in enumerate(milestones)]
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"milestones must have one entry fewer than schedulers: got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones"
            )
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
        if not isinstance(state_dict, Mapping) or not isinstance(
            state_dict.get("_schedulers"), (list, tuple)
        ):
            raise TypeError("state_dict must be a dict made by SequentialLR.state_dict()")
        inner = state_dict["_schedulers"]
        if len(inner) != len(self._schedulers):
            raise ValueError(
                f"state_dict has {len(inner)} schedulers; this SequentialLR has "
                f"{len(self._schedulers)}"
            )
        super()._check_state(state_dict)
        for s, sd in zip(self._schedulers, inner):
            s._check_state(sd)

    def _load_state(self, state_dict: Mapping) -> None:
        for s, sd in zip(self._schedulers, state_dict["_schedulers"]):
            s._load_state(sd)
        super()._load_state({k: v for k, v in state_dict.items() if k != "_schedulers"})
