"""A multilayer perceptron in plain NumPy: ReLU hidden layers, linear outputs
(logits for classes, values for regression), forward and backward by hand.

Layer l (1-based) computes z_l = a_{l-1}·W_l + b_l, with a_0 = x; hidden
layers output a_l = max(z_l, 0), the last layer outputs z_L. Everything is
float32. The parameters live in one dict ``{"W1": ..., "b1": ..., ...}`` that
the optimizer updates in place.
"""

from __future__ import annotations

import numpy as np


def layer_sizes(features: int, hidden: tuple[int, ...], outputs: int) -> list[int]:
    return [features, *hidden, outputs]


def init_params(sizes: list[int], seed: int) -> dict[str, np.ndarray]:
    """He initialisation: W_l ~ N(0, 2/fan_in) drawn from ``default_rng(seed)``
    layer by layer, b_l = 0; float32."""
    rng = np.random.default_rng(seed)
    params: dict[str, np.ndarray] = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
        params[f"W{l}"] = w.astype(np.float32)
        params[f"b{l}"] = np.zeros(fan_out, np.float32)
    return params


def n_layers(params: dict[str, np.ndarray]) -> int:
    return len(params) // 2


def forward(params: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, list]:
    """The outputs z_L and the activations a_0 .. a_{L-1} that `backward` needs."""
    acts = [x]
    a = x
    L = n_layers(params)
    for l in range(1, L + 1):
        z = a @ params[f"W{l}"]
        z += params[f"b{l}"]
        if l < L:
            np.maximum(z, 0, out=z)
            acts.append(z)
        a = z
    return a, acts


def predict(params: dict[str, np.ndarray], x: np.ndarray, batch: int = 8192) -> np.ndarray:
    """Outputs for many samples, in batches."""
    return np.concatenate(
        [forward(params, x[i : i + batch])[0] for i in range(0, len(x), batch)]
        or [np.zeros((0, params[f"b{n_layers(params)}"].size), np.float32)]
    )


def backward(params: dict[str, np.ndarray], acts: list, dout: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of the loss for every parameter, given dout = d loss / d z_L.

    dW_l = a_{l-1}ᵀ·δ_l, db_l = Σ_rows δ_l, δ_{l-1} = (δ_l·W_lᵀ)·[a_{l-1} > 0].
    ``dout`` may be overwritten.
    """
    grads: dict[str, np.ndarray] = {}
    delta = dout
    for l in range(n_layers(params), 0, -1):
        a = acts[l - 1]
        grads[f"W{l}"] = a.T @ delta
        grads[f"b{l}"] = delta.sum(axis=0)
        if l > 1:
            delta = delta @ params[f"W{l}"].T
            delta *= a > 0
    return {k: grads[k] for k in params}
