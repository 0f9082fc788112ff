"""``optkern.losses.get``: a loss from a name, a config or a callable (as Keras)."""

from __future__ import annotations

from ._base import CLASSES, FUNCTIONS, Loss


def serialize(loss: Loss) -> dict:
    """``{"class_name": ..., "config": ...}`` of a loss object."""
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config: dict):
    """A loss object from :func:`serialize`'s dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"a loss config must be a dict with 'class_name' and 'config'; got {config!r}"
        )
    name = config["class_name"]
    if name not in CLASSES:
        raise ValueError(f"unknown loss class {name!r}; valid: {', '.join(sorted(CLASSES))}")
    return CLASSES[name].from_config(dict(config.get("config") or {}))


def get(identifier):
    """Retrieves a loss as Keras does.

    A function name (``"sparse_categorical_crossentropy"``, ``"mse"``) gives the
    function; a class name (``"SparseCategoricalCrossentropy"``) an instance
    with default arguments; a config dict (``{"class_name": ..., "config":
    ...}``) an instance from it; a callable or ``None`` is returned as is.
    """
    if identifier is None or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier in FUNCTIONS:
            return FUNCTIONS[identifier]
        if identifier in CLASSES:
            return CLASSES[identifier]()
        valid = ", ".join(sorted(set(FUNCTIONS) | set(CLASSES)))
        raise ValueError(f"unknown loss {identifier!r}; valid names: {valid}")
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    raise ValueError(f"could not interpret the loss identifier {identifier!r}")
