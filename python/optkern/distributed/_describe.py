"""What every rank must agree on before training together: the optimizer's
class, hyperparameters, parameter shapes and dtypes, its state entries and
step counter. Each rank describes itself as JSON; the descriptions are
gathered and compared field by field, so a mismatch names what differs."""

from __future__ import annotations

import inspect
import json
from typing import Any

import numpy as np


def _plain(value: Any) -> Any:
    """A JSON value that is equal on two ranks exactly when ``value`` is."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))  # exact, and NaN compares equal as text
    if isinstance(value, np.ndarray):
        if value.size <= 16:
            return {
                "array": [_plain(v) for v in value.ravel().tolist()],
                "shape": list(value.shape),
                "dtype": value.dtype.str,
            }
        return {"shape": list(value.shape), "dtype": value.dtype.str}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    kind = type(value)
    if callable(value) and hasattr(value, "get_config"):
        return {
            "callable": f"{kind.__module__}.{kind.__qualname__}",
            "config": _plain(value.get_config()),
        }
    name = getattr(value, "__qualname__", kind.__qualname__)
    return {"object": f"{getattr(value, '__module__', kind.__module__)}.{name}"}


def constructor_arguments(opt: Any) -> dict:
    """The arguments ``opt`` was built with, by name (``params`` included)."""
    args, kwargs = getattr(opt, "_init_args", ((), {}))
    bound = inspect.signature(type(opt)).bind(*args, **kwargs)
    return dict(bound.arguments)


def describe(opt: Any, zero: bool) -> dict:
    groups = opt._groups
    options = {k: v for k, v in constructor_arguments(opt).items() if k != "params"}
    desc: dict = {
        "optimizer class": f"{type(opt).__module__}.{type(opt).__qualname__}",
        "zero": bool(zero),
        "parameters": {
            key: {"shape": list(p.shape), "dtype": p.dtype.str}
            for key, p in zip(groups.keys, groups.params)
        },
        "number of parameters": len(groups.params),
        "constructor arguments": _plain(options),
        "step counter": int(opt.iterations),
        "state entries": sorted(
            f"{slot}/{key}"
            for slot, arrays in opt._state.items()
            for key, a in zip(groups.keys, arrays)
            if a is not None
        ),
    }
    if hasattr(opt, "defaults"):  # the torch front-end: the live group options
        desc["param_groups"] = [{k: _plain(g[k]) for k in opt.defaults} for g in groups.groups]
    else:
        desc["learning_rate"] = _plain(opt.learning_rate)
        desc["param groups"] = [
            _plain({k: v for k, v in g.items() if k != "params"}) for g in groups.groups
        ]
    return desc


def _flat(value: Any, path: str, out: dict) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(v, f"{path}[{k!r}]" if path else k, out)
    elif isinstance(value, list) and path != "state entries":
        for i, v in enumerate(value):
            _flat(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def differences(mine: dict, theirs: dict, limit: int = 3) -> list[str]:
    """``"<field>: <theirs> vs <mine>"`` for the first fields that differ."""
    a: dict = {}
    b: dict = {}
    _flat(mine, "", a)
    _flat(theirs, "", b)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        if a.get(key, "<absent>") != b.get(key, "<absent>"):
            out.append(f"{key}: {b.get(key, '<absent>')!r} vs {a.get(key, '<absent>')!r}")
            if len(out) == limit:
                break
    return out


def encode(desc: dict) -> bytes:
    return json.dumps(desc, sort_keys=False).encode("utf-8")


def decode(data: bytes) -> dict:
    return json.loads(data.decode("utf-8"))
