"""The Keras-convention optimizer base: clipping, learning rate, weight decay,
iterations and state; each optimizer fills in the hooks of `FusedStep`.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Union

import numpy as np

from .. import _core
from .._fused import FusedStep
from .._params import ParamGroups, check_number, plural, zeros_like_all
from .._state import HasState

LearningRate = Union[float, Callable[[int], float]]


def _norm_scale(norm: float, clip: float) -> float:
    """c / max(N, c), with a NaN norm propagating."""
    return clip / (norm if (norm > clip or norm != norm) else clip)


def _check_lr(name: str, lr: Any) -> LearningRate:
    return lr if callable(lr) else check_number(name, lr)


class Fixed:
    """A hyperparameter fixed at construction: readable, not assignable (the
    kernels' per-group constants are built from it once)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(f"{self.name} is fixed at construction; create a new optimizer "
                             f"(learning_rate may be reassigned)")


class Optimizer(FusedStep, HasState):
    """Base of the Keras-convention optimizers (``optkern.SGD``, ``optkern.Adam``, ...).

    Each ``step(grads)``, in this order (Keras 3):

    1. clip, at most one of: ``clipnorm`` per tensor ``g <- g*c/max(||g||, c)``;
       ``clipvalue`` ``g <- clip(g, -c, c)``; ``global_clipnorm``
       ``g <- g*c/max(N, c)`` with N the global L2 norm of all grads (a
       non-finite N makes the update NaN, as in Keras). Grads are never
       modified: the factor is applied inside the kernel.
    2. decoupled weight decay, if ``weight_decay`` is set: ``p <- p - p*(lr*wd)``.
    3. the optimizer's rule, in place; 4. ``iterations += 1``.

    ``learning_rate`` is a float or a callable ``schedule(step) -> float``
    called with the 0-based ``iterations`` before the step; it may be
    reassigned between steps. Other hyperparameters are fixed at construction.
    Hyperparameters are kept in double; per-element arithmetic runs in the
    parameters' dtype. Numbers must be real numbers (a string or a bool is a
    TypeError); flags must be bools. Groups (``[{"params": ..., "learning_rate":
    ..., "weight_decay": ...}]``) may override the learning rate and weight decay.

    The optimizer updates the arrays it was given, in place. No two may share
    memory (the same array twice, or overlapping views such as ``W`` and
    ``W[:5]``): that is refused at construction. When ``params`` is a dict (or
    a group's ``params`` is), each step first checks that every key is still
    bound to the array the optimizer updates: a key bound to another array
    (``params["W"] = new``), or a key added or removed, is a ValueError naming
    it, raised before anything is modified. Assign in place instead
    (``params["W"][...] = new``) or create a new optimizer.

    ``state_dict()`` holds ``iterations``, the state slots and, when it is a
    number, ``learning_rate``; see `state_dict`.
    """

    _group_keys = frozenset({"learning_rate", "weight_decay"})

    weight_decay = Fixed()
    clipnorm = Fixed()
    clipvalue = Fixed()
    global_clipnorm = Fixed()

    def __init__(self, params: Any, learning_rate: LearningRate, weight_decay: float | None,
                 clipnorm: float | None, clipvalue: float | None,
                 global_clipnorm: float | None):
        clips = [n for n, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                ("global_clipnorm", global_clipnorm)) if v is not None]
        if len(clips) > 1:
            raise ValueError(f"only one of clipnorm, clipvalue and global_clipnorm may be "
                             f"set, got {clips}")
        self._clipnorm, self._clipvalue, self._global_clipnorm = (
            None if v is None else check_number(n, v, low_open=True)
            for n, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                         ("global_clipnorm", global_clipnorm)))
        self.learning_rate = learning_rate
        self._weight_decay = None if weight_decay is None else check_number(
            "weight_decay", weight_decay)
        self._groups = ParamGroups(params, self._group_keys)
        self._group_lrs: list = []
        self._group_decays: list[float] = []
        for i, group in enumerate(self._groups.groups):
            lr = group.get("learning_rate")
            self._group_lrs.append(None if lr is None else _check_lr(
                f"param group {i} learning_rate", lr))
            wd = group.get("weight_decay", self._weight_decay)
            self._group_decays.append(0.0 if wd is None else check_number(
                f"param group {i} weight_decay", wd))
        self._group_counts = [len(g["params"]) for g in self._groups.groups]
        self._refresh_lrs()
        self.iterations = 0
        # Keras's flags are the optimizer's, not a group's: a slot is kept for
        # every tensor or for none.
        self._state = {slot: zeros_like_all(self._groups.params) for slot in self._slots
                       if self._slot_needed(slot, None)}
        clip = 0.0 if self._clipvalue is None else self._clipvalue
        self._records = [
            self._record(dict(convention=_core.Convention.keras, weight_decay=wd, clip=clip,
                              weight_decay_mode=_core.WeightDecay.decoupled_keras), group)
            for group, wd in zip(self._groups.groups, self._group_decays)]

    # -- public API ----------------------------------------------------------------
    @property
    def learning_rate(self) -> LearningRate:
        """A float, or a callable ``schedule(step) -> float`` (0-based step)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        self._learning_rate = _check_lr("learning_rate", value)
        if hasattr(self, "_group_lrs"):
            self._refresh_lrs()

    @property
    def params(self) -> list[np.ndarray]:
        """The parameter arrays, flattened in group order (updated in place)."""
        return self._groups.params

    def step(self, grads: Any) -> None:
        """Apply one update in place; ``grads`` mirrors the params' structure.

        Raises ValueError if a params dict no longer binds its keys to the
        arrays given at construction (see the class docstring).
        """
        flat = self._groups.flatten(grads)
        lrs = self._fixed_lrs
        if lrs is None:  # a schedule: evaluate it for this step
            lrs = [self._lr_now(self._learning_rate if lr is None else lr)
                   for lr in self._group_lrs]
        scales = None
        if self._clipnorm is not None or self._global_clipnorm is not None:
            scales = self._grad_scales(flat)
        self._run_kernel(self._records, lrs, flat, scales)
        self.iterations += 1

    # -- helpers -------------------------------------------------------------------
    def _refresh_lrs(self) -> None:
        """Cache the per-group learning rates when none is a schedule."""
        lrs = [self._learning_rate if lr is None else lr for lr in self._group_lrs]
        self._fixed_lrs = None if any(callable(lr) for lr in lrs) else lrs

    def _lr_now(self, lr: LearningRate) -> float:
        if callable(lr):
            return check_number(f"learning_rate({self.iterations})", lr(self.iterations))
        return lr

    def _grad_scales(self, grads: list) -> Any:
        sums = _core.sum_squares(grads, self._groups.labels)
        if self._clipnorm is not None:
            return [_norm_scale(math.sqrt(s), self._clipnorm) for s in sums]
        norm = math.sqrt(math.fsum(sums))
        if not math.isfinite(norm):
            return math.nan
        return _norm_scale(norm, self._global_clipnorm)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({plural(len(self._groups.params), 'tensor')}, "
                f"iterations={self.iterations})")
