"""optkern: fused optimizer steps, losses and checkpoints for NumPy training loops.

Top-level optimizers follow Keras 3 (names, defaults, maths); ``optkern.torch``
follows PyTorch. Submodules load on first use, so ``import optkern`` stays cheap.
"""

from ._info import build_info, get_num_threads, set_num_threads

__version__ = "0.1.0"

# public name -> module that defines it (imported on first attribute access)
_LAZY = {
    "Optimizer": "keras.optimizer",
    "SGD": "keras.sgd",
    "Adam": "keras.adam",
    "AdamW": "keras.adam",
    "Adamax": "keras.adamax",
    "Lion": "keras.lion",
    "Nadam": "keras.nadam",
    "Adagrad": "keras.adagrad",
    "Adadelta": "keras.adadelta",
    "Checkpoint": "checkpoint",
    "CheckpointManager": "checkpoint",
    "CorruptCheckpointError": "checkpoint",
    "latest_checkpoint": "checkpoint",
    "global_norm": "_controls",
    "RMSprop": "keras.rmsprop",
}
_SUBMODULES = {"keras", "torch", "optimizers", "reference", "checkpoint", "losses", "schedules",
               "distributed"}

__all__ = ["build_info", "get_num_threads", "set_num_threads", *_LAZY, *sorted(_SUBMODULES)]


def __getattr__(name: str) -> object:
    from importlib import import_module  # here, so that only public names are module globals

    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'optkern' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    return sorted([*__all__, "__version__"])
