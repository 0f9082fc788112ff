"""Flat optimizer state dicts: ``{counter: int, "<slot>/<key>": ndarray}`` plus
the hyperparameters a trainer may change between steps (``"learning_rate"`` in
the Keras front-end, ``"param_groups/<i>/<option>"`` in the torch front-end).

Loading validates every entry before copying anything, and copies into the
optimizer's existing arrays, so references the trainer holds stay valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _controls
from ._params import check_number, plural


def export_state(
    counter_name: str, counter: int, slots: Mapping[str, Sequence[Any]], keys: Sequence[str]
) -> dict:
    """The state as a flat dict of NumPy arrays (copies) and the step counter."""
    out: dict = {counter_name: int(counter)}
    for slot, arrays in slots.items():
        for key, a in zip(keys, arrays):
            if a is not None:
                out[f"{slot}/{key}"] = a.copy()
    return out


def check_mapping(sd: Any) -> None:
    if not isinstance(sd, Mapping):
        raise TypeError(f"state_dict must be a mapping, got {type(sd).__name__}")


def read_counter(sd: Mapping, counter_name: str, strict: bool) -> int | None:
    """The step counter from ``sd`` (None when absent and not strict)."""
    counter = sd.get(counter_name)
    if counter is None:
        if strict:
            raise ValueError(f"state_dict has no {counter_name!r} entry")
        return None
    if isinstance(counter, np.ndarray) and counter.ndim == 0:
        counter = counter.item()
    if isinstance(counter, bool) or not isinstance(counter, (int, np.integer)) or counter < 0:
        raise ValueError(f"state_dict[{counter_name!r}] must be an integer >= 0, got {counter!r}")
    return int(counter)


def plan_arrays(
    sd: Mapping,
    known: set,
    required: Mapping[str, np.ndarray],
    optional: Mapping[str, np.ndarray],
    strict: bool,
) -> dict[str, np.ndarray]:
    """Check the array entries of ``sd``; nothing is modified.

    ``required`` and ``optional`` map entry names to an array of the shape and
    dtype the entry must have; ``strict`` refuses a missing required entry and
    any entry that is neither one of those nor in ``known`` (counter,
    hyperparameters). Returns ``{name: source array}`` for the entries present.
    """
    if strict:
        missing = [k for k in required if k not in sd]
        if missing:
            raise ValueError(
                f"state_dict is missing {plural(len(missing), 'entry')}, e.g. {missing[:3]}"
            )
        extra = [k for k in sd if k not in known and k not in required and k not in optional]
        if extra:
            raise ValueError(
                f"state_dict has {plural(len(extra), 'unexpected entry')}, e.g. {extra[:3]}"
            )
    found = {}
    for name, like in (*required.items(), *optional.items()):
        if name not in sd:
            continue
        src = sd[name]
        if not isinstance(src, np.ndarray):
            raise TypeError(
                f"state_dict[{name!r}] must be a numpy.ndarray, got {type(src).__name__}"
            )
        if src.shape != like.shape:
            raise ValueError(f"state_dict[{name!r}] has shape {src.shape}; expected {like.shape}")
        if src.dtype != like.dtype:
            raise TypeError(f"state_dict[{name!r}] has dtype {src.dtype}; expected {like.dtype}")
        found[name] = src
    return found


def import_state(
    sd: Any,
    counter_name: str,
    slots: Mapping[str, Sequence[Any]],
    keys: Sequence[str],
    strict: bool = True,
    known: frozenset = frozenset(),
) -> int | None:
    """Validate ``sd`` against the slots, then copy it in place.

    Returns the counter from ``sd`` (None when absent and not strict). Entries
    named in ``known`` are left to the caller. Raises TypeError/ValueError
    naming the first bad entry; nothing is modified then.
    """
    check_mapping(sd)
    expected: dict[str, np.ndarray] = {}
    for slot, arrays in slots.items():
        for key, a in zip(keys, arrays):
            if a is not None:
                expected[f"{slot}/{key}"] = a
    counter = read_counter(sd, counter_name, strict)
    found = plan_arrays(sd, {counter_name, *known}, expected, {}, strict)
    for name, src in found.items():
        np.copyto(expected[name], src)
    return counter


class HasState:
    """``state_dict`` / ``load_state_dict`` for a Keras-convention optimizer
    holding ``iterations``, ``_state`` (slot name -> per-tensor arrays or None),
    ``_groups.keys`` and ``learning_rate``."""

    _counter = "iterations"
    # Set by the optimizer class that mixes this in.
    iterations: int
    skipped_steps: int
    _state: dict[str, Any]
    _groups: Any  # ParamGroups
    _learning_rate: Any  # a float or a schedule

    def state_dict(self) -> dict:
        """The state as a flat dict, NumPy only (arrays are copies).

        - ``"iterations"``: int, the steps applied so far;
        - ``"skipped_steps"``: int, the calls ``step(..., skip_nonfinite=True)``
          refused (optional on load: a state dict without it sets 0);
        - ``"<slot>/<key>"``: ndarray, one per state slot and parameter
          (``"momentum/W1"``; keys of a group are prefixed ``"<group>/"``),
          including ``"average/<key>"`` (``use_ema``) and
          ``"gradient_accumulator/<key>"`` (``gradient_accumulation_steps``);
        - ``"learning_rate"``: float, the current learning rate, present only
          when it is a number;
        - for a `optkern.schedules.LearningRateSchedule` with a config:
          ``"learning_rate_schedule/class_name"`` (a 0-d str array) and
          ``"learning_rate_schedule/config/<key>"``, one per config value
          (a number; a string as a 0-d str array; a list of numbers as a
          1-d int64 or float64 array; None values left out). Another
          callable is code, not state: it is not saved, and it is evaluated
          from ``iterations`` after a resume.
        """
        out = export_state(self._counter, self.iterations, self._state, self._groups.keys)
        out[_controls.SKIPPED] = int(self.skipped_steps)
        if not callable(self._learning_rate):
            out["learning_rate"] = float(self._learning_rate)
        out.update(_controls.schedule_entries(self._learning_rate))
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> None:
        """Validate every entry, then copy into the existing state in place.

        ``strict`` refuses missing and unexpected entries; otherwise they are
        skipped. ``"learning_rate"`` and ``"skipped_steps"`` are optional
        (state dicts written before they were saved still load); when present
        ``"learning_rate"`` replaces a float learning rate, and a schedule set
        on this optimizer is kept. Saved schedule entries replace the learning
        rate with the schedule they describe (rebuilt with ``from_config`` by
        this optimizer's schedule class when the class names match, else by
        the built-in class of that name). Raises ValueError/TypeError,
        modifying nothing, on a mismatch.
        """
        check_mapping(state_dict)
        lr = state_dict.get("learning_rate")
        if lr is not None:
            lr = check_number("state_dict['learning_rate']", lr)
        skipped = _controls.read_skipped(state_dict)
        schedule = _controls.schedule_from_state(state_dict, self._learning_rate)
        counter = import_state(
            state_dict,
            self._counter,
            self._state,
            self._groups.keys,
            strict,
            known=frozenset(
                {"learning_rate", _controls.SKIPPED, *_controls.schedule_keys(state_dict)}
            ),
        )
        if schedule is not None:
            self.learning_rate = schedule
        elif lr is not None and not callable(self._learning_rate):
            self.learning_rate = lr
        if counter is not None:
            self.iterations = counter
        self.skipped_steps = 0 if skipped is None else skipped
