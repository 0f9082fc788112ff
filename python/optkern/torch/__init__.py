"""optkern's PyTorch front-end: torch.optim's names, defaults and maths on
NumPy arrays, through the same fused kernels. torch need not be installed.
"""

from . import lr_scheduler  # pure Python, imports nothing heavy
from .adam import Adam, AdamW
from .clip import clip_grad_norm_
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "clip_grad_norm_", "RMSprop"]
