"""The PyTorch-convention optimizer base: param groups with torch's names and
defaults, ``maximize``, L2 or decoupled weight decay, torch's state slots.
torch itself is never imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._params import ParamGroups, check_number, zeros_like_all
from .._state import HasState

TORCH = 1  # Convention::torch
L2 = 1  # WeightDecay::l2
DECOUPLED_TORCH = 3  # WeightDecay::decoupled_torch


class Optimizer(HasState):
    """Base of ``optkern.torch.SGD``, ``Adam``, ``AdamW``, ...

    ``params`` is a list or dict of arrays, or a list of group dicts
    ``{"params": list | dict, "lr": ..., ...}`` whose missing options come from
    the optimizer's defaults (as ``torch.optim``). ``param_groups`` may be
    edited between steps (e.g. ``group["lr"] = ...``); every group is checked
    again before a step that follows such an edit.

    ``step(grads)`` takes grads mirroring ``params`` (for groups: a list with one
    entry per group, each mirroring that group's ``params``).
    """

    _slots: tuple[str, ...] = ()
    _counter = "step"

    def __init__(self, params: Any, defaults: dict):
        self.defaults = dict(defaults)
        self._groups = ParamGroups(params, frozenset(self.defaults))
        for group in self._groups.groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)
        n_groups = len(self._groups.groups)
        self._checked: list = [None] * n_groups
        self._kernel_groups: list = [None] * n_groups  # per-group tuples for the kernels
        self._lrs: list = [None] * n_groups
        self._state: dict = {}
        self._check_groups()
        self.iterations = 0
        self._state = {slot: self._make_slot(slot) for slot in self._slots}

    @property
    def param_groups(self) -> list[dict]:
        """The groups: ``"params"`` and each option (torch's names)."""
        return self._groups.groups

    @property
    def params(self) -> list[np.ndarray]:
        """All parameter arrays in group order (updated in place)."""
        return self._groups.params

    # -- subclass hooks -------------------------------------------------------
    def _check_group(self, group: dict) -> None:
        raise NotImplementedError

    def _group_options(self, group: dict) -> tuple:
        """The options the kernels read, as a tuple (compared to skip re-checks)."""
        raise NotImplementedError

    def _kernel_group(self, group: dict) -> tuple:
        """The group's tuple for the native step, less its learning rate."""
        raise NotImplementedError

    def _slot_needed(self, slot: str, group: dict) -> bool:
        return True

    def _on_group_change(self, index: int, group: dict) -> None:
        """Called after group ``index`` was edited and checked (and at construction)."""

    def _apply(self, grads: list) -> None:
        raise NotImplementedError

    # -- public API ---------------------------------------------------------------
    def step(self, grads: Any) -> None:
        """Apply one update in place (torch maths); ``grads`` mirrors ``params``."""
        flat = self._groups.flatten(grads)
        self._check_groups()
        self._apply(flat)
        self.iterations += 1

    # -- helpers ------------------------------------------------------------------
    def _make_slot(self, slot: str) -> list:
        out = []
        for group in self._groups.groups:
            if self._slot_needed(slot, group):
                out += zeros_like_all(group["params"])
            else:
                out += [None] * len(group["params"])
        return out

    def _check_groups(self) -> None:
        for i, group in enumerate(self._groups.groups):
            options = self._group_options(group)
            if options != self._checked[i]:
                self._check_group(group)
                self._checked[i] = options
                self._kernel_groups[i] = self._kernel_group(group)
                self._lrs[i] = float(group["lr"])
                self._on_group_change(i, group)

    def _counts(self) -> list[int]:
        return [len(g["params"]) for g in self._groups.groups]

    def __repr__(self) -> str:
        return (f"optkern.torch.{type(self).__name__}({len(self._groups.params)} tensors, "
                f"step={self.iterations})")


def check_common(group: dict) -> None:
    """torch's checks of lr and weight_decay."""
    check_number("lr", group["lr"])
    check_number("weight_decay", group["weight_decay"])


def check_betas(group: dict) -> None:
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    check_number("betas[0]", betas[0], 0.0, 1.0, high_open=True)
    check_number("betas[1]", betas[1], 0.0, 1.0, high_open=True)
