"""Build information and thread control."""

from __future__ import annotations

from . import _core


def build_info() -> dict:
    """What this build of optkern is and how it runs.

    Returns
    -------
    dict
        ``version``, ``isa`` (kernels in use: ``"scalar"``, ``"avx2"`` or
        ``"avx512"``; set ``OPTKERN_ISA`` before import to force a lower one),
        ``available_isas``, ``openmp`` (bool), ``num_threads`` and ``compiler``.
    """
    return {
        "version": _core.__version__,
        "isa": _core.isa(),
        "available_isas": list(_core.available_isas()),
        "openmp": _core.openmp(),
        "num_threads": _core.num_threads(),
        "compiler": _core.compiler,
    }


def set_num_threads(n: int) -> None:
    """Use ``n >= 1`` threads in optkern's parallel regions (default: ``OMP_NUM_THREADS``
    or the number of cores). Results are bitwise identical for any ``n``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    _core.set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads optkern's parallel regions use."""
    return _core.num_threads()
