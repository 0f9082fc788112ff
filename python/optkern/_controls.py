"""Training controls shared by the front-ends: the Keras keyword arguments
(EMA, gradient accumulation) every Keras-convention optimizer accepts, the
weight-decay exclusion, the non-finite check, `global_norm`, and the schedule
entries of a state dict. The arithmetic is native (``_core``)."""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _core
from ._params import check_flag, check_number

# Keras's defaults for the controls every Keras-convention optimizer takes.
CONTROL_DEFAULTS = dict(
    use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, gradient_accumulation_steps=None
)

SCHEDULE_CLASS = "learning_rate_schedule/class_name"
SCHEDULE_CONFIG = "learning_rate_schedule/config"
SKIPPED = "skipped_steps"


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be an integer >= {low} or None, got {type(value).__name__} {value!r}"
        )
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low} or None, got {value!r}")
    return int(value)


def check_controls(
    use_ema: Any, ema_momentum: Any, ema_overwrite_frequency: Any, gradient_accumulation_steps: Any
) -> dict:
    """The controls, checked (errors name the argument), as Keras checks them:
    ``ema_momentum`` in [0, 1], ``ema_overwrite_frequency`` an integer >= 1
    or None, ``gradient_accumulation_steps`` an integer >= 2 or None."""
    out = dict(
        use_ema=check_flag("use_ema", use_ema),
        ema_momentum=check_number("ema_momentum", ema_momentum, 0.0, 1.0),
        ema_overwrite_frequency=None,
        gradient_accumulation_steps=None,
    )
    if ema_overwrite_frequency is not None:
        out["ema_overwrite_frequency"] = _check_int(
            "ema_overwrite_frequency", ema_overwrite_frequency, 1
        )
    if gradient_accumulation_steps is not None:
        out["gradient_accumulation_steps"] = _check_int(
            "gradient_accumulation_steps", gradient_accumulation_steps, 2
        )
    return out


def with_controls(init: Any) -> Any:
    """Wrap a Keras-convention optimizer's ``__init__`` so that it takes the
    controls as keyword-only arguments (checked before anything else) and
    keeps them in ``self._controls`` for the base; an inner ``__init__``
    (``super().__init__``) called without them keeps the outer call's."""

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        given = {k: kwargs.pop(k) for k in CONTROL_DEFAULTS if k in kwargs}
        if given or "_controls" not in self.__dict__:
            self._controls = check_controls(**dict(CONTROL_DEFAULTS, **given))
        init(self, *args, **kwargs)

    sig = inspect.signature(init)
    params = [p for p in sig.parameters.values() if p.kind != p.VAR_KEYWORD]
    names = {p.name for p in params}
    extra = [
        inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v)
        for k, v in CONTROL_DEFAULTS.items()
        if k not in names
    ]
    var_kw = [p for p in sig.parameters.values() if p.kind == p.VAR_KEYWORD]
    __init__.__signature__ = sig.replace(parameters=params + extra + var_kw)  # type: ignore[attr-defined]
    __init__._takes_controls = True  # type: ignore[attr-defined]
    return __init__


def exclusion_flags(
    keys: Sequence[str], params: Sequence[np.ndarray], var_list: Any, var_names: Any
) -> list[bool] | None:
    """Per tensor, whether weight decay is off: the array is in ``var_list``
    (by identity) or ``re.search("|".join(set(var_names)), key)`` finds a
    match in its state-dict key. None when nothing is excluded."""
    ids = set()
    if var_list:
        if isinstance(var_list, np.ndarray):
            raise TypeError("var_list must be a list of parameter arrays")
        known = {id(p) for p in params}
        for i, v in enumerate(var_list):
            if id(v) not in known:
                raise ValueError(f"var_list[{i}] is not one of this optimizer's parameters")
            ids.add(id(v))
    pattern = None
    if var_names:
        if isinstance(var_names, str):
            raise TypeError(
                "var_names must be a list of strings (regular expressions), not a single string"
            )
        names = list(var_names)
        for i, n in enumerate(names):
            if not isinstance(n, str):
                raise TypeError(f"var_names[{i}] must be a string, got {type(n).__name__}")
        pattern = re.compile("|".join(set(names)))
    flags = [
        id(p) in ids or (pattern is not None and pattern.search(k) is not None)
        for k, p in zip(keys, params)
    ]
    return flags if any(flags) else None


def all_finite(grads: list, labels: list) -> bool:
    """Whether every element of every grad is finite (one native read)."""
    return _core.grad_stats(grads, labels, None, 1.0, False, True)[1]


def global_norm(grads: Any) -> float:
    """The global L2 norm ``sqrt(Σ_tensors Σ g²)`` of a list or dict of arrays.

    Each tensor's sum of squares comes from the native deterministic
    reduction that ``global_clipnorm`` uses (accumulated in double in a fixed
    order: the same bits for any thread count and instruction set); the
    per-tensor sums are added with ``math.fsum`` and the square root taken in
    double. float32 and float64 arrays may be mixed.

    Examples
    --------
    >>> import numpy as np, optkern as ok
    >>> ok.global_norm([np.array([3.0]), np.array([4.0], dtype=np.float32)])
    5.0
    """
    if isinstance(grads, Mapping):
        labels = [repr(k) for k in grads]
        arrays = list(grads.values())
    elif isinstance(grads, np.ndarray):
        raise TypeError("grads must be a list or dict of arrays; wrap a single array in a list")
    else:
        arrays = list(grads)
        labels = [str(i) for i in range(len(arrays))]
    return math.sqrt(math.fsum(_core.sum_squares(arrays, labels)))


def schedule_entries(lr: Any) -> dict:
    """The state-dict entries of a schedule with a config, NumPy and Python
    values only: ``"learning_rate_schedule/class_name"`` (a 0-d str array)
    and one ``"learning_rate_schedule/config/<key>"`` per config value: a
    number as a Python bool, int or float, a string as a 0-d str array, a
    list of numbers as a 1-d int64 or float64 array; None values are left out
    (``from_config`` then uses the default). {} for anything else."""
    from .schedules import LearningRateSchedule

    if not isinstance(lr, LearningRateSchedule):
        return {}
    try:
        config = lr.get_config()
    except NotImplementedError:
        return {}
    out: dict[str, Any] = {SCHEDULE_CLASS: np.array(type(lr).__name__)}
    for key, value in config.items():
        name = f"{SCHEDULE_CONFIG}/{key}"
        if value is None:
            continue
        if isinstance(value, (bool, np.bool_)):
            out[name] = bool(value)
        elif isinstance(value, (int, np.integer)):
            out[name] = int(value)
        elif isinstance(value, (float, np.floating)):
            out[name] = float(value)
        elif isinstance(value, str):
            out[name] = np.array(value)
        elif isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_))
            for v in value
        ):
            ints = all(isinstance(v, (int, np.integer)) for v in value)
            out[name] = np.array(value, dtype=np.int64 if ints and value else np.float64)
        else:
            raise TypeError(
                f"learning rate schedule {type(lr).__name__}: config value "
                f"{key!r} ({type(value).__name__}) cannot be saved in a state "
                f"dict (numbers, strings and lists of numbers can)"
            )
    return out


def schedule_keys(sd: Mapping) -> set:
    """The schedule entries of a state dict."""
    return {k for k in sd if isinstance(k, str) and k.startswith("learning_rate_schedule/")}


def schedule_from_state(sd: Mapping, current: Any) -> Any:
    """The schedule a state dict saved (None if it saved none), rebuilt by
    ``from_config`` of the current schedule's class when the class names
    match, else of the built-in class of that name. Raises
    ValueError/TypeError naming the entry."""
    keys = schedule_keys(sd)
    if not keys:
        return None
    from .schedules.serialization import BUILT_IN

    name = sd.get(SCHEDULE_CLASS)
    if isinstance(name, np.ndarray) and name.ndim == 0 and name.dtype.kind == "U":
        name = str(name[()])
    if not isinstance(name, str):
        raise TypeError(
            f"state_dict[{SCHEDULE_CLASS!r}] must be a 0-d str array, got {type(name).__name__}"
        )
    config = {}
    prefix = SCHEDULE_CONFIG + "/"
    for key in sorted(keys - {SCHEDULE_CLASS}):
        if not key.startswith(prefix) or "/" in key[len(prefix) :]:
            raise ValueError(f"state_dict[{key!r}]: expected {prefix}<key>")
        value = sd[key]
        if isinstance(value, np.ndarray):
            if value.ndim == 0 and value.dtype.kind == "U":
                value = str(value[()])
            elif value.ndim == 1 and value.dtype in (np.int64, np.float64):
                value = value.tolist()
            elif value.ndim == 0 and value.dtype.kind in "bif":
                value = value[()].item()
            else:
                raise TypeError(
                    f"state_dict[{key!r}] must be a number, a 0-d str array or a "
                    f"1-d int64/float64 array, got dtype {value.dtype} and shape "
                    f"{value.shape}"
                )
        elif isinstance(value, (np.generic,)):
            value = value.item()
        if not isinstance(value, (bool, int, float, str, list)):
            raise TypeError(
                f"state_dict[{key!r}] must be a number, a string or a list of "
                f"numbers, got {type(value).__name__}"
            )
        config[key[len(prefix) :]] = value
    cls = type(current) if type(current).__name__ == name else BUILT_IN.get(name)
    if cls is None:
        raise ValueError(
            f"state_dict[{SCHEDULE_CLASS!r}] is {name!r}, which is neither a "
            f"built-in schedule nor this optimizer's schedule class"
        )
    try:
        return cls.from_config(config)
    except (TypeError, ValueError) as e:
        raise type(e)(f"state_dict['{SCHEDULE_CONFIG}/...']: {e}") from None


def read_skipped(sd: Mapping) -> int | None:
    """``sd["skipped_steps"]`` checked, or None when absent."""
    v = sd.get(SKIPPED)
    if v is None:
        return None
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ValueError(f"state_dict[{SKIPPED!r}] must be an integer >= 0, got {v!r}")
    return int(v)
