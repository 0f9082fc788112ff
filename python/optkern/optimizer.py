"""The Keras-convention optimizer base: clipping, learning rate, weight decay,
iterations and state; subclasses supply the fused native update.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Union

import numpy as np

from . import _core
from ._params import ParamGroups, check_number, zeros_like_all
from ._state import export_state, import_state

LearningRate = Union[float, Callable[[int], float]]

KERAS = 0  # Convention::keras
DECOUPLED_KERAS = 2  # WeightDecay::decoupled_keras


def _norm_scale(norm: float, clip: float) -> float:
    """c / max(N, c), with a NaN norm propagating."""
    return clip / (norm if (norm > clip or norm != norm) else clip)


class Optimizer:
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
    called with the 0-based ``iterations`` before the step. Hyperparameters
    are kept in double; per-element arithmetic runs in the parameters' dtype.
    """

    _slots: tuple[str, ...] = ()
    _group_keys = frozenset({"learning_rate", "weight_decay"})

    def __init__(self, params: Any, learning_rate: LearningRate, weight_decay: float | None,
                 clipnorm: float | None, clipvalue: float | None,
                 global_clipnorm: float | None):
        clips = [n for n, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                ("global_clipnorm", global_clipnorm)) if v is not None]
        if len(clips) > 1:
            raise ValueError(f"only one of clipnorm, clipvalue and global_clipnorm may be "
                             f"set, got {clips}")
        self.clipnorm = None if clipnorm is None else check_number(
            "clipnorm", clipnorm, low_open=True)
        self.clipvalue = None if clipvalue is None else check_number(
            "clipvalue", clipvalue, low_open=True)
        self.global_clipnorm = None if global_clipnorm is None else check_number(
            "global_clipnorm", global_clipnorm, low_open=True)
        self.learning_rate = self._check_lr(learning_rate)
        self.weight_decay = 0.0 if weight_decay is None else check_number(
            "weight_decay", weight_decay)
        self._groups = ParamGroups(params, self._group_keys)
        for group in self._groups.groups:
            if "learning_rate" in group:
                self._check_lr(group["learning_rate"])
            if "weight_decay" in group and group["weight_decay"] is not None:
                check_number("weight_decay", group["weight_decay"])
        self.iterations = 0
        self._state = {slot: self._make_slot(slot) for slot in self._slots}

    # -- subclass hooks --------------------------------------------------------
    def _make_slot(self, slot: str) -> list:
        return zeros_like_all(self._groups.params)

    def _apply(self, grads: list, lrs: list[float], grad_scales: Any) -> None:
        raise NotImplementedError

    # -- public API --------------------------------------------------------------
    @property
    def params(self) -> list[np.ndarray]:
        """The parameter arrays, flattened in group order (updated in place)."""
        return self._groups.params

    def step(self, grads: Any) -> None:
        """Apply one update in place; ``grads`` mirrors the params' structure."""
        flat = self._groups.flatten(grads)
        lrs = [self._current_lr(g.get("learning_rate", self.learning_rate))
               for g in self._groups.groups]
        self._apply(flat, lrs, self._grad_scales(flat))
        self.iterations += 1

    def state_dict(self) -> dict:
        """``{"iterations": int, "<slot>/<key>": ndarray}`` (copies), NumPy only."""
        return export_state("iterations", self.iterations, self._state, self._groups.keys)

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> None:
        """Validate every entry, then copy into the existing state in place.

        ``strict`` refuses missing and unexpected entries; otherwise they are
        skipped. Raises ValueError/TypeError, modifying nothing, on a mismatch.
        """
        counter = import_state(state_dict, "iterations", self._state, self._groups.keys, strict)
        if counter is not None:
            self.iterations = counter

    # -- helpers -----------------------------------------------------------------
    @staticmethod
    def _check_lr(lr: Any) -> LearningRate:
        if callable(lr):
            return lr
        return check_number("learning_rate", lr)

    def _current_lr(self, lr: LearningRate) -> float:
        if callable(lr):
            value = lr(self.iterations)
            return check_number(f"learning_rate({self.iterations})", value)
        return lr

    def _group_weight_decay(self, group: dict) -> float:
        wd = group.get("weight_decay", self.weight_decay)
        return 0.0 if wd is None else wd

    def _grad_scales(self, grads: list) -> Any:
        if self.clipnorm is not None:
            sums = _core.sum_squares(grads, self._groups.labels)
            return [_norm_scale(math.sqrt(s), self.clipnorm) for s in sums]
        if self.global_clipnorm is not None:
            norm = math.sqrt(math.fsum(_core.sum_squares(grads, self._groups.labels)))
            if not math.isfinite(norm):
                return math.nan
            return _norm_scale(norm, self.global_clipnorm)
        return None

    @property
    def _clip(self) -> float:
        return self.clipvalue if self.clipvalue is not None else 0.0

    def _counts(self) -> list[int]:
        return [len(g["params"]) for g in self._groups.groups]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self._groups.params)} tensors, "
                f"iterations={self.iterations})")
