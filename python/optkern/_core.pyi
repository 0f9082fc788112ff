"""Type stubs of optkern's native module (internal API; use the optkern package)."""

from collections.abc import Sequence
from typing import Protocol, TypeVar

import numpy as np
from typing_extensions import TypeAlias

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

# ---- optimizers: one group record and one step function per optimizer --------
class Convention:
    keras: Convention
    torch: Convention

class WeightDecay:
    none: WeightDecay
    l2: WeightDecay
    decoupled_keras: WeightDecay
    decoupled_torch: WeightDecay

class _Group:
    """Fields every group record has; each is also a keyword of the constructor."""

    lr: float
    weight_decay: float
    clip: float
    convention: Convention
    weight_decay_mode: WeightDecay
    maximize: bool

class AdamGroup(_Group):
    beta1: float
    beta2: float
    eps: float
    amsgrad: bool
    def __init__(self, **fields: object) -> None: ...

class SgdGroup(_Group):
    momentum: float
    dampening: float
    nesterov: bool
    first_step: bool
    def __init__(self, **fields: object) -> None: ...

class RmspropGroup(_Group):
    rho: float  # Keras rho, torch alpha
    momentum: float
    eps: float
    centered: bool
    def __init__(self, **fields: object) -> None: ...

class AdamaxGroup(_Group):
    beta1: float
    beta2: float
    eps: float
    def __init__(self, **fields: object) -> None: ...

class LionGroup(_Group):
    beta1: float
    beta2: float
    def __init__(self, **fields: object) -> None: ...

class NadamGroup(_Group):
    beta1: float
    beta2: float
    eps: float
    momentum_decay: float  # ψ in μₜ = β1(1 − ½·0.96^(tψ)); 1 for the Keras form
    mu_product: float  # Π after this step's update Π ← Π·μₜ
    def __init__(self, **fields: object) -> None: ...

class AdagradGroup(_Group):
    lr_decay: float
    eps: float
    def __init__(self, **fields: object) -> None: ...

class AdadeltaGroup(_Group):
    rho: float
    eps: float
    def __init__(self, **fields: object) -> None: ...

# <name>_step: groups[k] holds counts[k] consecutive tensors and runs at lrs[k];
# slots holds one list (or None) per state slot, in the kernel's order; step t is 1-based.
# controls: None, or (update, accum_steps, ema_momentum, ema_overwrite, averages,
# accumulators, no_decay), the lists None or one entry per tensor (training controls).
Controls: TypeAlias = tuple[
    bool, float, float, bool, list[np.ndarray] | None, list[np.ndarray] | None, list[bool] | None
]

_G = TypeVar("_G", bound=_Group)

class _Step(Protocol[_G]):
    def __call__(
        self,
        groups: list[_G],
        counts: list[int],
        step: int,
        lrs: list[float],
        params: list[np.ndarray],
        grads: list[np.ndarray],
        slots: Sequence[list[np.ndarray | None] | None],
        grad_scales: float | list[float] | None,
        names: list[str],
        controls: Controls | None = None,
    ) -> None: ...

adam_step: _Step[AdamGroup]  # slots: exp_avg, exp_avg_sq, max_exp_avg_sq
sgd_step: _Step[SgdGroup]  # slots: momentum_buffer
rmsprop_step: _Step[RmspropGroup]  # slots: square_avg, momentum_buffer, grad_avg
adamax_step: _Step[AdamaxGroup]  # slots: exp_avg, exp_inf
lion_step: _Step[LionGroup]  # slots: exp_avg

nadam_step: _Step[NadamGroup]  # slots: exp_avg, exp_avg_sq
adagrad_step: _Step[AdagradGroup]  # slots: sum
adadelta_step: _Step[AdadeltaGroup]  # slots: square_avg, acc_delta

def sum_squares(arrays: Sequence[np.ndarray], names: Sequence[str]) -> list[float]: ...

# One read of the grads before a step: (sums of squares of g, or of (g + a)/k with
# accumulators a; None without squares), and whether every grad element is finite.
def grad_stats(
    grads: Sequence[np.ndarray],
    names: Sequence[str],
    accumulators: Sequence[np.ndarray] | None,
    accum_steps: float,
    squares: bool,
    finite: bool,
) -> tuple[list[float] | None, bool]: ...

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
