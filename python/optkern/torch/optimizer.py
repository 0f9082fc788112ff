"""The PyTorch-convention optimizer base: param groups with torch's names and
defaults, ``maximize``, L2 or decoupled weight decay, torch's state slots.
torch itself is never imported.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _controls, _core
from .._fused import FusedStep
from .._params import ParamGroups, check_flag, check_number, plural, zeros_like_all
from .._state import check_mapping, export_state, plan_arrays, read_counter

_GROUPS = "param_groups/"


class Optimizer(FusedStep):
    """Base of ``optkern.torch.SGD``, ``Adam``, ``AdamW``, ...

    ``params`` is a list or dict of arrays, or a list of group dicts
    ``{"params": list | dict, "lr": ..., ...}`` whose missing options come from
    the optimizer's defaults (as ``torch.optim``). ``param_groups`` may be
    edited between steps (e.g. ``group["lr"] = ...``); every group is checked
    again before a step that follows such an edit. Numbers must be real
    numbers (a string or a bool is a TypeError) and flags bools.

    ``step(grads)`` takes grads mirroring ``params`` (for groups: a list with one
    entry per group, each mirroring that group's ``params``).

    Arrays are updated in place and held as in the Keras front-end
    (`optkern.Optimizer`): no two may share memory, and a params dict must keep
    each key bound to its array (docs/optimizers.md, "Parameters").

    ``state_dict()`` holds ``step``, the state slots and every group's options
    (``"param_groups/<i>/lr"``, ...); see `state_dict`.
    """

    _counter = "step"
    _lazy_slots = False  # True: a needed slot may stay None until the first step

    def __init__(self, params: Any, defaults: dict):
        self.defaults = dict(defaults)
        self._options_of = operator.itemgetter(*self.defaults)
        self._pair_options = [
            i for i, v in enumerate(self.defaults.values()) if isinstance(v, (tuple, list))
        ]
        self._groups = ParamGroups(params, frozenset(self.defaults))
        for group in self._groups.groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)
        n_groups = len(self._groups.groups)
        self._checked: list = [None] * n_groups
        self._records: list = [None] * n_groups  # per-group records for the kernels
        self._group_counts = [len(g["params"]) for g in self._groups.groups]
        self._lrs: list = [None] * n_groups
        self._state: dict = {}
        self._check_groups()
        self.iterations = 0
        self.skipped_steps = 0
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

    def _on_group_change(self, index: int, group: dict) -> None:
        """Called after group ``index`` was edited and checked (and at construction)."""

    def _apply(self, grads: list) -> None:
        """One native call updating every tensor."""
        self._run_kernel(self._records, self._lrs, grads, None)

    # -- public API ---------------------------------------------------------------
    def step(self, grads: Any, skip_nonfinite: bool = False) -> bool | None:
        """Apply one update in place (torch maths); ``grads`` mirrors ``params``.

        With ``skip_nonfinite=True``, an update whose grads hold a NaN or an
        infinity changes nothing (params, state, ``step``), adds 1 to
        ``skipped_steps`` and returns False, and an update that ran returns
        True; the check is one native read of the grads. Without
        ``skip_nonfinite`` the step returns None, as before.

        Raises ValueError if a params dict no longer binds its keys to the
        arrays given at construction (see the class docstring).

        Examples
        --------
        No weight decay on biases, through a second param group:

        >>> import numpy as np, optkern as ok
        >>> W, b = np.ones((2, 2)), np.ones(2)
        >>> opt = ok.torch.AdamW([{"params": {"W": W}},
        ...                       {"params": {"b": b}, "weight_decay": 0.0}], lr=0.1)
        >>> opt.step([{"W": np.zeros((2, 2))}, {"b": np.zeros(2)}])
        >>> float(W[0, 0]), float(b[0])
        (0.999, 1.0)
        """
        flat = self._groups.flatten(grads)
        if skip_nonfinite is not False:
            skip_nonfinite = check_flag("skip_nonfinite", skip_nonfinite)
        self._check_groups()
        if skip_nonfinite and not _controls.all_finite(flat, self._groups.labels):
            self.skipped_steps += 1
            return False
        self._apply(flat)
        self.iterations += 1
        return True if skip_nonfinite else None

    def state_dict(self) -> dict:
        """The state as a flat dict, NumPy only (arrays are copies).

        - ``"step"``: int, the steps applied so far;
        - ``"skipped_steps"``: int, the calls ``step(..., skip_nonfinite=True)``
          refused (optional on load: a state dict without it sets 0);
        - ``"<slot>/<key>"``: ndarray, one per state slot and parameter that
          has it (``"exp_avg/W1"``; keys of a group are prefixed ``"<group>/"``);
        - ``"param_groups/<i>/<option>"``: every option of group ``i`` (as
          ``torch.optim`` saves ``param_groups``): numbers as float, flags as
          bool, pairs such as ``betas`` as a float64 array of shape (2,).

        Raises TypeError/ValueError if an edited group holds an invalid option.
        """
        self._check_groups()
        out = export_state(self._counter, self.iterations, self._state, self._groups.keys)
        out[_controls.SKIPPED] = int(self.skipped_steps)
        for i, group in enumerate(self._groups.groups):
            for name in self.defaults:
                out[f"{_GROUPS}{i}/{name}"] = _option_to_state(group[name])
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> None:
        """Validate every entry, then load in place.

        Arrays are copied into the existing state (references stay valid) and
        group options into the existing ``param_groups`` dicts. ``strict``
        refuses missing and unexpected entries; otherwise they are skipped.
        A state dict without any ``param_groups/`` entries (written before
        they were saved) loads in either mode and leaves the options as they
        are. Options that decide which state exists (``amsgrad``,
        ``momentum``) bring their state with them. Raises ValueError/TypeError,
        modifying nothing, on a mismatch, including a group index this
        optimizer does not have.
        """
        check_mapping(state_dict)
        options, hyper_keys = self._read_options(state_dict, strict)
        groups = self._groups.groups
        after = groups if options is None else [dict(g, **o) for g, o in zip(groups, options)]
        required, optional = {}, {}  # entry name -> array of the entry's shape and dtype
        where = {}  # entry name -> (slot, flat index, needed by the group)
        flat = 0
        for group in after:
            for _ in group["params"]:
                key, param = self._groups.keys[flat], self._groups.params[flat]
                for slot in self._slots:
                    name, array = f"{slot}/{key}", self._state[slot][flat]
                    needed = self._slot_needed(slot, group)
                    where[name] = (slot, flat, needed)
                    if not needed:
                        optional[name] = param  # kept only if the state dict has it (strict)
                    elif array is not None or not self._lazy_slots:
                        required[name] = param if array is None else array
                    else:
                        optional[name] = param  # made on the first step if absent
                flat += 1
        counter = read_counter(state_dict, self._counter, strict)
        skipped = _controls.read_skipped(state_dict)  # optional: older state dicts lack it
        found = plan_arrays(
            state_dict, {self._counter, _controls.SKIPPED, *hyper_keys}, required, optional, strict
        )
        # -- nothing below can fail ----------------------------------------------
        for name, (slot, i, needed) in where.items():
            arrays = self._state[slot]
            if name in found:
                if arrays[i] is None:
                    arrays[i] = np.array(found[name], order="C", copy=True)
                else:
                    np.copyto(arrays[i], found[name])
            elif name in required and arrays[i] is None:  # not strict: a fresh slot
                arrays[i] = np.zeros(required[name].shape, required[name].dtype)
            elif strict and not needed:
                arrays[i] = None  # an unused slot the state dict does not hold
        if options is not None:
            for group, o in zip(groups, options):
                group.update(o)
        self._check_groups()
        if counter is not None:
            self.iterations = counter
        self.skipped_steps = 0 if skipped is None else skipped
        self._after_load()

    # -- helpers ------------------------------------------------------------------
    def _after_load(self) -> None:
        """Called at the end of ``load_state_dict``."""

    def _read_options(self, sd: Mapping, strict: bool) -> tuple[list | None, set]:
        """The group options in ``sd``, converted and checked (None: none there)."""
        entries = {k: v for k, v in sd.items() if isinstance(k, str) and k.startswith(_GROUPS)}
        if not entries:
            return None, set()
        n = len(self._groups.groups)
        found: list[dict] = [{} for _ in range(n)]
        for key, value in entries.items():
            index, sep, name = key[len(_GROUPS) :].partition("/")
            if not sep or not (index.isascii() and index.isdigit()) or "/" in name:
                raise ValueError(f"state_dict[{key!r}]: expected 'param_groups/<group>/<option>'")
            if int(index) >= n:
                raise ValueError(
                    f"state_dict[{key!r}] is for param group {int(index)}, but "
                    f"this optimizer has {plural(n, 'param group')}"
                )
            if name not in self.defaults:
                if strict:
                    raise ValueError(
                        f"state_dict has an unexpected entry {key!r}; options: "
                        f"{sorted(self.defaults)}"
                    )
                continue
            found[int(index)][name] = _option_from_state(key, self.defaults[name], value)
        if strict:
            missing = [
                f"{_GROUPS}{i}/{name}"
                for i in range(n)
                for name in self.defaults
                if name not in found[i]
            ]
            if missing:
                raise ValueError(
                    f"state_dict is missing {plural(len(missing), 'entry')}, e.g. {missing[:3]}"
                )
        for i, (group, options) in enumerate(zip(self._groups.groups, found)):
            try:
                self._check_group(dict(group, **options))
            except (TypeError, ValueError) as e:
                raise type(e)(f"state_dict, param group {i}: {e}") from None
        return found, set(entries)

    def _make_slot(self, slot: str) -> list:
        out: list = []
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
                try:
                    self._check_group(group)
                except (TypeError, ValueError) as e:
                    if len(self._groups.groups) == 1:
                        raise
                    raise type(e)(f"param_groups[{i}]: {e}") from None
                self._checked[i] = options
                self._records[i] = self._make_record(group)
                self._lrs[i] = float(group["lr"])
                self._on_group_change(i, group)

    def _group_options(self, group: dict) -> tuple:
        """The group's options as a tuple, compared to skip re-checks (runs every
        step; a pair such as betas given as a list or array becomes a tuple)."""
        options = self._options_of(group)
        for i in self._pair_options:
            if type(options[i]) is not tuple:
                return tuple(
                    tuple(v) if j in self._pair_options else v for j, v in enumerate(options)
                )
        return options

    def _make_record(self, group: dict) -> Any:
        """The group's native record (its own fields may override the common ones)."""
        common = dict(
            convention=_core.Convention.torch,
            weight_decay_mode=_core.WeightDecay.l2,
            weight_decay=float(group["weight_decay"]),
            maximize=bool(group["maximize"]),
        )
        return self._record(common, group)

    def __repr__(self) -> str:
        return (
            f"optkern.torch.{type(self).__name__}("
            f"{plural(len(self._groups.params), 'tensor')}, "
            f"step={self.iterations})"
        )


def check_common(group: dict) -> None:
    """torch's checks of lr, weight_decay and maximize."""
    check_number("lr", group["lr"])
    check_number("weight_decay", group["weight_decay"])
    check_flag("maximize", group["maximize"])


def _option_to_state(value: Any) -> Any:
    """A group option as a state-dict value: bool, float or a float64 array."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (tuple, list)):
        return np.array(value, dtype=np.float64)
    return float(value)


def _option_from_state(key: str, default: Any, value: Any) -> Any:
    """A state-dict value as a group option of the default's kind (checked)."""
    what = f"state_dict[{key!r}]"
    if isinstance(default, (bool, np.bool_)):
        return check_flag(what, value)
    if isinstance(default, (tuple, list)):
        items = value.tolist() if isinstance(value, np.ndarray) and value.ndim == 1 else value
        if not isinstance(items, (tuple, list)) or len(items) != len(default):
            raise ValueError(f"{what} must hold {len(default)} numbers, got {value!r}")
        return tuple(check_number(f"{what}[{j}]", x, float("-inf")) for j, x in enumerate(items))
    return check_number(what, value, float("-inf"))


def check_betas(group: dict) -> None:
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    check_number("betas[0]", betas[0], 0.0, 1.0, high_open=True)
    check_number("betas[1]", betas[1], 0.0, 1.0, high_open=True)
