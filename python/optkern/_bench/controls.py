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
1.1x the step with ``global_clipnorm``. They are judged on *pairs*: a single step of
the configuration and one of the configuration it is compared with, taken in turn
(each goes first in every other pair), each after a sweep of the caches as a training
loop's forward and backward passes leave them; the ratio is the median of the pairs'
ratios. Back-to-back steps in blocks would let the plain step reuse part of its
64 MB from a 32 MB last-level cache between steps, which no training loop does, and
the blocks of two configurations see the shared machine's memory speed at different
moments; the blocks' ratio is printed beside the goal all the same.
"""

from __future__ import annotations

import numpy as np

import optkern as ok

from .report import fmt
from .timing import cache_sweeper, gc_paused, now

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
PAIRS_PER_ROUND = 60  # paired steps per goal and round (after WARMUP_PAIRS untimed)
WARMUP_PAIRS = 2


def paired_ratios(step, base_step, sweep, pairs: int) -> list[float]:
    """Seconds of ``step()`` over seconds of ``base_step()`` for ``pairs`` pairs of
    single calls, each after an untimed ``sweep()``; the pairs take turns at going
    first, so that a drift of the machine's speed within a pair cancels out."""
    calls = {"step": step, "base": base_step}
    ratios = []
    with gc_paused():
        for i in range(WARMUP_PAIRS + pairs):
            took = {}
            for which in ("step", "base") if i % 2 else ("base", "step"):
                sweep()
                t0 = now()
                calls[which]()
                took[which] = now() - t0
            if i >= WARMUP_PAIRS:
                ratios.append(took["step"] / took["base"])
    return ratios


def time_controls(
    timer, run_rounds, budget_s: float, rounds: int, quick: bool, pause_s: float
) -> dict:
    """Every configuration's blocks in rounds, then the goals' pairs; returns the
    figures and the goals."""
    k = 18 if quick else 22
    rng = np.random.default_rng(SEED)
    p0 = rng.standard_normal(1 << k, dtype=np.float32)
    g = [rng.standard_normal(1 << k, dtype=np.float32) * np.float32(1e-2)]

    def stepper(name):
        """A step of configuration ``name``, on fresh arrays."""
        kwargs, step_kwargs = CONFIGS[name]
        opt = ok.Adam([p0.copy()], learning_rate=LR, **kwargs)
        return lambda: opt.step(g, **step_kwargs)

    def block(name):
        return lambda: timer.quiet_block(stepper(name), budget_s)

    pooled = run_rounds({name: block(name) for name in CONFIGS}, rounds, pause_s=pause_s)
    times = {name: r["median"] for name, r in pooled.items()}
    sweep = cache_sweeper()
    goals = []
    for name, base, limit in GOALS:
        timer.wait_quiet(timer.quiet_wait_s)
        ratios = paired_ratios(stepper(name), stepper(base), sweep, PAIRS_PER_ROUND * rounds)
        q1, median, q3 = (float(x) for x in np.percentile(ratios, [25, 50, 75]))
        goals.append(
            dict(
                what=f"{name} vs {base} at 2^{k}",
                value=median,
                quartiles=[q1, q3],
                pairs=len(ratios),
                blocks_ratio=times[name] / times[base],
                goal=limit,
                met=median <= limit,
            )
        )
    return dict(k=k, times=times, goals=goals, pooled=pooled)


def print_controls(res: dict) -> None:
    k = res["k"]
    print(f"\nTraining controls: ok.Adam, one float32 tensor of 2^{k} elements")
    print("| configuration | µs per step (back to back) | vs plain adam |")
    print("|---|---:|---:|")
    base = res["times"]["adam"]
    for name, t in res["times"].items():
        print(f"| {name} | {fmt(t * 1e6, '.1f')} | {t / base:.2f}x |")
    print(
        "goals, on pairs of single steps taken in turn, each after a sweep of the caches "
        "(as in training): the median ratio (quartiles); back to back, in blocks, for comparison"
    )
    for goal in res["goals"]:
        state = "met" if goal["met"] else "NOT MET"
        q1, q3 = goal["quartiles"]
        print(
            f"  {goal['what']}: {goal['value']:.2f}x ({q1:.2f}-{q3:.2f}, {goal['pairs']} pairs) "
            f"(goal <= {goal['goal']}x) {state}; in blocks {goal['blocks_ratio']:.2f}x"
        )
