#!/usr/bin/env python
"""Adam (float32) step benchmark: optkern vs the NumPy reference vs torch fused.

The benchmark lives in the package (``optkern._bench.optimizers``) so that
``python -m optkern bench`` runs it too; the method is described in
docs/benchmarks.md.

    python bench/bench_optimizers.py [--quick] [--threads N] [--json PATH]
"""

import sys

from optkern._bench.optimizers import main

if __name__ == "__main__":
    sys.exit(main())
