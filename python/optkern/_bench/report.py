"""Formatting shared by the benchmark reports (Markdown tables on stdout)."""

from __future__ import annotations

import math
import platform

import numpy as np


def fmt(x, spec: str) -> str:
    """``format(x, spec)``, or "-" for None and NaN."""
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def fmt_x(x, spec: str = ".2f") -> str:
    """A speed-up: ``format(x, spec)`` followed by "x", or "-" for None and NaN."""
    text = fmt(x, spec)
    return text if text == "-" else text + "x"


def fmt_list(xs) -> str:
    """Numbers with two decimals separated by spaces, or "-" for none."""
    return "-" if not xs else " ".join(f"{x:.2f}" for x in xs)


def ratio(a, b):
    """How many times faster a time ``a`` is than a time ``b`` (b / a), or None."""
    return None if a is None or b is None else b / a


def run_header(res: dict) -> list[str]:
    """The lines that open a report: load averages, versions, the bandwidth bound
    (``res`` as built from `options.machine_info` plus ``bandwidth_best_by_kernel``
    and ``bandwidth_bound_gbs`` where measured)."""
    lines = [
        (
            f"load average at start {fmt_list(res['loadavg_start'])}, at end "
            f"{fmt_list(res.get('loadavg_end'))}"
        ),
        (
            f"optkern {res['build_info'].get('version')} isa={res['build_info'].get('isa')}, "
            f"threads={res['threads']}, torch={res['torch'] or 'not installed'}, "
            f"numpy={np.__version__}, python={platform.python_version()}"
        ),
    ]
    if "bandwidth_bound_gbs" in res:
        lines.append(
            "memory bandwidth (np.add, 12 B/element counted): "
            + ", ".join(f"{k} {v:.1f}" for k, v in res["bandwidth_best_by_kernel"].items())
            + f" GB/s; bound = {res['bandwidth_bound_gbs']:.1f} GB/s"
        )
    return lines
