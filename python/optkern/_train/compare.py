"""Time the same training steps with optkern and with optkern.reference.

Both start from copies of the same parameters and run the same batches (the
first ``steps`` batches of epoch 1's order) at the constant initial learning
rate; only the loss (value and gradient) and the optimizer update differ. The
model's forward and backward passes are the same NumPy code on both sides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .loop import Trainer, epoch_order


@dataclass
class Timing:
    steps: int
    step_ms: float  # whole step: forward, loss, backward, update
    loss_update_ms: float  # loss value and gradient + optimizer update


@dataclass
class Comparison:
    optkern: Timing
    reference: Timing | None
    reference_name: str
    max_weight_difference: float | None


def _run(
    trainer: Trainer, params0: dict, batches: list, make_loss, make_update
) -> tuple[Timing, dict]:
    params = {k: v.copy() for k, v in params0.items()}
    saved = trainer.params
    trainer.params = params
    loss_fn, update = make_loss(), make_update(params)
    inner = [0.0]

    def timed_loss(y, out):
        t0 = time.perf_counter()
        r = loss_fn(y, out)
        inner[0] += time.perf_counter() - t0
        return r

    def timed_update(grads):
        t0 = time.perf_counter()
        update(grads)
        inner[0] += time.perf_counter() - t0

    try:
        t0 = time.perf_counter()
        for xb, yb in batches:
            trainer.step(xb, yb, loss_fn=timed_loss, update=timed_update)
        total = time.perf_counter() - t0
    finally:
        trainer.params = saved
    n = max(len(batches), 1)
    return Timing(len(batches), 1e3 * total / n, 1e3 * inner[0] / n), params


def compare(trainer: Trainer, params0: dict, steps: int) -> Comparison:
    """Time ``steps`` steps of each, starting from ``params0``."""
    cfg, data = trainer.config, trainer.data
    order = epoch_order(cfg.seed, 0, len(data.x_train))
    bs = cfg.batch_size
    batches = []
    for b in range(steps):
        start = (b * bs) % max(len(order), 1)
        idx = order[start : start + bs]
        batches.append((data.x_train[idx], data.y_train[idx]))
    spec = trainer.opt_spec
    lr = cfg.learning_rate

    def ok_loss():
        loss = trainer.loss_spec.build()
        return lambda y, out: loss.value_and_grad(y, out, grad_out=out)

    def ok_update(params):
        opt = spec.cls(params, **{spec.lr_arg: lr})
        return opt.step

    mine, mine_params = _run(trainer, params0, batches, ok_loss, ok_update)
    ref_cls = spec.reference()
    name = f"optkern.reference.{spec.front_end}.{spec.cls.__name__}" if ref_cls else "none"
    if ref_cls is None:
        return Comparison(mine, None, name, None)

    def ref_loss():
        return trainer.loss_spec.build_reference().value_and_grad

    def ref_update(params):
        opt = ref_cls(list(params.values()), **{spec.lr_arg: lr})
        return lambda grads: opt.step(list(grads.values()))

    ref, ref_params = _run(trainer, params0, batches, ref_loss, ref_update)
    diff = max(
        (
            float(np.max(np.abs(mine_params[k].astype(np.float64) - ref_params[k])))
            for k in mine_params
            if mine_params[k].size
        ),
        default=0.0,
    )
    return Comparison(mine, ref, name, diff)
