"""The registry of optimizer cases: one row per configuration worth testing.

Each row names an optimizer of one front-end, the keyword arguments of the
configuration, the state slots it keeps, whether the kernels must match
`optkern.reference` bit for bit, and how torch runs it. The generic test
suites, ``python -m optkern info``'s self-check and the benchmark all read
this list, so a new optimizer is a few rows here. Classes are named, not
imported, so that importing the registry costs nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    """One optimizer configuration.

    Attributes
    ----------
    id : str
        ``"<front end>-<short description>"``, e.g. ``"keras-adam-amsgrad"``.
    front_end : {"keras", "torch"}
    name : str
        The class name in that front end (``optkern.<name>`` or
        ``optkern.torch.<name>``) and in ``optkern.reference.<front_end>``.
    kwargs : dict
        The configuration.
    slots : tuple of str
        The state slots ``state_dict()`` holds for it.
    exact : bool
        Whether the kernels equal the reference bit for bit (False only where
        a norm is summed in another order: clipnorm, global_clipnorm).
    torch : tuple (name, kwargs) or None
        The ``torch.optim`` class and kwargs computing the same update, for
        the parity tests; None where torch has no such optimizer (Lion).
    bench : bool
        Whether the benchmark times this row (one per optimizer and front end).
    bytes_per_element : int
        float32 bytes one step moves per parameter element (reads and writes
        of the parameter, gradient and slots), for the benchmark's GB/s.
    converge : dict or None
        On one row per class: the kwargs with which the convergence tests
        drive a convex quadratic and the Rosenbrock function to the minimum.
    rosenbrock_steps : int or None
        On a converge row: the steps the Rosenbrock test allows, where the
        optimizer needs more than the common budget (Adadelta); None for the
        common budget.
    """

    id: str
    front_end: str
    name: str
    kwargs: dict = field(default_factory=dict)
    slots: tuple = ()
    exact: bool = True
    torch: Any = None
    bench: bool = False
    bytes_per_element: int = 0
    converge: Any = None
    rosenbrock_steps: Any = None

    @property
    def cls(self) -> type:
        """The optkern class."""
        module = "optkern" if self.front_end == "keras" else "optkern.torch"
        return getattr(importlib.import_module(module), self.name)

    @property
    def reference(self) -> type:
        """The pure-NumPy reference class."""
        return getattr(importlib.import_module(f"optkern.reference.{self.front_end}"), self.name)

    def __str__(self) -> str:
        return self.id


# Keyword arguments of a row that describe the case rather than configure the optimizer.
_CASE_OPTIONS = ("exact", "bench", "bytes_per_element", "converge", "rosenbrock_steps")


def _split(kwargs: dict) -> tuple[dict, dict]:
    case = {k: kwargs.pop(k) for k in _CASE_OPTIONS if k in kwargs}
    return kwargs, case


def _keras(id: str, name: str, slots: tuple, **kwargs: Any) -> Case:
    kwargs, case = _split(kwargs)
    return Case("keras-" + id, "keras", name, kwargs, slots, **case)


def _torch(id: str, name: str, slots: tuple, torch: Any = None, **kwargs: Any) -> Case:
    """``torch=None``: torch.optim's class of the same name and kwargs; ``False``: none."""
    kwargs, case = _split(kwargs)
    parity = (name, kwargs) if torch is None else (torch or None)
    return Case("torch-" + id, "torch", name, kwargs, slots, torch=parity, **case)


_SGD_M = ("momentum",)
_ADAM = ("momentum", "velocity")
_TORCH_ADAM = ("exp_avg", "exp_avg_sq")
_RMS = ("velocity",)
_TORCH_RMS = ("square_avg",)
_ADAMAX = ("momentum", "norm")
_TORCH_ADAMAX = ("exp_avg", "exp_inf")
ADAMAX_CONVERGE = dict(learning_rate=0.02)
ADAMAX_TORCH_CONVERGE = dict(lr=0.02)
LION_CONVERGE = dict(learning_rate=7e-4)  # sign steps: |x - c| stays below η
LION_TORCH_CONVERGE = dict(lr=7e-4)
_TORCH_NADAM = ("exp_avg", "exp_avg_sq", "mu_product")
_ADADELTA = ("accumulated_grad", "accumulated_delta_var")
_TORCH_ADADELTA = ("square_avg", "acc_delta")

CASES: list[Case] = [
    # -- Keras front end --------------------------------------------------------------
    _keras("sgd", "SGD", (), learning_rate=0.05, bench=True, bytes_per_element=12),
    _keras(
        "sgd-momentum",
        "SGD",
        _SGD_M,
        learning_rate=0.05,
        momentum=0.9,
        converge=dict(learning_rate=1e-3, momentum=0.9),
    ),
    _keras(
        "sgd-nesterov-wd",
        "SGD",
        _SGD_M,
        learning_rate=0.05,
        momentum=0.8,
        nesterov=True,
        weight_decay=0.01,
    ),
    _keras("sgd-clipvalue", "SGD", _SGD_M, momentum=0.5, clipvalue=0.7),
    _keras(
        "adam",
        "Adam",
        _ADAM,
        learning_rate=0.01,
        bench=True,
        bytes_per_element=28,
        converge=dict(learning_rate=0.02),
    ),
    _keras(
        "adam-amsgrad-wd",
        "Adam",
        _ADAM + ("velocity_hat",),
        learning_rate=0.01,
        amsgrad=True,
        weight_decay=0.05,
    ),
    _keras(
        "adam-betas-eps", "Adam", _ADAM, learning_rate=0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-3
    ),
    _keras("adam-clipvalue", "Adam", _ADAM, clipvalue=0.5),
    _keras("adam-clipnorm", "Adam", _ADAM, exact=False, learning_rate=0.01, clipnorm=0.5),
    _keras(
        "adam-global-clipnorm", "Adam", _ADAM, exact=False, learning_rate=0.01, global_clipnorm=0.8
    ),
    _keras(
        "adamw",
        "AdamW",
        _ADAM,
        learning_rate=0.01,
        weight_decay=0.1,
        bench=True,
        bytes_per_element=28,
        converge=dict(learning_rate=0.02, weight_decay=1e-4),
    ),
    _keras("adamw-amsgrad", "AdamW", _ADAM + ("velocity_hat",), amsgrad=True),
    # -- torch front end --------------------------------------------------------------
    _torch("sgd", "SGD", (), lr=0.05),
    _torch(
        "sgd-momentum-dampening",
        "SGD",
        ("momentum_buffer",),
        lr=0.05,
        momentum=0.9,
        dampening=0.1,
        bench=True,
        bytes_per_element=20,
        converge=dict(lr=1e-3, momentum=0.9),
    ),
    _torch(
        "sgd-nesterov-wd-maximize",
        "SGD",
        ("momentum_buffer",),
        lr=0.05,
        momentum=0.9,
        nesterov=True,
        weight_decay=0.01,
        maximize=True,
    ),
    _torch(
        "adam",
        "Adam",
        _TORCH_ADAM,
        lr=0.01,
        bench=True,
        bytes_per_element=28,
        converge=dict(lr=0.02),
    ),
    _torch(
        "adam-l2-amsgrad",
        "Adam",
        _TORCH_ADAM + ("max_exp_avg_sq",),
        lr=0.01,
        weight_decay=0.05,
        amsgrad=True,
    ),
    _torch(
        "adam-decoupled-maximize",
        "Adam",
        _TORCH_ADAM,
        lr=0.01,
        weight_decay=0.05,
        decoupled_weight_decay=True,
        maximize=True,
        torch=("AdamW", dict(lr=0.01, weight_decay=0.05, maximize=True)),
    ),
    _torch(
        "adamw",
        "AdamW",
        _TORCH_ADAM,
        lr=0.01,
        betas=(0.8, 0.99),
        eps=1e-6,
        bench=True,
        bytes_per_element=28,
        converge=dict(lr=0.02, weight_decay=1e-4),
    ),
    _torch(
        "adamw-amsgrad-maximize",
        "AdamW",
        _TORCH_ADAM + ("max_exp_avg_sq",),
        amsgrad=True,
        maximize=True,
    ),
    # -- RMSprop, both front ends -----------------------------------------------------
    _keras(
        "rmsprop",
        "RMSprop",
        _RMS,
        learning_rate=0.01,
        bench=True,
        bytes_per_element=20,
        converge=dict(learning_rate=1e-4, momentum=0.9),
    ),
    _keras(
        "rmsprop-centered",
        "RMSprop",
        _RMS + ("average_gradient",),
        learning_rate=0.01,
        centered=True,
    ),
    _keras(
        "rmsprop-momentum-wd",
        "RMSprop",
        _RMS + ("momentum",),
        learning_rate=0.01,
        momentum=0.9,
        weight_decay=0.05,
    ),
    _keras(
        "rmsprop-centered-momentum",
        "RMSprop",
        _RMS + ("momentum", "average_gradient"),
        learning_rate=0.02,
        rho=0.8,
        momentum=0.5,
        epsilon=1e-4,
        centered=True,
    ),
    _keras("rmsprop-clipvalue", "RMSprop", _RMS, clipvalue=0.5),
    _keras(
        "rmsprop-clipnorm",
        "RMSprop",
        _RMS + ("momentum",),
        exact=False,
        learning_rate=0.01,
        momentum=0.5,
        clipnorm=0.5,
    ),
    _keras(
        "rmsprop-global-clipnorm",
        "RMSprop",
        _RMS + ("average_gradient",),
        exact=False,
        learning_rate=0.01,
        centered=True,
        global_clipnorm=0.8,
    ),
    _torch(
        "rmsprop",
        "RMSprop",
        _TORCH_RMS,
        lr=0.01,
        bench=True,
        bytes_per_element=20,
        converge=dict(lr=1e-4, momentum=0.9),
    ),
    _torch("rmsprop-centered", "RMSprop", _TORCH_RMS + ("grad_avg",), lr=0.01, centered=True),
    _torch("rmsprop-momentum", "RMSprop", _TORCH_RMS + ("momentum_buffer",), lr=0.01, momentum=0.9),
    _torch(
        "rmsprop-centered-momentum",
        "RMSprop",
        _TORCH_RMS + ("momentum_buffer", "grad_avg"),
        lr=0.01,
        alpha=0.9,
        eps=1e-6,
        momentum=0.5,
        centered=True,
    ),
    _torch("rmsprop-l2-maximize", "RMSprop", _TORCH_RMS, lr=0.01, weight_decay=0.05, maximize=True),
    _torch(
        "rmsprop-centered-momentum-l2-maximize",
        "RMSprop",
        _TORCH_RMS + ("momentum_buffer", "grad_avg"),
        lr=0.01,
        momentum=0.9,
        centered=True,
        weight_decay=0.05,
        maximize=True,
    ),
    # -- Adamax and Lion ------------------------------------------------------------
    _keras(
        "adamax",
        "Adamax",
        _ADAMAX,
        learning_rate=0.01,
        bench=True,
        bytes_per_element=28,
        converge=ADAMAX_CONVERGE,
    ),
    _keras(
        "adamax-wd-betas-eps",
        "Adamax",
        _ADAMAX,
        learning_rate=0.02,
        weight_decay=0.05,
        beta_1=0.5,
        beta_2=0.9,
        epsilon=1e-3,
    ),
    _keras("adamax-clipvalue", "Adamax", _ADAMAX, clipvalue=0.5),
    _keras("adamax-clipnorm", "Adamax", _ADAMAX, exact=False, learning_rate=0.01, clipnorm=0.5),
    _keras(
        "lion",
        "Lion",
        ("momentum",),
        learning_rate=0.01,
        bench=True,
        bytes_per_element=20,
        converge=LION_CONVERGE,
    ),
    _keras(
        "lion-wd-betas",
        "Lion",
        ("momentum",),
        learning_rate=0.01,
        weight_decay=0.1,
        beta_1=0.5,
        beta_2=0.9,
    ),
    _keras("lion-beta1-one", "Lion", ("momentum",), beta_1=1.0, beta_2=0.0),
    _keras("lion-clipvalue", "Lion", ("momentum",), clipvalue=0.5),
    _keras(
        "lion-global-clipnorm",
        "Lion",
        ("momentum",),
        exact=False,
        learning_rate=0.01,
        global_clipnorm=0.8,
    ),
    _torch(
        "adamax",
        "Adamax",
        _TORCH_ADAMAX,
        lr=0.01,
        bench=True,
        bytes_per_element=28,
        converge=ADAMAX_TORCH_CONVERGE,
    ),
    _torch("adamax-l2", "Adamax", _TORCH_ADAMAX, lr=0.01, weight_decay=0.05),
    _torch("adamax-maximize", "Adamax", _TORCH_ADAMAX, lr=0.01, maximize=True),
    _torch(
        "adamax-l2-maximize-betas-eps",
        "Adamax",
        _TORCH_ADAMAX,
        lr=0.02,
        betas=(0.5, 0.9),
        eps=1e-3,
        weight_decay=0.05,
        maximize=True,
    ),
    _torch("adamax-defaults", "Adamax", _TORCH_ADAMAX),
    _torch(
        "lion",
        "Lion",
        ("exp_avg",),
        torch=False,
        lr=0.01,
        bench=True,
        bytes_per_element=20,
        converge=LION_TORCH_CONVERGE,
    ),
    _torch("lion-decoupled", "Lion", ("exp_avg",), torch=False, lr=0.01, weight_decay=0.1),
    _torch("lion-maximize", "Lion", ("exp_avg",), torch=False, lr=0.01, maximize=True),
    _torch(
        "lion-decoupled-maximize-betas",
        "Lion",
        ("exp_avg",),
        torch=False,
        lr=0.01,
        betas=(0.5, 0.9),
        weight_decay=0.1,
        maximize=True,
    ),
    # -- Nadam (Keras) / NAdam (torch) ---------------------------------------------------
    _keras(
        "nadam",
        "Nadam",
        _ADAM,
        learning_rate=0.01,
        bench=True,
        bytes_per_element=28,
        converge=dict(learning_rate=0.01),
    ),
    _keras(
        "nadam-wd-betas-eps",
        "Nadam",
        _ADAM,
        learning_rate=0.02,
        beta_1=0.5,
        beta_2=0.9,
        epsilon=1e-3,
        weight_decay=0.05,
    ),
    _keras("nadam-clipvalue", "Nadam", _ADAM, clipvalue=0.5),
    _keras("nadam-clipnorm", "Nadam", _ADAM, exact=False, learning_rate=0.01, clipnorm=0.5),
    _keras(
        "nadam-global-clipnorm",
        "Nadam",
        _ADAM,
        exact=False,
        learning_rate=0.01,
        global_clipnorm=0.8,
    ),
    # every combination of weight decay (none, L2, decoupled), maximize and momentum_decay
    _torch(
        "nadam",
        "NAdam",
        _TORCH_NADAM,
        lr=0.01,
        bench=True,
        bytes_per_element=28,
        converge=dict(lr=0.01, momentum_decay=0.04),
    ),
    _torch("nadam-maximize", "NAdam", _TORCH_NADAM, lr=0.01, maximize=True),
    _torch("nadam-psi", "NAdam", _TORCH_NADAM, lr=0.01, momentum_decay=0.1),
    _torch("nadam-psi0-maximize", "NAdam", _TORCH_NADAM, momentum_decay=0.0, maximize=True),
    _torch("nadam-l2", "NAdam", _TORCH_NADAM, lr=0.01, weight_decay=0.05),
    _torch("nadam-l2-maximize", "NAdam", _TORCH_NADAM, lr=0.01, weight_decay=0.05, maximize=True),
    _torch(
        "nadam-l2-psi-betas",
        "NAdam",
        _TORCH_NADAM,
        lr=0.01,
        weight_decay=0.05,
        momentum_decay=0.1,
        betas=(0.5, 0.9),
        eps=1e-3,
    ),
    _torch(
        "nadam-l2-psi-maximize",
        "NAdam",
        _TORCH_NADAM,
        weight_decay=0.05,
        momentum_decay=0.1,
        maximize=True,
    ),
    _torch(
        "nadam-decoupled",
        "NAdam",
        _TORCH_NADAM,
        lr=0.01,
        weight_decay=0.05,
        decoupled_weight_decay=True,
    ),
    _torch(
        "nadam-decoupled-maximize",
        "NAdam",
        _TORCH_NADAM,
        lr=0.01,
        weight_decay=0.05,
        decoupled_weight_decay=True,
        maximize=True,
    ),
    _torch(
        "nadam-decoupled-psi",
        "NAdam",
        _TORCH_NADAM,
        lr=0.01,
        weight_decay=0.05,
        decoupled_weight_decay=True,
        momentum_decay=0.1,
    ),
    _torch(
        "nadam-decoupled-psi-maximize",
        "NAdam",
        _TORCH_NADAM,
        weight_decay=0.05,
        decoupled_weight_decay=True,
        momentum_decay=0.1,
        maximize=True,
    ),
    # -- Adagrad and Adadelta ---------------------------------------------------------
    # Adadelta settles within 1e-2 of Rosenbrock's minimum only after ~10 000 steps
    # (its step size grows from sqrt(ε)); every other test uses the common budgets.
    _keras(
        "adagrad",
        "Adagrad",
        ("accumulator",),
        learning_rate=0.1,
        bench=True,
        bytes_per_element=20,
        converge=dict(learning_rate=1.5),
    ),
    _keras(
        "adagrad-init-eps-wd",
        "Adagrad",
        ("accumulator",),
        learning_rate=0.05,
        initial_accumulator_value=0.5,
        epsilon=1e-3,
        weight_decay=0.05,
    ),
    _keras("adagrad-clipvalue", "Adagrad", ("accumulator",), learning_rate=0.1, clipvalue=0.5),
    _keras(
        "adagrad-clipnorm",
        "Adagrad",
        ("accumulator",),
        exact=False,
        learning_rate=0.1,
        clipnorm=0.5,
    ),
    _keras(
        "adagrad-global-clipnorm",
        "Adagrad",
        ("accumulator",),
        exact=False,
        learning_rate=0.1,
        global_clipnorm=0.8,
    ),
    _keras(
        "adadelta",
        "Adadelta",
        _ADADELTA,
        learning_rate=1.0,
        bench=True,
        bytes_per_element=28,
        converge=dict(learning_rate=0.3, rho=0.5, epsilon=1e-8),
        rosenbrock_steps=10_000,
    ),
    _keras(
        "adadelta-rho-eps-wd",
        "Adadelta",
        _ADADELTA,
        learning_rate=0.5,
        rho=0.8,
        epsilon=1e-4,
        weight_decay=0.05,
    ),
    _keras("adadelta-clipvalue", "Adadelta", _ADADELTA, learning_rate=1.0, clipvalue=0.5),
    _keras(
        "adadelta-clipnorm", "Adadelta", _ADADELTA, exact=False, learning_rate=1.0, clipnorm=0.5
    ),
    # torch: every combination of lr_decay, weight_decay and maximize
    _torch(
        "adagrad",
        "Adagrad",
        ("sum",),
        lr=0.05,
        bench=True,
        bytes_per_element=20,
        converge=dict(lr=1.5),
    ),
    _torch("adagrad-lr-decay", "Adagrad", ("sum",), lr=0.05, lr_decay=0.1),
    _torch(
        "adagrad-wd-init",
        "Adagrad",
        ("sum",),
        lr=0.05,
        weight_decay=0.05,
        initial_accumulator_value=0.3,
    ),
    _torch("adagrad-maximize-eps", "Adagrad", ("sum",), lr=0.05, maximize=True, eps=1e-3),
    _torch("adagrad-lr-decay-wd", "Adagrad", ("sum",), lr=0.05, lr_decay=0.05, weight_decay=0.05),
    _torch(
        "adagrad-lr-decay-maximize-init",
        "Adagrad",
        ("sum",),
        lr=0.05,
        lr_decay=0.2,
        maximize=True,
        initial_accumulator_value=0.1,
    ),
    _torch("adagrad-wd-maximize", "Adagrad", ("sum",), lr=0.05, weight_decay=0.1, maximize=True),
    _torch(
        "adagrad-lr-decay-wd-maximize-init",
        "Adagrad",
        ("sum",),
        lr=0.05,
        lr_decay=0.01,
        weight_decay=0.02,
        maximize=True,
        initial_accumulator_value=1.0,
        eps=1e-6,
    ),
    _torch(
        "adadelta",
        "Adadelta",
        _TORCH_ADADELTA,
        bench=True,
        bytes_per_element=28,
        converge=dict(lr=0.3, rho=0.5, eps=1e-8),
        rosenbrock_steps=10_000,
    ),
    _torch("adadelta-wd-rho", "Adadelta", _TORCH_ADADELTA, lr=0.5, rho=0.8, weight_decay=0.05),
    _torch("adadelta-maximize-eps", "Adadelta", _TORCH_ADADELTA, maximize=True, eps=1e-4),
    _torch(
        "adadelta-wd-maximize", "Adadelta", _TORCH_ADADELTA, lr=2.0, weight_decay=0.1, maximize=True
    ),
]


def cases(front_end: str | None = None, *, bench: bool | None = None) -> list[Case]:
    """The cases, optionally of one front end, or only the benchmark's rows."""
    return [
        c
        for c in CASES
        if (front_end is None or c.front_end == front_end) and (bench is None or c.bench == bench)
    ]
