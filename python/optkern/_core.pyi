"""Type stubs of optkern's native module (internal API; use the optkern package)."""

from typing import Sequence

import numpy as np

__version__: str
compiler: str
chunk_elements: int
parallel_min_elements: int

def isa() -> str: ...
def available_isas() -> list[str]: ...
def set_isa(name: str) -> None: ...
def openmp() -> bool: ...
def num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...

# group: (count, beta1, beta2, eps, weight_decay, clip, convention,
#         weight_decay_mode, amsgrad, maximize); step t is 1-based
def adam_step(
    groups: list[tuple],
    step: int,
    lrs: list[float],
    params: list[np.ndarray],
    grads: list[np.ndarray],
    exp_avg: list[np.ndarray],
    exp_avg_sq: list[np.ndarray],
    max_exp_avg_sq: list[np.ndarray | None] | None,
    grad_scales: float | list[float] | None,
    names: list[str],
) -> None: ...

# group: (count, momentum, dampening, weight_decay, clip, convention,
#         weight_decay_mode, nesterov, first_step, maximize)
def sgd_step(
    groups: list[tuple],
    lrs: list[float],
    params: list[np.ndarray],
    grads: list[np.ndarray],
    momentum_buffers: list[np.ndarray | None] | None,
    grad_scales: float | list[float] | None,
    names: list[str],
) -> None: ...

def sum_squares(arrays: Sequence[np.ndarray], names: Sequence[str]) -> list[float]: ...
