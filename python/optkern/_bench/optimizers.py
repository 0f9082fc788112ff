"""The optimizer benchmark: one float32 step of every optimizer in the registry.

Usage (the default suite of ``python -m optkern bench``)::

    python -m optkern bench                    # full run, about 11 minutes on 2 cores
    python -m optkern bench --quick            # smoke run, small sizes, a few seconds
    python -m optkern bench optimizers --only keras-sgd --quick
    python -m optkern bench optimizers --threads 1 --json results.json

Every ``bench=True`` row of the registry (`optkern._registry`: one per optimizer
class and front end) is timed; for each row and size three implementations run
one step with the row's hyperparameters on their own copies of the same
parameters and gradients:

* ``optkern``: ``case.cls(params, **case.kwargs).step(grads)``, the whole public
  Python call included;
* ``numpy``: ``case.reference``, the pure-NumPy oracle (single-threaded, as NumPy
  ufuncs are);
* ``torch``: torch's fastest path for the same work, ``.grad`` set once and
  ``opt.step()`` timed: ``fused=True`` where torch has it for the class, else
  ``foreach=True`` (see `optimizer_rows.torch_spec`); none where torch has no
  such class (Lion), torch is not installed, or ``--no-torch`` is given.

The Adam row of the Keras front end (``keras-adam``) is the foundation: it runs
at 2^10, 2^14, 2^18, 2^22 and 2^26 elements, an odd size next to each (2^k+3 or
2^k-1), and a 1000-tensor "model" of about 10 M elements whose sizes are drawn
log-uniformly from a seeded RNG, with its own table and goals. The other rows
run at 2^14, 2^18, 2^22 and the model, and are compared with it per byte moved:
each of their rounds also times keras-adam on the same arrays, right after the
row's optkern block.

optkern and torch run with the same thread count (``--threads``, default
``ok.get_num_threads()``). The method (blocks, rounds, medians, the bandwidth
bound, the speed goals) is described in docs/benchmarks.md. Timing never makes
the run fail: it exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys

import numpy as np

import optkern as ok

from .bandwidth import bandwidth_bound, measure_bandwidth
from .controls import print_controls, time_controls
from .optimizer_rows import (
    FOUNDATION,
    ROW_BUDGET_S,
    ROW_ROUNDS,
    derive,
    print_rows_report,
    row_cases,
    row_goals,
    select_rows,
    torch_label,
    torch_spec,
)
from .options import (
    add_timing_options,
    import_torch,
    machine_info,
    progress_printer,
    resolve_timing_options,
)
from .report import fmt, ratio, run_header
from .summary import summary_row
from .timing import FOREIGN_LOAD_LIMIT, PAUSE_S, loadavg, now, pause, run_rounds

LR = 1e-3
SEED = 20240601
QUICK_PAUSE_S = 0.02  # between blocks with --quick (a smoke run, not a measurement)

# Full run: (log2 size, offset of its odd neighbour).
POWERS = [10, 14, 18, 22, 26]
ODD = {10: +3, 14: -1, 18: +3, 22: -1, 26: +3}

# Speed goals (docs/benchmarks.md): how many times faster than the NumPy reference
# and torch fused optkern aims to be, and how long one small step may take.
NUMPY_GOAL = 8.0  # at every single-tensor size >= 2^14
TORCH_GOALS = {10: 10.0, 14: 4.0, 18: 1.5, 22: 1.0, 26: 1.0}
MODEL_TORCH_GOAL = 2.5
STEP_US_GOAL = 3.0  # one step on a 1024-element tensor


# ---------------------------------------------------------------- cases -----
def model_sizes(count, total, seed=SEED, lo=16, hi=1 << 20):
    """``count`` log-uniform sizes in [lo, hi], rescaled to sum to about ``total``."""
    rng = np.random.default_rng(seed)
    raw = np.exp(rng.uniform(math.log(lo), math.log(hi), size=count))
    sizes = np.maximum(1, np.rint(raw * (total / raw.sum()))).astype(np.int64)
    return [int(s) for s in sizes]


def make_cases(quick):
    cases = []
    powers = [10, 14] if quick else POWERS
    for k in powers:
        cases.append(dict(name=f"2^{k}", k=k, sizes=[1 << k]))
        d = ODD[k]
        cases.append(dict(name=f"2^{k}{d:+d}", k=k, sizes=[(1 << k) + d]))
    count, total = (100, 50_000) if quick else (1000, 10_000_000)
    sizes = model_sizes(count, total)
    cases.append(
        dict(name=f"model {count}x ({sum(sizes) / 1e6:.1f} M)", k=None, sizes=sizes, model=True)
    )
    return cases


def make_data(sizes, seed):
    rng = np.random.default_rng(seed)
    p = [rng.standard_normal(s, dtype=np.float32) for s in sizes]
    g = [rng.standard_normal(s, dtype=np.float32) * np.float32(1e-2) for s in sizes]
    return p, g


# One block per library: its own copies of the parameters and state, freed
# before the next library's are allocated (a 2^26 float32 array is 256 MiB).
def bench_optkern(timer, case, spec, torch, p0, g, budget_s):
    params = [x.copy() for x in p0]
    opt = case.cls(params, **case.kwargs)
    return timer.quiet_block(lambda: opt.step(g), budget_s)


def bench_numpy(timer, case, spec, torch, p0, g, budget_s):
    params = [x.copy() for x in p0]
    ref = case.reference(params, **case.kwargs)
    with np.errstate(all="ignore"):
        return timer.quiet_block(lambda: ref.step(g), budget_s)


def bench_torch(timer, case, spec, torch, p0, g, budget_s):
    params = []
    for x, gx in zip(p0, g):
        t = torch.nn.Parameter(torch.from_numpy(x.copy()))
        t.grad = torch.from_numpy(gx)  # shares memory with the NumPy grad, read only
        params.append(t)
    opt = getattr(torch.optim, spec["name"])(params, **spec["kwargs"], **spec["extra"])
    r = timer.quiet_block(opt.step, budget_s)
    del opt, params
    return r


def time_case(settings, case, spec, torch, p0, g, budget_s, rounds, foundation=None):
    """Every library's blocks for one row and one size, in rounds (shorter pauses
    between blocks with --quick, a smoke run). With ``foundation`` (a registry
    case), each round also times it on the same arrays right after the row's
    optkern block, under the key ``"foundation"``: the per-byte comparison then
    sets two blocks seconds apart side by side, not two minutes apart (memory
    speed on a shared machine drifts by tens of percent over minutes)."""
    timer = settings.timer
    blocks = {"optkern": lambda: bench_optkern(timer, case, spec, torch, p0, g, budget_s)}
    if foundation is not None:
        blocks["foundation"] = lambda: bench_optkern(timer, foundation, None, None, p0, g, budget_s)
    blocks["numpy"] = lambda: bench_numpy(timer, case, spec, torch, p0, g, budget_s)
    if spec is not None:
        blocks["torch"] = lambda: bench_torch(timer, case, spec, torch, p0, g, budget_s)
    return run_rounds(blocks, rounds, pause_s=QUICK_PAUSE_S if settings.quick else PAUSE_S)


def overhead_breakdown(timer, budget_s):
    """Per-step µs at 2^10: opt.step vs the bare native call (private API)."""
    out = {}
    try:
        from optkern import _core

        p0, g = make_data([1 << 10], SEED)
        opt = ok.Adam([p0[0].copy()], learning_rate=LR)
        out["opt.step"] = timer.block(lambda: opt.step(g), budget_s)["median"]
        s = opt._state
        args = (
            opt._records,
            [1],
            1,
            [LR],
            opt._groups.params,
            g,
            [s["momentum"], s["velocity"], None],
            None,
            opt._groups.labels,
        )
        out["_core.adam_step"] = timer.block(lambda: _core.adam_step(*args), budget_s)["median"]
        empty = ([_core.AdamGroup()], [0], 1, [LR], [], [], [[], [], None], None, [])
        out["_core.adam_step (no tensors)"] = timer.block(
            lambda: _core.adam_step(*empty), budget_s
        )["median"]
    except Exception as exc:  # noqa: BLE001 (private API may change; never fail the benchmark)
        out["error"] = repr(exc)
    return out


# ---------------------------------------------------------------- goals -----
def check_goals(res):
    """Each speed goal this run can judge: what, the value measured, whether met.

    The goals name the powers of two and the model; the odd sizes are held to
    the goals of the power of two they sit next to (``odd_size``). The NumPy
    goal applies to the single-tensor sizes from 2^14, the model has a torch goal.
    """
    goals = []
    for c in res["cases"]:
        ok_s = c["optkern"]["median"]
        n = c["elements"]
        odd = not (c.get("model") or n == 1 << c["k"])
        if n >= 1 << 14 and not c.get("model"):
            r = c["numpy"]["median"] / ok_s
            goals.append(
                dict(
                    what=f"at {c['name']}, optkern at least {NUMPY_GOAL:g}x as fast "
                    "as the NumPy reference",
                    value=f"{r:.1f}x",
                    ratio=r,
                    met=r >= NUMPY_GOAL,
                    odd_size=odd,
                )
            )
        if c.get("torch"):
            r = c["torch"]["median"] / ok_s
            goal = MODEL_TORCH_GOAL if c.get("model") else TORCH_GOALS.get(c["k"])
            if goal is not None:
                goals.append(
                    dict(
                        what=f"at {c['name']}, optkern at least {goal:g}x as fast as torch fused",
                        value=f"{r:.2f}x",
                        ratio=r,
                        met=r >= goal,
                        odd_size=odd,
                    )
                )
        if c["k"] == 10 and not c.get("model"):
            us = ok_s * 1e6
            goals.append(
                dict(
                    what=f"at {c['name']}, one optkern step takes at most {STEP_US_GOAL:g} µs",
                    value=f"{us:.2f} µs",
                    ratio=us,
                    met=us <= STEP_US_GOAL,
                    odd_size=odd,
                )
            )
    for t in goals:
        t["met"] = bool(t["met"])
    return goals


# ---------------------------------------------------------------- report ----
def print_report(res):
    has_torch = res["torch"] is not None
    print()
    print("\n".join(run_header(res)))
    print()
    tname = f"torch {res.get('foundation_torch_path') or 'fused'}"
    print(f"{FOUNDATION}: {res['bytes_per_element']} bytes moved per element, every size:")
    print()
    print(
        f"| size | optkern ns/elem | optkern GB/s | NumPy ref ns/elem | {tname} ns/elem "
        "| speed-up vs NumPy | speed-up vs torch | fraction of bound |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for c in res["cases"]:
        n = c["elements"]
        ok_s = c["optkern"]["median"]
        np_s = c["numpy"]["median"]
        th_s = c["torch"]["median"] if c.get("torch") else None
        frac = c["fraction_of_bound"] if c["bandwidth_bound_case"] else None
        print(
            f"| {c['name']} | {ok_s / n * 1e9:.3f} | {c['optkern_gbs']:.1f} | "
            f"{np_s / n * 1e9:.3f} | {fmt(th_s and th_s / n * 1e9, '.3f')} | "
            f"{fmt(ratio(ok_s, np_s), '.1f')}x | "
            f"{fmt(ratio(ok_s, th_s), '.2f') + 'x' if th_s else '-'} | {fmt(frac, '.2f')} |"
        )
    print()
    print("per-step time (median, µs):")
    print()
    print(f"| size | optkern | NumPy ref | {tname} | other processes' load (cores) |")
    print("|---|---:|---:|---:|---|")
    noisy = False
    for c in res["cases"]:
        th = c["torch"]["median"] * 1e6 if c.get("torch") else None
        loads = [c[lib].get("foreign_load") for lib in ("optkern", "numpy", "torch") if c.get(lib)]
        noisy |= any(x is not None and x > FOREIGN_LOAD_LIMIT for x in loads)
        print(
            f"| {c['name']} | {c['optkern']['median'] * 1e6:.2f} | "
            f"{c['numpy']['median'] * 1e6:.1f} | {fmt(th, '.1f')} | "
            + " / ".join(fmt(x, ".2f") for x in loads)
            + " |"
        )
    if noisy:
        print(
            f"\nWARNING: other processes used more than {FOREIGN_LOAD_LIMIT} cores during "
            "some blocks (even after retries); their times are not trustworthy: an OpenMP "
            "barrier whose worker thread is descheduled waits a scheduler slice (~ms)."
        )
    ov = res.get("overhead_us")
    if ov:
        print()
        print(
            "per-call overhead at 2^10 (µs): "
            + ", ".join(
                f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in ov.items()
            )
        )
    print()
    print(
        "speed goals, judged on this run's medians (they never fail the run; "
        "see docs/benchmarks.md):"
    )
    for t in res["goals"]:
        print(
            f"  {'met    ' if t['met'] else 'not met'}  {t['what']}: {t['value']}"
            + ("  (odd size, extra check)" if t["odd_size"] else "")
        )
    if not has_torch:
        print("  (torch is not installed or was skipped: the torch goals are not checked)")
    main_goals = [t for t in res["goals"] if not t["odd_size"]]
    odd = [t for t in res["goals"] if t["odd_size"]]
    print(
        f"  met: {sum(t['met'] for t in main_goals)} of {len(main_goals)} goals at the powers "
        f"of two and the model, {sum(t['met'] for t in odd)} of {len(odd)} at the odd sizes"
    )


# ------------------------------------------------------------------ main ----
def main(argv=None):
    run(argv)
    return 0


def summary(res: dict) -> list[dict]:
    """The shared summary rows (`summary.summary_row`): every row at every size it ran,
    the foundation first."""
    rows = []
    for row in sorted(res["optimizers"], key=lambda r: r["id"] != FOUNDATION):
        label = torch_label(row["torch"]) if row["torch"] else None
        for c in row["cases"]:
            rows.append(
                summary_row(
                    row["id"],
                    c["name"],
                    c["elements"],
                    c["optkern"]["median"],
                    c["numpy"]["median"],
                    c["torch"]["median"] if c.get("torch") else None,
                    bytes_per_element=row["bytes_per_element"],
                    bound_gbs=res["bandwidth_bound_gbs"],
                    bandwidth_bound_case=c["bandwidth_bound_case"],
                    torch_label=label and f"torch {label}",
                )
            )
    return rows


def run(argv=None) -> dict:
    """Run the suite, print its report, write ``--json``; return the suite result
    (`optkern._bench.summary`)."""
    ap = argparse.ArgumentParser(
        prog="python -m optkern bench optimizers",
        description="One float32 step of every optimizer of the registry (both front ends): "
        "optkern vs the NumPy reference vs torch's fastest path; keras-adam at "
        "2^10 to 2^26 elements and a 1000-tensor model, the other rows at 2^14, "
        f"2^18, 2^22 and the model (in blocks of {ROW_BUDGET_S:g} s, "
        f"{ROW_ROUNDS} rounds, unless --budget or --rounds is given).",
        epilog="The method is described in docs/benchmarks.md of the optkern repository.",
    )
    add_timing_options(ap)
    ap.add_argument(
        "--only",
        metavar="SUBSTRING",
        help="time only the rows whose id contains SUBSTRING (several: "
        "comma-separated), e.g. --only keras-sgd or --only adam,lion; "
        f"the ids: {', '.join(c.id for c in select_rows(None))}; "
        "'controls' (run with keras-adam): the use_ema and "
        "skip_nonfinite rows",
    )
    args = ap.parse_args(argv)
    selected = select_rows(args.only)
    wanted = [s.strip() for s in (args.only or "").split(",") if s.strip()]
    # the training-controls rows: with the foundation row, or asked for by name
    with_controls = not args.only or any(s in ("controls", FOUNDATION) for s in wanted)
    # every substring must select something (then so does the whole --only)
    ids = [c.id for c in select_rows(None)]
    unmatched = [s for s in wanted if s != "controls" and not any(s in i for i in ids)]
    if unmatched:
        ap.error(
            f"{', '.join(map(repr, unmatched))} in --only {args.only!r} selects no row "
            f"(the ids: {', '.join(ids)})"
        )
    progress = progress_printer()
    t_start = now()
    settings = resolve_timing_options(args)
    timer, budget, threads = settings.timer, settings.budget_s, settings.threads
    row_budget = budget if settings.quick or args.budget is not None else ROW_BUDGET_S
    row_rounds = (
        settings.rounds
        if settings.quick or args.rounds is not None
        else min(settings.rounds, ROW_ROUNDS)
    )
    torch = None if settings.no_torch else import_torch(threads)
    res = machine_info(settings, torch)
    foundation = next((c for c in selected if c.id == FOUNDATION), None)
    others = [c for c in selected if c.id != FOUNDATION]
    # every other row's cases also time the foundation, for the per-byte goal
    baseline = next(c for c in select_rows(FOUNDATION) if c.id == FOUNDATION)
    specs = {c.id: torch_spec(torch, c) for c in selected}
    res.update(
        bytes_per_element=foundation.bytes_per_element if foundation else None,
        foundation_torch_path=(specs[FOUNDATION] or {}).get("path") if foundation else None,
        only=args.only,
        row_budget_s=row_budget,
        row_rounds=row_rounds,
    )

    progress(f"bandwidth ({settings.bw_elements} elements)")
    bw = [measure_bandwidth(timer, settings.bw_elements, threads, min(budget, 1.0))]
    pause()

    all_cases = make_cases(settings.quick)
    cases = []
    if foundation is not None:
        for i, case in enumerate(all_cases):
            sizes = case["sizes"]
            progress(
                f"{FOUNDATION} {case['name']}: {sum(sizes)} elements in {len(sizes)} tensor(s)"
            )
            p0, g = make_data(sizes, SEED + i)
            entry = new_entry(case)
            entry.update(
                time_case(
                    settings, foundation, specs[FOUNDATION], torch, p0, g, budget, settings.rounds
                )
            )
            del p0, g
            gc.collect()
            cases.append(entry)

    row_entries: dict[str, list[dict]] = {c.id: [] for c in others}
    for i, case in enumerate(row_cases(settings.quick, all_cases[-1]) if others else []):
        sizes = case["sizes"]
        p0, g = make_data(sizes, SEED + 100 + i)
        for row in others:
            progress(f"{row.id} {case['name']}: {sum(sizes)} elements in {len(sizes)} tensor(s)")
            entry = new_entry(case)
            entry.update(
                time_case(
                    settings, row, specs[row.id], torch, p0, g, row_budget, row_rounds, baseline
                )
            )
            row_entries[row.id].append(entry)
        del p0, g
        gc.collect()

    if with_controls:
        progress("training controls (use_ema, skip_nonfinite)")
        res["controls"] = time_controls(
            timer,
            run_rounds,
            row_budget,
            row_rounds,
            settings.quick,
            QUICK_PAUSE_S if settings.quick else PAUSE_S,
        )
        for r in res["controls"]["pooled"].values():
            r.pop("rounds", None)

    progress("bandwidth again")
    bw.append(measure_bandwidth(timer, settings.bw_elements, threads, min(budget, 1.0)))
    best, bound = bandwidth_bound(bw)
    res.update(bandwidth_runs=bw, bandwidth_best_by_kernel=best, bandwidth_bound_gbs=bound)

    if foundation is not None:  # cases are the foundation's sizes
        for c in cases:
            derive(c, foundation.bytes_per_element, bound)
    res["cases"] = cases
    rows = []
    for row in selected:
        entries = cases if row.id == FOUNDATION else row_entries[row.id]
        for c in entries:
            if row.id != FOUNDATION:
                derive(c, row.bytes_per_element, bound, baseline.bytes_per_element)
        spec = specs[row.id]
        rows.append(
            dict(
                id=row.id,
                front_end=row.front_end,
                name=row.name,
                kwargs=row.kwargs,
                bytes_per_element=row.bytes_per_element,
                torch=spec and {k: v for k, v in spec.items() if k != "extra"},
                cases=entries,
            )
        )
    res["optimizers"] = rows

    if foundation is not None:
        progress("per-call overhead at 2^10")
        res["overhead_us"] = {
            k: (v * 1e6 if isinstance(v, float) else v)
            for k, v in overhead_breakdown(timer, budget).items()
        }
    res["goals"] = check_goals(res)
    res["optimizer_goals"] = row_goals(rows)
    res["wall_s"] = now() - t_start
    res["loadavg_end"] = loadavg()
    res["quiet_waited_s"] = timer.waited_s
    if foundation is not None:
        print_report(res)
    else:
        print()
        print("\n".join(run_header(res)))
    light = {c["name"] for c in row_cases(settings.quick, all_cases[-1])}
    shown = [
        dict(r, cases=[c for c in r["cases"] if c["name"] in light]) if r["id"] == FOUNDATION else r
        for r in rows
    ]
    if shown:
        print_rows_report(shown, res["optimizer_goals"], bound, torch is not None)
    if with_controls:
        print_controls(res["controls"])
    print(
        f"\n(wall time {res['wall_s']:.0f} s; command: python -m optkern bench optimizers"
        + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
        + ")"
    )
    if settings.json:
        with open(settings.json, "w") as f:
            json.dump(res, f, indent=1)
    return dict(
        suite="optimizers",
        title="one float32 step of every optimizer",
        baseline="the pure-NumPy reference (optkern.reference)",
        bound_gbs=res["bandwidth_bound_gbs"],
        bound="best np.add bandwidth of the run; shown from 64 MiB working sets",
        rows=summary(res),
        wall_s=res["wall_s"],
        raw=res,
    )


def new_entry(case):
    entry = dict(
        name=case["name"],
        k=case["k"],
        model=case.get("model", False),
        elements=sum(case["sizes"]),
        tensors=len(case["sizes"]),
    )
    if entry["model"]:
        entry["sizes"] = case["sizes"]
    return entry
