"""Benchmark suites, run as ``python -m optkern bench [SUITE] [options]``.

A suite is a module ``optkern._bench.<name>`` exposing ``main(argv: list[str]) -> int``;
`SUITES` lists them (name -> one line for the help), and the first is the default.
Shared tools for suites:

* `timing`: timing one implementation in its own block, rounds, medians, other
  processes' CPU load (`timing.Timer`, `timing.run_rounds`);
* `bandwidth`: the memory-bandwidth bound measured in the same run;
* `options`: the common command-line options and what a run records about its machine;
* `report`: number formatting and the lines that open a report.

The method is described in docs/benchmarks.md.
"""

from __future__ import annotations

import importlib
import sys

SUITES = {
    "optimizers": "every optimizer's step: optkern vs the NumPy reference vs torch "
                  "(the default)",
    "losses": "loss value and gradient: optkern vs the NumPy reference vs torch",
    "checkpoint": "checkpoint save and restore vs np.savez and np.load",
}
DEFAULT_SUITE = next(iter(SUITES))


def usage() -> str:
    lines = ["usage: python -m optkern bench [SUITE] [options]", "",
             f"Benchmark suites (SUITE defaults to {DEFAULT_SUITE}):"]
    lines += [f"  {name:<12} {text}" for name, text in SUITES.items()]
    lines += ["", "python -m optkern bench SUITE --help shows a suite's options.",
              "The method is described in docs/benchmarks.md of the optkern repository."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the suite named by ``argv[0]`` (the default one when ``argv[0]`` is an option)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(usage())
        return 0
    name = DEFAULT_SUITE
    if argv and not argv[0].startswith("-"):
        name = argv.pop(0)
        if name not in SUITES:
            print(f"{usage()}\n\npython -m optkern bench: error: unknown suite {name!r} "
                  f"(choose from {', '.join(SUITES)})", file=sys.stderr)
            return 2
    return importlib.import_module(f"{__name__}.{name}").main(argv)
