"""Walking checkpointed objects: flatten for saving, plan and apply restores.

Supported objects (top level or nested):

* ``numpy.ndarray`` - saved as is, restored in place with ``np.copyto``;
* numbers (``bool``, ``int``, ``float``, ``complex``, NumPy scalars) - saved as
  0-d arrays; restored by *replacing* the slot that holds them (the
  Checkpoint attribute, the dict item or the list item);
* ``dict`` with ``str`` keys and ``list``/``tuple`` - containers; paths are
  joined with ``/`` (list items by index);
* anything with ``state_dict()`` and ``load_state_dict(sd)`` - its state dict
  is saved under the object's path; restore builds a new state dict from the
  file and hands it to ``load_state_dict``, which copies into its own arrays.
"""

from __future__ import annotations

import inspect

import numpy as np

from ._format import NUMBER_KINDS, decode_number, encode_leaf, is_number

__all__ = ["flatten", "is_stateful", "object_kind", "plan_restore"]


def is_stateful(obj):
    return callable(getattr(obj, "state_dict", None)) and callable(
        getattr(obj, "load_state_dict", None)
    )


def object_kind(obj):
    """Short name of an object's kind, recorded in the manifest."""
    if isinstance(obj, np.ndarray):
        return "array"
    if isinstance(obj, dict):
        return "dict"
    if isinstance(obj, (list, tuple)):
        return "list"
    if is_number(obj):
        return "number"
    if is_stateful(obj):
        return "state_dict"
    raise TypeError(
        f"unsupported type {type(obj).__name__} (expected an ndarray, a number, a dict, a "
        "list, or an object with state_dict() and load_state_dict())"
    )


def _check_key(path, key):
    if not isinstance(key, str):
        raise TypeError(f"cannot checkpoint {path!r}: dict keys must be str, got {key!r}")
    if "\x00" in key:
        raise ValueError(f"cannot checkpoint {path!r}: dict key {key!r} contains a NUL character")


def _children(path, obj):
    if isinstance(obj, dict):
        for key, value in obj.items():
            _check_key(path, key)
            yield f"{path}/{key}", key, value
    else:
        for i, value in enumerate(obj):
            yield f"{path}/{i}", i, value


def _state_dict(path, obj):
    sd = obj.state_dict()
    if not isinstance(sd, dict):
        raise TypeError(f"{path!r}: state_dict() returned {type(sd).__name__}, expected a dict")
    return sd


def flatten(objects, copy=False):
    """``{path: (kind, ndarray)}`` for every leaf of ``objects`` (a name -> object dict).

    Raises TypeError/ValueError naming the path for unsupported values and
    when two leaves would share a path (e.g. a key ``"a/b"`` beside a nested
    ``{"a": {"b": ...}}``).
    """
    out = {}

    def add(path, value):
        if path in out:
            raise ValueError(f"two checkpointed values map to the same path {path!r}")
        out[path] = encode_leaf(path, value, copy=copy)

    def walk(path, obj, depth=0):
        if depth > 100:
            raise ValueError(f"{path!r}: nesting too deep (a reference cycle?)")
        if isinstance(obj, np.ndarray) or is_number(obj):
            add(path, obj)
        elif isinstance(obj, (dict, list, tuple)):
            for child_path, _, value in _children(path, obj):
                walk(child_path, value, depth + 1)
        elif is_stateful(obj):
            walk(path, _state_dict(path, obj), depth + 1)
        else:
            add(path, obj)  # raises the TypeError naming the path

    for name, obj in objects.items():
        walk(name, obj)
    return out


# ------------------------------------------------------------------ restoring


class _Plan:
    """Everything a restore will do, built and validated before any change."""

    def __init__(self):
        self.arrays = []  # (path, target ndarray)
        self.numbers = []  # (path, container, key)
        self.stateful = []  # (path, obj, template state dict, stored leaves, judges)
        self.paths = set()  # every leaf path the objects expect
        self.judged = set()  # paths whose absence the owning object judges itself


def _mismatch(path, what, expected, found):
    return ValueError(
        f"cannot restore {path!r}: {what} mismatch: the object has {expected}, "
        f"the checkpoint has {found}"
    )


def plan_restore(objects, entries, strict, numbers_holder):
    """Validate ``objects`` against the checkpoint ``entries`` (reader entries).

    Returns the plan, the missing paths (expected by the objects, absent from
    the file) and the unexpected paths (in the file, not used). Raises
    ValueError/TypeError before anything is modified.
    """
    plan = _Plan()

    def check_array(path, target, writable=True):
        e = entries.get(path)
        if e is None:
            return False
        if e.kind != "array":
            raise _mismatch(path, "kind", "an array", f"a number ({e.kind})")
        if target.shape != e.shape:
            raise _mismatch(path, "shape", target.shape, e.shape)
        if target.dtype != e.dtype:
            raise _mismatch(path, "dtype", target.dtype, e.dtype)
        if writable and not target.flags.writeable:
            raise ValueError(f"cannot restore {path!r} in place: the array is read-only")
        return True

    def check_number(path):
        e = entries.get(path)
        if e is None:
            return False
        if e.kind not in NUMBER_KINDS:
            raise _mismatch(path, "kind", "a number", "an array")
        return True

    def walk(path, obj, container, key, inside_tuple, depth=0):
        if depth > 100:
            raise ValueError(f"{path!r}: nesting too deep (a reference cycle?)")
        if isinstance(obj, np.ndarray):
            plan.paths.add(path)
            if check_array(path, obj):
                plan.arrays.append((path, obj))
        elif is_number(obj):
            plan.paths.add(path)
            if check_number(path):
                if inside_tuple:
                    raise TypeError(
                        f"cannot restore {path!r}: a number inside a tuple cannot be replaced"
                    )
                plan.numbers.append((path, container, key))
        elif isinstance(obj, (dict, list, tuple)):
            for child_path, child_key, value in _children(path, obj):
                walk(child_path, value, obj, child_key, isinstance(obj, tuple), depth + 1)
        elif is_stateful(obj):
            template = _state_dict(path, obj)
            before = set(plan.paths)
            walk_template(path, template)
            own = plan.paths - before
            # An object whose load_state_dict takes ``strict`` knows which of
            # its entries are optional (say, hyperparameters a file from an
            # older release lacks): a strict restore lets it decide.
            judges = strict and _accepts_strict(obj)
            if judges:
                plan.judged |= own
            plan.stateful.append((path, obj, template, sorted(own & entries.keys()), judges))
        else:
            raise TypeError(f"cannot restore {path!r}: unsupported type {type(obj).__name__}")

    def walk_template(path, obj):
        # A state dict is a template: it is rebuilt, never written into.
        if isinstance(obj, np.ndarray):
            plan.paths.add(path)
            check_array(path, obj, writable=False)
        elif is_number(obj):
            plan.paths.add(path)
            check_number(path)
        elif isinstance(obj, (dict, list, tuple)):
            for child_path, _, value in _children(path, obj):
                walk_template(child_path, value)
        else:
            raise TypeError(
                f"cannot restore {path!r}: unsupported type {type(obj).__name__} in a state dict"
            )

    for name, obj in objects.items():
        walk(name, obj, numbers_holder, name, False)

    missing = sorted(plan.paths - entries.keys() - plan.judged)
    unexpected = sorted(entries.keys() - plan.paths)
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"missing from the file: {_preview(missing)}")
        if unexpected:
            parts.append(f"not used by the objects: {_preview(unexpected)}")
        raise ValueError(
            "checkpoint does not match the objects (strict restore): "
            + "; ".join(parts)
            + ". Pass strict=False to restore the matching part."
        )
    return plan, missing, unexpected


def _preview(paths, n=8):
    shown = ", ".join(repr(p) for p in paths[:n])
    return shown + (f" and {len(paths) - n} more" if len(paths) > n else "")


def _accepts_strict(obj):
    """Whether ``obj.load_state_dict`` takes a ``strict`` keyword."""
    try:
        return "strict" in inspect.signature(obj.load_state_dict).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


def _rebuild(path, template, values, prune=False):
    """A copy of ``template``'s structure with leaves taken from ``values``.

    A leaf absent from ``values`` keeps the template's value, or with
    ``prune`` is left out of its dict (list items cannot be left out).
    """
    if isinstance(template, dict):
        out = {}
        for k, v in template.items():
            child = f"{path}/{k}"
            if prune and not isinstance(v, (dict, list, tuple)) and child not in values:
                continue
            out[k] = _rebuild(child, v, values, prune)
        return out
    if isinstance(template, (list, tuple)):
        items = [_rebuild(f"{path}/{i}", v, values, prune) for i, v in enumerate(template)]
        return items if isinstance(template, list) else tuple(items)
    return values.get(path, template)


def apply_restore(plan, arrays, entries):
    """Apply a validated plan with verified ``arrays`` ({path: ndarray}).

    Objects with ``load_state_dict`` go first (they may still refuse); if a
    later one refuses, the earlier ones are put back as they were, so a
    failed restore changes nothing. Arrays and numbers cannot fail after
    validation.

    Returns the list of restored paths.
    """

    def value_of(path):
        e = entries[path]
        arr = arrays[path]
        return arr if e.kind == "array" else decode_number(e.kind, arr)

    restored = []
    done = []  # (obj, backup state dict)
    try:
        last = len(plan.stateful) - 1
        for i, (path, obj, template, leaves, judges) in enumerate(plan.stateful):
            values = {p: value_of(p) for p in leaves}
            new_sd = _rebuild(path, template, values, prune=judges)
            # Only an earlier object can need putting back after a later refusal.
            backup = _deep_copy_arrays(template) if i < last else None
            if judges:
                obj.load_state_dict(new_sd, strict=True)
            else:
                obj.load_state_dict(new_sd)
            done.append((obj, backup))
            restored.extend(values)
    except BaseException:
        for obj, backup in reversed(done):
            obj.load_state_dict(backup)
        raise
    for path, target in plan.arrays:
        np.copyto(target, arrays[path], casting="no")
        restored.append(path)
    for path, container, key in plan.numbers:
        container[key] = value_of(path)
        restored.append(path)
    return restored


def _deep_copy_arrays(obj):
    if isinstance(obj, dict):
        return {k: _deep_copy_arrays(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_deep_copy_arrays(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_deep_copy_arrays(v) for v in obj)
    if isinstance(obj, np.ndarray):
        return obj.copy()
    return obj
