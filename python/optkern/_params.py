"""Parameter structures: a list of arrays, a dict name -> array, or a list of
group dicts ``{"params": list | dict, **overrides}``.

`ParamGroups` flattens a structure once, checks every array (and that no two
share memory), turns the ``grads`` handed to ``step`` into a flat list in the
same order, and checks that a params dict still binds every key to the array
the optimizer updates.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def plural(n: int, word: str) -> str:
    """``"1 array"``, ``"2 arrays"``, ``"0 entries"``."""
    if n == 1:
        return f"{n} {word}"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{n} {word[:-1]}ies"
    return f"{n} {word}s"


def check_param(array: Any, label: str) -> np.ndarray:
    """Return ``array`` if the kernels can update it in place, else raise."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"params[{label}] must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype not in _FLOATS:
        raise TypeError(f"params[{label}] has dtype {array.dtype}; expected float32 or float64")
    if not array.flags.c_contiguous:
        raise ValueError(f"params[{label}] is not C-contiguous; optkern updates in place")
    if not array.flags.writeable:
        raise ValueError(f"params[{label}] is read-only; it must be writeable")
    return array


class ParamGroups:
    """The flattened parameters of an optimizer.

    Attributes
    ----------
    groups : list of dict
        One dict per group: ``"params"`` (list of arrays) and the group's
        hyperparameters (the dicts users see as ``param_groups``).
    params, keys, labels : list
        The arrays of all groups in order, their state-dict keys (``"W1"``,
        ``"0"`` or ``"1/W1"`` in groups) and their labels in error messages.
    """

    def __init__(self, params: Any, group_keys: frozenset[str]):
        if isinstance(params, np.ndarray):
            raise TypeError(
                "params must be a list or dict of arrays, or a list of group "
                "dicts; wrap a single array in a list"
            )
        if isinstance(params, Mapping):
            self.kind = "dict"
            specs = [dict(params=params)]
        else:
            params = list(params)
            if params and all(isinstance(g, Mapping) for g in params):
                self.kind = "groups"
                specs = [dict(g) for g in params]
            elif any(isinstance(g, Mapping) for g in params):
                raise TypeError("params mixes arrays and group dicts")
            else:
                self.kind = "list"
                specs = [dict(params=params)]
        self.groups: list[dict] = []
        self.params: list[np.ndarray] = []
        self.keys: list[str] = []
        self.labels: list[str] = []
        self._member_names: list[list | None] = []  # dict keys of a group's params
        # per dict of params: (the dict, its keys, the arrays bound to them, label prefix)
        # and, for the per-step check, (its live values() view, the arrays in that order)
        self._bindings: list[tuple[Mapping, list, list, str]] = []
        self._bound: list[tuple[Any, list]] = []
        for spec in specs:
            self.add_group(spec, group_keys)
        check_no_overlap(self.params, self.labels, "params")

    def add_group(self, spec: dict, group_keys: frozenset[str]) -> dict:
        """Append one group; its keys other than ``params`` must be in ``group_keys``."""
        if "params" not in spec:
            raise ValueError("a param group needs a 'params' entry")
        unknown = set(spec) - group_keys - {"params"}
        if unknown:
            raise ValueError(
                f"unknown param group option(s): {sorted(unknown)}; allowed: {sorted(group_keys)}"
            )
        index = len(self.groups)
        prefix = f"{index}/" if self.kind == "groups" else ""
        label_prefix = f"{index}][" if self.kind == "groups" else ""
        members = spec["params"]
        if isinstance(members, Mapping):
            names = [str(k) for k in members]
            labels = [repr(k) for k in members]
            arrays = list(members.values())
        elif isinstance(members, np.ndarray):
            raise TypeError("a group's 'params' must be a list or dict of arrays")
        else:
            arrays = list(members)
            names = [str(i) for i in range(len(arrays))]
            labels = names
        keys = [prefix + n for n in names]
        labels = [label_prefix + n for n in labels]
        for a, label in zip(arrays, labels):
            check_param(a, label)
        group = dict(spec, params=arrays)
        self.groups.append(group)
        self._member_names.append(list(members) if isinstance(members, Mapping) else None)
        if isinstance(members, Mapping):
            self._bindings.append((members, list(members), list(arrays), label_prefix))
            self._bound.append((members.values(), list(arrays)))
        self.params += arrays
        self.keys += keys
        self.labels += labels
        return group

    def _check_bindings_slowly(self) -> None:
        """Name the key that changed, if any; a key deleted and set again to its
        array only changes the order, which the fast path then learns."""
        for (mapping, names, arrays, prefix), (_, order) in zip(self._bindings, self._bound):
            self._binding_error(mapping, names, arrays, prefix)
            order[:] = [mapping[k] for k in mapping]

    @staticmethod
    def _binding_error(mapping: Mapping, names: list, arrays: list, prefix: str) -> None:
        """Raise ValueError naming the key that changed, if any."""
        where = f"params[{prefix[:-2]}]" if prefix else "params"
        removed = [k for k in names if k not in mapping]
        if removed:
            raise ValueError(
                f"{where}: key {removed[0]!r} was removed after the optimizer was "
                f"created; the optimizer's parameters are fixed at construction"
            )
        known = set(names)
        added = [k for k in mapping if k not in known]
        if added:
            raise ValueError(
                f"{where}: key {added[0]!r} was added after the optimizer was "
                f"created; create a new optimizer (or a param group) for it"
            )
        for k, a in zip(names, arrays):
            if mapping[k] is not a:
                raise ValueError(
                    f"params[{prefix}{k!r}] was replaced by another array after the "
                    f"optimizer was created; the optimizer updates the array it was "
                    f"given, so assign in place (params[{k!r}][...] = new) or "
                    f"create a new optimizer"
                )

    def flatten(self, grads: Any) -> list:
        """The grads as a flat list in parameter order (no copies of arrays).

        First checks that each params dict given at construction still binds
        every key to the array the optimizer updates, and has no key added or
        removed: else a ValueError naming the key (the optimizer would keep
        updating arrays the trainer no longer uses). The check walks the dict's
        live ``values()`` view comparing identities; it sits here to spare a
        call per step, and a plain loop measured cheaper than ``all(map(...))``.
        """
        for values, order in self._bound:
            if len(values) == len(order):
                i = 0
                for v in values:
                    if v is not order[i]:
                        break
                    i += 1  # noqa: SIM113 (a plain loop: cheapest per step)
                else:
                    continue
            self._check_bindings_slowly()
        flat: list
        if self.kind == "list":
            if type(grads) is list:
                flat = grads
            elif isinstance(grads, (list, tuple)):
                flat = list(grads)
            else:
                raise TypeError(
                    f"grads must be a list of arrays like params, got {type(grads).__name__}"
                )
            if len(flat) != len(self.params):
                raise ValueError(
                    f"grads has {plural(len(flat), 'entry')}; expected {len(self.params)}"
                )
            return flat
        if self.kind == "dict":
            names = self._member_names[0]
            assert names is not None  # a dict of params has its key order
            return self._from_mapping(grads, names, "grads")
        if not isinstance(grads, (list, tuple)) or len(grads) != len(self.groups):
            raise ValueError(
                f"grads must be a list with one entry per param group "
                f"({len(self.groups)}), each mirroring that group's params"
            )
        flat = []
        for i, (g, group, names) in enumerate(zip(grads, self.groups, self._member_names)):
            if names is not None:
                flat += self._from_mapping(g, names, f"grads[{i}]")
            else:
                if not isinstance(g, (list, tuple)) or len(g) != len(group["params"]):
                    raise ValueError(
                        f"grads[{i}] must be a list of {plural(len(group['params']), 'array')}"
                    )
                flat += g
        return flat

    @staticmethod
    def _from_mapping(grads: Any, names: list, what: str) -> list:
        if not isinstance(grads, Mapping):
            raise TypeError(
                f"{what} must be a dict with the same keys as params, got {type(grads).__name__}"
            )
        try:
            flat = [grads[k] for k in names]
        except KeyError as e:
            raise ValueError(f"{what} has no entry for parameter {e.args[0]!r}") from None
        if len(grads) != len(names):
            known = set(names)
            extra = [k for k in grads if k not in known]
            which = (
                "an entry for an unknown parameter"
                if len(extra) == 1
                else f"{len(extra)} entries for unknown parameters"
            )
            raise ValueError(f"{what} has {which}: {extra!r}")
        return flat


def zeros_like_all(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Fresh zero state arrays, C-contiguous, one per parameter."""
    return [np.zeros(a.shape, dtype=a.dtype) for a in arrays]


def check_no_overlap(arrays: Sequence[np.ndarray], labels: Sequence[str], what: str) -> None:
    """Raise ValueError naming both if two non-empty arrays share memory (the
    same array twice, or views such as ``W`` and ``W[:5]``).

    Byte ranges sorted by start address find the candidates; for contiguous
    arrays a range overlap is a shared byte, for strided ones
    ``np.shares_memory`` decides.
    """
    spans = []
    for i, a in enumerate(arrays):
        if a.size:
            start = end = a.__array_interface__["data"][0]
            for n, stride in zip(a.shape, a.strides):
                reach = (n - 1) * stride
                start, end = (start + reach, end) if reach < 0 else (start, end + reach)
            spans.append((start, end + a.itemsize, i))
    spans.sort()
    active: list = []  # (end, index) of earlier ranges
    for start, end, i in spans:
        active = [(e, j) for e, j in active if e > start]
        for _, j in active:
            a, b = arrays[i], arrays[j]
            if (a.flags.c_contiguous and b.flags.c_contiguous) or np.shares_memory(a, b):
                first, second = sorted((i, j))
                raise ValueError(
                    f"{what}[{labels[first]}] and {what}[{labels[second]}] share "
                    f"memory (the same array twice, or overlapping views); each "
                    f"must be its own array"
                )
        active.append((end, i))


def check_number(
    name: str,
    value: Any,
    low: float = 0.0,
    high: float = float("inf"),
    high_open: bool = False,
    low_open: bool = False,
) -> float:
    """``float(value)``, checked to be finite and within [low, high] (or open ends).

    Only real numbers are accepted (Python or NumPy, or a 0-d numeric array):
    a string or a bool is a TypeError, never converted.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    x = float(value)
    bad = (
        math.isnan(x)
        or math.isinf(x)
        or x < low
        or x > high
        or (high_open and x == high)
        or (low_open and x == low)
    )
    if bad:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(f"{name} must be finite and in {lo}{low}, {high}{hi}, got {value!r}")
    return x


def check_flag(name: str, value: Any) -> bool:
    """A bool (Python, NumPy or a 0-d bool array); anything else is a TypeError."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be a bool (True or False), got {type(value).__name__} {value!r}"
        )
    return bool(value)
