"""Flat optimizer state dicts: ``{counter: int, "<slot>/<key>": ndarray}``.

Loading validates every entry before copying anything, and copies into the
optimizer's existing arrays, so references the trainer holds stay valid.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np


def export_state(counter_name: str, counter: int, slots: Mapping[str, Sequence[Any]],
                 keys: Sequence[str]) -> dict:
    """The state as a flat dict of NumPy arrays (copies) and the step counter."""
    out: dict = {counter_name: int(counter)}
    for slot, arrays in slots.items():
        for key, a in zip(keys, arrays):
            if a is not None:
                out[f"{slot}/{key}"] = a.copy()
    return out


def import_state(sd: Any, counter_name: str, slots: Mapping[str, Sequence[Any]],
                 keys: Sequence[str], strict: bool = True) -> int | None:
    """Validate ``sd`` against the slots, then copy it in place.

    Returns the counter from ``sd`` (None when absent and not strict). Raises
    TypeError/ValueError naming the first bad entry; nothing is modified then.
    """
    if not isinstance(sd, Mapping):
        raise TypeError(f"state_dict must be a mapping, got {type(sd).__name__}")
    expected: dict[str, np.ndarray] = {}
    for slot, arrays in slots.items():
        for key, a in zip(keys, arrays):
            if a is not None:
                expected[f"{slot}/{key}"] = a
    counter = sd.get(counter_name)
    if counter is None:
        if strict:
            raise ValueError(f"state_dict has no {counter_name!r} entry")
    else:
        if isinstance(counter, np.ndarray) and counter.ndim == 0:
            counter = counter.item()
        if isinstance(counter, bool) or not isinstance(counter, (int, np.integer)) or counter < 0:
            raise ValueError(f"state_dict[{counter_name!r}] must be an integer >= 0, "
                             f"got {counter!r}")
        counter = int(counter)
    if strict:
        missing = [k for k in expected if k not in sd]
        if missing:
            raise ValueError(f"state_dict is missing {len(missing)} entries, e.g. {missing[:3]}")
        extra = [k for k in sd if k != counter_name and k not in expected]
        if extra:
            raise ValueError(f"state_dict has {len(extra)} unexpected entries, e.g. {extra[:3]}")
    pairs = []
    for name, dst in expected.items():
        if name not in sd:
            continue
        src = sd[name]
        if not isinstance(src, np.ndarray):
            raise TypeError(f"state_dict[{name!r}] must be a numpy.ndarray, "
                            f"got {type(src).__name__}")
        if src.shape != dst.shape:
            raise ValueError(f"state_dict[{name!r}] has shape {src.shape}; expected {dst.shape}")
        if src.dtype != dst.dtype:
            raise TypeError(f"state_dict[{name!r}] has dtype {src.dtype}; expected {dst.dtype}")
        pairs.append((dst, src))
    for dst, src in pairs:
        np.copyto(dst, src)
    return counter


class HasState:
    """``state_dict`` / ``load_state_dict`` for an optimizer holding ``iterations``,
    ``_state`` (slot name -> per-tensor arrays or None) and ``_groups.keys``;
    ``_counter`` names the step counter in the dict."""

    _counter = "iterations"

    def state_dict(self) -> dict:
        """``{counter: int, "<slot>/<key>": ndarray}`` (copies), NumPy only; the
        counter is ``"iterations"`` (Keras) or ``"step"`` (torch)."""
        return export_state(self._counter, self.iterations, self._state, self._groups.keys)

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> None:
        """Validate every entry, then copy into the existing state in place.

        ``strict`` refuses missing and unexpected entries; otherwise they are
        skipped. Raises ValueError/TypeError, modifying nothing, on a mismatch.
        """
        counter = import_state(state_dict, self._counter, self._state, self._groups.keys, strict)
        if counter is not None:
            self.iterations = counter
