"""Command-line options the timed suites share, and what a run records about its machine.

How a suite uses it
-------------------
.. code-block:: python

    ap = argparse.ArgumentParser(prog="python -m optkern bench mysuite", ...)
    add_timing_options(ap)
    settings = resolve_timing_options(ap.parse_args(argv))  # sets optkern's threads
    torch = import_torch(settings.threads) if not settings.no_torch else None
    record = machine_info(settings, torch)                    # goes into the JSON
    settings.timer.quiet_block(...)                           # see timing.py
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys

import numpy as np

import optkern as ok

from .._argtypes import non_negative_int, non_negative_number, positive_int, positive_number
from .timing import FOREIGN_LOAD_LIMIT, Timer, freeze_imports, loadavg, now


@dataclasses.dataclass
class TimingSettings:
    """The options of `add_timing_options` with their defaults applied."""

    threads: int
    quick: bool
    budget_s: float
    rounds: int
    retries: int
    quiet_wait_s: float
    bw_elements: int
    no_torch: bool
    json: str | None
    timer: Timer


def add_timing_options(ap: argparse.ArgumentParser) -> None:
    """--threads, --quick, --json, --budget, --no-torch, --rounds, --retries,
    --quiet-wait and --bw-elements."""
    ap.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help="threads for optkern and torch (default: ok.get_num_threads())",
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: small sizes, few repetitions")
    ap.add_argument("--json", metavar="PATH", help="write raw results to PATH")
    ap.add_argument(
        "--budget",
        type=positive_number,
        default=None,
        help="seconds per timed block (default 1.0; 0.05 with --quick)",
    )
    ap.add_argument("--no-torch", action="store_true", help="skip torch even if installed")
    ap.add_argument(
        "--rounds",
        type=positive_int,
        default=None,
        help="blocks per library and case, taken in turn; samples pooled "
        "(default 3; 1 with --quick)",
    )
    ap.add_argument(
        "--retries",
        type=non_negative_int,
        default=None,
        help="times a block is redone when other processes used more than "
        f"{FOREIGN_LOAD_LIMIT} cores meanwhile (default 2; 0 with --quick)",
    )
    ap.add_argument(
        "--quiet-wait",
        type=non_negative_number,
        default=None,
        help="seconds to wait, before each block, for other processes to leave "
        "the cores alone, 4 times that in all (default 30; 0 with --quick)",
    )
    ap.add_argument(
        "--bw-elements",
        type=positive_int,
        default=None,
        help="float32 elements of the bandwidth arrays (default 2^26; 2^22 quick)",
    )


def resolve_timing_options(args: argparse.Namespace) -> TimingSettings:
    """Apply the defaults (full run or --quick), set optkern's thread count and
    build the run's `Timer`."""
    threads = args.threads if args.threads is not None else ok.get_num_threads()
    ok.set_num_threads(threads)
    quick = args.quick
    quiet_wait = args.quiet_wait if args.quiet_wait is not None else (0.0 if quick else 30.0)
    retries = args.retries if args.retries is not None else (0 if quick else 2)
    timer = Timer(retries=retries, quiet_wait_s=quiet_wait, quiet_total_s=4 * quiet_wait)
    if quick:
        timer.min_samples, timer.max_samples = 2, 5
    return TimingSettings(
        threads=threads,
        quick=quick,
        budget_s=args.budget if args.budget is not None else (0.05 if quick else 1.0),
        rounds=args.rounds if args.rounds is not None else (1 if quick else 3),
        retries=retries,
        quiet_wait_s=quiet_wait,
        bw_elements=args.bw_elements or (1 << 22 if quick else 1 << 26),
        no_torch=args.no_torch,
        json=args.json,
        timer=timer,
    )


def import_torch(threads: int):
    """torch with ``threads`` threads, or None when it is not installed or broken."""
    try:
        import torch

        torch.set_num_threads(threads)
    except Exception:  # noqa: BLE001 (torch not installed or broken: skip its columns)
        return None
    freeze_imports()
    return torch


def machine_info(settings: TimingSettings, torch) -> dict:
    """What a run records about itself and its machine (load, versions, environment)."""
    return dict(
        threads=settings.threads,
        quick=settings.quick,
        budget_s=settings.budget_s,
        rounds=settings.rounds,
        retries=settings.retries,
        quiet_wait_s=settings.quiet_wait_s,
        loadavg_start=loadavg(),
        build_info=ok.build_info(),
        torch=torch.__version__ if torch else None,
        numpy=np.__version__,
        python=platform.python_version(),
        machine=platform.machine(),
        cpu_count=os.cpu_count(),
        env={
            k: v
            for k, v in os.environ.items()
            if k.startswith(("OMP_", "GOMP_", "OPTKERN_", "KMP_"))
        },
    )


def progress_printer():
    """A function printing ``[elapsed s] message`` to stderr, timed from now."""
    t_start = now()

    def progress(msg: str) -> None:
        print(f"[{now() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return progress
