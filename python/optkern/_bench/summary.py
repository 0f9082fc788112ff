"""The figures every suite reports the same way: one summary table per suite.

A suite's ``run(argv)`` prints its own report and returns a *suite result*::

    dict(suite="losses", title="...", bound_gbs=41.2, bound="how the bound was measured",
         baseline="what the NumPy column times", rows=[summary_row(...), ...],
         wall_s=12.3, raw={...})

Each row is one case of the suite, with the times of the three implementations
(seconds per call; torch None where it did not run) turned into ns per element,
speed-ups (baseline time / optkern time) and the fraction of the memory-bandwidth
bound (bytes the call must move per element x elements / optkern time / bound).
`print_summary` prints the table `bench all` shows for every suite; the JSON of
``--json`` holds the same rows (`SUMMARY_KEYS`).
"""

from __future__ import annotations

import json
import os
import platform
import sys

from .report import fmt, fmt_x, ratio

# The keys of every summary row and their types (None allowed where marked).
SUMMARY_KEYS = {
    "series": str,
    "case": str,
    "elements": int,
    "bytes_per_element": (int, None),
    "optkern_s": float,
    "numpy_s": (float, None),
    "torch_s": (float, None),
    "optkern_ns_per_element": float,
    "numpy_ns_per_element": (float, None),
    "torch_ns_per_element": (float, None),
    "speedup_numpy": (float, None),
    "speedup_torch": (float, None),
    "fraction_of_bound": (float, None),
    "bandwidth_bound_case": bool,
    "torch_label": (str, None),
}


def summary_row(
    series: str,
    case: str,
    elements: int,
    optkern_s: float,
    numpy_s: float | None,
    torch_s: float | None = None,
    *,
    bytes_per_element: int | None = None,
    bound_gbs: float | None = None,
    bandwidth_bound_case: bool = True,
    torch_label: str | None = None,
) -> dict:
    """One case of a suite in the shared form (see the module docstring)."""

    def ns(t):
        return None if t is None else float(t) / elements * 1e9

    frac = None
    if bytes_per_element and bound_gbs:
        frac = bytes_per_element * elements / optkern_s / 1e9 / bound_gbs
    return dict(
        series=series,
        case=case,
        elements=int(elements),
        bytes_per_element=bytes_per_element,
        optkern_s=float(optkern_s),
        numpy_s=None if numpy_s is None else float(numpy_s),
        torch_s=None if torch_s is None else float(torch_s),
        optkern_ns_per_element=ns(optkern_s),
        numpy_ns_per_element=ns(numpy_s),
        torch_ns_per_element=ns(torch_s),
        speedup_numpy=ratio(optkern_s, numpy_s),
        speedup_torch=ratio(optkern_s, torch_s),
        fraction_of_bound=frac,
        bandwidth_bound_case=bool(bandwidth_bound_case),
        torch_label=torch_label if torch_s is not None else None,
    )


def print_summary(result: dict) -> None:
    """The table of one suite: ns per element, fraction of the bound, speed-ups."""
    print()
    print(f"## {result['suite']}: {result['title']}")
    print()
    bound = result.get("bound_gbs")
    print(
        f"NumPy column: {result['baseline']}; bound = "
        + (f"{bound:.1f} GB/s ({result['bound']})" if bound else result["bound"])
    )
    print()
    print(
        "| series | case | elements | B/elem | optkern ns/elem | NumPy ns/elem "
        "| torch ns/elem | fraction of bound | speed-up vs NumPy | speed-up vs torch |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in result["rows"]:
        frac = r["fraction_of_bound"] if r["bandwidth_bound_case"] else None
        print(
            f"| {r['series']} | {r['case']} | {r['elements']:,} | "
            f"{fmt(r['bytes_per_element'], 'd')} | {r['optkern_ns_per_element']:.3f} | "
            f"{fmt(r['numpy_ns_per_element'], '.3f')} | "
            f"{fmt(r['torch_ns_per_element'], '.3f')} | {fmt(frac, '.2f')} | "
            f"{fmt_x(r['speedup_numpy'])} | {fmt_x(r['speedup_torch'])} |"
        )


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux), else platform.processor()."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def torch_version(torch=None) -> str | None:
    """torch's version: of the module given, else of the installed package (not
    imported), else None."""
    if torch is not None:
        return torch.__version__
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("torch")
    except PackageNotFoundError:
        return None


def machine_record(threads: int, torch=None) -> dict:
    """What a ``--json`` file records about the machine and the software."""
    import numpy as np

    import optkern as ok

    info = ok.build_info()
    return dict(
        cpu_model=cpu_model(),
        machine=platform.machine(),
        cpu_count=os.cpu_count(),
        isa=info["isa"],
        available_isas=list(info["available_isas"]),
        threads=int(threads),
        optkern=info["version"],
        numpy=np.__version__,
        torch=torch_version(torch),
        python=platform.python_version(),
        os=platform.platform(),
        compiler=info["compiler"],
        openmp=bool(info["openmp"]),
        argv=list(sys.argv),
    )


def write_json(path: str, results: dict, threads: int, torch=None) -> None:
    """Write ``{"machine": machine_record(...), "suites": {name: suite result}}`` to
    ``path`` (the format of ``bench all --json``; a single suite writes one entry)."""
    doc = dict(machine=machine_record(threads, torch), suites=results)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
