"""optkern: fused optimizer steps, losses and checkpoints for NumPy training loops.

Top-level optimizers follow Keras 3 (names, defaults, maths); ``optkern.torch``
follows PyTorch. Submodules load on first use, so ``import optkern`` stays cheap.
"""

from typing import Any as _Any

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
_SUBMODULES = {
    "keras",
    "torch",
    "optimizers",
    "reference",
    "checkpoint",
    "losses",
    "schedules",
    "distributed",
}

__all__ = [  # noqa: PLE0604 (the lazy names are listed once, in _LAZY)
    "build_info",
    "get_num_threads",
    "set_num_threads",
    "get_include",
    "get_cmake_dir",
    *_LAZY,
    *sorted(_SUBMODULES),
]


def get_include() -> str:
    """The directory holding optkern's C++ headers (``optkern/optkern.hpp``, ...).

    For compilers and build systems other than CMake; with CMake use
    :func:`get_cmake_dir`. docs/cpp.md describes the C++ API.
    """
    return _installed("include")


def get_cmake_dir() -> str:
    """The directory of optkern's CMake package (``optkernConfig.cmake``).

    Pass it as ``-Doptkern_DIR=...`` (or append it to ``CMAKE_PREFIX_PATH``); then
    ``find_package(optkern CONFIG REQUIRED)`` defines the imported target
    ``optkern::core`` (headers, the static C++ core and its OpenMP requirement).
    """
    return _installed("lib", "cmake", "optkern")


def _installed(*parts: str) -> str:
    """A directory the build installed into the package, beside the native module
    (in an editable install the Python sources live elsewhere, the built files do not)."""
    import os.path

    from . import _core  # already loaded by build_info's module

    path = os.path.join(os.path.dirname(os.path.abspath(_core.__file__)), *parts)
    if not os.path.isdir(path):
        raise FileNotFoundError(
            f"this installation of optkern has no {path}; reinstall it with pip to get the C++ core"
        )
    return path


def __getattr__(name: str) -> _Any:
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
