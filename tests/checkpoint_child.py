"""Child process for the checkpoint kill tests: restore, then save in a loop forever.

Usage: python checkpoint_child.py DIRECTORY

After each save that returned, prints its number on stdout (flushed). The state
saved as number n is ``expected_state(n)``, so a parent that SIGKILLs this
process at a random moment can check that the latest checkpoint is exactly one
of the saves.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from optkern.checkpoint import Checkpoint, CheckpointManager

N = 1 << 16  # 256 KiB of float32: large enough to be killed mid-write


def expected_state(n):
    w = np.arange(N, dtype=np.float32)
    w += n
    return {"W": w, "b": np.full(33, n, np.float64), "step": n}


def make_checkpoint():
    model = {"W": np.zeros(N, np.float32), "b": np.zeros(33)}
    return model, Checkpoint(model=model, step=0)


def set_state(model, ckpt, n):
    s = expected_state(n)
    model["W"][:] = s["W"]
    model["b"][:] = s["b"]
    ckpt.step = n


def run(directory, report):
    """Restore the latest checkpoint and save forever; ``report(n)`` after each save returns."""
    model, ckpt = make_checkpoint()
    with CheckpointManager(ckpt, directory, max_to_keep=3) as manager:
        manager.restore_or_initialize()
        n = ckpt.save_counter
        while True:
            n += 1
            set_state(model, ckpt, n)
            path = manager.save()
            assert path.endswith(f"-{n}.npz"), path
            report(n)


if __name__ == "__main__":
    def _report(n):
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()

    sys.stdout.write("ready\n")
    sys.stdout.flush()
    run(os.path.abspath(sys.argv[1]), _report)
