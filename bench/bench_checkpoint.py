#!/usr/bin/env python
"""Checkpoint save/restore benchmark: optkern vs np.savez / np.load.

The benchmark lives in the package (``optkern._bench.checkpoint``) so that
``python -m optkern bench checkpoint`` runs it too; the method is described in
docs/benchmarks.md.

    python bench/bench_checkpoint.py [--size-mb MB] [--reps N] [--dir DIR]
"""

import sys

from optkern._bench.checkpoint import main

if __name__ == "__main__":
    sys.exit(main())
