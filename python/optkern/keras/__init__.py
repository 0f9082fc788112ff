"""optkern's Keras front-end: ``keras.optimizers``' names, defaults and maths on
NumPy arrays (also at the top level: ``optkern.Adam`` is ``optkern.keras.Adam``).
"""

from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adam", "AdamW", "Optimizer", "SGD", "RMSprop"]
