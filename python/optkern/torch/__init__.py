"""optkern's PyTorch front-end: torch.optim's names, defaults and maths on
NumPy arrays, through the same fused kernels. torch need not be installed.
"""

from . import lr_scheduler  # pure Python, imports nothing heavy
from .adam import Adam, AdamW
from .adamax import Adamax
from .clip import clip_grad_norm_
from .lion import Lion
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from .adagrad import Adagrad
from .adadelta import Adadelta

__all__ = [
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "NAdam",
    "Optimizer",
    "RMSprop",
    "SGD",
    "clip_grad_norm_",
]
