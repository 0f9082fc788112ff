"""Timing for the benchmark suites: blocks, rounds, and other processes' CPU load.

How a suite times one implementation
------------------------------------
Each implementation runs in its own *block*: set up its data, time one call
many times, free the data. Never interleave calls of different libraries:
torch and optkern bring their own OpenMP runtimes, whose spinning workers
would steal the cores from each other; `pause` between blocks lets the
previous runtime's threads go to sleep.

.. code-block:: python

    timer = Timer(retries=2, quiet_wait_s=30.0, quiet_total_s=120.0)

    def optkern_block():
        opt = ok.Adam([p.copy() for p in params])        # fresh data per block
        return timer.quiet_block(lambda: opt.step(grads), budget_s=1.0)

    pooled = run_rounds({"optkern": optkern_block, "numpy": numpy_block}, rounds=3)
    pooled["optkern"]["median"]   # seconds per call: median of every sample of every round

`Timer.block` returns a dict: ``median``, ``min``, ``max`` (seconds per call),
``samples``, ``inner`` (calls per sample), ``cold`` (the first call),
``warmup_calls``, ``times`` (seconds per call of each sample) and
``foreign_load`` (cores used by other processes meanwhile, or None).
`Timer.quiet_block` first waits for a quiet moment and redoes a block that
others disturbed. `run_rounds` takes the blocks in turn, round after round, so
a slow drift of the machine hits every implementation alike, and pools them
with `pool_rounds`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import glob
import os
import statistics
import time
from collections.abc import Iterator, Mapping
from typing import Callable

import numpy as np

now = time.perf_counter

FOREIGN_LOAD_LIMIT = 0.25  # cores used by other processes above which a block is redone
PAUSE_S = 0.1  # between blocks: let the other OpenMP runtime's spinning threads sleep


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Collect garbage, then keep the collector off inside the block (a collection
    in a timed call would be timed), and restore its previous state after."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ------------------------------------------------------- foreign CPU load ----
def cpu_snapshot():
    """(wall s, busy CPU s of the whole machine, CPU s of this process) or None.

    Linux only (/proc/stat); used to see whether other processes competed for
    the cores while a block ran (an OpenMP barrier whose worker is descheduled
    waits a whole scheduler slice, ~ms, so one busy neighbour ruins a block).
    """
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    hz = os.sysconf("SC_CLK_TCK")
    t = os.times()
    return now(), (user + nice + system + irq + softirq + steal) / hz, t.user + t.system


def foreign_load(before, after):
    """Average number of cores used by other processes (and steal) between two snapshots."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    busy = after[1] - before[1]
    mine = after[2] - before[2]
    return max(0.0, (busy - mine) / (after[0] - before[0]))


def loadavg():
    """The 1, 5 and 15 minute load averages, or None where unavailable."""
    try:
        return list(os.getloadavg())
    except OSError:
        return None


# ---------------------------------------------------------------- blocks ----
@dataclasses.dataclass
class Timer:
    """How blocks are timed, and how long to wait for other processes.

    min_samples, max_samples
        Samples per block (a block aims at ``budget_s`` seconds; explicit
        per-call limits are capped at ``max_samples``).
    retries
        Times `quiet_block` redoes a block in which other processes used more
        than FOREIGN_LOAD_LIMIT cores (keeping the quietest attempt).
    quiet_wait_s, quiet_total_s
        Before each quiet block, wait up to ``quiet_wait_s`` for a quiet moment,
        at most ``quiet_total_s`` over the whole run (``waited_s`` counts it).
    """

    min_samples: int = 3
    max_samples: int = 100
    retries: int = 0
    quiet_wait_s: float = 0.0
    quiet_total_s: float = 0.0
    waited_s: float = 0.0

    def block(
        self,
        fn: Callable[[], object],
        budget_s: float,
        *,
        min_samples: int | None = None,
        max_samples: int | None = None,
        sample_s: float = 0.005,
        warmup_s: float | None = None,
    ) -> dict:
        """Time ``fn()`` (one call) in one block; returns a dict of per-call seconds.

        A cold call, a warm-up of at least one call and ``warmup_s`` seconds, then
        ``samples`` samples of ``inner`` back-to-back calls each: ``inner`` makes
        a sample last about ``sample_s`` (the timer's cost vanishes for
        microsecond calls), ``samples`` makes the block last about ``budget_s``.
        GC is disabled while timing.
        """
        if warmup_s is None:
            warmup_s = min(0.2, budget_s / 4)
        min_samples = (
            self.min_samples if min_samples is None else min(min_samples, self.max_samples)
        )
        max_samples = (
            self.max_samples if max_samples is None else min(max_samples, self.max_samples)
        )
        with gc_paused():
            snap = cpu_snapshot()
            t_block = now()
            t0 = now()
            fn()
            cold = now() - t0
            calls, t0 = 0, now()
            while True:
                fn()
                calls += 1
                elapsed = now() - t0
                if elapsed >= warmup_s:  # at least one call: a slow step warms up once
                    break
            est = max(elapsed / calls, 1e-9)
            inner = max(1, int(sample_s / est))
            samples = int(min(max_samples, max(min_samples, budget_s / (inner * est))))
            times = []
            for _ in range(samples):
                t0 = now()
                for _ in range(inner):
                    fn()
                times.append((now() - t0) / inner)
        return dict(
            median=statistics.median(times),
            min=min(times),
            max=max(times),
            samples=samples,
            inner=inner,
            cold=cold,
            warmup_calls=calls,
            times=times,
            # /proc/stat counts in 10 ms ticks: too coarse for a short block
            foreign_load=(foreign_load(snap, cpu_snapshot()) if now() - t_block >= 0.4 else None),
        )

    def wait_quiet(self, max_wait_s: float, window_s: float = 0.3):
        """Wait (at most ``max_wait_s``, and within what is left of ``quiet_total_s``)
        for a ``window_s`` window in which other processes use at most
        FOREIGN_LOAD_LIMIT cores; returns the last load seen."""
        if max_wait_s <= 0:
            return None
        start = now()
        deadline = start + min(max_wait_s, max(0.0, self.quiet_total_s - self.waited_s))
        try:
            while True:
                before = cpu_snapshot()
                time.sleep(window_s)
                load = foreign_load(before, cpu_snapshot())
                if load is None or load <= FOREIGN_LOAD_LIMIT or now() >= deadline:
                    return load
        finally:
            self.waited_s += now() - start

    def quiet_block(self, fn: Callable[[], object], budget_s: float, **kw) -> dict:
        """`block` after `wait_quiet`, redone (up to ``retries`` times) while other
        processes used more than FOREIGN_LOAD_LIMIT cores during it; keeps the
        quietest run (its dict gains ``attempt``)."""
        best: dict | None = None
        for attempt in range(self.retries + 1):
            self.wait_quiet(self.quiet_wait_s)
            r = self.block(fn, budget_s, **kw)
            r["attempt"] = attempt
            load = r["foreign_load"]
            if best is None or (load or 0.0) < (best["foreign_load"] or 0.0):
                best = r
            if load is None or load <= FOREIGN_LOAD_LIMIT:
                break
        assert best is not None  # retries >= 0: at least one block ran
        return best


def freeze_imports() -> None:
    """Move every object alive now (imported modules: torch brings hundreds of
    thousands) out of the garbage collector's sight, so that the `gc.collect`
    before each block and in each `pause` costs microseconds instead of a tenth
    of a second. Call it once after the imports, before the timing."""
    gc.collect()
    gc.freeze()


def pause(seconds: float = PAUSE_S) -> None:
    """Collect garbage and sleep ``seconds``: put between blocks of different libraries."""
    gc.collect()
    time.sleep(seconds)


def last_level_cache_bytes(default: int = 32 << 20) -> int:
    """The largest CPU cache of the first core, from Linux's sysfs (else ``default``)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    sizes = []
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text[-1:] in units and text[:-1].isdigit():
            sizes.append(int(text[:-1]) * units[text[-1]])
        elif text.isdigit():
            sizes.append(int(text))
    return max(sizes, default=default)


def cache_sweeper(min_bytes: int = 64 << 20) -> Callable[[], object]:
    """A function that reads a buffer of twice the last-level cache (at least
    ``min_bytes``), which leaves little of what was used before it in the caches,
    as a training loop's forward and backward passes do between optimizer steps."""
    buffer = np.ones(max(min_bytes, 2 * last_level_cache_bytes()) // 4, dtype=np.float32)
    return lambda: np.add.reduce(buffer)


# ---------------------------------------------------------------- rounds ----
def pool_rounds(runs: list[dict]) -> dict:
    """One result from the blocks of several rounds: the median of all samples."""
    times = [t for r in runs for t in r["times"]]
    loads = [r["foreign_load"] for r in runs if r["foreign_load"] is not None]
    return dict(
        median=statistics.median(times),
        min=min(times),
        max=max(times),
        samples=len(times),
        round_medians=[r["median"] for r in runs],
        foreign_load=max(loads) if loads else None,
        rounds=runs,
    )


def run_rounds(
    blocks: Mapping[str, Callable[[], dict]], rounds: int, pause_s: float = PAUSE_S
) -> dict[str, dict]:
    """Run ``rounds`` rounds of every block in turn (with a `pause` of ``pause_s``
    after each), and pool each implementation's rounds.

    ``blocks`` maps a name to a function that sets up its own data, times it
    with `Timer.block` or `Timer.quiet_block`, frees the data and returns the
    block's dict. Returns name -> `pool_rounds` result.
    """
    runs: dict[str, list[dict]] = {name: [] for name in blocks}
    for _ in range(rounds):  # blocks in turn, so a slow drift hits every library alike
        for name, block in blocks.items():
            runs[name].append(block())
            pause(pause_s)
    return {name: pool_rounds(r) for name, r in runs.items()}
