"""Losses with Keras 3 names, defaults and semantics, computed by fused native
kernels: the per-sample losses, the reduced value and the gradient with respect
to ``y_pred`` come from one pass (``value_and_grad``).

>>> import numpy as np, optkern as ok
>>> loss = ok.losses.SparseCategoricalCrossentropy(from_logits=True)
>>> value, dlogits = loss.value_and_grad(labels, logits)   # doctest: +SKIP

Each module lists its losses in ``__all__``; see ``_base.py`` for how a loss
is added.
"""

from ._base import CLASSES as _CLASSES
from ._base import FUNCTIONS as _FUNCTIONS
from ._base import Loss
from ._registry import deserialize, get, serialize
from .crossentropy import *
from .focal import *
from .hinge import *
from .probabilistic import *
from .regression import *
from .regression_extra import *

__all__ = [  # noqa: PLE0604 (the registries list every loss once)
    "Loss",
    "get",
    "serialize",
    "deserialize",
    *sorted(_CLASSES),
    *sorted(_FUNCTIONS),
]
