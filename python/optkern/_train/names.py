"""Names the train command accepts: optimizers, losses and learning-rate schedules.

Optimizers are looked up in the front-ends themselves, so every optimizer
optkern has is available: Keras-convention ones by their Keras names
(``adam``, ``AdamW``, ``sgd``, as ``optkern.optimizers.get`` resolves them) and
PyTorch-convention ones as ``torch.<class name in lower case>``
(``torch.adamw``).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

from .errors import TrainError

# ------------------------------------------------------------------ optimizers


@dataclass(frozen=True)
class OptimizerSpec:
    """A resolved optimizer name."""

    name: str  # canonical: "adam", "torch.adamw"
    front_end: str  # "keras" or "torch"
    cls: type
    lr_arg: str  # "learning_rate" (Keras) or "lr" (torch)

    @property
    def default_learning_rate(self) -> float:
        """The class's default ``learning_rate``/``lr``; a TrainError if it has none."""
        param = inspect.signature(self.cls).parameters.get(self.lr_arg)
        if param is None or not isinstance(param.default, (int, float)):
            raise TrainError(
                f"--optimizer {self.name} has no default learning rate; "
                "give one with --learning-rate"
            )
        return float(param.default)

    def reference(self) -> type | None:
        """The pure-NumPy twin in optkern.reference, or None if there is none."""
        from .. import reference

        return getattr(getattr(reference, self.front_end), self.cls.__name__, None)


def _keras_classes() -> dict[str, type]:
    from .. import keras

    return {
        n.lower(): getattr(keras, n)
        for n in keras.__all__
        if isinstance(getattr(keras, n), type)
        and issubclass(getattr(keras, n), keras.Optimizer)
        and getattr(keras, n) is not keras.Optimizer
    }


def _torch_classes() -> dict[str, type]:
    from .. import torch

    return {
        "torch." + n.lower(): getattr(torch, n)
        for n in torch.__all__
        if isinstance(getattr(torch, n), type)
        and issubclass(getattr(torch, n), torch.Optimizer)
        and getattr(torch, n) is not torch.Optimizer
    }


def optimizer_names() -> list[str]:
    return sorted(_keras_classes()) + sorted(_torch_classes())


def resolve_optimizer(name: str) -> OptimizerSpec:
    key = name.strip().lower()
    torch_classes = _torch_classes()
    if key in torch_classes:
        return OptimizerSpec(key, "torch", torch_classes[key], "lr")
    if not key.startswith("torch."):
        from .. import optimizers

        try:
            cls = optimizers.get(key)
        except (ValueError, TypeError):
            pass
        else:
            return OptimizerSpec(cls.__name__.lower(), "keras", cls, "learning_rate")
    raise TrainError(f"unknown optimizer {name!r}; valid names: {', '.join(optimizer_names())}")


def build_optimizer(spec: OptimizerSpec, params: Any, learning_rate: Any) -> Any:
    return spec.cls(params, **{spec.lr_arg: learning_rate})


# ---------------------------------------------------------------------- losses


@dataclass(frozen=True)
class LossSpec:
    """A loss the command can train with: its class in ``optkern.losses`` (and
    ``optkern.reference.losses``), its arguments, the task and target layout."""

    name: str  # snake_case, as ok.losses.get knows it
    class_name: str
    kwargs: tuple  # ((key, value), ...)
    task: str  # "classification" or "regression"
    targets: str  # "sparse" (int labels), "onehot" (float one-hot) or "dense"

    def build(self) -> Any:
        from .. import losses

        return getattr(losses, self.class_name)(**dict(self.kwargs))

    def build_reference(self) -> Any:
        from ..reference import losses

        return getattr(losses, self.class_name)(**dict(self.kwargs))


_LOGITS = (("from_logits", True),)
LOSSES = {
    spec.name: spec
    for spec in (
        LossSpec(
            "sparse_categorical_crossentropy",
            "SparseCategoricalCrossentropy",
            _LOGITS,
            "classification",
            "sparse",
        ),
        LossSpec(
            "categorical_crossentropy",
            "CategoricalCrossentropy",
            _LOGITS,
            "classification",
            "onehot",
        ),
        LossSpec(
            "categorical_focal_crossentropy",
            "CategoricalFocalCrossentropy",
            _LOGITS,
            "classification",
            "onehot",
        ),
        LossSpec("categorical_hinge", "CategoricalHinge", (), "classification", "onehot"),
        LossSpec("mean_squared_error", "MeanSquaredError", (), "regression", "dense"),
        LossSpec("mean_absolute_error", "MeanAbsoluteError", (), "regression", "dense"),
        LossSpec("huber", "Huber", (), "regression", "dense"),
        LossSpec("log_cosh", "LogCosh", (), "regression", "dense"),
    )
}
_LOSS_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "logcosh": "log_cosh",
    **{s.class_name.lower(): s.name for s in LOSSES.values()},
}
DEFAULT_LOSS = {
    "classification": "sparse_categorical_crossentropy",
    "regression": "mean_squared_error",
}


def resolve_loss(name: str, task: str) -> LossSpec:
    key = name.strip().lower()
    spec = LOSSES.get(_LOSS_ALIASES.get(key, key))
    suitable = [n for n, s in LOSSES.items() if s.task == task]
    if spec is None:
        raise TrainError(f"unknown loss {name!r}; valid for {task}: {', '.join(suitable)}")
    if spec.task != task:
        what = "integer class labels" if task == "classification" else "float targets"
        raise TrainError(
            f"--loss {name} is a {spec.task} loss but the data has {what}; "
            f"use one of: {', '.join(suitable)}"
        )
    return spec


# ------------------------------------------------------------------- schedules


def _schedules() -> dict[str, tuple[str, Callable[[float, int], Any]]]:
    """snake_case name -> (description, factory(lr, total_steps))."""
    from .. import schedules as s

    return {
        "constant": ("lr throughout", lambda lr, n: lr),
        "cosine_decay": (
            "CosineDecay(lr, decay_steps=n): half a cosine from lr to 0",
            lambda lr, n: s.CosineDecay(lr, decay_steps=n),
        ),
        "cosine_decay_restarts": (
            "CosineDecayRestarts(lr, first_decay_steps=n/7): cycles of n/7, 2n/7, 4n/7",
            lambda lr, n: s.CosineDecayRestarts(lr, first_decay_steps=max(1.0, n / 7)),
        ),
        "exponential_decay": (
            "ExponentialDecay(lr, decay_steps=n, decay_rate=0.01): lr/100 at the end",
            lambda lr, n: s.ExponentialDecay(lr, decay_steps=n, decay_rate=0.01),
        ),
        "inverse_time_decay": (
            "InverseTimeDecay(lr, decay_steps=n, decay_rate=9): lr/10 at the end",
            lambda lr, n: s.InverseTimeDecay(lr, decay_steps=n, decay_rate=9.0),
        ),
        "polynomial_decay": (
            "PolynomialDecay(lr, decay_steps=n, end_learning_rate=lr/100): linear",
            lambda lr, n: s.PolynomialDecay(lr, decay_steps=n, end_learning_rate=lr / 100),
        ),
        "piecewise_constant_decay": (
            "PiecewiseConstantDecay([n/2, 3n/4], [lr, lr/10, lr/100])",
            lambda lr, n: s.PiecewiseConstantDecay([n // 2, (3 * n) // 4], [lr, lr / 10, lr / 100]),
        ),
    }


def _schedule_aliases() -> dict[str, str]:
    out = {}
    for name in _schedules():
        out[name.replace("_", "")] = name  # "CosineDecay".lower() == "cosinedecay"
    return out


def schedule_names() -> list[str]:
    return list(_schedules())


def resolve_schedule(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    table = _schedules()
    key = key if key in table else _schedule_aliases().get(key.replace("_", ""), key)
    if key not in table:
        raise TrainError(
            f"unknown schedule {name!r}; valid names: {', '.join(table)} "
            "(or their Keras class names, e.g. CosineDecay)"
        )
    return key


def build_schedule(name: str, learning_rate: float, total_steps: int) -> Any:
    """A float (constant) or a callable schedule(step) -> float."""
    return _schedules()[name][1](learning_rate, max(1, total_steps))


def describe_schedules() -> str:
    return "\n".join(f"  {name:<25} {desc}" for name, (desc, _) in _schedules().items())


def check_learning_rate(lr: float) -> float:
    if not (math.isfinite(lr) and lr > 0):
        raise TrainError(f"--learning-rate must be a positive number, got {lr}")
    return lr
