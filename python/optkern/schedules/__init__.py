"""Learning-rate schedules with Keras 3's names, arguments and formulas
(``keras.optimizers.schedules``), computed in double precision.

A schedule is a callable ``schedule(step) -> float``; pass it as the
``learning_rate`` of any Keras-convention optimizer (``optkern.Adam``, ...),
which calls it with its 0-based ``iterations`` before each step.

>>> import numpy as np, optkern as ok
>>> from optkern import schedules
>>> lr = schedules.ExponentialDecay(1e-2, decay_steps=1000, decay_rate=0.9)
>>> opt = ok.Adam([np.zeros(3, np.float32)], learning_rate=lr)
"""

from ._base import LearningRateSchedule
from .cosine import CosineDecay, CosineDecayRestarts
from .exponential import ExponentialDecay, InverseTimeDecay
from .piecewise import PiecewiseConstantDecay
from .polynomial import PolynomialDecay
from .serialization import deserialize, get, serialize

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "get",
    "serialize",
]
