"""``python -m optkern bench distributed``, run under ``mpiexec -n W``: the step of
`optkern.distributed.DataParallel` (data-parallel and ZeRO-1) for Adam on a
10 M-element float32 model, beside the one-process step and the bare MPI
collectives on the same buffer (and torch.distributed's gloo all-reduce when
torch is installed).

Method: every timed operation starts after a barrier on every rank; its time is
the slowest rank's (a collective step is as slow as its slowest member); the
figure is the median over the repetitions, measured in rounds that take the
modes in turn. The one-process step runs on every rank at the same moment, as
it does inside a data-parallel step (the ranks share the memory bus). The
goals: each mode's step within 1.15x of its collectives' time plus its share of
the local step (the whole step for data-parallel, 1/W of it for ZeRO-1), and
ZeRO-1's optimizer state per rank at most 0.55x of one process's. See
docs/distributed.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Callable

import numpy as np

import optkern as ok

from .._argtypes import positive_int


def _parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m optkern bench distributed",
        description="DataParallel / ZeRO-1 Adam step vs the MPI "
        "collectives; run under mpiexec -n W",
    )
    for name, default, text in (
        ("--elements", 10_000_000, "model size in float32 elements (default 10 000 000)"),
        ("--tensors", 100, "tensors in the model (default 100)"),
        ("--repeats", 10, "timed repetitions per mode and round (default 10)"),
        ("--rounds", 3, "rounds over the modes (default 3)"),
    ):
        ap.add_argument(name, type=positive_int, default=default, help=text)
    ap.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help="optkern threads per rank (default: the CPUs this process may use "
        "divided by the number of ranks, at least 1)",
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 M elements, 2 rounds of 3")
    ap.add_argument("--no-torch", action="store_true", help="skip torch.distributed")
    args = ap.parse_args(argv)
    if args.quick:
        args.elements, args.repeats, args.rounds = min(args.elements, 1_000_000), 3, 2
    if args.tensors > args.elements:
        ap.error(f"--tensors {args.tensors} is more than --elements {args.elements}")
    return args


def _model(elements: int, tensors: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    sizes = [elements // tensors + (1 if i < elements % tensors else 0) for i in range(tensors)]
    return {f"t{i}": rng.standard_normal(n).astype(np.float32) for i, n in enumerate(sizes)}


def _reduce_scatter_allgather(comm, send, part, full) -> None:
    """The bare collectives of a ZeRO-1 step: the gradients' reduce-scatter, then
    the parameters' all-gather."""
    comm.Reduce_scatter_block(send, part)
    comm.Allgather(part, full)


def main(argv: list[str]) -> int:
    args = _parse(argv)
    try:
        from mpi4py import MPI
    except ImportError:
        print(
            "python -m optkern bench distributed: error: needs mpi4py and an MPI library "
            "(pip install 'optkern[mpi]'); run it as mpiexec -n 2 python -m optkern bench "
            "distributed",
            file=sys.stderr,
        )
        return 2

    from ..distributed import DataParallel

    comm = MPI.COMM_WORLD
    rank, world = comm.Get_rank(), comm.Get_size()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = args.threads or max(1, (cpus or 1) // world)
    ok.set_num_threads(threads)

    params = {k: v.copy() for k, v in _model(args.elements, args.tensors).items()}
    grads = {
        k: np.random.default_rng(1 + rank).standard_normal(v.shape).astype(v.dtype) * 1e-3
        for k, v in params.items()
    }
    single_params = {k: v.copy() for k, v in params.items()}
    single = ok.Adam(single_params, learning_rate=1e-4)
    dp_params = {k: v.copy() for k, v in params.items()}
    dp = DataParallel(ok.Adam(dp_params, learning_rate=1e-4))
    z_params = {k: v.copy() for k, v in params.items()}
    zero = DataParallel(ok.Adam(z_params, learning_rate=1e-4), zero=True)

    buf = np.ones(args.elements, np.float32)
    out = np.empty_like(buf)
    n_mine = args.elements // world
    part = np.empty(n_mine, np.float32)
    full = np.empty(n_mine * world, np.float32)
    send = np.ones(n_mine * world, np.float32)

    modes: dict[str, Callable[[], object]] = {
        "one-process Adam step (each rank at once)": lambda: single.step(grads),
        "MPI Allreduce": lambda: comm.Allreduce(buf, out),
        "MPI Reduce_scatter_block + Allgather": lambda: _reduce_scatter_allgather(
            comm, send, part, full
        ),
        "DataParallel step": lambda: dp.step(grads),
        "DataParallel step, zero=True": lambda: zero.step(grads),
    }
    torch_note = ""
    if not args.no_torch:
        try:
            import torch
            import torch.distributed as tdist
        except ImportError:
            torch_note = "torch is not installed: no gloo figure"
        else:
            torch.set_num_threads(threads)
            port = np.array([0], np.int64)
            if rank == 0:
                import socket

                with socket.socket() as s:
                    s.bind(("127.0.0.1", 0))
                    port[0] = s.getsockname()[1]
            comm.Bcast(port, root=0)
            tdist.init_process_group(
                "gloo", init_method=f"tcp://127.0.0.1:{int(port[0])}", rank=rank, world_size=world
            )
            tbuf = torch.ones(args.elements, dtype=torch.float32)
            modes["torch.distributed all_reduce (gloo)"] = lambda: tdist.all_reduce(tbuf)

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    times: dict[str, list[float]] = {m: [] for m in modes}
    tick = np.zeros(1)
    slowest = np.zeros(1)
    for fn in modes.values():  # warm up: first-touch, buffers, connections
        comm.Barrier()
        fn()
    for _ in range(args.rounds):
        for name, fn in modes.items():
            for _ in range(args.repeats):
                comm.Barrier()
                t0 = time.perf_counter()
                fn()
                tick[0] = time.perf_counter() - t0
                comm.Allreduce(tick, slowest, op=MPI.MAX)
                times[name].append(float(slowest[0]))
    med = {m: statistics.median(v) for m, v in times.items()}

    # state memory: one process keeps m and v for every element; a ZeRO rank for its slice
    state_single = sum(a.nbytes for arrays in single._state.values() for a in arrays)
    state_zero = sum(
        a.nbytes for arrays in zero._inner._state.values() for a in arrays if a is not None
    )
    zero_max = np.zeros(1, np.int64)
    comm.Allreduce(np.array([state_zero], np.int64), zero_max, op=MPI.MAX)

    if rank == 0:
        step = med["one-process Adam step (each rank at once)"]
        bound_dp = med["MPI Allreduce"] + step
        bound_z = med["MPI Reduce_scatter_block + Allgather"] + step / world
        print(
            f"optkern {ok.__version__} bench distributed: Adam, float32, "
            f"{args.elements:,} elements in {args.tensors} tensors, {world} ranks x "
            f"{threads} optkern thread(s), MPI: {MPI.Get_library_version().splitlines()[0]}"
        )
        load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"median of {args.rounds} rounds x {args.repeats} repetitions; each time is the "
            f"slowest rank's; load average {load_before:.1f} before, {load_after:.1f} after "
            f"on {cpus} CPUs (other processes slow MPI's polling ranks down)\n"
        )
        print("| operation | ms per step | GB/s of the buffer |")
        print("|---|---:|---:|")
        nbytes = args.elements * 4
        for m, t in med.items():
            print(f"| {m} | {t * 1e3:.2f} | {nbytes / t / 1e9:.2f} |")
        print()
        r_dp, r_z = (
            med["DataParallel step"] / bound_dp,
            med["DataParallel step, zero=True"] / bound_z,
        )
        print(
            f"data-parallel step / (Allreduce + step) = {r_dp:.2f}x "
            f"(goal <= 1.15x: {'met' if r_dp <= 1.15 else 'not met'})"
        )
        print(
            f"ZeRO-1 step / (Reduce_scatter + Allgather + step/{world}) = {r_z:.2f}x "
            f"(goal <= 1.15x: {'met' if r_z <= 1.15 else 'not met'})"
        )
        ratio = int(zero_max[0]) / state_single
        print(
            f"ZeRO-1 optimizer state per rank: {int(zero_max[0]) / 1e6:.1f} MB, "
            f"{ratio:.3f}x of one process's {state_single / 1e6:.1f} MB "
            f"(goal <= 0.55x: {'met' if ratio <= 0.55 else 'not met'})"
        )
        if torch_note:
            print(torch_note)
        print("\nThe method is described in docs/distributed.md.")
        sys.stdout.flush()
    return 0
