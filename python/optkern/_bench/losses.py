"""Benchmark of the loss kernels: value and gradient in one call, float32.

    python -m optkern bench losses [--quick] [--rounds N] [--threads N] [--clock wall|cpu]
                                   [--json PATH]

Each implementation is timed in its own block (set up, time one call many
times, free), the blocks take turns round after round, and each figure is the
median of all samples of all rounds. PyTorch (when installed) runs with the
same thread count; its time is forward plus backward (``F.cross_entropy``,
``F.binary_cross_entropy_with_logits`` or ``F.mse_loss``, then
``.backward()``). NumPy is the straightforward float32 NumPy code a training
loop would use. Each optkern row is also given as a fraction of the
memory-bandwidth bound: the bytes the call must move (stated per row) over the
bandwidth of a large NumPy copy measured in the same run. The last column is
the CPU time other processes used while the case ran, in cores: a figure above
~0.1 means the timings of that row were disturbed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from .._argtypes import positive_int, positive_number
from .report import fmt, fmt_x
from .summary import summary_row, write_json
from .timing import cpu_snapshot, foreign_load, freeze_imports, gc_paused

now = time.perf_counter


# ---- timing -------------------------------------------------------------------
def time_block(fn, budget_s: float, sample_s: float = 0.005, clock=None) -> list[float]:
    """Seconds per call of ``fn()``: warm up, then samples of back-to-back calls.
    ``clock`` (default: the wall clock) reads the time; the samples last
    ``sample_s`` of the wall clock either way."""
    clock = clock or now
    with gc_paused():
        fn()
        calls, t0 = 0, now()
        while True:
            fn()
            calls += 1
            elapsed = now() - t0
            if elapsed >= min(0.1, budget_s / 4):
                break
        per = max(elapsed / calls, 1e-9)
        inner = max(1, int(sample_s / per))
        samples = int(min(200, max(3, budget_s / (inner * per))))
        times = []
        for _ in range(samples):
            t0 = clock()
            for _ in range(inner):
                fn()
            times.append((clock() - t0) / inner)
        return times


def run_rounds(blocks: dict, rounds: int, budget_s: float, clock=None) -> dict:
    """Runs each block (a function making the callable to time) once per
    round, in turn; returns the median seconds per call of each."""
    samples: dict[str, list[float]] = {name: [] for name in blocks}
    for _ in range(rounds):
        for name, make in blocks.items():
            fn = make()
            samples[name] += time_block(fn, budget_s, clock=clock)
            del fn
            time.sleep(0.05)  # let the other runtime's spinning threads sleep
    return {name: statistics.median(s) for name, s in samples.items()}


def copy_bandwidth(n_bytes: int = 1 << 28) -> float:
    """Bytes per second of a large NumPy copy (read + write)."""
    a = np.ones(n_bytes // 8)
    b = np.empty_like(a)
    t = min(time_block(lambda: np.copyto(b, a), 0.5, sample_s=0.0))
    return 2 * a.nbytes / t


# ---- the cases ----------------------------------------------------------------
def numpy_sparse_ce(labels, x):
    m = x.max(axis=1, keepdims=True)
    e = np.exp(x - m)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(x.shape[0])
    value = float(np.mean(np.log(s[:, 0]) + m[:, 0] - x[rows, labels]))
    g = e / s
    g[rows, labels] -= 1.0
    g /= x.shape[0]
    return value, g


def numpy_bce_logits(y, x):
    value = float(np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))))
    g = (1.0 / (1.0 + np.exp(-x)) - y) / x.size
    return value, g


def numpy_mse(y, x):
    d = x - y
    value = float(np.mean(d * d))
    return value, d * (2.0 / x.size)


def cases(quick: bool, scale: int | None = None):
    """(name, shape, bytes per element, targets {impl: (min ratio)}, per-call limit µs);
    the batch sizes are divided by ``scale`` (default 4 with ``quick``, else 1)."""
    scale = scale or (4 if quick else 1)
    return [
        ("sparse CE from logits", (4096 // scale, 1000), 8, {"torch": 2.0, "numpy": 8.0}, None),
        ("sparse CE from logits", (512 // scale, 32000), 8, {"torch": 2.0, "numpy": 8.0}, None),
        ("sparse CE from logits", (65536 // scale, 10), 8, {"torch": 4.0}, None),
        ("sparse CE from logits", (256, 10), 8, {}, 5.0),  # never scaled
        (
            "BCE from logits",
            ((1 << 24) // scale // 1024, 1024),
            12,
            {"torch": 3.0, "numpy": 5.0},
            None,
        ),
        ("MSE", ((1 << 24) // scale // 1024, 1024), 12, {"torch": 3.0, "numpy": 5.0}, None),
    ]


def make_blocks(name, shape, torch, threads):
    import optkern as ok

    rng = np.random.default_rng(0)
    sparse = name.startswith("sparse")

    def data():
        x = rng.normal(size=shape).astype(np.float32)
        if sparse:
            y = rng.integers(0, shape[1], size=shape[0])
        elif name.startswith("BCE"):
            y = rng.integers(0, 2, size=shape).astype(np.float32)
        else:
            y = rng.normal(size=shape).astype(np.float32)
        return y, x

    if sparse:
        loss = ok.losses.SparseCategoricalCrossentropy(from_logits=True)
        numpy_fn = numpy_sparse_ce
    elif name.startswith("BCE"):
        loss = ok.losses.BinaryCrossentropy(from_logits=True)
        numpy_fn = numpy_bce_logits
    else:
        loss = ok.losses.MeanSquaredError()
        numpy_fn = numpy_mse

    def optkern_block():
        y, x = data()
        g = np.empty_like(x)
        return lambda: loss.value_and_grad(y, x, grad_out=g)

    def numpy_block():
        y, x = data()
        return lambda: numpy_fn(y, x)

    blocks = {"optkern": optkern_block}
    if torch is not None:
        F = torch.nn.functional

        def torch_block():
            torch.set_num_threads(threads)
            y, x = data()
            tx = torch.from_numpy(x).requires_grad_(True)
            ty = torch.from_numpy(y)
            fwd = {
                True: lambda: F.cross_entropy(tx, ty),
                False: (lambda: F.binary_cross_entropy_with_logits(tx, ty))
                if name.startswith("BCE")
                else (lambda: F.mse_loss(tx, ty)),
            }[sparse]

            def step():
                tx.grad = None
                value = fwd()
                value.backward()
                return value

            return step

        blocks["torch"] = torch_block
    if shape[0] * shape[1] >= 1 << 16 or not sparse or shape[1] >= 1000:
        blocks["numpy"] = numpy_block
    return blocks


# ---- the command ----------------------------------------------------------------
def main(argv: list[str]) -> int:
    run(argv)
    return 0


def run(argv: list[str]) -> dict:
    """Run the suite, print its report, write ``--json``; return the suite result
    (`optkern._bench.summary`)."""
    parser = argparse.ArgumentParser(
        prog="python -m optkern bench losses",
        description="Loss kernels (value and gradient in one call, float32) against "
        "PyTorch and NumPy.",
        epilog="The method is described in docs/benchmarks.md of the optkern repository.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, shorter blocks, one round"
    )
    parser.add_argument(
        "--rounds",
        type=positive_int,
        default=None,
        help="rounds of blocks (default 3; 1 with --quick)",
    )
    parser.add_argument(
        "--budget",
        type=positive_number,
        default=None,
        help="seconds per timed block (default 0.4; 0.15 with --quick)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help="threads for optkern and torch (default: optkern's setting)",
    )
    parser.add_argument("--no-torch", action="store_true", help="skip torch even if installed")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: elapsed time (default); cpu: this process's CPU time, "
        "which other processes on a shared machine do not inflate "
        "(meaningful with --threads 1 only)",
    )
    parser.add_argument("--json", metavar="PATH", help="write the figures and the machine to PATH")
    parser.add_argument("--scale", type=positive_int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    import optkern as ok

    t_start = now()
    if args.threads is not None:
        ok.set_num_threads(args.threads)
    threads = ok.get_num_threads()
    torch: Any = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            torch = None
    freeze_imports()
    info = ok.build_info()
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    budget = args.budget if args.budget is not None else (0.15 if args.quick else 0.4)
    scale = args.scale or (4 if args.quick else 1)
    bandwidth = copy_bandwidth(1 << 26 if args.quick or args.scale else 1 << 28)
    bound_gbs = bandwidth / 1e9
    print(
        f"optkern {info['version']}, isa {info['isa']}, {threads} thread(s); "
        f"torch {torch.__version__ if torch else 'not installed'}; "
        f"copy bandwidth {bound_gbs:.1f} GB/s; {rounds} round(s), medians"
        f"{'; times are CPU time' if args.clock == 'cpu' else ''}"
    )
    print()
    print(
        "| loss (value + gradient) | shape | optkern ms | optkern ns/elem | torch ns/elem "
        "| NumPy ns/elem | speed-up vs torch | speed-up vs NumPy | B/elem "
        "| fraction of bound | others | goal |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    met_all = True
    rows, raw = [], []
    for name, shape, bytes_per, targets, limit_us in cases(args.quick, scale):
        before = cpu_snapshot()
        medians = run_rounds(
            make_blocks(name, shape, torch, threads),
            rounds,
            budget,
            clock=time.process_time if args.clock == "cpu" else None,
        )
        others = foreign_load(before, cpu_snapshot())
        mine = medians["optkern"]
        n = shape[0] * shape[1]
        goals = []
        for impl, want in targets.items():
            if impl in medians:
                ok_ = medians[impl] / mine >= want
                met_all &= ok_
                goals.append(f"{want:g}x {impl} {'met' if ok_ else 'not met'}")
        if limit_us is not None:
            ok_ = mine * 1e6 <= limit_us
            met_all &= ok_
            goals.append(
                f"{mine * 1e6:.1f} µs/call, goal {limit_us:g} µs {'met' if ok_ else 'not met'}"
            )
        shape_s = f"{shape[0]}x{shape[1]}"
        row = summary_row(
            name,
            shape_s,
            n,
            mine,
            medians.get("numpy"),
            medians.get("torch"),
            bytes_per_element=bytes_per,
            bound_gbs=bound_gbs,
            torch_label="torch forward + backward",
        )
        rows.append(row)
        raw.append(
            dict(
                loss=name,
                shape=list(shape),
                bytes_per_element=bytes_per,
                medians=medians,
                others_cores=others,
                goals=goals,
            )
        )
        print(
            f"| {name} | {shape_s} | {mine * 1e3:.3f} | {row['optkern_ns_per_element']:.3f} | "
            f"{fmt(row['torch_ns_per_element'], '.3f')} | "
            f"{fmt(row['numpy_ns_per_element'], '.3f')} | "
            f"{fmt_x(row['speedup_torch'], '.1f')} | {fmt_x(row['speedup_numpy'], '.1f')} | "
            f"{bytes_per} | {row['fraction_of_bound']:.2f} | {fmt(others, '.2f')} | "
            f"{'; '.join(goals)} |"
        )
    print()
    print(
        "bytes per element: sparse CE reads the logits and writes the gradient (8); "
        "BCE and MSE read target and prediction and write the gradient (12); "
        "others: cores used by other processes meanwhile"
    )
    print("all goals met" if met_all else "some goals not met on this run")
    print("(the method is described in docs/benchmarks.md of the optkern repository)")
    result = dict(
        suite="losses",
        title="loss value and gradient in one call, float32",
        baseline="plain float32 NumPy code",
        bound_gbs=bound_gbs,
        bound="large NumPy copy, read + write bytes",
        rows=rows,
        wall_s=now() - t_start,
        raw=dict(
            threads=threads,
            rounds=rounds,
            budget_s=budget,
            clock=args.clock,
            cases=raw,
            all_goals_met=bool(met_all),
        ),
    )
    if args.json:
        write_json(args.json, {"losses": result}, threads, torch)
    return result


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
