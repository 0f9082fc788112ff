"""The native step both front-ends share, and the hooks an optimizer fills in.

An optimizer is a native kernel family (``_core.<kernel>_step`` with its group
record ``_core.<Kernel>Group``, see the C++ descriptor of the same name) plus,
per front-end, one small class over `FusedStep` that sets:

``_kernel``
    the family's name, e.g. ``"adam"``;
``_slots``
    the state slots in the kernel's order, under the front-end's names
    (Keras ``momentum``, torch ``exp_avg``);
``_slot_needed(slot, group)``  (``group``: the torch param group dict; None in Keras)
    whether a group needs a slot (say, ``amsgrad`` for the third);
``_kernel_fields(group)``
    the optimizer's own hyperparameters for the record, by field name;
``_step_records(records, t)``
    the records of step t (1-based; with ``gradient_accumulation_steps`` t
    counts updates, not calls), for optimizers with per-step coefficients;
    called only on calls that update (not on the accumulating calls), and
    only where a class overrides it (by default the records are used as
    they are).

The front-end bases add the fields every optimizer has (convention, weight
decay and its mode, clipvalue, maximize) and keep one record per group.
"""

from __future__ import annotations

from typing import Any

from . import _core


class FusedStep:
    """Mixin: one native call updates every tensor of every group."""

    _kernel: str = ""
    _slots: tuple[str, ...] = ()
    # Set by the front-end class that mixes this in.
    _init_args: tuple[tuple, dict]
    _state: dict[str, Any]
    _groups: Any  # ParamGroups
    _group_counts: list[int]
    iterations: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # The constructor's arguments, so that optkern.distributed can build the
        # same optimizer over other arrays (its ZeRO-1 shards).
        self = super().__new__(cls)
        self._init_args = (args, kwargs)
        return self

    def _slot_needed(self, slot: str, group: Any) -> bool:
        return True

    def _kernel_fields(self, group: Any) -> dict:
        return {}

    def _step_records(self, records: list, t: int) -> list:
        return records

    # -- used by the front-end bases ---------------------------------------------
    def _record(self, common: dict, group: dict | None) -> Any:
        """The native group record: common fields plus the optimizer's own."""
        cls = getattr(_core, self._kernel.capitalize() + "Group")
        return cls(**{**common, **self._kernel_fields(group)})

    def _run_kernel(
        self,
        records: list,
        lrs: list,
        grads: list,
        grad_scales: Any,
        controls: Any = None,
        step: int | None = None,
    ) -> None:
        """One native call: step ``step`` (default ``iterations + 1``) over all
        tensors, in place. ``controls`` is None (a plain step) or the native
        tuple ``(update, accum_steps, ema_momentum, ema_overwrite, averages,
        accumulators, no_decay)``; a call with ``update`` False only
        accumulates and averages, and does not call ``_step_records``."""
        if step is None:
            step = self.iterations + 1
        bound = self._bound_arguments
        if bound is None:
            bound = self._bound_arguments = self._bind_arguments()
        kernel, counts, params, slots, labels, per_step = bound
        if per_step and (controls is None or controls[0]):
            records = self._step_records(records, step)
        kernel(records, counts, step, lrs, params, grads, slots, grad_scales, labels, controls)

    # The native call's arguments that stay the same from step to step, gathered
    # on the first step: a small step is a microsecond or two, and rebuilding
    # these each time cost a sizeable part of it. Valid because none of these
    # lists is rebound once an optimizer is built: loading a state, starting a
    # slot late or releasing state (ZeRO-1) writes into them.
    _bound_arguments: tuple | None = None

    def _bind_arguments(self) -> tuple:
        state = self._state
        return (
            getattr(_core, self._kernel + "_step"),
            self._group_counts,
            self._groups.params,
            [state.get(s) for s in self._slots],
            self._groups.labels,
            type(self)._step_records is not FusedStep._step_records,
        )
