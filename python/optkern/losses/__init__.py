"""Losses with Keras 3 names, defaults and semantics, computed by fused native
kernels: the per-sample losses, the reduced value and the gradient with respect
to ``y_pred`` come from one pass (``value_and_grad``).

>>> import numpy as np, optkern as ok
>>> loss = ok.losses.SparseCategoricalCrossentropy(from_logits=True)
>>> value, dlogits = loss.value_and_grad(labels, logits)   # doctest: +SKIP

Each module lists its losses in ``__all__``; see ``_base.py`` for how a loss
is added.
"""

from ._base import Loss
from ._registry import deserialize, get, serialize
from .crossentropy import *  # noqa: F403
from .regression import *  # noqa: F403
from .regression_extra import *  # noqa: F403
from .probabilistic import *  # noqa: F403
from .hinge import *  # noqa: F403
from .focal import *  # noqa: F403

from ._base import CLASSES as _CLASSES, FUNCTIONS as _FUNCTIONS

__all__ = ["Loss", "get", "serialize", "deserialize", *sorted(_CLASSES), *sorted(_FUNCTIONS)]
