"""Benchmark suites, run as ``python -m optkern bench [SUITE] [options]``.

A suite is a module ``optkern._bench.<name>`` exposing ``main(argv: list[str]) -> int``
and ``run(argv) -> dict`` (prints its report and returns its figures in the shared
form of `summary`); `SUITES` lists them (name -> `Suite`), and the first is the
default. ``bench all`` runs every suite whose ``in_all`` is true, in turn. Shared
tools for suites:

* `timing`: timing one implementation in its own block, rounds, medians, other
  processes' CPU load (`timing.Timer`, `timing.run_rounds`);
* `bandwidth`: the memory-bandwidth bound measured in the same run;
* `options`: the common command-line options and what a run records about its machine;
* `report`: number formatting and the lines that open a report;
* `summary`: the table every suite shows under ``bench all`` and the ``--json`` format;
* `plot`: ``--plot FILE.png`` (matplotlib, imported only then).

The method is described in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys

from .._argtypes import positive_int


@dataclasses.dataclass(frozen=True)
class Suite:
    """One suite of the table: its help line, whether ``bench all`` runs it, and the
    arguments ``bench all`` passes it (``quick``: with ``--quick``; ``smoke``: with the
    test-only ``--smoke``, which cuts the cases further; both get ``common``'s options
    that the suite takes)."""

    help: str
    in_all: bool = True
    quick: tuple[str, ...] = ("--quick",)
    smoke: tuple[str, ...] = ()
    takes: tuple[str, ...] = ("--threads", "--no-torch")


SUITES = {
    "optimizers": Suite(
        "every optimizer's step: optkern vs the NumPy reference vs torch (the default)",
        smoke=("--only", "keras-sgd", "--budget", "0.01", "--bw-elements", str(1 << 16)),
    ),
    "losses": Suite(
        "loss value and gradient: optkern vs the NumPy reference vs torch",
        smoke=("--budget", "0.01", "--scale", "64"),
    ),
    "checkpoint": Suite(
        "checkpoint save and restore vs np.savez and np.load",
        smoke=("--size-mb", "2", "--reps", "1"),
        takes=(),
    ),
    "distributed": Suite(
        "DataParallel / ZeRO-1 step vs the MPI collectives (under mpiexec -n W)", in_all=False
    ),
}
DEFAULT_SUITE = next(iter(SUITES))


def usage() -> str:
    lines = [
        "usage: python -m optkern bench [SUITE|all] [options]",
        "",
        f"Benchmark suites (SUITE defaults to {DEFAULT_SUITE}):",
    ]
    lines += [f"  {name:<12} {suite.help}" for name, suite in SUITES.items()]
    lines += [
        f"  {'all':<12} every suite in turn ({', '.join(all_suites())}), one summary table each",
        "",
        "Options of every suite and of all:",
        "  --quick            a smoke run (all --quick: under a minute of CPU time on 2 cores)",
        "  --json FILE        write the figures and the machine to FILE",
        "  --plot FILE.png    draw the speed-up against size, one panel per suite (needs matplotlib)",
        "Options of all (passed on to the suites that take them):",
        "  --threads N        threads for optkern and torch",
        "  --no-torch         skip torch even if installed",
        "",
        "python -m optkern bench SUITE --help shows a suite's options.",
        "The method is described in docs/benchmarks.md of the optkern repository.",
    ]
    return "\n".join(lines)


def all_suites() -> list[str]:
    return [name for name, suite in SUITES.items() if suite.in_all]


def _pop_plot(argv: list[str]) -> tuple[list[str], str | None]:
    """``argv`` without ``--plot FILE`` / ``--plot=FILE``, and FILE (None if absent)."""
    out, path, i = [], None, 0
    while i < len(argv):
        a = argv[i]
        if a == "--plot" and i + 1 < len(argv):
            path, i = argv[i + 1], i + 2
            continue
        if a.startswith("--plot="):
            path = a.split("=", 1)[1]
        else:
            out.append(a)
        i += 1
    return out, path


def run_all(argv: list[str]) -> int:
    """``bench all``: every suite in turn, its report and then its summary table."""
    from .plot import MISSING, have_matplotlib, plot
    from .summary import print_summary, write_json

    ap = argparse.ArgumentParser(
        prog="python -m optkern bench all",
        description=f"Every benchmark suite in turn ({', '.join(all_suites())}), each with "
        "its own report, then one summary table per suite.",
        epilog="The method is described in docs/benchmarks.md of the optkern repository.",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="every suite's smoke run (under a minute of CPU time on 2 cores)",
    )
    ap.add_argument(
        "--json", metavar="FILE", help="write every suite's figures and the machine to FILE"
    )
    ap.add_argument(
        "--plot",
        metavar="FILE.png",
        help="draw the speed-up against size, one panel per suite (matplotlib)",
    )
    ap.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help="threads for optkern and torch (default: ok.get_num_threads())",
    )
    ap.add_argument("--no-torch", action="store_true", help="skip torch even if installed")
    ap.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.plot and not have_matplotlib():
        print(MISSING, file=sys.stderr)
        return 2
    common = {
        "--threads": [] if args.threads is None else ["--threads", str(args.threads)],
        "--no-torch": ["--no-torch"] if args.no_torch else [],
    }
    results = {}
    for name in all_suites():
        suite = SUITES[name]
        sub = list(suite.quick) if args.quick or args.smoke else []
        sub += list(suite.smoke) if args.smoke else []
        for opt in suite.takes:
            sub += common[opt]
        print(f"\n# python -m optkern bench {name} {' '.join(sub)}".rstrip(), flush=True)
        results[name] = importlib.import_module(f"{__name__}.{name}").run(sub)
    print("\n# Summary")
    for res in results.values():
        print_summary(res)
    import optkern as ok

    if args.json:
        torch = None if args.no_torch else sys.modules.get("torch")
        write_json(args.json, results, ok.get_num_threads(), torch)
    if args.plot:
        plot(results, args.plot)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the suite named by ``argv[0]`` (the default one when ``argv[0]`` is an option)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(usage())
        return 0
    name = DEFAULT_SUITE
    if argv and not argv[0].startswith("-"):
        name = argv.pop(0)
        if name == "all":
            return run_all(argv)
        if name not in SUITES:
            print(
                f"{usage()}\n\npython -m optkern bench: error: unknown suite {name!r} "
                f"(choose from {', '.join(SUITES)}, all)",
                file=sys.stderr,
            )
            return 2
    argv, plot_path = _pop_plot(argv)
    module = importlib.import_module(f"{__name__}.{name}")
    if plot_path is None:
        return module.main(argv)
    if not hasattr(module, "run"):
        print(f"python -m optkern bench: error: the {name} suite draws no plot", file=sys.stderr)
        return 2
    from .plot import MISSING, have_matplotlib, plot

    if not have_matplotlib():
        print(MISSING, file=sys.stderr)
        return 2
    result = module.run(argv)
    plot({name: result}, plot_path)
    return 0
