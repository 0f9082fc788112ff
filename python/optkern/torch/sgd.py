"""PyTorch-convention SGD (``torch.optim.SGD`` maths)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._params import check_flag, check_number
from .optimizer import Optimizer, check_common


class SGD(Optimizer):
    r"""SGD with momentum, dampening and Nesterov, ``torch.optim.SGD`` maths.

    Per element, with η = lr, μ = momentum, τ = dampening, λ = weight_decay:

    .. code-block:: text

        g <- -g                              if maximize
        g <- g + λ*p                         if λ != 0   (L2, coupled)
        μ > 0:  b <- g                       on the first step
                b <- μ*b + (1 - τ)*g         afterwards
                d = g + μ*b  (nesterov)  or  d = b
        μ = 0:  d = g
        p <- p - η*d

    Parameters
    ----------
    params : list or dict of ndarray, or list of group dicts
    lr : float, default 1e-3
    momentum : float >= 0, default 0
    dampening : float, default 0
    weight_decay : float >= 0, default 0
    nesterov : bool, default False (needs momentum > 0 and dampening = 0)
    maximize : bool, default False

    State slot: ``momentum_buffer`` (groups with momentum > 0).
    ``state_dict()`` also holds ``step`` and every group option as
    ``"param_groups/<i>/<option>"``. The arrays are held as `optkern.torch.Optimizer` says.
    """

    _kernel = "sgd"
    _slots = ("momentum_buffer",)
    _lazy_slots = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )
        # Groups whose next step starts their momentum buffers with b <- g
        # (torch: a missing momentum_buffer): momentum > 0 and no step yet.
        self._first_pending = [g["momentum"] != 0 for g in self.param_groups]

    def _check_group(self, group: dict) -> None:
        check_common(group)
        check_number("momentum", group["momentum"])
        check_number("dampening", group["dampening"], float("-inf"))
        check_flag("nesterov", group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")

    def _slot_needed(self, slot: str, group: dict) -> bool:
        return group["momentum"] > 0

    def _kernel_fields(self, g: dict) -> dict:
        return dict(
            momentum=float(g["momentum"]),
            dampening=float(g["dampening"]),
            nesterov=bool(g["nesterov"]),
        )

    def _step_records(self, records: list, t: int) -> list:
        if not any(self._first_pending):
            return records
        out = []
        for record, group, first in zip(records, self.param_groups, self._first_pending):
            if first:
                record = self._make_record(group)
                record.first_step = True
            out.append(record)
        return out

    def _on_group_change(self, index: int, group: dict) -> None:
        buffers = self._state.get("momentum_buffer")
        if buffers is None:  # construction: the buffers are made next
            return
        start = sum(self._group_counts[:index])
        if group["momentum"] != 0 and group["params"] and buffers[start] is None:
            self._first_pending[index] = True  # momentum switched on after construction

    def _apply(self, grads: list) -> None:
        # A group starting its momentum gets its buffers now (torch makes them
        # on the first step), and loses them again if the step is refused.
        buffers, created, start = self._state["momentum_buffer"], [], 0
        for first, count in zip(self._first_pending, self._group_counts):
            if first:
                for i in range(start, start + count):
                    if buffers[i] is None:
                        buffers[i] = np.zeros_like(self.params[i])
                        created.append(i)
            start += count
        try:
            super()._apply(grads)
        except BaseException:
            for i in created:
                buffers[i] = None
            raise
        self._first_pending = [False] * len(self._first_pending)

    def _after_load(self) -> None:
        # The next step starts a group's buffers with b <- g when the state dict
        # had none for it, or was taken before the first step (its buffers are
        # the zeros made at construction, not yet started).
        buffers, start = self._state["momentum_buffer"], 0
        for gi, g in enumerate(self.param_groups):
            count = len(g["params"])
            self._first_pending[gi] = g["momentum"] != 0 and (
                self.iterations == 0 or any(b is None for b in buffers[start : start + count])
            )
            start += count
