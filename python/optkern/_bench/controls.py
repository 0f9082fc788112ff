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
"""

from __future__ import annotations

import numpy as np

import optkern as ok

from .report import fmt

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


def time_controls(
    timer, run_rounds, budget_s: float, rounds: int, quick: bool, pause_s: float
) -> dict:
    """Every configuration's blocks in rounds; returns the figures and the goals."""
    k = 18 if quick else 22
    rng = np.random.default_rng(SEED)
    p0 = rng.standard_normal(1 << k, dtype=np.float32)
    g = [rng.standard_normal(1 << k, dtype=np.float32) * np.float32(1e-2)]

    def block(kwargs, step_kwargs):
        def run():
            params = [p0.copy()]
            opt = ok.Adam(params, learning_rate=LR, **kwargs)
            return timer.quiet_block(lambda: opt.step(g, **step_kwargs), budget_s)

        return run

    pooled = run_rounds(
        {name: block(*cfg) for name, cfg in CONFIGS.items()}, rounds, pause_s=pause_s
    )
    times = {name: r["median"] for name, r in pooled.items()}
    goals = []
    for name, base, limit in GOALS:
        ratio = times[name] / times[base]
        goals.append(
            dict(what=f"{name} vs {base} at 2^{k}", value=ratio, goal=limit, met=ratio <= limit)
        )
    return dict(k=k, times=times, goals=goals, pooled=pooled)


def print_controls(res: dict) -> None:
    k = res["k"]
    print(f"\nTraining controls: ok.Adam, one float32 tensor of 2^{k} elements")
    print("| configuration | µs per step | vs plain adam |")
    print("|---|---:|---:|")
    base = res["times"]["adam"]
    for name, t in res["times"].items():
        print(f"| {name} | {fmt(t * 1e6, '.1f')} | {t / base:.2f}x |")
    for goal in res["goals"]:
        state = "met" if goal["met"] else "NOT MET"
        print(f"  {goal['what']}: {goal['value']:.2f}x (goal <= {goal['goal']}x) {state}")
