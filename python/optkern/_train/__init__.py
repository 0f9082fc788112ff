"""``python -m optkern train``: a small multilayer perceptron trained end to end
with optkern's fused losses and optimizers, checkpointed every epoch.

Modules: `data` (the embedded spirals data set and ``--data`` files), `model`
(the MLP, forward and backward by hand in NumPy), `names` (optimizer, loss and
schedule names), `loop` (training, checkpoints, interruption), `compare` (the
timing against `optkern.reference`), `progress` (the progress bar) and `cli`
(options, errors and the summary).
"""

from .errors import TrainError

__all__ = ["TrainError"]
