"""The optimizer suite's training-controls rows: what ``use_ema`` and
``skip_nonfinite`` cost on top of a plain step.

Four configurations of ``ok.Adam`` (Keras maths, float32, one tensor of 2^22
elements; 2^18 with --quick), each in its own block, in turn for every round:

* ``adam``: the plain step (28 bytes per element: read p, g, m, v; write p, m, v);
* ``adam use_ema``: ``use_ema=True``, the moving average updated in the same
  pass (36 bytes: the average read and written);
* ``adam global_clipnorm``: ``global_clipnorm=1.0`` (a norm pass over g first);
* ``adam global_clipnorm skip_nonfinite``: the same, ``step(g, skip_nonfinite=True)``,
  whose finite check is fused into the norm pass.

Goals: ``use_ema`` costs at most 1.3x the plain step, and ``skip_nonfinite`` at most
1.1x the step with ``global_clipnorm``.

Back-to-back steps keep part of a 2^22 step's arrays in the last-level cache from
one step to the next, less of the larger working set of ``use_ema``. So the plain step
and ``use_ema`` are timed once more with the caches swept before every step (as a
training loop's forward and backward passes leave them): ``adam, swept`` and
``adam use_ema, swept``, whose ratio is shown beside the goal as what the moving
average costs in training.
"""

from __future__ import annotations

import numpy as np

import optkern as ok

from .report import fmt
from .timing import cache_sweeper

LR = 1e-3
SEED = 20240611
CONFIGS = {  # name -> (constructor kwargs, step kwargs)
    "adam": ({}, {}),
    "adam use_ema": ({"use_ema": True}, {}),
    "adam global_clipnorm": ({"global_clipnorm": 1.0}, {}),
    "adam global_clipnorm skip_nonfinite": ({"global_clipnorm": 1.0}, {"skip_nonfinite": True}),
}
GOALS = [  # (configuration, the one it is compared with, the most it may cost)
    ("adam use_ema", "adam", 1.3),
    ("adam global_clipnorm skip_nonfinite", "adam global_clipnorm", 1.1),
]
SWEPT = ("adam", "adam use_ema")  # also timed with the caches swept before each step


def time_controls(
    timer, run_rounds, budget_s: float, rounds: int, quick: bool, pause_s: float
) -> dict:
    """Every configuration's blocks in rounds; returns the figures and the goals."""
    k = 18 if quick else 22
    rng = np.random.default_rng(SEED)
    p0 = rng.standard_normal(1 << k, dtype=np.float32)
    g = [rng.standard_normal(1 << k, dtype=np.float32) * np.float32(1e-2)]

    sweep = cache_sweeper()

    def block(kwargs, step_kwargs, setup=None):
        def run():
            params = [p0.copy()]
            opt = ok.Adam(params, learning_rate=LR, **kwargs)
            return timer.quiet_block(lambda: opt.step(g, **step_kwargs), budget_s, setup=setup)

        return run

    blocks = {name: block(*cfg) for name, cfg in CONFIGS.items()}
    blocks.update({f"{name}, swept": block(*CONFIGS[name], setup=sweep) for name in SWEPT})
    pooled = run_rounds(blocks, rounds, pause_s=pause_s)
    times = {name: r["median"] for name, r in pooled.items()}
    goals = []
    for name, base, limit in GOALS:
        ratio = times[name] / times[base]
        goals.append(
            dict(what=f"{name} vs {base} at 2^{k}", value=ratio, goal=limit, met=ratio <= limit)
        )
    swept = times["adam use_ema, swept"] / times["adam, swept"]
    return dict(k=k, times=times, goals=goals, ema_swept_ratio=swept, pooled=pooled)


def print_controls(res: dict) -> None:
    k = res["k"]
    print(f"\nTraining controls: ok.Adam, one float32 tensor of 2^{k} elements")
    print("| configuration | µs per step | vs plain adam |")
    print("|---|---:|---:|")
    times = res["times"]
    for name, t in times.items():
        base = times["adam, swept" if name.endswith(", swept") else "adam"]
        print(f"| {name} | {fmt(t * 1e6, '.1f')} | {t / base:.2f}x |")
    for goal in res["goals"]:
        state = "met" if goal["met"] else "NOT MET"
        print(f"  {goal['what']}: {goal['value']:.2f}x (goal <= {goal['goal']}x) {state}")
    print(
        f"  with the caches swept before each step (as in training): use_ema costs "
        f"{res['ema_swept_ratio']:.2f}x the plain step (its bytes: 36/28 = 1.29x)"
    )
