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

# ---- losses (optkern.losses) -------------------------------------------------
class LossKind:  # one member per loss kernel, bound by name (see cpp/include/optkern/losses/list.hpp)
    name: str
    value: int

class Reduction:
    none: Reduction
    sum: Reduction
    sum_over_batch_size: Reduction
    mean: Reduction
    mean_with_sample_weight: Reduction

class LossParams:
    label_smoothing: float
    delta: float
    z_loss: float
    alpha: float
    gamma: float
    apply_class_balancing: bool
    has_ignore_class: bool
    ignore_class: int
    def __init__(self) -> None: ...

# The reduced value, or the per-sample losses L·w for Reduction.none.
# sample_weight: None, one weight per sample (C order) or a single one.
def loss(
    kind: LossKind,
    params: LossParams,
    reduction: Reduction,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    sample_weight: np.ndarray | None,
) -> float | np.ndarray: ...

# (value, d(value)/d(y_pred)); grad_out may be y_pred itself, None allocates.
def loss_value_and_grad(
    kind: LossKind,
    params: LossParams,
    reduction: Reduction,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    sample_weight: np.ndarray | None,
    grad_out: np.ndarray | None,
) -> tuple[float | np.ndarray, np.ndarray]: ...

# optkern's own exp/log/log1p on the active ISA (for the tests).
def vmath(name: str, x: np.ndarray) -> np.ndarray: ...
