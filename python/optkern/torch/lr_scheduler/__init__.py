"""Learning-rate schedulers with ``torch.optim.lr_scheduler``'s names, arguments
and arithmetic, acting on the ``param_groups`` of ``optkern.torch`` optimizers
(or any object with torch-style ``param_groups``). torch is never imported.

As in torch: constructing a scheduler records ``group["initial_lr"]`` and sets
the learning rate for the first step; call ``scheduler.step()`` after each
``optimizer.step(grads)``; ``get_last_lr()`` gives the rates now in the groups.
The chainable schedulers (StepLR, MultiStepLR, ConstantLR, LinearLR,
ExponentialLR, PolynomialLR, CosineAnnealingLR, MultiplicativeLR) update the
current ``group["lr"]`` with torch's recursive formulas, so their rates equal
torch's to the last bit. ``state_dict()`` is a dict of plain Python values
(numbers, strings, lists, dicts); lambdas are not saved.

>>> import numpy as np
>>> from optkern.torch import SGD
>>> from optkern.torch.lr_scheduler import StepLR
>>> opt = SGD([np.zeros(3)], lr=0.1)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> for epoch in range(4):
...     opt.step([np.ones(3)])
...     sched.step()
>>> sched.get_last_lr()
[0.025]
"""

from ._base import LRScheduler
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .multiplicative import (
    ConstantLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .sequential import SequentialLR

__all__ = [
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
