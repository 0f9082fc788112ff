"""optkern's command line: ``python -m optkern {train,info,bench}``, also installed as ``optkern``.

The help text is plain text (the module docstring is not shown to users).
"""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = "optkern's command line (also installed as the optkern command)."
EPILOG = """examples:
  optkern train                  train a model end to end with optkern (the main job)
  optkern train --help           its options: data, optimizer, loss, schedule, checkpoints
  optkern info                   build info and a bit-for-bit self-check of every kernel
  optkern bench --quick          a quick run of the optimizer benchmark
  optkern bench --help           the benchmark suites
  optkern --cmake-dir            optkern_DIR for a C++ project (docs/cpp.md)"""


def _info(args: argparse.Namespace) -> int:
    from . import build_info
    from ._selfcheck import self_check

    for key, value in build_info().items():
        print(f"{key:>15}: {value}")
    rows = self_check()
    print("\nself-check against optkern.reference (bit for bit, sizes 0..1001, 5 steps):")
    for name, dtype, isa, ok in rows:
        print(f"  {'ok  ' if ok else 'FAIL'} {name:<55} {dtype:<8} {isa}")
    failed = sum(not r[3] for r in rows)
    print(f"\n{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _train(args: argparse.Namespace) -> int:
    from ._train.cli import main as train_main

    return train_main(args.rest, prog=f"{args.prog} train")


def _bench(args: argparse.Namespace) -> int:
    from ._bench import main as bench_main

    return bench_main(args.rest)


class _PrintPath(argparse.Action):
    """--include / --cmake-dir: print one of optkern's C++ paths and exit (like --version)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        import optkern

        print(optkern.get_include() if option_string == "--include" else optkern.get_cmake_dir())
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    from . import __version__

    # "optkern" when run as the console command, "python -m optkern" otherwise
    prog = "python -m optkern" if sys.argv[0].endswith("__main__.py") else "optkern"
    parser = argparse.ArgumentParser(
        prog=prog,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"optkern {__version__}")
    parser.add_argument(
        "--include", action=_PrintPath, help="print the directory of the C++ headers and exit"
    )
    parser.add_argument(
        "--cmake-dir",
        action=_PrintPath,
        help="print the directory of the CMake package (optkern_DIR) and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,info,bench}")
    sub.add_parser(
        "train",
        add_help=False,
        help="train a model end to end with optkern ('train --help' lists the options)",
    )
    sub.add_parser("info", help="build info and a self-check of every kernel")
    sub.add_parser(
        "bench",
        add_help=False,
        help="benchmarks against NumPy and torch ('bench --help' lists the suites)",
    )
    args, rest = parser.parse_known_args(argv)
    if args.command not in ("bench", "train") and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest, args.prog = rest, prog
    return {"train": _train, "info": _info, "bench": _bench}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
