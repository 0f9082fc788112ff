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
        the parity tests.
    bench : bool
        Whether the benchmark times this row (one per optimizer and front end).
    bytes_per_element : int
        float32 bytes one step moves per parameter element (reads and writes
        of the parameter, gradient and slots), for the benchmark's GB/s.
    converge : dict or None
        On one row per class: the kwargs with which the convergence tests
        drive a convex quadratic and the Rosenbrock function to the minimum.
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

    @property
    def cls(self) -> type:
        """The optkern class."""
        module = "optkern" if self.front_end == "keras" else "optkern.torch"
        return getattr(importlib.import_module(module), self.name)

    @property
    def reference(self) -> type:
        """The pure-NumPy reference class."""
        return getattr(importlib.import_module(f"optkern.reference.{self.front_end}"),
                       self.name)

    def __str__(self) -> str:
        return self.id


def _keras(id: str, name: str, slots: tuple, bench: bool = False, bytes_per_element: int = 0,
           exact: bool = True, converge: Any = None, **kwargs: Any) -> Case:
    return Case("keras-" + id, "keras", name, kwargs, slots, exact, None, bench,
                bytes_per_element, converge)


def _torch(id: str, name: str, slots: tuple, torch: Any = None, bench: bool = False,
           bytes_per_element: int = 0, converge: Any = None, **kwargs: Any) -> Case:
    return Case("torch-" + id, "torch", name, kwargs, slots, True,
                torch if torch is not None else (name, kwargs), bench, bytes_per_element,
                converge)


_SGD_M = ("momentum",)
_ADAM = ("momentum", "velocity")
_TORCH_ADAM = ("exp_avg", "exp_avg_sq")
_RMS = ("velocity",)
_TORCH_RMS = ("square_avg",)

CASES: list[Case] = [
    # -- Keras front end --------------------------------------------------------------
    _keras("sgd", "SGD", (), learning_rate=0.05, bench=True, bytes_per_element=12),
    _keras("sgd-momentum", "SGD", _SGD_M, learning_rate=0.05, momentum=0.9,
           converge=dict(learning_rate=1e-3, momentum=0.9)),
    _keras("sgd-nesterov-wd", "SGD", _SGD_M, learning_rate=0.05, momentum=0.8, nesterov=True,
           weight_decay=0.01),
    _keras("sgd-clipvalue", "SGD", _SGD_M, momentum=0.5, clipvalue=0.7),
    _keras("adam", "Adam", _ADAM, learning_rate=0.01, bench=True, bytes_per_element=28,
           converge=dict(learning_rate=0.02)),
    _keras("adam-amsgrad-wd", "Adam", _ADAM + ("velocity_hat",), learning_rate=0.01,
           amsgrad=True, weight_decay=0.05),
    _keras("adam-betas-eps", "Adam", _ADAM, learning_rate=0.02, beta_1=0.5, beta_2=0.9,
           epsilon=1e-3),
    _keras("adam-clipvalue", "Adam", _ADAM, clipvalue=0.5),
    _keras("adam-clipnorm", "Adam", _ADAM, exact=False, learning_rate=0.01, clipnorm=0.5),
    _keras("adam-global-clipnorm", "Adam", _ADAM, exact=False, learning_rate=0.01,
           global_clipnorm=0.8),
    _keras("adamw", "AdamW", _ADAM, learning_rate=0.01, weight_decay=0.1, bench=True,
           bytes_per_element=28, converge=dict(learning_rate=0.02, weight_decay=1e-4)),
    _keras("adamw-amsgrad", "AdamW", _ADAM + ("velocity_hat",), amsgrad=True),
    # -- torch front end --------------------------------------------------------------
    _torch("sgd", "SGD", (), lr=0.05),
    _torch("sgd-momentum-dampening", "SGD", ("momentum_buffer",), lr=0.05, momentum=0.9,
           dampening=0.1, bench=True, bytes_per_element=20,
           converge=dict(lr=1e-3, momentum=0.9)),
    _torch("sgd-nesterov-wd-maximize", "SGD", ("momentum_buffer",), lr=0.05, momentum=0.9,
           nesterov=True, weight_decay=0.01, maximize=True),
    _torch("adam", "Adam", _TORCH_ADAM, lr=0.01, bench=True, bytes_per_element=28,
           converge=dict(lr=0.02)),
    _torch("adam-l2-amsgrad", "Adam", _TORCH_ADAM + ("max_exp_avg_sq",), lr=0.01,
           weight_decay=0.05, amsgrad=True),
    _torch("adam-decoupled-maximize", "Adam", _TORCH_ADAM, lr=0.01, weight_decay=0.05,
           decoupled_weight_decay=True, maximize=True,
           torch=("AdamW", dict(lr=0.01, weight_decay=0.05, maximize=True))),
    _torch("adamw", "AdamW", _TORCH_ADAM, lr=0.01, betas=(0.8, 0.99), eps=1e-6, bench=True,
           bytes_per_element=28, converge=dict(lr=0.02, weight_decay=1e-4)),
    _torch("adamw-amsgrad-maximize", "AdamW", _TORCH_ADAM + ("max_exp_avg_sq",), amsgrad=True,
           maximize=True),
    # -- RMSprop, both front ends -----------------------------------------------------
    _keras("rmsprop", "RMSprop", _RMS, learning_rate=0.01, bench=True, bytes_per_element=20,
           converge=dict(learning_rate=1e-4, momentum=0.9)),
    _keras("rmsprop-centered", "RMSprop", _RMS + ("average_gradient",), learning_rate=0.01,
           centered=True),
    _keras("rmsprop-momentum-wd", "RMSprop", _RMS + ("momentum",), learning_rate=0.01,
           momentum=0.9, weight_decay=0.05),
    _keras("rmsprop-centered-momentum", "RMSprop", _RMS + ("momentum", "average_gradient"),
           learning_rate=0.02, rho=0.8, momentum=0.5, epsilon=1e-4, centered=True),
    _keras("rmsprop-clipvalue", "RMSprop", _RMS, clipvalue=0.5),
    _keras("rmsprop-clipnorm", "RMSprop", _RMS + ("momentum",), exact=False,
           learning_rate=0.01, momentum=0.5, clipnorm=0.5),
    _keras("rmsprop-global-clipnorm", "RMSprop", _RMS + ("average_gradient",), exact=False,
           learning_rate=0.01, centered=True, global_clipnorm=0.8),
    _torch("rmsprop", "RMSprop", _TORCH_RMS, lr=0.01, bench=True, bytes_per_element=20,
           converge=dict(lr=1e-4, momentum=0.9)),
    _torch("rmsprop-centered", "RMSprop", _TORCH_RMS + ("grad_avg",), lr=0.01, centered=True),
    _torch("rmsprop-momentum", "RMSprop", _TORCH_RMS + ("momentum_buffer",), lr=0.01,
           momentum=0.9),
    _torch("rmsprop-centered-momentum", "RMSprop",
           _TORCH_RMS + ("momentum_buffer", "grad_avg"), lr=0.01, alpha=0.9, eps=1e-6,
           momentum=0.5, centered=True),
    _torch("rmsprop-l2-maximize", "RMSprop", _TORCH_RMS, lr=0.01, weight_decay=0.05,
           maximize=True),
    _torch("rmsprop-centered-momentum-l2-maximize", "RMSprop",
           _TORCH_RMS + ("momentum_buffer", "grad_avg"), lr=0.01, momentum=0.9, centered=True,
           weight_decay=0.05, maximize=True),
]


def cases(front_end: str | None = None, *, bench: bool | None = None) -> list[Case]:
    """The cases, optionally of one front end, or only the benchmark's rows."""
    return [c for c in CASES if (front_end is None or c.front_end == front_end)
            and (bench is None or c.bench == bench)]
