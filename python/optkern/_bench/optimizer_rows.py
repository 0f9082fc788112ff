"""The optimizer suite's rows: one per ``bench=True`` row of the registry.

This module holds what the suite does for every optimizer: choosing the rows
(``--only``), the sizes, the torch class and fastest path each row is compared
with, the per-row speed goals and the table of all rows. The suite's entry
point and its Adam foundation table are in `optkern._bench.optimizers`.

torch's fastest path for a row is found at run time: ``fused=True`` where that
torch class accepts it and runs a step on CPU (Adam, AdamW, SGD and Adagrad in
torch 2.13), else ``foreach=True``, else the plain single-tensor loop. A
Keras-convention row is compared with torch's class of the same name (compared
case-insensitively: Keras ``Nadam`` is torch ``NAdam``), its keyword arguments
renamed to torch's (`keras_to_torch_kwargs`): the maths differ in details, so
it is a speed comparison of the same work, not of the same numbers.
"""

from __future__ import annotations

import inspect
import warnings

from .._registry import cases as registry_cases
from .bandwidth import CACHE_FREE_BYTES
from .report import fmt, ratio
from .timing import FOREIGN_LOAD_LIMIT

FOUNDATION = "keras-adam"  # the row the foundation table (every size) is built on

# Sizes of the other rows: log2 of the single tensors; the model is added to both.
ROW_POWERS = [14, 18, 22]
ROW_POWERS_QUICK = [14]  # and the quick model
# The full run gives the other rows shorter blocks and fewer rounds (unless
# --budget or --rounds is given), so that every row fits in about 11 minutes.
ROW_BUDGET_S = 0.4
ROW_ROUNDS = 2

# Goals of every row but the foundation (docs/benchmarks.md).
NUMPY_GOAL = 8.0  # x the NumPy reference, every single tensor from 2^14 elements
TORCH_GOAL_K = 22  # at 2^22 elements ...
TORCH_GOAL = 1.0  # ... at least as fast as torch's fastest path
MODEL_TORCH_GOAL = 1.5  # on the 1000-tensor model
PER_BYTE_GOAL = 1.3  # GB/s at least the foundation's / 1.3 at the same size


# ------------------------------------------------------------ selection -----
def select_rows(only: str | None) -> list:
    """The registry's benchmark rows whose id contains one of the comma-separated
    substrings of ``only`` (every row when ``only`` is None or empty)."""
    rows = registry_cases(bench=True)
    wanted = [s.strip() for s in (only or "").split(",") if s.strip()]
    if not wanted:
        return rows
    return [c for c in rows if any(s in c.id for s in wanted)]


# ---------------------------------------------------------------- torch -----
_TORCH_NAMES = {"learning_rate": "lr", "epsilon": "eps"}


def keras_to_torch_kwargs(kwargs: dict, torch_params) -> dict:
    """Keras keyword arguments renamed to a torch class's, for a speed comparison.

    ``learning_rate`` -> ``lr``, ``epsilon`` -> ``eps``, ``beta_1``/``beta_2`` ->
    ``betas`` (torch's default for the one not given), ``rho`` -> ``alpha`` where
    the torch class has ``alpha`` and no ``rho`` (RMSprop); any other name is kept
    when the torch class takes it (``momentum``, ``nesterov``, ``weight_decay``,
    ``amsgrad``, ``centered``, ...) and dropped otherwise (``clipvalue``, ...).
    ``torch_params`` maps the torch class's parameter names to their defaults.
    """
    out = {}
    for key, value in kwargs.items():
        if key in ("beta_1", "beta_2"):
            continue
        if key == "rho" and "rho" not in torch_params and "alpha" in torch_params:
            key = "alpha"
        key = _TORCH_NAMES.get(key, key)
        if key in torch_params:
            out[key] = value
    if ("beta_1" in kwargs or "beta_2" in kwargs) and "betas" in torch_params:
        b1, b2 = torch_params["betas"]
        out["betas"] = (kwargs.get("beta_1", b1), kwargs.get("beta_2", b2))
    return out


def _torch_class(torch, name: str):
    """torch.optim's class called ``name``, compared case-insensitively, or None."""
    for attr in dir(torch.optim):
        obj = getattr(torch.optim, attr)
        if (
            attr.lower() == name.lower()
            and isinstance(obj, type)
            and issubclass(obj, torch.optim.Optimizer)
        ):
            return obj
    return None


def torch_spec(torch, case) -> dict | None:
    """How torch runs the row's work: ``dict(name, kwargs, path)`` with ``path``
    one of "fused", "foreach", "single-tensor"; None without torch, for a row
    whose ``torch`` is None on the torch front end, or where torch.optim has no
    such class (Lion)."""
    if torch is None:
        return None
    if case.front_end == "keras":
        cls = _torch_class(torch, case.name)
        if cls is None:
            return None
        params = {k: p.default for k, p in inspect.signature(cls).parameters.items()}
        kwargs = keras_to_torch_kwargs(case.kwargs, params)
    else:
        if case.torch is None:
            return None
        name, kwargs = case.torch
        cls = getattr(torch.optim, name, None)
        if cls is None:
            return None
        kwargs = dict(kwargs)
    for path, extra in (
        ("fused", dict(fused=True)),
        ("foreach", dict(foreach=True)),
        ("single-tensor", dict(foreach=False)),
    ):
        try:  # a throw-away parameter: construction and one step must both work
            p = torch.nn.Parameter(torch.zeros(8))
            p.grad = torch.full((8,), 0.01)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cls([p], **kwargs, **extra).step()
        except Exception:  # noqa: BLE001 S112 (this path is not available for the class: try the next one
            continue
        return dict(name=cls.__name__, kwargs=kwargs, path=path, extra=extra)
    return None


def torch_label(spec: dict | None) -> str:
    return "-" if spec is None else f"{spec['name']} {spec['path']}"


# ---------------------------------------------------------------- cases -----
def row_cases(quick: bool, model_case: dict) -> list[dict]:
    """The sizes of every row but the foundation: 2^14, 2^18, 2^22 and the model
    (``--quick``: 2^14 and the quick model)."""
    powers = ROW_POWERS_QUICK if quick else ROW_POWERS
    return [dict(name=f"2^{k}", k=k, sizes=[1 << k]) for k in powers] + [model_case]


def derive(
    entry: dict, bytes_per_element: int, bound: float, foundation_bytes: int | None = None
) -> None:
    """Add GB/s, ns per element and the fraction of the bound to a timed case;
    where the case timed the foundation next to the row (``entry["foundation"]``,
    moving ``foundation_bytes`` per element), also its GB/s and the row's GB/s
    over it (``vs_foundation_gbs``)."""
    n = entry["elements"]
    moved = bytes_per_element * n
    for lib in ("optkern", "numpy", "torch"):
        if entry.get(lib):
            entry[f"{lib}_gbs"] = moved / entry[lib]["median"] / 1e9
            entry[f"{lib}_ns_per_element"] = entry[lib]["median"] / n * 1e9
    entry["fraction_of_bound"] = entry["optkern_gbs"] / bound
    entry["bandwidth_bound_case"] = moved >= CACHE_FREE_BYTES
    if entry.get("foundation") and foundation_bytes:
        entry["foundation_gbs"] = foundation_bytes * n / entry["foundation"]["median"] / 1e9
        entry["vs_foundation_gbs"] = entry["optkern_gbs"] / entry["foundation_gbs"]


# ---------------------------------------------------------------- goals -----
def row_goals(rows: list[dict]) -> list[dict]:
    """The goals of every row but the foundation, judged on this run's medians: dicts
    with ``kind`` ("numpy", "torch" or "bytes"), ``row``, ``size``, ``what``,
    ``value`` (as printed), ``ratio`` and ``met``."""
    goals = []

    def add(kind, row, case, what, value, r, met):
        goals.append(
            dict(
                kind=kind,
                row=row["id"],
                size=case["name"],
                what=what,
                value=value,
                ratio=r,
                met=bool(met),
            )
        )

    for row in rows:
        if row["id"] == FOUNDATION:
            continue
        for c in row["cases"]:
            ok_s = c["optkern"]["median"]
            model = c.get("model", False)
            if not model and c["elements"] >= 1 << 14:
                r = c["numpy"]["median"] / ok_s
                add(
                    "numpy",
                    row,
                    c,
                    f"at least {NUMPY_GOAL:g}x as fast as the NumPy reference",
                    f"{r:.1f}x",
                    r,
                    r >= NUMPY_GOAL,
                )
            if c.get("torch"):
                goal = (
                    MODEL_TORCH_GOAL if model else (TORCH_GOAL if c["k"] == TORCH_GOAL_K else None)
                )
                if goal is not None:
                    r = c["torch"]["median"] / ok_s
                    add(
                        "torch",
                        row,
                        c,
                        f"at least {goal:g}x as fast as torch ({torch_label(row['torch'])})",
                        f"{r:.2f}x",
                        r,
                        r >= goal,
                    )
            v = c.get("vs_foundation_gbs")
            if v is not None:
                add(
                    "bytes",
                    row,
                    c,
                    f"GB/s within {PER_BYTE_GOAL:g}x of {FOUNDATION}'s (timed next to it)",
                    f"{v:.2f} of {FOUNDATION}'s",
                    v,
                    v * PER_BYTE_GOAL >= 1.0,
                )
    return goals


# --------------------------------------------------------------- report -----
def print_rows_report(rows: list[dict], goals: list[dict], bound: float, has_torch: bool):
    print()
    print(
        f"every optimizer (registry rows with bench=True), float32, one step; GB/s counts "
        f"the bytes a step must move per element (B/elem); 'vs {FOUNDATION}' is the GB/s "
        f"over that of {FOUNDATION} timed on the same arrays next to the row in every round; "
        f"bound = {bound:.1f} GB/s:"
    )
    print()
    print(
        f"| optimizer | size | B/elem | optkern µs | optkern GB/s | fraction of bound "
        f"| vs {FOUNDATION} | NumPy ref µs | speed-up vs NumPy | torch path | torch µs "
        "| speed-up vs torch | other processes' load (cores) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
    noisy = False
    for row in rows:
        for c in row["cases"]:
            ok_s, np_s = c["optkern"]["median"], c["numpy"]["median"]
            th_s = c["torch"]["median"] if c.get("torch") else None
            frac = c["fraction_of_bound"] if c["bandwidth_bound_case"] else None
            loads = [
                c[lib].get("foreign_load") for lib in ("optkern", "numpy", "torch") if c.get(lib)
            ]
            noisy |= any(x is not None and x > FOREIGN_LOAD_LIMIT for x in loads)
            print(
                f"| {row['id']} | {c['name']} | {row['bytes_per_element']} | "
                f"{ok_s * 1e6:.2f} | {c['optkern_gbs']:.1f} | {fmt(frac, '.2f')} | "
                f"{fmt(c.get('vs_foundation_gbs'), '.2f')} | {np_s * 1e6:.1f} | "
                f"{ratio(ok_s, np_s):.1f}x | {torch_label(row['torch']) if th_s else '-'} | "
                f"{fmt(th_s and th_s * 1e6, '.1f')} | "
                f"{fmt(ratio(ok_s, th_s), '.2f') + 'x' if th_s else '-'} | "
                + " / ".join(fmt(x, ".2f") for x in loads)
                + " |"
            )
    if noisy:
        print(
            f"\nWARNING: other processes used more than {FOREIGN_LOAD_LIMIT} cores during "
            "some blocks (even after retries); their times are not trustworthy."
        )
    if not goals:
        return
    print()
    print(
        f"speed goals of every optimizer but {FOUNDATION} (whose own goals are listed with "
        "its table), judged on this run's medians (they never fail the run; "
        "see docs/benchmarks.md):"
    )
    for t in goals:
        print(
            f"  {'met    ' if t['met'] else 'not met'}  {t['row']} at {t['size']}: "
            f"{t['what']}: {t['value']}"
        )
    if not has_torch:
        print("  (torch is not installed or was skipped: the torch goals are not checked)")
    missed = sorted({t["row"] for t in goals if not t["met"]})
    print(
        f"  met: {sum(t['met'] for t in goals)} of {len(goals)} goals"
        + (f"; rows with a goal not met: {', '.join(missed)}" if missed else "")
    )
