"""Checkpoint save/restore throughput: optkern vs np.savez / np.load, same run.

Usage (``python bench/bench_checkpoint.py`` runs the same)::

    python -m optkern bench checkpoint                  # 200 MB state, 9 reps, ~30 s
    python -m optkern bench checkpoint --quick          # 20 MB, 3 reps
    python -m optkern bench checkpoint --dir /path/on/the/disk/you/care/about

What is timed
-------------
A training state of ``--size-mb`` megabytes (10^6 bytes) of float32: a "model"
dict of 8 weight arrays (1/3 of the bytes) and Adam-style "momentum/..." and
"velocity/..." slots of the same shapes (2/3), as ``Checkpoint(model=...,
optimizer=...)`` would hold it. Each repetition runs the four saves, then the two
loads, each group in a shuffled order, on fresh file names (old files are
deleted outside the timed region, and ``os.sync()`` runs before every timed
operation so no writeback is carried over):

save
  * ``np.savez``            - ``np.savez(path, **flat)``, no fsync (page cache only);
  * ``np.savez + fsync``    - the same into an open file, then ``flush`` + ``os.fsync``;
  * ``ok Checkpoint.write`` - npz + manifest with a CRC-32 per array, temporary
    file, fsync, ``os.replace``, directory fsync;
  * ``ok Manager.save``     - the same plus the JSON state file (written
    atomically) and rotation (``max_to_keep=2``: deletes a 200 MB file).
restore
  * ``np.load``             - ``{k: z[k] for k in z.files}`` of the savez file
    (zipfile checks its own CRC while reading);
  * ``ok Checkpoint.restore`` - full verification (manifest, every header, the
    CRC-32 of every array) into fresh buffers, then ``np.copyto`` into the
    trainer's arrays (in place).

Both loads read files that were just written, i.e. from the page cache: they
measure CPU cost (parsing, copying, checksums), not the disk. Saves include the
disk through fsync (except plain ``np.savez``). The table shows the median
over ``--reps`` repetitions and MB/s = state bytes / median time. Two goals are
judged on the medians (they never fail the run): a checkpoint write takes at most
1.2x the time of np.savez + fsync, a verified restore at most 1.3x that of np.load.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

from .._argtypes import positive_int, positive_number
from ..checkpoint import Checkpoint, CheckpointManager
from .losses import copy_bandwidth
from .summary import summary_row, write_json
from .timing import gc_paused

SAVE_GOAL = 1.2  # Checkpoint.write at most this many times np.savez + fsync
RESTORE_GOAL = 1.3  # a verified Checkpoint.restore at most this many times np.load


def make_state(total_bytes, seed=0):
    rng = np.random.default_rng(seed)
    n_model = total_bytes // 3 // 4  # float32 elements in the model
    fractions = np.array([0.30, 0.22, 0.15, 0.12, 0.09, 0.07, 0.04, 0.01])
    sizes = np.maximum(1, (fractions * n_model).astype(np.int64))
    sizes[0] += n_model - sizes.sum()
    model = {
        f"layer{i}/W": rng.standard_normal(int(n), dtype=np.float32) for i, n in enumerate(sizes)
    }
    optimizer = {"iterations": 1000}
    for k, v in model.items():
        optimizer[f"momentum/{k}"] = rng.standard_normal(v.shape, dtype=np.float32)
        optimizer[f"velocity/{k}"] = np.abs(rng.standard_normal(v.shape, dtype=np.float32))
    return model, optimizer


def flat(model, optimizer):
    out = {f"model/{k}": v for k, v in model.items()}
    out.update({f"optimizer/{k}": np.asarray(v) for k, v in optimizer.items()})
    return out


def timed(fn):
    with gc_paused():
        t0 = time.perf_counter()
        result = fn()
        return time.perf_counter() - t0, result


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def main(argv=None):
    run(argv)
    return 0


def run(argv=None) -> dict:
    """Run the suite, print its report, write ``--json``; return the suite result
    (`optkern._bench.summary`)."""
    ap = argparse.ArgumentParser(
        prog="python -m optkern bench checkpoint",
        description="Checkpoint save and restore of a float32 training state: optkern vs "
        "np.savez and np.load, in the same run.",
        epilog="The method is described in docs/benchmarks.md of the optkern repository.",
    )
    ap.add_argument(
        "--size-mb",
        type=positive_number,
        default=None,
        help="state size in MB (10^6 bytes; default 200, 20 with --quick)",
    )
    ap.add_argument(
        "--reps",
        type=positive_int,
        default=None,
        help="repetitions, median reported (default 9, 3 with --quick)",
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: 20 MB, 3 repetitions")
    ap.add_argument("--dir", default=None, help="directory to write in (default: a temp dir)")
    ap.add_argument("--json", metavar="PATH", help="write the figures and the machine to PATH")
    args = ap.parse_args(argv)
    if args.size_mb is None:
        args.size_mb = 20.0 if args.quick else 200.0
    if args.reps is None:
        args.reps = 3 if args.quick else 9

    t_start = time.perf_counter()
    # the bound for the summary table: a large NumPy copy (read + write bytes per second)
    bound_gbs = copy_bandwidth(1 << 26 if args.quick else 1 << 28) / 1e9
    nbytes_target = int(args.size_mb * 1e6)
    model, optimizer = make_state(nbytes_target)
    flat_state = flat(model, optimizer)
    nbytes = sum(v.nbytes for v in flat_state.values())
    mb = nbytes / 1e6

    root = tempfile.mkdtemp(prefix="bench_checkpoint_", dir=args.dir)
    print(f"state: {mb:.1f} MB in {len(flat_state)} arrays; directory: {root}; reps: {args.reps}")
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}")

    ckpt = Checkpoint(model=model, optimizer=optimizer)
    manager_dir = os.path.join(root, "managed")
    manager = CheckpointManager(ckpt, manager_dir, max_to_keep=2)
    # restore targets: the trainer's arrays (restored in place)
    t_model = {k: np.empty_like(v) for k, v in model.items()}
    t_opt = {
        k: (np.empty_like(v) if isinstance(v, np.ndarray) else 0) for k, v in optimizer.items()
    }
    target = Checkpoint(model=t_model, optimizer=t_opt)

    times: dict[str, list[float]] = {
        k: []
        for k in (
            "np.savez",
            "np.savez + fsync",
            "ok Checkpoint.write",
            "ok Manager.save",
            "np.load",
            "ok Checkpoint.restore",
        )
    }
    p_savez = os.path.join(root, "savez.npz")
    p_savez_sync = os.path.join(root, "savez_fsync.npz")
    p_ok = os.path.join(root, "ok.npz")

    def savez_fsync():
        with open(p_savez_sync, "wb") as f:
            np.savez(f, **flat_state)
            f.flush()
            os.fsync(f.fileno())

    def np_load():
        with np.load(p_savez, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def settle():
        # Start every timed operation with no dirty pages pending, so that one row's
        # writeback is never billed to the next (and the disk is idle).
        if hasattr(os, "sync"):
            os.sync()

    saves = {
        "np.savez": (p_savez, lambda: np.savez(p_savez, **flat_state)),
        "np.savez + fsync": (p_savez_sync, savez_fsync),
        "ok Checkpoint.write": (p_ok, lambda: ckpt.write(p_ok)),
        "ok Manager.save": (None, manager.save),
    }
    loads = {"np.load": np_load, "ok Checkpoint.restore": lambda: target.restore(p_ok)}
    rng = random.Random(0)
    # rep 0 is an untimed warm-up (page faults, imports, first touch). The order of the
    # operations is shuffled in every rep: on a shared VM a write sometimes stalls for a
    # few hundred ms, and a fixed order would bill such stalls to the same row.
    for rep in range(args.reps + 1):
        order = list(saves)
        rng.shuffle(order)
        for name in order:
            path, fn = saves[name]
            if path is not None:
                remove(path)
            settle()
            t, _ = timed(fn)
            if rep:
                times[name].append(t)
        order = list(loads)
        rng.shuffle(order)
        for name in order:
            settle()
            t, result = timed(loads[name])
            del result
            if rep:
                times[name].append(t)

    # correctness of the last restore
    for k, v in model.items():
        assert np.array_equal(t_model[k], v)
    manager.close()
    shutil.rmtree(root, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    base = {
        "np.savez": "np.savez + fsync",
        "np.savez + fsync": "np.savez + fsync",
        "ok Checkpoint.write": "np.savez + fsync",
        "ok Manager.save": "np.savez + fsync",
        "np.load": "np.load",
        "ok Checkpoint.restore": "np.load",
    }
    print()
    print(f"| operation ({mb:.0f} MB) | median s | MB/s | vs baseline |")
    print("|---|---:|---:|---:|")
    for k, t in med.items():
        ratio = t / med[base[k]]
        print(f"| {k} | {t:.3f} | {mb / t:,.0f} | {ratio:.2f}x {base[k]} |")
    save_ratio = med["ok Checkpoint.write"] / med["np.savez + fsync"]
    mgr_ratio = med["ok Manager.save"] / med["np.savez + fsync"]
    restore_ratio = med["ok Checkpoint.restore"] / med["np.load"]
    print()
    print(
        f"save:    Checkpoint.write takes {save_ratio:.2f}x the time of np.savez + fsync "
        f"(goal: at most {SAVE_GOAL:.2f}x, {goal_word(save_ratio <= SAVE_GOAL)}); "
        f"Manager.save {mgr_ratio:.2f}x"
    )
    print(
        f"restore: Checkpoint.restore (verified, in place) takes {restore_ratio:.2f}x the time "
        f"of np.load (goal: at most {RESTORE_GOAL:.2f}x, "
        f"{goal_word(restore_ratio <= RESTORE_GOAL)})"
    )
    spread = {k: (min(v), max(v)) for k, v in times.items()}
    print("min..max s: " + "; ".join(f"{k} {a:.3f}..{b:.3f}" for k, (a, b) in spread.items()))
    best_save = min(times["ok Checkpoint.write"]) / min(times["np.savez + fsync"])
    best_restore = min(times["ok Checkpoint.restore"]) / min(times["np.load"])
    print(f"best-of-reps ratios: save {best_save:.2f}x, restore {best_restore:.2f}x")
    print("(the method is described in docs/benchmarks.md of the optkern repository)")
    elements = nbytes // 4  # float32 elements of the state
    rows = [
        summary_row(
            op[3:],
            f"{mb:.0f} MB",
            elements,
            med[op],
            med[base[op]],
            bytes_per_element=8,
            bound_gbs=bound_gbs,
        )
        for op in ("ok Checkpoint.write", "ok Manager.save", "ok Checkpoint.restore")
    ]
    result = dict(
        suite="checkpoint",
        title=f"checkpoint save and restore of {mb:.0f} MB",
        baseline="np.savez + fsync for saves, np.load for restores",
        bound_gbs=bound_gbs,
        bound="large NumPy copy; 8 B/elem: each float32 read and written once",
        rows=rows,
        wall_s=time.perf_counter() - t_start,
        raw=dict(
            state_bytes=nbytes,
            reps=args.reps,
            median_s=med,
            times_s=times,
            save_ratio=save_ratio,
            restore_ratio=restore_ratio,
        ),
    )
    if args.json:
        from .. import get_num_threads

        write_json(args.json, {"checkpoint": result}, get_num_threads())
    return result


def goal_word(met: bool) -> str:
    return "met" if met else "not met"
