"""optkern's PyTorch front-end: torch.optim's names, defaults and maths on
NumPy arrays, through the same fused kernels. torch need not be installed.
"""

from . import lr_scheduler as lr_scheduler  # pure Python, imports nothing heavy
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .clip import clip_grad_norm_
from .lion import Lion
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "NAdam",
    "Optimizer",
    "RMSprop",
    "clip_grad_norm_",
]
