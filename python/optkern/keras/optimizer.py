"""The Keras-convention optimizer base: clipping, learning rate, weight decay,
iterations and state; each optimizer fills in the hooks of `FusedStep`.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Union

import numpy as np

from .. import _controls, _core
from .._fused import FusedStep
from .._params import ParamGroups, check_flag, check_number, plural, zeros_like_all
from .._state import HasState

LearningRate = Union[float, Callable[[int], float]]


def _norm_scale(norm: float, clip: float) -> float:
    """c / max(N, c), with a NaN norm propagating."""
    return clip / (norm if (norm > clip or math.isnan(norm)) else clip)


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
        raise AttributeError(
            f"{self.name} is fixed at construction; create a new optimizer "
            f"(learning_rate may be reassigned)"
        )


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

    Training controls (keyword-only, on every Keras-convention optimizer, Keras
    3 semantics; docs/optimizers.md, "Training controls"):

    use_ema : bool, default False
        Keep ``average`` ``s <- μ*s + (1 - μ)*p`` after every call (μ = 0
        while the update count is 0); `finalize_variable_values` copies it
        into the params.
    ema_momentum : float in [0, 1], default 0.99
    ema_overwrite_frequency : int >= 1 or None
        With ``use_ema``, ``p <- s`` on calls where ``(u + 1) % freq == 0``,
        u the update count before the call.
    gradient_accumulation_steps : int >= 2 or None
        k: calls accumulate ``a <- a + g``; every k-th call updates with
        ``(g + a)/k`` (then clipping, weight decay, the rule) and resets ``a``.
        ``iterations`` counts calls; the update count is ``iterations // k``.

    ``step(grads, skip_nonfinite=True)`` leaves everything untouched and
    returns False when a grad holds a NaN or an infinity.

    ``state_dict()`` holds ``iterations``, ``skipped_steps``, the state slots
    and, when it is a number, ``learning_rate`` (a schedule with a config:
    its class name and config); see `state_dict`.
    """

    _group_keys = frozenset({"learning_rate", "weight_decay"})

    weight_decay = Fixed()
    clipnorm = Fixed()
    clipvalue = Fixed()
    global_clipnorm = Fixed()
    use_ema = Fixed()
    ema_momentum = Fixed()
    ema_overwrite_frequency = Fixed()
    gradient_accumulation_steps = Fixed()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every subclass's ``__init__`` takes the training controls by keyword."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_takes_controls", False):
            cls.__init__ = _controls.with_controls(init)  # type: ignore[method-assign]

    def __init__(
        self,
        params: Any,
        learning_rate: LearningRate,
        weight_decay: float | None,
        clipnorm: float | None,
        clipvalue: float | None,
        global_clipnorm: float | None,
    ):
        controls = self.__dict__.pop("_controls", None) or _controls.check_controls(
            **_controls.CONTROL_DEFAULTS
        )
        self._use_ema = controls["use_ema"]
        self._ema_momentum = controls["ema_momentum"]
        self._ema_overwrite_frequency = controls["ema_overwrite_frequency"]
        self._gradient_accumulation_steps = controls["gradient_accumulation_steps"]
        clips = [
            n
            for n, v in (
                ("clipnorm", clipnorm),
                ("clipvalue", clipvalue),
                ("global_clipnorm", global_clipnorm),
            )
            if v is not None
        ]
        if len(clips) > 1:
            raise ValueError(
                f"only one of clipnorm, clipvalue and global_clipnorm may be set, got {clips}"
            )
        self._clipnorm, self._clipvalue, self._global_clipnorm = (
            None if v is None else check_number(n, v, low_open=True)
            for n, v in (
                ("clipnorm", clipnorm),
                ("clipvalue", clipvalue),
                ("global_clipnorm", global_clipnorm),
            )
        )
        self.learning_rate = learning_rate
        self._weight_decay = (
            None if weight_decay is None else check_number("weight_decay", weight_decay)
        )
        self._groups = ParamGroups(params, self._group_keys)
        self._group_lrs: list = []
        self._group_decays: list[float] = []
        for i, group in enumerate(self._groups.groups):
            lr = group.get("learning_rate")
            self._group_lrs.append(
                None if lr is None else _check_lr(f"param group {i} learning_rate", lr)
            )
            wd = group.get("weight_decay", self._weight_decay)
            self._group_decays.append(
                0.0 if wd is None else check_number(f"param group {i} weight_decay", wd)
            )
        self._group_counts = [len(g["params"]) for g in self._groups.groups]
        self._refresh_lrs()
        self.iterations = 0
        self.skipped_steps = 0
        self._built = False
        self._no_decay: list | None = None
        self._plain = not (self._gradient_accumulation_steps or self._use_ema)
        # Keras's flags are the optimizer's, not a group's: a slot is kept for
        # every tensor or for none.
        self._state = {
            slot: zeros_like_all(self._groups.params)
            for slot in self._slots
            if self._slot_needed(slot, None)
        }
        if self._use_ema:
            self._state["average"] = zeros_like_all(self._groups.params)
        if self._gradient_accumulation_steps:
            self._state["gradient_accumulator"] = zeros_like_all(self._groups.params)
        clip = 0.0 if self._clipvalue is None else self._clipvalue
        self._records = [
            self._record(
                dict(
                    convention=_core.Convention.keras,
                    weight_decay=wd,
                    clip=clip,
                    weight_decay_mode=_core.WeightDecay.decoupled_keras,
                ),
                group,
            )
            for group, wd in zip(self._groups.groups, self._group_decays)
        ]

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

    @property
    def update_iterations(self) -> int:
        """The updates applied so far: ``iterations // gradient_accumulation_steps``
        with accumulation (what Keras's ``optimizer.iterations`` reports), else
        ``iterations``."""
        k = self._gradient_accumulation_steps
        return self.iterations // k if k else self.iterations

    def step(self, grads: Any, skip_nonfinite: bool = False) -> bool | None:
        """Apply one call in place; ``grads`` mirrors the params' structure.

        With ``skip_nonfinite=True``, a call whose grads hold a NaN or an
        infinity changes nothing (params, slots, accumulators, averages,
        ``iterations``), adds 1 to ``skipped_steps`` and returns False, and a
        call that ran returns True. The check is native: fused into the norm
        pass under ``clipnorm`` / ``global_clipnorm``, else one read of the
        grads. Without ``skip_nonfinite`` the step returns None, as before
        (NaN and inf follow the formulas).

        Raises ValueError if a params dict no longer binds its keys to the
        arrays given at construction (see the class docstring).
        """
        flat = self._groups.flatten(grads)
        if skip_nonfinite is not False:
            skip_nonfinite = check_flag("skip_nonfinite", skip_nonfinite)
        elif self._plain:  # no controls: the step as it always was
            lrs = self._fixed_lrs
            if lrs is None:  # a schedule: evaluate it for this step
                lrs = [
                    self._lr_now(self._learning_rate if lr is None else lr, self.iterations)
                    for lr in self._group_lrs
                ]
            scales = None
            if self._clipnorm is not None or self._global_clipnorm is not None:
                scales = self._grad_scales(flat)
            self._run_kernel(self._records, lrs, flat, scales)
            self._built = True
            self.iterations += 1
            return None
        k = self._gradient_accumulation_steps
        u = self.iterations // k if k else self.iterations  # updates so far
        update = not k or (self.iterations + 1) % k == 0
        accs = self._state.get("gradient_accumulator")
        scales = None
        if update and (self._clipnorm is not None or self._global_clipnorm is not None):
            sums, finite = _core.grad_stats(
                flat, self._groups.labels, accs if k else None, float(k or 1), True, skip_nonfinite
            )
            if not finite:
                self.skipped_steps += 1
                return False
            assert sums is not None  # asked for with squares=True
            scales = self._scales_from(sums)
        elif skip_nonfinite and not _controls.all_finite(flat, self._groups.labels):
            self.skipped_steps += 1
            return False
        lrs = self._fixed_lrs
        if lrs is None:  # a schedule: evaluate it for this update
            lrs = (
                [
                    self._lr_now(self._learning_rate if lr is None else lr, u)
                    for lr in self._group_lrs
                ]
                if update
                else [0.0] * len(self._group_lrs)
            )
        controls = None
        if k or self._use_ema or self._no_decay is not None:
            freq = self._ema_overwrite_frequency
            controls = (
                update,
                float(k or 1),
                self._ema_momentum if u != 0 else 0.0,
                bool(self._use_ema and freq and (u + 1) % freq == 0),
                self._state.get("average"),
                accs,
                self._no_decay,
            )
        self._run_kernel(self._records, lrs, flat, scales, controls, u + 1)
        self._built = True
        self.iterations += 1
        return True if skip_nonfinite else None

    def exclude_from_weight_decay(self, var_list: Any = None, var_names: Any = None) -> None:
        """Turn weight decay off for some params (Keras semantics).

        A param is excluded when it is in ``var_list`` (the arrays themselves,
        by identity) or when ``re.search("|".join(set(var_names)), key)``
        matches its key: the dict key for a params dict, the position
        (``"0"``, ``"1"``, ...) for a list, ``"<group>/<key>"`` in groups (the
        state-dict keys). Each call replaces the previous exclusion. Must be
        called before the first step (else ValueError, as Keras refuses it
        once the optimizer is built).
        """
        if self._built or self.iterations != 0:
            raise ValueError(
                "exclude_from_weight_decay() can only be configured before the first step"
            )
        self._no_decay = _controls.exclusion_flags(
            self._groups.keys, self._groups.params, var_list, var_names
        )
        self._plain = not (
            self._gradient_accumulation_steps or self._use_ema or self._no_decay is not None
        )

    def finalize_variable_values(self) -> None:
        """With ``use_ema``, copy the averages into the params (in place), as
        Keras does at the end of ``fit``; otherwise nothing."""
        if self._use_ema:
            for p, s in zip(self._groups.params, self._state["average"]):
                np.copyto(p, s)

    # -- helpers -------------------------------------------------------------------
    def _refresh_lrs(self) -> None:
        """Cache the per-group learning rates when none is a schedule."""
        lrs = [self._learning_rate if lr is None else lr for lr in self._group_lrs]
        self._fixed_lrs = None if any(callable(lr) for lr in lrs) else lrs

    def _lr_now(self, lr: LearningRate, step: int) -> float:
        if callable(lr):
            return check_number(f"learning_rate({step})", lr(step))
        return lr

    def _grad_scales(self, grads: list) -> Any:
        """The clip factors of ``grads`` (a hook: ZeRO-1 hands in global ones)."""
        return self._scales_from(_core.sum_squares(grads, self._groups.labels))

    def _scales_from(self, sums: list) -> Any:
        if self._clipnorm is not None:
            return [_norm_scale(math.sqrt(s), self._clipnorm) for s in sums]
        norm = math.sqrt(math.fsum(sums))
        if not math.isfinite(norm):
            return math.nan
        assert self._global_clipnorm is not None  # one of the two clips is set
        return _norm_scale(norm, self._global_clipnorm)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({plural(len(self._groups.params), 'tensor')}, "
            f"iterations={self.iterations})"
        )


class MomentsOptimizer(Optimizer):
    """Base of the optimizers with Adam's two moments (Adam, Adamax, Nadam): β1 and
    β2 in [0, 1) and ε >= 0, checked and fixed at construction."""

    beta_1 = Fixed()
    beta_2 = Fixed()
    epsilon = Fixed()

    def _set_moments(self, beta_1: float, beta_2: float, epsilon: float) -> None:
        self._beta_1 = check_number("beta_1", beta_1, 0.0, 1.0, high_open=True)
        self._beta_2 = check_number("beta_2", beta_2, 0.0, 1.0, high_open=True)
        self._epsilon = check_number("epsilon", epsilon)
