"""Keras-style access to the Keras-convention optimizers by name.

``optkern.optimizers.Adam`` is ``optkern.Adam``; `get` resolves a name or a
config the way ``keras.optimizers.get`` does. One difference: an optkern
optimizer is bound to the arrays it updates, so it is built with its
``params``; without them `get` returns the class.
"""

from __future__ import annotations

from typing import Any

from . import keras as _keras
from .keras import *
from .keras import Optimizer

__all__ = [*_keras.__all__, "get"]  # noqa: PLE0604 (the Keras classes, listed once)


def _classes() -> dict[str, type]:
    """Class name and lower-case name -> class (``"RMSprop"``, ``"rmsprop"``)."""
    out: dict[str, type] = {}
    for name in _keras.__all__:
        cls = getattr(_keras, name)
        if isinstance(cls, type) and issubclass(cls, Optimizer) and cls is not Optimizer:
            out[name] = out[name.lower()] = cls
    return out


def get(identifier: Any, params: Any = None) -> Any:
    """Retrieve a Keras-convention optimizer as ``keras.optimizers.get`` does.

    Parameters
    ----------
    identifier : str, dict, type or Optimizer
        A class name or its lower-case form (``"RMSprop"``, ``"rmsprop"``,
        ``"adamw"``); a config ``{"class_name": "Adam", "config": {...}}``
        (keyword arguments of the class); an optimizer class; or an optimizer
        instance, returned unchanged.
    params : list or dict of ndarray, or list of group dicts, optional
        The arrays to update. With them, a name, class or config gives an
        instance (default arguments for a name or class); without them a
        name or class gives the class, and a config is an error.

    Raises
    ------
    ValueError
        An unknown name, or a malformed config (the message lists the names).
    TypeError
        An identifier of another type, or params given with an instance.
    """
    if isinstance(identifier, Optimizer):
        if params is not None:
            raise TypeError(
                "get() got params with an optimizer instance, which already has its parameters"
            )
        return identifier
    classes = _classes()
    if isinstance(identifier, dict):
        if set(identifier) - {"class_name", "config"} or "class_name" not in identifier:
            raise ValueError(
                f"an optimizer config is {{'class_name': ..., 'config': {{...}}}}, "
                f"got keys {sorted(identifier)}"
            )
        config = identifier.get("config") or {}
        if not isinstance(config, dict):
            # ValueError like every other malformed config here.
            raise ValueError(f"the optimizer config's 'config' must be a dict, got {config!r}")  # noqa: TRY004
        cls = _lookup(identifier["class_name"], classes)
        if params is None:
            raise ValueError(
                "an optimizer config needs params: get({'class_name': ..., 'config': ...}, params)"
            )
        return cls(params, **config)
    if isinstance(identifier, str):
        cls = _lookup(identifier, classes)
    elif isinstance(identifier, type) and issubclass(identifier, Optimizer):
        cls = identifier
    else:
        raise TypeError(f"could not interpret the optimizer identifier {identifier!r}")
    return cls if params is None else cls(params)


def _lookup(name: Any, classes: dict[str, type]) -> type:
    if not isinstance(name, str) or name not in classes:
        valid = ", ".join(sorted(k for k in classes if k != k.lower()))
        raise ValueError(
            f"unknown optimizer {name!r}; valid names: {valid} (or their lower-case forms)"
        )
    return classes[name]
