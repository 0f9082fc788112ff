"""Pure-NumPy reference implementations: the oracles the kernels are tested
against. Written for reading, straight from the formulas (docs/optimizers.md,
docs/losses.md); every arithmetic
operation is spelled out in the order the kernels apply it.

``optkern.reference.keras`` and ``optkern.reference.torch`` hold the
optimizers of each convention, taking a list of arrays; ``losses`` holds the
Keras losses (per-sample functions, reductions and classes, each with its
analytic gradient); ``seed`` holds the seed's loss formulas.
"""

from . import keras, losses, torch
from .seed import cross_entropy_error, mse_half_sum

__all__ = ["cross_entropy_error", "keras", "losses", "mse_half_sum", "torch"]
