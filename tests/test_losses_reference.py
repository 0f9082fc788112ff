"""Tests of the NumPy loss oracle itself (``optkern.reference.losses``).

Known values, analytic gradients against central finite differences, edge
cases, parity with ``torch.nn.functional`` and a few algebraic properties.
None of this needs the kernels.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optkern.reference import cross_entropy_error, mse_half_sum
from optkern.reference import losses as R

REDUCTIONS = ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none", None]
INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
              np.uint64]


# --------------------------------------------------------------- test data

def make_data(kind, shape, rng, dtype=np.float64):
    """(y_true, y_pred) for a loss of the given kind, away from kinks and clips."""
    k = shape[-1]
    if kind == "regression":
        y, p = rng.normal(size=shape), rng.normal(size=shape)
    elif kind == "positive":                     # MSLE, Poisson
        y, p = rng.uniform(0.0, 3.0, shape), rng.uniform(0.05, 3.0, shape)
    elif kind == "mape":
        y = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)
        p = rng.normal(size=shape)
    elif kind == "hinge":
        y, p = rng.choice([-1.0, 1.0], shape), rng.normal(size=shape)
    elif kind == "binary01":                     # hinge labels converted to ±1
        y, p = rng.integers(0, 2, shape).astype(float), rng.normal(size=shape)
    elif kind == "ternary":                      # -1, 0, 1: not converted
        y, p = rng.integers(-1, 2, shape).astype(float), rng.normal(size=shape)
        if y.size:
            y.flat[0] = -1.0
    elif kind == "binary_prob":
        y, p = rng.integers(0, 2, shape).astype(float), rng.uniform(0.02, 0.98, shape)
    elif kind == "binary_logit":
        y, p = rng.uniform(0.0, 1.0, shape), 3.0 * rng.normal(size=shape)
    elif kind == "onehot_prob":
        y = np.eye(k)[rng.integers(0, k, shape[:-1])]
        p = rng.uniform(0.05, 1.0, shape)
    elif kind == "onehot_logit":
        y = np.eye(k)[rng.integers(0, k, shape[:-1])]
        p = 3.0 * rng.normal(size=shape)
    elif kind == "distribution":                 # KL divergence
        y = rng.dirichlet(np.ones(k), shape[:-1])
        p = rng.dirichlet(np.ones(k), shape[:-1]) * 0.9 + 0.02
    elif kind == "sparse_prob":
        y, p = rng.integers(0, k, shape[:-1]), rng.uniform(0.05, 1.0, shape)
    elif kind == "sparse_logit":
        y, p = rng.integers(0, k, shape[:-1]), 3.0 * rng.normal(size=shape)
    elif kind == "sparse_ignore":                # -1 marks ignored rows
        y, p = rng.integers(-1, k, shape[:-1]), 3.0 * rng.normal(size=shape)
    else:
        raise AssertionError(kind)
    y = y if y.dtype.kind in "iu" else y.astype(dtype)
    return y, p.astype(dtype)


# (id, class name, constructor arguments, data kind): every loss, every option
CASES = [
    ("mse", "MeanSquaredError", {}, "regression"),
    ("mae", "MeanAbsoluteError", {}, "regression"),
    ("mape", "MeanAbsolutePercentageError", {}, "mape"),
    ("msle", "MeanSquaredLogarithmicError", {}, "positive"),
    ("msle_negative", "MeanSquaredLogarithmicError", {}, "regression"),
    ("huber", "Huber", {}, "regression"),
    ("huber_delta", "Huber", {"delta": 0.4}, "regression"),
    ("log_cosh", "LogCosh", {}, "regression"),
    ("hinge", "Hinge", {}, "hinge"),
    ("hinge01", "Hinge", {}, "binary01"),
    ("squared_hinge", "SquaredHinge", {}, "hinge"),
    ("squared_hinge01", "SquaredHinge", {}, "binary01"),
    ("hinge_ternary", "Hinge", {}, "ternary"),
    ("squared_hinge_ternary", "SquaredHinge", {}, "ternary"),
    ("categorical_hinge", "CategoricalHinge", {}, "onehot_logit"),
    ("kld", "KLDivergence", {}, "distribution"),
    ("kld_onehot", "KLDivergence", {}, "onehot_prob"),
    ("poisson", "Poisson", {}, "positive"),
    ("cosine", "CosineSimilarity", {}, "regression"),
    ("cosine_axis0", "CosineSimilarity", {"axis": 0}, "regression"),
    ("bce", "BinaryCrossentropy", {}, "binary_prob"),
    ("bce_ls", "BinaryCrossentropy", {"label_smoothing": 0.2}, "binary_prob"),
    ("bce_logits", "BinaryCrossentropy", {"from_logits": True}, "binary_logit"),
    ("bce_logits_ls", "BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.3},
     "binary_logit"),
    ("bfocal", "BinaryFocalCrossentropy", {}, "binary_prob"),
    ("bfocal_all", "BinaryFocalCrossentropy",
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.1},
     "binary_prob"),
    ("bfocal_logits", "BinaryFocalCrossentropy",
     {"from_logits": True, "apply_class_balancing": True, "gamma": 3.0}, "binary_logit"),
    ("cce", "CategoricalCrossentropy", {}, "onehot_prob"),
    ("cce_ls", "CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot_prob"),
    ("cce_logits", "CategoricalCrossentropy", {"from_logits": True}, "onehot_logit"),
    ("cce_logits_ls_z", "CategoricalCrossentropy",
     {"from_logits": True, "label_smoothing": 0.2, "z_loss": 0.01}, "onehot_logit"),
    ("bfocal_axis0", "BinaryFocalCrossentropy", {"axis": 0, "from_logits": True},
     "binary_logit"),
    ("cfocal", "CategoricalFocalCrossentropy", {}, "onehot_prob"),
    ("cfocal_axis0", "CategoricalFocalCrossentropy", {"axis": 0, "label_smoothing": 0.1},
     "onehot_prob"),
    ("cfocal_logits_ls", "CategoricalFocalCrossentropy",
     {"from_logits": True, "label_smoothing": 0.1, "alpha": 0.5, "gamma": 1.5},
     "onehot_logit"),
    ("scce", "SparseCategoricalCrossentropy", {}, "sparse_prob"),
    ("scce_logits", "SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logit"),
    ("scce_ignore_z", "SparseCategoricalCrossentropy",
     {"from_logits": True, "ignore_class": -1, "z_loss": 0.02}, "sparse_ignore"),
    ("scce_prob_ignore", "SparseCategoricalCrossentropy", {"ignore_class": -1},
     "sparse_ignore"),
]
CASE_IDS = [c[0] for c in CASES]


def build(class_name, kwargs, **extra):
    return getattr(R, class_name)(**kwargs, **extra)


def numeric_grad(f, x, h=1e-6):
    """Central differences of a scalar function of a float64 array."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        g[i] = (f(up) - f(down)) / (2 * h)
    return g


def weight_for(loss_shape, rng, zeros=False):
    w = rng.uniform(0.1, 2.0, loss_shape)
    if zeros:
        w.ravel()[::2] = 0.0
    return w


# ------------------------------------------------------------- known values

def test_mse_known_values():
    y = np.array([[1, 9, 2], [-5, -2, 6]], np.float32)
    p = np.array([[4, 8, 12], [8, 1, 3]], np.float32)
    w = np.array([1.2, 3.4], np.float32)
    assert R.MeanSquaredError()(y, p) == pytest.approx(49.5, rel=1e-7)
    expected = {"sum_over_batch_size": 127.9667, "sum": 255.9333,
                "mean_with_sample_weight": 55.6377}
    for reduction, value in expected.items():
        got = R.MeanSquaredError(reduction=reduction)(y, p, sample_weight=w)
        assert got.dtype == np.float32
        assert got == pytest.approx(value, abs=1e-4)


def test_sparse_crossentropy_known_values():
    x = np.array([[8, 1, 1], [0, 9, 1], [2, 3, 5]], np.float32)
    labels = np.array([0, 1, 2])
    none = R.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(labels, x)
    np.testing.assert_allclose(none, [0.001822, 0.000459, 0.169846], atol=1e-6)
    mean = R.SparseCategoricalCrossentropy(from_logits=True)(labels, x)
    assert mean == pytest.approx(0.0573756, rel=1e-6)
    big = np.array([[1e4, 0, -1e4]], np.float32)
    assert R.SparseCategoricalCrossentropy(from_logits=True)(np.array([2]), big) == 20000.0


def test_bce_from_logits_known_values():
    x = np.array([1e4, -1e4, 30, 0], np.float32)[:, None]
    y = np.array([0, 1, 0, 1], np.float32)
    got = R.BinaryCrossentropy(from_logits=True, reduction="none")(y, x)
    np.testing.assert_allclose(got, [1e4, 1e4, 30, 0.693147], rtol=1e-6)


def test_seed_formulas():
    t = np.eye(10)[2]
    y = np.array([.1, .05, .6, 0, .05, .1, 0, .1, 0, 0])
    assert mse_half_sum(y, t) == pytest.approx(0.0975)
    assert cross_entropy_error(y, t) == pytest.approx(0.5108255, rel=1e-7)


def test_values_documented_by_keras():
    """Examples from Keras's own documentation of these functions."""
    a = np.array([[0.0, 1.0], [0.0, 0.0]])
    b = np.array([[0.6, 0.4], [0.4, 0.6]])
    np.testing.assert_allclose(R.binary_crossentropy(a, b), [0.916, 0.714], atol=1e-3)
    np.testing.assert_allclose(R.binary_focal_crossentropy(a, b, gamma=2.0),
                               [0.330, 0.206], atol=1e-3)
    assert np.mean(R.huber(a, b)) == pytest.approx(0.155, abs=1e-3)
    assert np.mean(R.log_cosh(a, np.array([[1.0, 1.0], [0.0, 0.0]]))) == \
        pytest.approx(0.108, abs=1e-3)
    t = np.array([[0, 1, 0], [0, 0, 1]], float)
    np.testing.assert_allclose(
        R.categorical_crossentropy(t, np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])),
        [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(
        R.categorical_focal_crossentropy(t, np.array([[0.05, 0.9, 0.05],
                                                      [0.1, 0.85, 0.05]])),
        [2.63401289e-04, 6.75912094e-01], rtol=1e-6)
    np.testing.assert_allclose(
        R.sparse_categorical_crossentropy(np.array([1, 2]),
                                          np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])),
        [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(
        R.cosine_similarity(np.array([[0., 1.], [1., 1.], [1., 1.]]),
                            np.array([[1., 0.], [1., 1.], [-1., -1.]])),
        [0.0, -1.0, 1.0], atol=1e-12)


def test_hinge_label_conversion_is_global():
    """0/1 labels become -1/+1 only when every label is 0 or 1."""
    p = np.array([[0.3, -0.2]])
    assert R.hinge(np.array([[0.0, 1.0]]), p)[0] == pytest.approx((1.3 + 1.2) / 2)
    # 0.5 present: no conversion, 1 - y·p as given
    assert R.hinge(np.array([[0.5, 1.0]]), p)[0] == pytest.approx((0.85 + 1.2) / 2)


def test_dtype_follows_y_pred():
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        y, p = make_data("onehot_logit", (3, 4), rng, dtype)
        loss = R.CategoricalCrossentropy(from_logits=True)
        value, grad = loss.value_and_grad(y, p)
        assert value.dtype == dtype and grad.dtype == dtype
        assert R.categorical_crossentropy(y, p, from_logits=True).dtype == dtype
        assert R.categorical_crossentropy_grad(y, p, from_logits=True).dtype == dtype
        none = R.CategoricalCrossentropy(from_logits=True, reduction="none")(y, p)
        assert none.dtype == dtype and none.shape == (3,)


# ------------------------------------------- gradients vs finite differences

@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True, "zeros"])
def test_gradient_matches_finite_differences(case, reduction, weighted):
    _, name, kwargs, kind = case
    rng = np.random.default_rng(zlib.crc32(f"{case[0]}-{reduction}-{weighted}".encode()))
    y, p = make_data(kind, (4, 5), rng)
    loss = build(name, kwargs, reduction=reduction)
    loss_shape = (5,) if kwargs.get("axis") == 0 else (4,)
    w = None if not weighted else weight_for(loss_shape, rng, zeros=weighted == "zeros")
    value, grad = loss.value_and_grad(y, p, sample_weight=w)
    assert grad.shape == p.shape and grad.dtype == np.float64
    np.testing.assert_array_equal(np.asarray(loss(y, p, sample_weight=w)), value)
    expected = numeric_grad(lambda q: float(np.sum(loss(y, q, sample_weight=w))), p)
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-7 * scale)


FUNCTIONS = [
    ("mean_squared_error", {}, "regression"),
    ("mean_absolute_error", {}, "regression"),
    ("mean_absolute_percentage_error", {}, "mape"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("huber", {"delta": 0.5}, "regression"),
    ("log_cosh", {}, "regression"),
    ("hinge", {}, "hinge"),
    ("squared_hinge", {}, "binary01"),
    ("categorical_hinge", {}, "onehot_logit"),
    ("kl_divergence", {}, "distribution"),
    ("poisson", {}, "positive"),
    ("cosine_similarity", {"axis": -1}, "regression"),
    ("binary_crossentropy", {"label_smoothing": 0.1}, "binary_prob"),
    ("binary_crossentropy", {"from_logits": True}, "binary_logit"),
    ("binary_focal_crossentropy", {"apply_class_balancing": True}, "binary_prob"),
    ("binary_focal_crossentropy", {"from_logits": True, "gamma": 0.5}, "binary_logit"),
    ("categorical_crossentropy", {"label_smoothing": 0.3}, "onehot_prob"),
    ("categorical_crossentropy", {"from_logits": True}, "onehot_logit"),
    ("categorical_focal_crossentropy", {"gamma": 0.0}, "onehot_prob"),
    ("categorical_focal_crossentropy", {"from_logits": True}, "onehot_logit"),
    ("sparse_categorical_crossentropy", {}, "sparse_prob"),
    ("sparse_categorical_crossentropy", {"from_logits": True, "ignore_class": -1},
     "sparse_ignore"),
]


@pytest.mark.parametrize("fn, kwargs, kind", FUNCTIONS,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(FUNCTIONS)])
def test_functional_gradient_matches_finite_differences(fn, kwargs, kind):
    rng = np.random.default_rng(7)
    y, p = make_data(kind, (3, 2, 4), rng)
    f, fgrad = getattr(R, fn), getattr(R, fn + "_grad")
    per_sample = f(y, p, **kwargs)
    assert per_sample.shape == (3, 2)
    expected = numeric_grad(lambda q: float(np.sum(f(y, q, **kwargs))), p)
    np.testing.assert_allclose(fgrad(y, p, **kwargs), expected, rtol=1e-6, atol=1e-8)


def test_z_loss_value_and_gradient():
    rng = np.random.default_rng(3)
    x = 4.0 * rng.normal(size=(3, 6))
    lse = np.log(np.sum(np.exp(x), axis=-1))
    np.testing.assert_allclose(R.z_loss(x, 0.1), 0.1 * lse ** 2, rtol=1e-14)
    expected = numeric_grad(lambda q: float(np.sum(R.z_loss(q, 0.1))), x)
    np.testing.assert_allclose(R.z_loss_grad(x, 0.1), expected, rtol=1e-6, atol=1e-8)
    y = np.eye(6)[[0, 3, 5]]
    both = R.CategoricalCrossentropy(from_logits=True, z_loss=0.1, reduction="none")(y, x)
    np.testing.assert_allclose(both, R.categorical_crossentropy(y, x, from_logits=True)
                               + 0.1 * lse ** 2, rtol=1e-13)


# ---------------------------------------------------------------- edge cases

LOGIT_LOSSES = [
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "apply_class_balancing": True},
     "binary"),
    ("CategoricalCrossentropy", {"from_logits": True, "z_loss": 1e-4}, "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot"),
    ("CategoricalFocalCrossentropy", {"from_logits": True}, "onehot"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "z_loss": 1e-4}, "sparse"),
]


@pytest.mark.parametrize("name, kwargs, target", LOGIT_LOSSES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(LOGIT_LOSSES)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_stay_finite(name, kwargs, target, dtype):
    x = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 3.0], [0.0, -1e4, -1e4]], dtype)
    labels = np.array([0, 2, 1])
    y = {"binary": (x > 0).astype(dtype), "onehot": np.eye(3, dtype=dtype)[labels],
         "sparse": labels}[target]
    value, grad = build(name, kwargs, reduction="none").value_and_grad(y, x)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))


def test_minus_infinity_logits():
    """A zero target times an infinite logit counts 0; the maths stays finite."""
    x = np.array([[2.0, -np.inf, 0.5], [-np.inf, 1.0, -np.inf]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    cce = R.CategoricalCrossentropy(from_logits=True, reduction="none")
    value, grad = cce.value_and_grad(y, x)
    expected0 = -(2.0 - np.log(np.exp(2.0) + np.exp(0.5)))
    np.testing.assert_allclose(value, [expected0, 0.0], atol=1e-15)
    assert np.all(np.isfinite(grad)) and grad[0, 1] == 0.0 and np.all(grad[1] == 0.0)
    scce = R.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    value, grad = scce.value_and_grad(np.array([0, 1]), x)
    np.testing.assert_allclose(value, [expected0, 0.0], atol=1e-15)
    assert np.all(np.isfinite(grad))
    # label smoothing puts mass on the -inf class: the loss is truly infinite
    smoothed = R.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1,
                                         reduction="none")
    value, grad = smoothed.value_and_grad(y, x)
    assert np.all(np.isinf(value)) and np.all(np.isfinite(grad))
    # BCE: -inf under target 0 and +inf under target 1 cost nothing
    bce = R.BinaryCrossentropy(from_logits=True, reduction="none")
    value, grad = bce.value_and_grad(np.array([[0.0, 1.0]]), np.array([[-np.inf, np.inf]]))
    np.testing.assert_array_equal(value, [0.0])
    np.testing.assert_array_equal(grad, [[0.0, 0.0]])


@pytest.mark.parametrize("name, kwargs, sparse", [
    ("BinaryCrossentropy", {}, False),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, False),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True}, False),
    ("CategoricalCrossentropy", {}, False),
    ("CategoricalFocalCrossentropy", {}, False),
    ("KLDivergence", {}, False),
    ("SparseCategoricalCrossentropy", {}, True),
])
def test_probabilities_exactly_zero_and_one(name, kwargs, sparse):
    p = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    y = np.array([1, 0, 2]) if sparse else np.array([[1.0, 0, 0], [1.0, 0, 0], [0, 0, 1.0]])
    value, grad = build(name, kwargs, reduction="none").value_and_grad(y, p)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    # every exact 0 and 1 here is outside [ε, 1-ε]: clipped, no gradient (the
    # focal factor reads the unclipped probability, so it keeps a gradient)
    if name in ("BinaryCrossentropy", "KLDivergence"):
        assert np.all(grad[p == 0.0] == 0.0)
    # the worst a clipped probability can cost is -log ε per element
    assert np.max(value) <= -math.log(R.EPSILON) * 1.01


def test_clip_bounds_are_exact_in_both_dtypes():
    """The logs at the clip bounds are those of ε and 1 - ε themselves, not of
    1 - ε rounded to float32 (1 - 1.19e-7)."""
    y = np.array([[0.0]])
    for dtype in (np.float32, np.float64):
        got = R.binary_crossentropy(y.astype(dtype), np.ones((1, 1), dtype))
        assert float(got[0]) == pytest.approx(-math.log(1e-7), rel=1e-6)


def test_all_rows_ignored():
    x = np.random.default_rng(0).normal(size=(3, 4))
    labels = np.full(3, 255, np.int64)
    for reduction in ("sum_over_batch_size", "mean", "sum", "mean_with_sample_weight"):
        loss = R.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255,
                                               reduction=reduction, z_loss=0.1)
        value, grad = loss.value_and_grad(labels, x, sample_weight=np.ones(3))
        assert value == 0.0
        np.testing.assert_array_equal(grad, np.zeros_like(x))
    none = R.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255,
                                           reduction="none")(labels, x)
    np.testing.assert_array_equal(none, np.zeros(3))


def test_ignore_class_mean_divides_by_valid_rows():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 4))
    labels = np.array([0, 9, 3, 9, 1, 2])
    valid = labels != 9
    w = rng.uniform(0.5, 2.0, 6)
    per_row = R.sparse_categorical_crossentropy(labels[valid], x[valid], from_logits=True)
    loss = R.SparseCategoricalCrossentropy(from_logits=True, ignore_class=9)
    assert loss(labels, x, w) == pytest.approx(np.sum(per_row * w[valid]) / 4, rel=1e-14)
    loss = R.SparseCategoricalCrossentropy(from_logits=True, ignore_class=9,
                                           reduction="mean_with_sample_weight")
    assert loss(labels, x, w) == pytest.approx(np.sum(per_row * w[valid]) / np.sum(w[valid]),
                                               rel=1e-14)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_empty_batch(case):
    _, name, kwargs, kind = case
    if kwargs.get("axis") == 0:
        pytest.skip("the reduced axis is the batch axis")
    y, p = make_data(kind, (0, 4), np.random.default_rng(0))
    for reduction in REDUCTIONS:
        loss = build(name, kwargs, reduction=reduction)
        value, grad = loss.value_and_grad(y, p)
        assert grad.shape == (0, 4)
        if reduction in ("none", None):
            assert value.shape == (0,)
        else:
            assert value == 0.0


def test_rank_alignment_of_targets_and_predictions():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 5).astype(float)
    x = rng.normal(size=(5, 1))
    loss = R.BinaryCrossentropy(from_logits=True, reduction="none")
    v1, g1 = loss.value_and_grad(y, x)                  # (B,) against (B, 1)
    v2, g2 = loss.value_and_grad(y[:, None], x)         # (B, 1) against (B, 1)
    v3, g3 = loss.value_and_grad(y[:, None], x[:, 0])   # (B, 1) against (B,)
    assert v1.shape == v2.shape == v3.shape == (5,)
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(v1, v3)
    assert g1.shape == (5, 1) and g3.shape == (5,)
    np.testing.assert_array_equal(g1[:, 0], g3)
    # two 1-D arrays: one row, L is a scalar
    mse = R.MeanSquaredError(reduction="none")
    assert mse(y, x[:, 0]).shape == ()
    with pytest.raises(ValueError, match="y_true shape"):
        mse(rng.normal(size=(5, 2)), rng.normal(size=(5, 3)))


def test_sample_weight_alignment():
    rng = np.random.default_rng(4)
    y, p = make_data("regression", (5, 3), rng)
    w = rng.uniform(0.5, 2.0, 5)
    none = R.MeanSquaredError(reduction="none")
    per_row = R.mean_squared_error(y, p)
    assert none(y, p, w).shape == (5,)
    assert none(y, p, w[:, None]).shape == (5, 1)         # L becomes (B, 1)
    np.testing.assert_allclose(none(y, p, w[:, None])[:, 0], per_row * w)
    # L of (B, T) with w of (B, T, 1): w is squeezed
    y3, p3 = make_data("regression", (5, 2, 3), rng)
    w3 = rng.uniform(0.5, 2.0, (5, 2, 1))
    assert none(y3, p3, w3).shape == (5, 2)
    # L of (B, 1) (from (B, 1, d) inputs) with w of (B,): w becomes (B, 1)
    y4, p4 = make_data("regression", (5, 1, 3), rng)
    out = none(y4, p4, w)
    assert out.shape == (5, 1)
    np.testing.assert_allclose(out[:, 0], R.mean_squared_error(y4, p4)[:, 0] * w)
    # scalar weight broadcasts; a weight per element of a (B, T) loss too
    assert none(y, p, 2.0).shape == (5,)
    assert none(y3, p3, w3[..., 0]).shape == (5, 2)
    with pytest.raises(ValueError, match="sample_weight"):
        none(y, p, np.ones(4))
    with pytest.raises(ValueError, match="sample_weight"):
        none(y3, p3, np.ones((5, 3)))


def test_zero_weights():
    rng = np.random.default_rng(6)
    y, p = make_data("onehot_logit", (4, 3), rng)
    zero = np.zeros(4)
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
        loss = R.CategoricalCrossentropy(from_logits=True, reduction=reduction)
        value, grad = loss.value_and_grad(y, p, zero)
        assert value == 0.0
        np.testing.assert_array_equal(grad, np.zeros_like(p))
    # a zero weight removes exactly its row
    w = np.array([1.0, 0.0, 2.0, 0.0])
    loss = R.CategoricalCrossentropy(from_logits=True, reduction="sum")
    kept = loss(y[[0, 2]], p[[0, 2]], w[[0, 2]])
    assert loss(y, p, w) == pytest.approx(kept, rel=1e-15)
    # ...and a zero weight removes its sample even when its loss is infinite
    x = np.array([[0.0, -np.inf], [1.0, 2.0]])
    smoothed = R.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1,
                                         reduction="sum")
    assert np.isfinite(smoothed(np.eye(2), x, np.array([0.0, 1.0])))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_labels_of_any_dtype(dtype):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(6, 5))
    labels = rng.integers(0, 5, 6)
    loss = R.SparseCategoricalCrossentropy(from_logits=True)
    expected = loss.value_and_grad(labels, x)
    got = loss.value_and_grad(labels.astype(dtype), x)
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])
    # (B, 1) labels are squeezed
    np.testing.assert_array_equal(loss.value_and_grad(labels[:, None].astype(dtype), x)[1],
                                  expected[1])


def test_bad_sparse_labels():
    x = np.zeros((3, 4))
    loss = R.SparseCategoricalCrossentropy(from_logits=True)
    with pytest.raises(TypeError, match="y_true"):
        loss(np.array([0.0, 1.0, 2.0]), x)
    with pytest.raises(ValueError, match="y_true"):
        loss(np.array([0, 4, 1]), x)
    with pytest.raises(ValueError, match="y_true"):
        loss(np.array([0, -1, 1]), x)
    with pytest.raises(ValueError, match="y_true shape"):
        loss(np.array([0, 1]), x)
    # the ignored class may lie outside [0, K)
    ignoring = R.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert np.isfinite(ignoring(np.array([0, -1, 1]), x))


def test_bad_arguments():
    with pytest.raises(ValueError, match="label_smoothing"):
        R.BinaryCrossentropy(label_smoothing=float("nan"))
    with pytest.raises(ValueError, match="label_smoothing"):
        R.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction"):
        R.MeanSquaredError(reduction="average")
    with pytest.raises(ValueError, match="z_loss"):
        R.CategoricalCrossentropy(z_loss=0.1)                 # needs logits
    with pytest.raises(ValueError, match="z_loss"):
        R.SparseCategoricalCrossentropy(from_logits=True, z_loss=-1.0)
    with pytest.raises(TypeError, match="ignore_class"):
        R.SparseCategoricalCrossentropy(ignore_class=1.5)
    with pytest.raises(ValueError, match="delta"):
        R.huber(np.zeros((1, 2)), np.zeros((1, 2)), delta=float("nan"))


def test_config_round_trip():
    for _, name, kwargs, _ in CASES:
        loss = build(name, kwargs, reduction="sum", name="custom")
        config = loss.get_config()
        assert config["name"] == "custom" and config["reduction"] == "sum"
        for key, value in kwargs.items():
            assert config[key] == value
        again = type(loss).from_config(config)
        assert again.get_config() == config


def test_default_names_and_reduction():
    assert R.Huber().name == "huber_loss"
    assert R.LogCosh().name == "log_cosh"
    assert R.SparseCategoricalCrossentropy().name == "sparse_categorical_crossentropy"
    for cls in R.LOSSES.values():
        assert cls().reduction == "sum_over_batch_size"


# ------------------------------------------------------- parity with PyTorch

@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def torch_value_and_grad(torch, fn, p):
    """Value of fn(tensor(p)) and its gradient w.r.t. p, through autograd."""
    t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    value = fn(t)
    value.backward()
    return value.item(), t.grad.numpy()


def check_torch(torch, loss, y, p, fn, w=None, rtol=1e-12):
    value, grad = loss.value_and_grad(y, p, sample_weight=w)
    t_value, t_grad = torch_value_and_grad(torch, fn, p)
    assert float(value) == pytest.approx(t_value, rel=rtol, abs=1e-14)
    np.testing.assert_allclose(grad, t_grad, rtol=rtol, atol=1e-14)


def test_torch_cross_entropy_label_smoothing(torch):
    """torch's smoothing is (1-ls)·CE + ls·mean_k(-log p_k), the same
    y' = y(1-ls) + ls/K as Keras; torch's "mean" over class-index targets is the
    mean over rows, Keras's sum_over_batch_size; "sum" is "sum"."""
    F = torch.nn.functional
    rng = np.random.default_rng(10)
    x = 3.0 * rng.normal(size=(7, 5))
    labels = rng.integers(0, 5, 7)
    for ls in (0.0, 0.15):
        for reduction in ("mean", "sum"):
            keras_reduction = "sum_over_batch_size" if reduction == "mean" else "sum"
            loss = R.CategoricalCrossentropy(from_logits=True, label_smoothing=ls,
                                             reduction=keras_reduction)
            check_torch(torch, loss, np.eye(5)[labels], x,
                        lambda t: F.cross_entropy(t, torch.tensor(labels), reduction=reduction,
                                                  label_smoothing=ls))
    # soft targets: torch smooths them the same way
    soft = rng.dirichlet(np.ones(5), 7)
    check_torch(torch, R.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2),
                soft, x, lambda t: F.cross_entropy(t, torch.tensor(soft), label_smoothing=0.2))


def test_torch_cross_entropy_ignore_index(torch):
    """With ignore_index torch's "mean" divides by the count of kept rows, as the
    mask rule does; "sum" agrees too. Class weights are left out: torch would
    divide by the sum of the kept rows' class weights."""
    F = torch.nn.functional
    rng = np.random.default_rng(11)
    x = 3.0 * rng.normal(size=(9, 4))
    labels = rng.integers(0, 4, 9)
    labels[[1, 4, 5]] = -100
    for reduction, keras_reduction in (("mean", "sum_over_batch_size"), ("sum", "sum")):
        loss = R.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100,
                                               reduction=keras_reduction)
        check_torch(torch, loss, labels, x,
                    lambda t: F.cross_entropy(t, torch.tensor(labels), ignore_index=-100,
                                              reduction=reduction))
    # per-sample weights: torch's unreduced rows, weighted and divided by Σw
    w = rng.uniform(0.5, 2.0, 9)
    loss = R.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100,
                                           reduction="mean_with_sample_weight")
    kept = torch.tensor((labels != -100) * w)
    check_torch(torch, loss, labels, x, lambda t: torch.sum(
        F.cross_entropy(t, torch.tensor(labels), ignore_index=-100, reduction="none")
        * kept) / kept.sum(), w=w)


def test_torch_binary_cross_entropy(torch):
    """torch averages over every element; Keras averages the last axis, then the
    rows (all the same length): the same mean. Smoothing is applied to the
    targets given to torch."""
    F = torch.nn.functional
    rng = np.random.default_rng(12)
    y = rng.integers(0, 2, (6, 3)).astype(float)
    x = 4.0 * rng.normal(size=(6, 3))
    for ls in (0.0, 0.2):
        target = torch.tensor(y * (1 - ls) + 0.5 * ls)
        check_torch(torch, R.BinaryCrossentropy(from_logits=True, label_smoothing=ls), y, x,
                    lambda t: F.binary_cross_entropy_with_logits(t, target))
    # probabilities: torch clamps log at -100 where Keras clips at ε; they agree
    # for probabilities inside [ε, 1-ε]
    p = rng.uniform(0.01, 0.99, (6, 3))
    check_torch(torch, R.BinaryCrossentropy(), y, p,
                lambda t: F.binary_cross_entropy(t, torch.tensor(y)))
    w = rng.uniform(0.5, 2.0, 6)
    check_torch(torch, R.BinaryCrossentropy(reduction="sum"), y, p,
                lambda t: torch.sum(F.binary_cross_entropy(t, torch.tensor(y), reduction="none")
                                    * torch.tensor(w[:, None])) / 3, w=w)


def test_torch_regression_losses(torch):
    """mse_loss, l1_loss, huber_loss, poisson_nll_loss with "mean" average every
    element, Keras's per-row mean then sum_over_batch_size: equal for equal row
    lengths."""
    F = torch.nn.functional
    rng = np.random.default_rng(13)
    y, p = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    yt = torch.tensor(y)
    check_torch(torch, R.MeanSquaredError(), y, p, lambda t: F.mse_loss(t, yt))
    check_torch(torch, R.MeanAbsoluteError(), y, p, lambda t: F.l1_loss(t, yt))
    for delta in (1.0, 0.3):
        check_torch(torch, R.Huber(delta=delta), y, p,
                    lambda t: F.huber_loss(t, yt, delta=delta))
    counts, rate = rng.poisson(2.0, (5, 4)).astype(float), rng.uniform(0.1, 4.0, (5, 4))
    check_torch(torch, R.Poisson(), counts, rate,
                lambda t: F.poisson_nll_loss(t, torch.tensor(counts), log_input=False,
                                             full=False, eps=1e-7))
    # "sum": torch sums elements, Keras sums per-row means, a factor d apart
    check_torch(torch, R.MeanSquaredError(reduction="sum"), y, p,
                lambda t: F.mse_loss(t, yt, reduction="sum") / 4)


def test_torch_kl_div_and_cosine(torch):
    """kl_div takes log-probabilities: Σ t·(log t - log q), Keras's
    kl_divergence summed over rows ("sum") when t and q lie in [ε, 1].
    cosine_similarity: Keras's loss is its negation; norms here are far above
    either library's ε."""
    F = torch.nn.functional
    rng = np.random.default_rng(14)
    t_np = rng.dirichlet(np.ones(5), 4)
    q_np = rng.dirichlet(np.ones(5), 4)
    check_torch(torch, R.KLDivergence(reduction="sum"), t_np, q_np,
                lambda q: F.kl_div(torch.log(q), torch.tensor(t_np), reduction="sum"))
    y, p = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    check_torch(torch, R.CosineSimilarity(), y, p,
                lambda t: -F.cosine_similarity(t, torch.tensor(y), dim=-1).mean())
    check_torch(torch, R.CosineSimilarity(axis=0, reduction="sum"), y, p,
                lambda t: -F.cosine_similarity(t, torch.tensor(y), dim=0).sum())


# ---------------------------------------------------------------- properties

finite_rows = st.integers(1, 6).flatmap(lambda k: st.lists(
    st.lists(st.floats(-30, 30), min_size=k, max_size=k), min_size=1, max_size=5))


@settings(max_examples=60, deadline=None)
@given(rows=finite_rows, shift=st.floats(-50, 50), ls=st.floats(0, 1), z=st.floats(0, 0.1))
def test_softmax_crossentropy_shift_invariance_and_row_sums(rows, shift, ls, z):
    """Adding a constant to a row changes neither the cross-entropy nor its
    gradient; without z_loss each gradient row sums to 0 (softmax sums to 1),
    with it to 2z·logsumexp(x)."""
    x = np.array(rows)
    k = x.shape[1]
    labels = np.arange(x.shape[0]) % k
    y = np.eye(k)[labels]
    cce = R.CategoricalCrossentropy(from_logits=True, label_smoothing=ls, reduction="none")
    v0, g0 = cce.value_and_grad(y, x)
    v1, g1 = cce.value_and_grad(y, x + shift)
    np.testing.assert_allclose(v1, v0, atol=1e-11 * (1 + np.abs(x).max() + abs(shift)))
    np.testing.assert_allclose(g1, g0, atol=1e-12)
    np.testing.assert_allclose(g0.sum(axis=-1), 0.0, atol=1e-12)
    scce = R.SparseCategoricalCrossentropy(from_logits=True, z_loss=z, reduction="none")
    _, g = scce.value_and_grad(labels, x)
    lse = np.log(np.sum(np.exp(x - x.max(-1, keepdims=True)), -1)) + x.max(-1)
    np.testing.assert_allclose(g.sum(axis=-1), 2 * z * lse, atol=1e-10 * (1 + float(np.abs(lse).max())))


@settings(max_examples=60, deadline=None)
@given(x=st.lists(st.floats(-15, 15), min_size=1, max_size=8), ls=st.floats(0, 1),
       seed=st.integers(0, 2**16))
def test_bce_logits_agrees_with_probabilities(x, ls, seed):
    """From logits and from σ(x) agree wherever σ(x) is not clipped; the chain
    rule links their gradients through σ'(x)."""
    x = np.array(x)[None, :]
    y = np.random.default_rng(seed).integers(0, 2, x.shape).astype(float)
    p = 1.0 / (1.0 + np.exp(-x))
    v_logit = R.binary_crossentropy(y, x, from_logits=True, label_smoothing=ls)
    v_prob = R.binary_crossentropy(y, p, label_smoothing=ls)
    np.testing.assert_allclose(v_logit, v_prob, rtol=1e-9, atol=1e-12)
    g_logit = R.binary_crossentropy_grad(y, x, from_logits=True, label_smoothing=ls)
    g_prob = R.binary_crossentropy_grad(y, p, label_smoothing=ls)
    np.testing.assert_allclose(g_logit, g_prob * p * (1 - p), rtol=1e-8, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), c=st.floats(0.01, 100))
def test_reductions_relate(seed, c):
    """sum = n·mean; uniform weights c: mean_with_sample_weight = unweighted
    mean; scaling the weights scales "sum"; "none" is L·w."""
    rng = np.random.default_rng(seed)
    y, p = make_data("regression", (int(rng.integers(1, 6)), 3), rng)
    w = rng.uniform(0.1, 2.0, y.shape[0])
    made = {r: R.LogCosh(reduction=r) for r in REDUCTIONS if r is not None}
    n = y.shape[0]
    assert made["sum"](y, p) == pytest.approx(n * made["mean"](y, p), rel=1e-12)
    assert made["mean_with_sample_weight"](y, p, np.full(n, c)) == \
        pytest.approx(made["sum_over_batch_size"](y, p), rel=1e-12)
    assert made["sum"](y, p, c * w) == pytest.approx(c * made["sum"](y, p, w), rel=1e-12)
    np.testing.assert_allclose(made["none"](y, p, w), R.log_cosh(y, p) * w, rtol=1e-15)


def test_focal_losses_reduce_to_crossentropy():
    """γ = 0 without class balancing is plain BCE; γ = 0, α = 1 is plain CCE."""
    rng = np.random.default_rng(15)
    y, p = make_data("binary_prob", (4, 3), rng)
    np.testing.assert_allclose(R.binary_focal_crossentropy(y, p, gamma=0.0, label_smoothing=0.1),
                               R.binary_crossentropy(y, p, label_smoothing=0.1), rtol=1e-14)
    y, x = make_data("onehot_logit", (4, 3), rng)
    np.testing.assert_allclose(
        R.categorical_focal_crossentropy(y, x, alpha=1.0, gamma=0.0, from_logits=True),
        R.categorical_crossentropy(y, x, from_logits=True), rtol=1e-12)
    np.testing.assert_allclose(
        R.categorical_focal_crossentropy_grad(y, x, alpha=1.0, gamma=0.0, from_logits=True),
        R.categorical_crossentropy_grad(y, x, from_logits=True), rtol=1e-10, atol=1e-15)


def test_huber_limits():
    """A huge δ makes Huber half the MSE; δ → 0 makes it δ·MAE in the limit."""
    rng = np.random.default_rng(16)
    y, p = make_data("regression", (4, 3), rng)
    np.testing.assert_allclose(R.huber(y, p, delta=1e6), R.mean_squared_error(y, p) / 2,
                               rtol=1e-14)
    np.testing.assert_allclose(R.huber_grad(y, p, delta=1e-9) / 1e-9,
                               R.mean_absolute_error_grad(y, p), rtol=1e-12)


def test_mae_gradient_is_zero_where_prediction_equals_target():
    y = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(R.mean_absolute_error_grad(y, y), np.zeros((1, 3)))
    np.testing.assert_array_equal(R.MeanAbsoluteError().value_and_grad(y, y)[1],
                                  np.zeros((1, 3)))
