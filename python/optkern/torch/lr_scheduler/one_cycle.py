"""The 1cycle policy (``OneCycleLR``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ...schedules import _checks
from ._base import LRScheduler, _param_groups, _per_group, _RestoreGroupsOnError


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

    def __init__(
        self,
        optimizer: Any,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        groups = _param_groups(optimizer)
        n = len(groups)
        if total_steps is not None:
            self.total_steps = _checks.integer("total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = _checks.integer("epochs", epochs, 1) * _checks.integer(
                "steps_per_epoch", steps_per_epoch, 1
            )
        else:
            raise ValueError("OneCycleLR needs total_steps, or both epochs and steps_per_epoch")
        pct_start = float(_checks.number("pct_start", pct_start, 0.0, 1.0))
        self._anneal_func_type = _checks.text("anneal_strategy", anneal_strategy, ("cos", "linear"))
        self.cycle_momentum = _checks.flag("cycle_momentum", cycle_momentum)
        three_phase = _checks.flag("three_phase", three_phase)
        div_factor = _checks.number("div_factor", div_factor, 0.0, low_open=True)
        final_div_factor = _checks.number("final_div_factor", final_div_factor, 0.0, low_open=True)
        max_lrs = _per_group("max_lr", max_lr, n, lambda k, v: _checks.number(k, v, 0.0))
        last_epoch = _checks.integer("last_epoch", last_epoch, -1)
        self._schedule_phases = self._phases(pct_start, three_phase)
        if self.cycle_momentum:
            defaults = getattr(optimizer, "defaults", {})
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError(
                    "cycle_momentum=True needs an optimizer with momentum or betas (e.g. SGD, Adam)"
                )
            self.use_beta1 = "betas" in defaults
            top = 1.0 if self.use_beta1 else math.inf
            check = lambda k, v: _checks.number(k, v, 0.0, top, high_open=self.use_beta1)
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
            self._last_momentum: list[float] | None = None
            super().__init__(optimizer, last_epoch)

    def _phases(self, pct_start: float, three_phase: bool) -> list:
        total = self.total_steps
        if three_phase:
            phases: list[dict[str, Any]] = [
                {
                    "end_step": float(pct_start * total) - 1,
                    "start_lr": "initial_lr",
                    "end_lr": "max_lr",
                    "start_momentum": "max_momentum",
                    "end_momentum": "base_momentum",
                },
                {
                    "end_step": float(2 * pct_start * total) - 2,
                    "start_lr": "max_lr",
                    "end_lr": "initial_lr",
                    "start_momentum": "base_momentum",
                    "end_momentum": "max_momentum",
                },
                {
                    "end_step": total - 1,
                    "start_lr": "initial_lr",
                    "end_lr": "min_lr",
                    "start_momentum": "max_momentum",
                    "end_momentum": "max_momentum",
                },
            ]
        else:
            phases = [
                {
                    "end_step": float(pct_start * total) - 1,
                    "start_lr": "initial_lr",
                    "end_lr": "max_lr",
                    "start_momentum": "max_momentum",
                    "end_momentum": "base_momentum",
                },
                {
                    "end_step": total - 1,
                    "start_lr": "max_lr",
                    "end_lr": "min_lr",
                    "start_momentum": "base_momentum",
                    "end_momentum": "max_momentum",
                },
            ]
        start = 0.0
        for i, phase in enumerate(phases):  # a phase of zero length would divide by zero
            if phase["end_step"] == start and (phase["end_step"] >= 0 or i == len(phases) - 1):
                raise ValueError(
                    f"pct_start={pct_start} with total_steps={total} makes phase "
                    f"{i + 1} of the cycle zero steps long"
                )
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
                    lrs.append(
                        g[phase["end_lr"]]
                        if past_end
                        else self._anneal(g[phase["start_lr"]], g[phase["end_lr"]], pct)
                    )
                    if self.cycle_momentum:
                        momentums.append(
                            g[phase["end_momentum"]]
                            if past_end
                            else self._anneal(
                                g[phase["start_momentum"]], g[phase["end_momentum"]], pct
                            )
                        )
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
