"""Schedules to and from plain dicts (``keras.optimizers.schedules.serialize``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import LearningRateSchedule
from .cosine import CosineDecay, CosineDecayRestarts
from .exponential import ExponentialDecay, InverseTimeDecay
from .piecewise import PiecewiseConstantDecay
from .polynomial import PolynomialDecay

BUILT_IN = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{"module": "optkern.schedules", "class_name": ..., "config": schedule.get_config()}``,
    made of plain Python values (JSON-compatible)."""
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"schedule must be a LearningRateSchedule, got {type(schedule).__name__}")
    return {
        "module": "optkern.schedules",
        "class_name": type(schedule).__name__,
        "config": schedule.get_config(),
    }


def deserialize(
    config: Mapping, custom_objects: Mapping[str, type] | None = None
) -> LearningRateSchedule:
    """The schedule described by `serialize`'s output (``class_name`` and
    ``config``); ``custom_objects`` maps other class names to classes."""
    if not isinstance(config, Mapping) or "class_name" not in config or "config" not in config:
        raise ValueError(
            "config must be a dict with 'class_name' and 'config' entries, as made by serialize()"
        )
    name = config["class_name"]
    classes: dict[str, Any] = dict(BUILT_IN, **(custom_objects or {}))
    if name not in classes:
        raise ValueError(
            f"unknown learning rate schedule class_name {name!r}; known: "
            f"{sorted(classes)} (pass others in custom_objects)"
        )
    return classes[name].from_config(dict(config["config"]))


def get(identifier: Any) -> Any:
    """A schedule from a schedule (returned as is), a dict made by `serialize`,
    or a float (returned as a float)."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, Mapping):
        return deserialize(identifier)
    if isinstance(identifier, bool) or not isinstance(identifier, (int, float)):
        raise TypeError(f"cannot interpret {type(identifier).__name__} as a learning rate schedule")
    return float(identifier)
