#!/usr/bin/env python
"""Optimizer step benchmark (float32, every optimizer): optkern vs the NumPy
reference vs torch's fastest path.

The benchmark lives in the package (``optkern._bench.optimizers``) so that
``python -m optkern bench`` runs it too; the method is described in
docs/benchmarks.md.

    python bench/bench_optimizers.py [--quick] [--only SUBSTRING] [--threads N] [--json PATH]
"""

import sys

from optkern._bench.optimizers import main

if __name__ == "__main__":
    sys.exit(main())
