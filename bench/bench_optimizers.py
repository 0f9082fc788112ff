#!/usr/bin/env python
"""Adam (float32) step benchmark: optkern vs the NumPy reference vs torch fused.

The benchmark lives in the package (``optkern._bench``) so that ``python -m
optkern bench`` runs it too; see that module's docstring for the method.

    python bench/bench_optimizers.py [--quick] [--threads N] [--json PATH]
"""

import sys

from optkern._bench import main

if __name__ == "__main__":
    sys.exit(main())
