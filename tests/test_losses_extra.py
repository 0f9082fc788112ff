"""The extra Keras losses (MAPE, MSLE, LogCosh, CosineSimilarity, Hinge,
SquaredHinge, CategoricalHinge, KLDivergence, Poisson and the focal
cross-entropies): value and gradient against NumPy formulas written here and
against optkern.reference.losses, every reduction with and without weights,
central finite differences in float64, identical bits on every ISA and thread
count, clipped regions and edge cases, and the public names.
"""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
from conftest import ISAS, THREADS, running_on

import optkern as ok
from optkern.reference import losses as R

EPS = 1e-7
DTYPES = (np.float32, np.float64)
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
# Last-axis sizes around the vector widths (16 float32 / 8 float64 lanes).
COLS = (1, 2, 7, 8, 9, 15, 16, 17, 33)
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


# ---------------------------------------------------------------- inputs
def _one_hot(rng, shape):
    k = shape[-1]
    labels = rng.integers(0, k, size=shape[:-1])
    return (labels[..., None] == np.arange(k)).astype(np.float64)


def _away_from(x, point, gap):
    """x moved at least `gap` away from `point` (for finite differences)."""
    close = np.abs(x - point) < gap
    return np.where(close, point + np.where(x >= point, gap, -gap) * 2, x)


def gen_mape(rng, shape, smooth=False):
    y = rng.normal(size=shape) * 2
    if not smooth:
        y = np.where(rng.random(shape) < 0.1, 0.0, y)
    p = rng.normal(size=shape) * 2
    if smooth:
        p = _away_from(p, y, 1e-2)
    return y, p


def gen_msle(rng, shape, smooth=False):
    y = rng.uniform(-0.5, 3.0, size=shape)
    p = rng.uniform(0.05, 3.0, size=shape) if smooth else rng.uniform(-0.5, 3.0, size=shape)
    return y, p


def gen_log_cosh(rng, shape, smooth=False):
    y = rng.normal(size=shape) * 3
    p = y + rng.normal(size=shape) * np.where(rng.random(shape) < 0.1, 30.0, 1.0)
    return y, p


def gen_cosine(rng, shape, smooth=False):
    y = rng.normal(size=shape)
    p = rng.normal(size=shape)
    if not smooth and len(shape) >= 2 and shape[0] > 1:
        y[0] = 0.0
        p[-1] = 0.0
    return y, p


def gen_hinge_binary(rng, shape, smooth=False):
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    p = rng.normal(size=shape) * 1.5
    if smooth:
        p = _away_from(p, 1.0, 1e-2)
        p = _away_from(p, -1.0, 1e-2)
    return y, p


def gen_hinge_signed(rng, shape, smooth=False):
    y, p = gen_hinge_binary(rng, shape, smooth)
    return 2.0 * y - 1.0, p


def gen_categorical_hinge(rng, shape, smooth=False):
    return _one_hot(rng, shape), rng.normal(size=shape)


def gen_kld(rng, shape, smooth=False):
    y = rng.uniform(0.0, 1.0, size=shape)
    if smooth:
        return y, rng.uniform(0.01, 0.99, size=shape)
    y = np.where(rng.random(shape) < 0.2, 0.0, y)
    return y, rng.uniform(-0.2, 1.2, size=shape)


def gen_poisson(rng, shape, smooth=False):
    return rng.poisson(2.0, size=shape).astype(np.float64), rng.uniform(0.05, 4.0, size=shape)


def gen_binary_probs(rng, shape, smooth=False):
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    if smooth:
        return y, rng.uniform(0.01, 0.99, size=shape)
    p = rng.uniform(0.0, 1.0, size=shape)
    p = np.where(rng.random(shape) < 0.05, 0.0, p)   # 0 and 1 are clipped
    return y, np.where(rng.random(shape) < 0.05, 1.0, p)


def gen_binary_logits(rng, shape, smooth=False):
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    return y, rng.normal(size=shape) * 3


def gen_categorical_probs(rng, shape, smooth=False):
    y, p = _one_hot(rng, shape), rng.uniform(0.05, 1.0, size=shape)
    if not smooth and len(shape) >= 2 and shape[0] > 1:
        p[0] = _one_hot(rng, shape)[0]   # ratios 0 and 1: both clip bounds
    return y, p


def gen_categorical_logits(rng, shape, smooth=False):
    return _one_hot(rng, shape), rng.normal(size=shape) * 3


# ------------------------------------------- straightforward NumPy formulas
# Each returns (per-sample loss, d loss / d y_pred), in float64.
def np_mape(y, p):
    den = np.maximum(np.abs(y), EPS)
    return 100 * np.mean(np.abs(y - p) / den, -1), 100 * np.sign(p - y) / den / y.shape[-1]


def np_msle(y, p):
    a, b = np.log(np.maximum(p, EPS) + 1), np.log(np.maximum(y, EPS) + 1)
    g = np.where(p >= EPS, 2 * (a - b) / (np.maximum(p, EPS) + 1), 0.0)
    return np.mean((a - b) ** 2, -1), g / y.shape[-1]


def np_log_cosh(y, p):
    x = p - y
    return np.mean(np.logaddexp(x, -x) - np.log(2), -1), np.tanh(x) / y.shape[-1]


def np_cosine(y, p):
    ny = np.sqrt(np.sum(y * y, -1, keepdims=True))
    npp = np.sqrt(np.sum(p * p, -1, keepdims=True))
    u, v = y / np.maximum(ny, EPS), p / np.maximum(npp, EPS)
    loss = -np.sum(u * v, -1)
    s = np.sum(u * p, -1, keepdims=True)
    g = np.where(npp >= EPS, -u / np.maximum(npp, EPS) + s * p / np.maximum(npp, EPS) ** 3,
                 -u / EPS)
    return loss, g


def _hinge_y(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def np_hinge(y, p):
    y = _hinge_y(y)
    m = 1 - y * p
    return np.mean(np.maximum(m, 0), -1), np.where(m > 0, -y, 0.0) / y.shape[-1]


def np_squared_hinge(y, p):
    y = _hinge_y(y)
    h = np.maximum(1 - y * p, 0)
    return np.mean(h * h, -1), -2 * y * h / y.shape[-1]


def np_categorical_hinge(y, p):
    pos = np.sum(y * p, -1)
    others = (1 - y) * p
    neg = np.max(others, -1)
    loss = np.maximum(neg - pos + 1, 0)
    k = np.argmax(others, -1)
    onehot = (k[..., None] == np.arange(y.shape[-1]))
    g = np.where((loss > 0)[..., None], -y + onehot * (1 - y), 0.0)
    return loss, g


def np_kld(y, p):
    t, q = np.clip(y, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / q), -1), np.where((p >= EPS) & (p <= 1), -t / q, 0.0)


def np_poisson(y, p):
    return np.mean(p - y * np.log(p + EPS), -1), (1 - y / (p + EPS)) / y.shape[-1]


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def np_binary_focal(y, x, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                    from_logits=False, label_smoothing=0.0):
    t = y * (1 - label_smoothing) + 0.5 * label_smoothing
    p = _sigmoid(x) if from_logits else x
    q = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    pt = t * p + (1 - t) * (1 - p)
    focal = (1 - pt) ** gamma
    w = t * alpha + (1 - t) * (1 - alpha) if apply_class_balancing else 1.0
    dfocal = gamma * (1 - pt) ** (gamma - 1) * (1 - 2 * t) if gamma else 0.0
    dbce = np.where((p >= EPS) & (p <= 1 - EPS), (q - t) / (q * (1 - q)), 0.0)
    g = w * (dfocal * bce + focal * dbce)
    if from_logits:
        g = g * p * (1 - p)
    return np.mean(w * focal * bce, -1), g / y.shape[-1]


def np_categorical_focal(y, x, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0):
    k = y.shape[-1]
    t = y * (1 - label_smoothing) + label_smoothing / k
    if from_logits:
        e = np.exp(x - np.max(x, -1, keepdims=True))
        x = e / np.sum(e, -1, keepdims=True)
    s = np.sum(x, -1, keepdims=True)
    r = x / s
    o = np.clip(r, EPS, 1 - EPS)
    ce = -t * np.log(o)
    loss = np.sum(alpha * (1 - o) ** gamma * ce, -1)
    h = -alpha * (gamma * (1 - o) ** (gamma - 1) * ce + (1 - o) ** gamma * t / o)
    h = np.where((r >= EPS) & (r <= 1 - EPS), h, 0.0)
    a = np.sum(h * r, -1, keepdims=True)
    g = r * (h - a) if from_logits else (h - a) / s
    return loss, g


# ------------------------------------------------------------------ cases
# (id, optkern class, kwargs, reference class, NumPy formula, generator)
L = ok.losses
CASES = [
    ("mape", L.MeanAbsolutePercentageError, {}, R.MeanAbsolutePercentageError, np_mape,
     gen_mape),
    ("msle", L.MeanSquaredLogarithmicError, {}, R.MeanSquaredLogarithmicError, np_msle,
     gen_msle),
    ("log_cosh", L.LogCosh, {}, R.LogCosh, np_log_cosh, gen_log_cosh),
    ("cosine", L.CosineSimilarity, {}, R.CosineSimilarity, np_cosine, gen_cosine),
    ("hinge01", L.Hinge, {}, R.Hinge, np_hinge, gen_hinge_binary),
    ("hinge_pm1", L.Hinge, {}, R.Hinge, np_hinge, gen_hinge_signed),
    ("squared_hinge01", L.SquaredHinge, {}, R.SquaredHinge, np_squared_hinge, gen_hinge_binary),
    ("squared_hinge_pm1", L.SquaredHinge, {}, R.SquaredHinge, np_squared_hinge,
     gen_hinge_signed),
    ("categorical_hinge", L.CategoricalHinge, {}, R.CategoricalHinge, np_categorical_hinge,
     gen_categorical_hinge),
    ("kld", L.KLDivergence, {}, R.KLDivergence, np_kld, gen_kld),
    ("poisson", L.Poisson, {}, R.Poisson, np_poisson, gen_poisson),
    ("bfce", L.BinaryFocalCrossentropy, {}, R.BinaryFocalCrossentropy, np_binary_focal,
     gen_binary_probs),
    ("bfce_logits", L.BinaryFocalCrossentropy, dict(from_logits=True),
     R.BinaryFocalCrossentropy, np_binary_focal, gen_binary_logits),
    ("bfce_balanced_ls_g3", L.BinaryFocalCrossentropy,
     dict(apply_class_balancing=True, alpha=0.4, gamma=3.0, label_smoothing=0.1),
     R.BinaryFocalCrossentropy, np_binary_focal, gen_binary_probs),
    ("bfce_logits_g1.5", L.BinaryFocalCrossentropy,
     dict(from_logits=True, gamma=1.5, apply_class_balancing=True),
     R.BinaryFocalCrossentropy, np_binary_focal, gen_binary_logits),
    ("bfce_g0", L.BinaryFocalCrossentropy, dict(gamma=0.0), R.BinaryFocalCrossentropy,
     np_binary_focal, gen_binary_probs),
    ("bfce_g1", L.BinaryFocalCrossentropy, dict(gamma=1.0), R.BinaryFocalCrossentropy,
     np_binary_focal, gen_binary_probs),
    ("cfce", L.CategoricalFocalCrossentropy, {}, R.CategoricalFocalCrossentropy,
     np_categorical_focal, gen_categorical_probs),
    ("cfce_logits", L.CategoricalFocalCrossentropy, dict(from_logits=True),
     R.CategoricalFocalCrossentropy, np_categorical_focal, gen_categorical_logits),
    ("cfce_ls_g2.5", L.CategoricalFocalCrossentropy,
     dict(alpha=0.5, gamma=2.5, label_smoothing=0.2),
     R.CategoricalFocalCrossentropy, np_categorical_focal, gen_categorical_probs),
    ("cfce_logits_g0", L.CategoricalFocalCrossentropy,
     dict(from_logits=True, gamma=0.0, alpha=1.0),
     R.CategoricalFocalCrossentropy, np_categorical_focal, gen_categorical_logits),
]
IDS = [c[0] for c in CASES]


def _numpy_kwargs(kwargs):
    return {k: v for k, v in kwargs.items() if k != "axis"}


def _inputs(gen, rng, shape, dtype, smooth=False):
    y, p = gen(rng, shape, smooth)
    return y.astype(dtype), p.astype(dtype)


def _close(got, want, dtype, scale=None):
    tol = TOL[dtype]
    want = np.asarray(want, np.float64)
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0))) if scale is None else scale
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=tol["rtol"],
                               atol=tol["atol"] * scale)


# ------------------------------------------------------- against NumPy
@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cols", COLS)
def test_per_sample_value_and_grad_vs_numpy(case, dtype, cols):
    _, cls, kwargs, _, formula, gen = case
    rng = np.random.default_rng(cols)
    y, p = _inputs(gen, rng, (5, cols), dtype)
    want_L, want_G = formula(y.astype(np.float64), p.astype(np.float64),
                             **_numpy_kwargs(kwargs))
    got_L, got_G = cls(reduction="sum", **kwargs).value_and_grad(y, p)
    per = cls(reduction=None, **kwargs)(y, p)
    assert per.dtype == dtype and per.shape == (5,)
    assert got_G.dtype == dtype and got_G.shape == p.shape
    _close(per, want_L, dtype)
    _close(got_L, np.sum(want_L), dtype, scale=max(1.0, float(np.sum(np.abs(want_L)))))
    _close(got_G, want_G, dtype)


# -------------------------------------------- against the reference oracle
@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", (False, True))
def test_reductions_and_weights_vs_reference(case, dtype, reduction, weighted):
    _, cls, kwargs, ref_cls, _, gen = case
    rng = np.random.default_rng(7)
    shape = (4, 3, 9)
    y, p = _inputs(gen, rng, shape, dtype)
    w = rng.uniform(0.0, 2.0, size=shape[:-1]).astype(dtype) if weighted else None
    got_v, got_g = cls(reduction=reduction, **kwargs).value_and_grad(y, p, sample_weight=w)
    want_v, want_g = ref_cls(reduction=reduction, **kwargs).value_and_grad(
        y.astype(np.float64), p.astype(np.float64), sample_weight=w)
    called = cls(reduction=reduction, **kwargs)(y, p, sample_weight=w)
    if reduction in ("none", None):
        assert got_v.shape == want_v.shape and got_v.dtype == dtype
        np.testing.assert_array_equal(called, got_v)
    else:
        assert isinstance(got_v, float) and called == got_v
    _close(got_v, want_v, dtype)
    _close(got_g, want_g, dtype)


@pytest.mark.parametrize("case", CASES[:1] + CASES[3:5] + CASES[8:9] + CASES[17:18],
                         ids=["mape", "cosine", "hinge01", "categorical_hinge", "cfce"])
def test_weight_shapes_vs_reference(case):
    """Keras's weight alignment: (B, 1) weights, a scalar weight, broadcasting."""
    _, cls, kwargs, ref_cls, _, gen = case
    rng = np.random.default_rng(3)
    y, p = _inputs(gen, rng, (6, 5), np.float64)
    for w in (rng.uniform(size=(6, 1)), 0.5, np.array([2.0])):
        for reduction in ("none", "sum_over_batch_size", "mean_with_sample_weight"):
            got_v, got_g = cls(reduction=reduction, **kwargs).value_and_grad(
                y, p, sample_weight=w)
            want_v, want_g = ref_cls(reduction=reduction, **kwargs).value_and_grad(
                y, p, sample_weight=w)
            assert np.shape(got_v) == np.shape(want_v)
            _close(got_v, want_v, np.float64)
            _close(got_g, want_g, np.float64)


# ------------------------------------------------- finite differences
@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("shape", [(3, 5), (2, 19)])
def test_gradient_matches_central_differences(case, shape):
    _, cls, kwargs, _, _, gen = case
    rng = np.random.default_rng(11)
    y, p = _inputs(gen, rng, shape, np.float64, smooth=True)
    w = rng.uniform(0.5, 1.5, size=shape[:-1])
    loss = cls(reduction="sum", **kwargs)
    _, g = loss.value_and_grad(y, p, sample_weight=w)
    h = 1e-6
    fd = np.empty_like(p)
    for i in np.ndindex(p.shape):
        q = p.copy()
        q[i] += h
        up = loss(y, q, sample_weight=w)
        q[i] -= 2 * h
        fd[i] = (up - loss(y, q, sample_weight=w)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6 * max(1.0, np.max(np.abs(fd))))


# ------------------------------------------- every ISA and thread count
@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4099, 7), (900, 37), (3, 16), (0, 5), (1, 1)])
def test_identical_bits_on_every_isa_and_thread_count(case, dtype, shape):
    _, cls, kwargs, _, _, gen = case
    rng = np.random.default_rng(5)
    y, p = _inputs(gen, rng, shape, dtype)
    w = rng.uniform(0.0, 2.0, size=shape[:-1]).astype(dtype)
    results = []
    for isa in ISAS:
        for threads in THREADS:
            with running_on(isa, threads):
                v, g = cls(reduction="sum_over_batch_size", **kwargs).value_and_grad(
                    y, p, sample_weight=w)
                per = cls(reduction=None, **kwargs)(y, p)
            results.append((isa, threads, v, g, per))
    _, _, v0, g0, per0 = results[0]
    for isa, threads, v, g, per in results[1:]:
        assert np.array_equal(np.float64(v), np.float64(v0), equal_nan=True), (isa, threads)
        assert g.tobytes() == g0.tobytes(), (isa, threads)
        assert per.tobytes() == per0.tobytes(), (isa, threads)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_grad_out_may_be_y_pred(case):
    _, cls, kwargs, _, _, gen = case
    rng = np.random.default_rng(2)
    y, p = _inputs(gen, rng, (7, 21), np.float32)
    loss = cls(**kwargs)
    v, g = loss.value_and_grad(y, p)
    q = p.copy()
    v2, g2 = loss.value_and_grad(y, q, grad_out=q)
    assert g2 is q and v2 == v
    assert g2.tobytes() == g.tobytes()


# ------------------------------------------------------ edge cases
@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_batch(case, dtype):
    _, cls, kwargs, _, _, gen = case
    y = np.zeros((0, 4), dtype)
    p = np.zeros((0, 4), dtype)
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
        v, g = cls(reduction=reduction, **kwargs).value_and_grad(y, p)
        assert v == 0.0 and g.shape == (0, 4)
    assert cls(reduction=None, **kwargs)(y, p).shape == (0,)


def test_mape_zero_targets_and_equal_values():
    y = np.array([[0.0, 2.0, -4.0, 3.0]])
    p = np.array([[1e-3, 2.0, -2.0, 3.5]])
    v, g = L.MeanAbsolutePercentageError(reduction="sum").value_and_grad(y, p)
    assert v == pytest.approx(100 * (1e-3 / EPS + 0 + 0.5 + 0.5 / 3) / 4)
    np.testing.assert_allclose(g, [[100 / EPS / 4, 0.0, 100 / 4 / 4, 100 / 3 / 4]])


def test_msle_clipped_region_has_zero_gradient():
    y = np.array([[0.5, 0.5, 0.5, 0.5]])
    p = np.array([[-3.0, 0.0, EPS, 2.0]])
    v, g = L.MeanSquaredLogarithmicError(reduction="sum").value_and_grad(y, p)
    assert g[0, 0] == 0.0 and g[0, 1] == 0.0
    assert g[0, 2] != 0.0 and g[0, 3] > 0.0   # the bound itself passes the gradient
    _close(v, np_msle(y, p)[0].sum(), np.float64)


def test_log_cosh_large_errors_stay_finite():
    for dtype in DTYPES:
        y = np.zeros((1, 4), dtype)
        p = np.array([[1e4, -1e4, 1e30 if dtype == np.float64 else 1e20, 0.0]], dtype)
        per, g = L.LogCosh(reduction=None).value_and_grad(y, p)
        want = (1e4 + 1e4 + float(p[0, 2]) - 3 * np.log(2.0)) / 4
        assert per[0] == pytest.approx(want, rel=1e-6)
        np.testing.assert_array_equal(g, np.array([[0.25, -0.25, 0.25, 0.0]], dtype))


def test_log_cosh_small_errors_are_accurate():
    x = np.array([[1e-3, -2e-4, 5e-2]])
    per = L.LogCosh(reduction=None)(np.zeros_like(x), x)
    np.testing.assert_allclose(per, np.mean(np.log(np.cosh(x)), -1), rtol=1e-7)


def test_kld_clips_both_sides():
    y = np.array([[0.0, 1.5, 0.3, 0.3]])
    p = np.array([[0.2, 0.5, -1.0, 2.0]])
    v, g = L.KLDivergence(reduction="sum").value_and_grad(y, p)
    t = np.clip(y, EPS, 1)
    q = np.clip(p, EPS, 1)
    assert v == pytest.approx(np.sum(t * np.log(t / q)))
    np.testing.assert_allclose(g, [[-EPS / 0.2, -1 / 0.5, 0.0, 0.0]])
    # On the clip bounds the gradient passes.
    _, g = L.KLDivergence(reduction="sum").value_and_grad(np.full((1, 2), 0.5),
                                                           np.array([[EPS, 1.0]]))
    np.testing.assert_allclose(g, [[-0.5 / EPS, -0.5]])


def test_poisson_zero_prediction():
    y = np.array([[0.0, 2.0]])
    p = np.array([[0.0, 0.0]])
    v, g = L.Poisson(reduction="sum").value_and_grad(y, p)
    assert v == pytest.approx(-2.0 * np.log(EPS) / 2)
    np.testing.assert_allclose(g, [[0.5, (1 - 2.0 / EPS) / 2]])


def test_cosine_zero_vectors():
    y = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    p = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    per, g = L.CosineSimilarity(reduction=None).value_and_grad(y, p)
    np.testing.assert_array_equal(per, [0.0, 0.0, 0.0])
    # ‖ŷ‖ < ε: the normalisation holds ‖ŷ‖ at ε, so the gradient is −u/ε.
    np.testing.assert_allclose(g[1], -np.array([1.0, 2.0, 2.0]) / 3.0 / EPS)
    np.testing.assert_array_equal(g[0], 0.0)
    np.testing.assert_array_equal(g[2], 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_single_element_rows_have_zero_gradient(dtype):
    y = np.array([[0.3], [-2.0], [1.0], [5.0]], dtype)
    p = np.array([[0.1], [0.7], [-1e-3], [0.0]], dtype)
    per, g = L.CosineSimilarity(reduction=None).value_and_grad(y, p)
    np.testing.assert_array_equal(per, np.array([-1.0, 1.0, 1.0, 0.0], dtype))
    np.testing.assert_array_equal(g[:3], 0.0)
    assert g[3, 0] == pytest.approx(-1.0 / np.float32(EPS), rel=1e-6)   # ‖ŷ‖ < ε


def test_cosine_known_values():
    y = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], np.float32)
    p = np.array([[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]], np.float32)
    per = L.cosine_similarity(y, p)
    np.testing.assert_allclose(per, [0.0, -0.99999994, 0.99999994], atol=1e-7)


AXIS_CASES = [("cosine", L.CosineSimilarity, {}, R.CosineSimilarity, gen_cosine),
              ("bfce_logits", L.BinaryFocalCrossentropy, dict(from_logits=True),
               R.BinaryFocalCrossentropy, gen_binary_logits),
              ("cfce", L.CategoricalFocalCrossentropy, dict(label_smoothing=0.1),
               R.CategoricalFocalCrossentropy, gen_categorical_probs)]


@pytest.mark.parametrize("case", AXIS_CASES, ids=[c[0] for c in AXIS_CASES])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -2])
def test_other_axes_vs_reference(case, dtype, axis):
    _, cls, kwargs, ref_cls, gen = case
    rng = np.random.default_rng(4)
    y, p = _inputs(gen, rng, (5, 6, 7), dtype)
    if axis != -1:   # the generators draw along the last axis: move it to `axis`
        y, p = np.moveaxis(y, -1, axis).copy(), np.moveaxis(p, -1, axis).copy()
    want_v, want_g = ref_cls(axis=axis, reduction="sum", **kwargs).value_and_grad(
        y.astype(np.float64), p.astype(np.float64))
    loss = cls(axis=axis, reduction="sum", **kwargs)
    v, g = loss.value_and_grad(y, p)
    assert g.shape == p.shape and g.dtype == dtype and g.flags.c_contiguous
    _close(v, want_v, dtype, scale=float(np.prod(np.delete(p.shape, axis))))
    _close(g, want_g, dtype)
    assert loss(y, p) == v
    per = cls(axis=axis, reduction=None, **kwargs)(y, p)
    assert per.shape == tuple(np.delete(np.array(p.shape), axis))
    out = np.full_like(p, np.nan)
    v2, g2 = loss.value_and_grad(y, p, grad_out=out)
    assert g2 is out and v2 == v
    np.testing.assert_array_equal(out, g)
    alias = p.copy()
    _, g3 = loss.value_and_grad(y, alias, grad_out=alias)
    assert g3 is alias
    np.testing.assert_array_equal(alias, g)


def test_cosine_axis_errors():
    y = np.ones((3, 4))
    with pytest.raises(ValueError, match="axis"):
        L.CosineSimilarity(axis=2)(y, y)
    with pytest.raises(ValueError, match="y_true"):
        L.CosineSimilarity(axis=0)(np.ones((3, 5)), y)
    out = np.zeros((3, 4), np.float32)
    with pytest.raises(TypeError, match="grad_out"):
        L.CosineSimilarity(axis=0).value_and_grad(y, y, grad_out=out)
    with pytest.raises(ValueError, match="grad_out"):
        L.CosineSimilarity(axis=0).value_and_grad(y, y, grad_out=np.zeros((4, 3)))
    np.testing.assert_array_equal(out, 0.0)


def test_hinge_label_conversion_is_global():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(6, 4))
    y01 = rng.integers(0, 2, size=(6, 4)).astype(np.float64)
    for cls in (L.Hinge, L.SquaredHinge):
        loss = cls(reduction=None)
        np.testing.assert_array_equal(loss(y01, p), loss(2 * y01 - 1, p))
        np.testing.assert_array_equal(loss(y01.astype(bool), p), loss(2 * y01 - 1, p))
        np.testing.assert_array_equal(loss(y01.astype(np.int64), p), loss(2 * y01 - 1, p))
        # One label outside {0, 1} keeps all of them as given (Keras decides once).
        mixed = y01.copy()
        mixed[0, 0] = -1.0
        want = np_hinge(mixed, p)[0] if cls is L.Hinge else np_squared_hinge(mixed, p)[0]
        _close(loss(mixed, p), want, np.float64)
        assert not np.allclose(loss(mixed, p), loss(2 * mixed - 1, p))


def test_hinge_kink_gradient_is_zero():
    y = np.array([[1.0, -1.0, 1.0]])
    p = np.array([[1.0, -1.0, 0.5]])
    _, g = L.Hinge(reduction="sum").value_and_grad(y, p)
    np.testing.assert_array_equal(g, [[0.0, 0.0, -1 / 3]])


def test_categorical_hinge_ties_and_zero_loss():
    y = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    p = np.array([[2.0, 1.0, 2.0, 0.0], [0.0, 0.0, 5.0, 1.0]])
    per, g = L.CategoricalHinge(reduction=None).value_and_grad(y, p)
    np.testing.assert_array_equal(per, [2.0, 0.0])
    # The first maximum of (1 − y)·ŷ takes the +1.
    np.testing.assert_array_equal(g, [[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])


def test_binary_focal_clipped_probabilities():
    y = np.array([[1.0, 0.0, 1.0, 0.0]])
    p = np.array([[0.0, 1.0, 1.0, 0.0]])
    per, g = L.BinaryFocalCrossentropy(reduction=None, gamma=2.0).value_and_grad(y, p)
    want_L, want_G = np_binary_focal(y, p)
    _close(per, want_L, np.float64)
    _close(g, want_G, np.float64)
    # Wrong and sure: only the focal factor's derivative remains (bce's is clipped).
    assert g[0, 0] == pytest.approx(-2.0 * 1.0 * -np.log(EPS) / 4, rel=1e-9)
    # Right and sure: u = 0, loss and gradient 0.
    assert g[0, 2] == 0.0 and g[0, 3] == 0.0


def test_binary_focal_large_logits_are_finite():
    y = np.array([[0.0, 1.0, 0.0, 1.0]], np.float32)
    x = np.array([[1e4, -1e4, -1e4, 1e4]], np.float32)
    per, g = L.BinaryFocalCrossentropy(from_logits=True, reduction=None).value_and_grad(y, x)
    assert np.all(np.isfinite(per)) and np.all(np.isfinite(g))
    # Sure and wrong both ways: −log ε and −log(1 − (1 − ε)), the logs of the
    # clip bounds taken in double (not of 1 − ε rounded to float32).
    assert per[0] == pytest.approx(2 * -np.log(EPS) / 4, rel=1e-6)


def test_categorical_focal_large_logits_are_finite():
    y = np.array([[0.0, 0.0, 1.0]], np.float32)
    x = np.array([[1e4, 0.0, -1e4]], np.float32)
    per, g = L.CategoricalFocalCrossentropy(from_logits=True,
                                            reduction=None).value_and_grad(y, x)
    assert np.all(np.isfinite(per)) and np.all(np.isfinite(g))
    want = 0.25 * (1 - np.float32(EPS)) ** 2 * -np.log(np.float32(EPS))
    assert per[0] == pytest.approx(want, rel=1e-5)


# Keras 3 documented values (float32).
def test_binary_focal_keras_values():
    y = np.array([0, 1, 0, 0], np.float32)
    x = np.array([-18.6, 0.51, 2.94, -12.8], np.float32)
    assert L.BinaryFocalCrossentropy(gamma=2, from_logits=True)(y, x) == pytest.approx(0.691,
                                                                                        abs=1e-3)
    assert L.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=2, from_logits=True)(
        y, x) == pytest.approx(0.51, abs=1e-2)
    y2 = np.array([[0, 1], [0, 0]], np.float32)
    x2 = np.array([[-18.6, 0.51], [2.94, -12.8]], np.float32)
    assert L.BinaryFocalCrossentropy(gamma=3, from_logits=True)(y2, x2) == pytest.approx(
        0.647, abs=1e-3)
    assert L.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3, from_logits=True)(
        y2, x2) == pytest.approx(0.482, abs=1e-3)
    assert L.BinaryFocalCrossentropy(gamma=3, from_logits=True)(
        y2, x2, sample_weight=[0.8, 0.2]) == pytest.approx(0.133, abs=1e-3)
    assert L.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3, from_logits=True)(
        y2, x2, sample_weight=[0.8, 0.2]) == pytest.approx(0.097, abs=1e-3)
    assert L.BinaryFocalCrossentropy(gamma=4, from_logits=True, reduction="sum")(
        y2, x2) == pytest.approx(1.222, abs=1e-3)
    assert L.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=4, from_logits=True,
                                     reduction="sum")(y2, x2) == pytest.approx(0.914, abs=1e-3)
    np.testing.assert_allclose(
        L.BinaryFocalCrossentropy(gamma=5, from_logits=True, reduction=None)(y2, x2),
        [0.0017, 1.1561], atol=1e-4)
    np.testing.assert_allclose(
        L.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=5, from_logits=True,
                                  reduction=None)(y2, x2), [0.0004, 0.8670], atol=1e-4)
    p = np.array([[0.6, 0.4], [0.4, 0.6]], np.float32)
    np.testing.assert_allclose(L.binary_focal_crossentropy(y2, p, gamma=2), [0.330, 0.206],
                               atol=1e-3)


def test_categorical_focal_keras_values():
    y = np.array([[0, 1, 0], [0, 0, 1]], np.float32)
    p = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], np.float32)
    assert L.CategoricalFocalCrossentropy()(y, p) == pytest.approx(0.23315276, rel=1e-5)
    assert L.CategoricalFocalCrossentropy()(y, p, sample_weight=np.array([0.3, 0.7])) == \
        pytest.approx(0.1632, abs=1e-4)
    assert L.CategoricalFocalCrossentropy(reduction="sum")(y, p) == pytest.approx(0.46631,
                                                                                  rel=1e-4)
    np.testing.assert_allclose(L.CategoricalFocalCrossentropy(reduction=None)(y, p),
                               [3.2058331e-05, 4.6627346e-01], rtol=1e-5)
    p2 = np.array([[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]], np.float32)
    np.testing.assert_allclose(L.categorical_focal_crossentropy(y, p2),
                               [2.63401289e-04, 6.75912094e-01], rtol=1e-5)


def test_log_cosh_keras_value():
    y = np.array([[0.0, 1.0], [0.0, 0.0]], np.float32)
    p = np.array([[1.0, 1.0], [0.0, 0.0]], np.float32)
    assert L.LogCosh()(y, p) == pytest.approx(0.108, abs=1e-3)


# ------------------------------------------------------- public names
FUNCTIONS = {
    "mean_absolute_percentage_error": ("mape", "MAPE"),
    "mean_squared_logarithmic_error": ("msle", "MSLE"),
    "log_cosh": ("logcosh",),
    "hinge": (),
    "squared_hinge": (),
    "categorical_hinge": (),
    "kl_divergence": ("kld", "KLD", "kullback_leibler_divergence"),
    "poisson": (),
    "cosine_similarity": (),
    "binary_focal_crossentropy": (),
    "categorical_focal_crossentropy": (),
}
CLASS_NAMES = {
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "LogCosh": "log_cosh",
    "Hinge": "hinge",
    "SquaredHinge": "squared_hinge",
    "CategoricalHinge": "categorical_hinge",
    "KLDivergence": "kl_divergence",
    "Poisson": "poisson",
    "CosineSimilarity": "cosine_similarity",
    "BinaryFocalCrossentropy": "binary_focal_crossentropy",
    "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions_and_aliases(name):
    fn = getattr(L, name)
    assert L.get(name) is fn
    for alias in FUNCTIONS[name]:
        assert getattr(L, alias) is fn and L.get(alias) is fn
    rng = np.random.default_rng(1)
    y, p = gen_binary_probs(rng, (4, 6))
    cls = getattr(L, next(c for c, f in CLASS_NAMES.items() if f == name))
    np.testing.assert_array_equal(fn(y, p), cls(reduction=None)(y, p))


@pytest.mark.parametrize("name", sorted(CLASS_NAMES))
def test_classes_by_name_and_config(name):
    cls = getattr(L, name)
    obj = L.get(name)
    assert type(obj) is cls and obj.name == CLASS_NAMES[name]
    assert obj.reduction == "sum_over_batch_size"
    again = L.deserialize(L.serialize(obj))
    assert type(again) is cls and again.get_config() == obj.get_config()


def test_focal_defaults_and_config():
    b = L.BinaryFocalCrossentropy()
    assert (b.apply_class_balancing, b.alpha, b.gamma, b.from_logits, b.label_smoothing) == \
        (False, 0.25, 2.0, False, 0.0)
    c = L.CategoricalFocalCrossentropy(alpha=0.5, gamma=1.0, from_logits=True,
                                       label_smoothing=0.1)
    cfg = c.get_config()
    assert cfg["alpha"] == 0.5 and cfg["gamma"] == 1.0 and cfg["from_logits"] is True
    assert L.CategoricalFocalCrossentropy.from_config(cfg).get_config() == cfg


@pytest.mark.parametrize("make, error", [
    (lambda: L.BinaryFocalCrossentropy(gamma=-1.0), ValueError),
    (lambda: L.BinaryFocalCrossentropy(gamma=float("nan")), ValueError),
    (lambda: L.BinaryFocalCrossentropy(gamma="two"), TypeError),
    (lambda: L.CategoricalFocalCrossentropy(alpha=[0.2, 0.8]), TypeError),
    (lambda: L.CategoricalFocalCrossentropy(label_smoothing=1.5), ValueError),
    (lambda: L.BinaryFocalCrossentropy(axis=1.0), TypeError),
    (lambda: L.CosineSimilarity(axis=1.0), TypeError),
    (lambda: L.Hinge(reduction="average"), ValueError),
])
def test_bad_arguments_are_refused(make, error):
    with pytest.raises(error):
        make()


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="y_true"):
        L.Poisson()(np.zeros((3, 4)), np.zeros((3, 5)))


def test_docstring_examples():
    for name in ("regression_extra", "probabilistic", "hinge", "focal"):
        module = importlib.import_module(f"optkern.losses.{name}")
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
