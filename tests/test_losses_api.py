"""``optkern.losses`` against the NumPy oracle ``optkern.reference.losses``.

Every loss, value and gradient, random shapes, float32 and float64, every
reduction with and without sample weights; ``__call__`` against
``value_and_grad``; ``grad_out``; the functional forms; ``get``; configs; bad
input; identical bits on every ISA and thread count; the documentation's
example. Losses the build does not provide yet are skipped one by one.

Tolerances. The oracle computes in float64 from the same inputs; the kernels
compute each element in the input's precision with their own exp/log (a few
ulps) and accumulate in double. An element's error is then a few ulps of the
largest quantity it is computed from, which for a cross-entropy is the logit
magnitude rather than the (possibly tiny) result; a row adds up K such
errors. So, with u the unit roundoff of the dtype (2⁻²³ or 2⁻⁵²), K the row
length and M = 1 + max|input| (times a per-loss factor for losses that divide
by the target), a value or gradient g is accepted when

    |g - g_ref| <= ULPS·u·K·(|g_ref| + M·c),

c being the size of the reduction's coefficient (the weight over the divisor)
for that element, or the sum of those coefficients for a reduced value. A
reduction also sums its n per-sample terms (and Σw) in double, which adds
n·2⁻⁵²·|g_ref| (visible in float64 only).
(CosineSimilarity, whose gradient is a difference divided by ‖ŷ‖, takes
M ≥ 1 + 1/‖ŷ‖.) ULPS = 8. In float64 that is still ~1e-14 relative: any slip
in a formula is far outside it. The errors measured stay below a tenth of the
bound for every loss.
"""

from __future__ import annotations

import json
import math
import pathlib
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optkern.reference import losses as R
from test_losses_reference import CASES, CASE_IDS, make_data

ok_losses = pytest.importorskip("optkern.losses")

ULPS = 8
DOUBLE_EPSILON = float(np.finfo(np.float64).eps)
DTYPES = [np.float32, np.float64]
REDUCTIONS = ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none", None]
# leading shape × row length: rows of 1, around SIMD widths (4, 8, 16) and odd
SHAPES = [(1, 1), (3, 7), (5, 8), (4, 17), (2, 3, 16), (0, 5), (37, 33), (3, 1031)]
# losses whose terms are scaled by 1/|y| (y drawn from [0.5, 2])
SCALE = {"MeanAbsolutePercentageError": 200.0}


def refuses_axis(cls, kwargs):
    """optkern reduces the last axis; only CosineSimilarity takes another."""
    if kwargs.get("axis", -1) == -1:
        return False
    try:
        cls(**kwargs)
    except ValueError as error:
        return "axis" in str(error)
    return False


def api_class(class_name, kwargs=None):
    """The class, or a skip when the build lacks it (or, given the case's
    arguments, when it takes only the last axis)."""
    cls = getattr(ok_losses, class_name, None)
    if cls is None:
        pytest.skip(f"optkern.losses.{class_name} is not provided by this build")
    if kwargs is not None and refuses_axis(cls, kwargs):
        pytest.skip(f"optkern.losses.{class_name} reduces the last axis only")
    return cls


def api_function(fn_name):
    fn = getattr(ok_losses, fn_name, None)
    if fn is None:
        pytest.skip(f"optkern.losses.{fn_name} is not provided by this build")
    return fn


def machine_epsilon(dtype):
    return float(np.finfo(dtype).eps)


def magnitude(class_name, y, p, axis=-1):
    """M of the accuracy bound."""
    finite = [np.abs(a[np.isfinite(a)]).max(initial=0.0) for a in (np.asarray(y, float), p)]
    m = (1.0 + max(finite)) * SCALE.get(class_name, 1.0)
    if class_name == "CosineSimilarity" and np.size(p):
        # its gradient is (u - cosθ·ŷ/‖ŷ‖)/‖ŷ‖: errors scale with 1/‖ŷ‖
        norms = np.linalg.norm(np.asarray(p, float), axis=axis)
        m = max(m, 1.0 + 1.0 / max(float(norms.min()), 1e-7))
    return m


def coefficients(ref, y, p, w, reduction):
    """|d value / d L| per sample, from the oracle's own reduction."""
    L, _, mask = ref.per_sample(y, p)
    _, coef = R.reduce_weighted(L, w, reduction, mask)
    return np.abs(coef)


def assert_close(got, want, dtype, k, scale, what, n=1):
    """The accuracy bound of the module docstring; n is the number of
    per-sample terms the reduction sums in double."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    bound = ULPS * machine_epsilon(dtype) * k * (np.abs(want) + scale) \
        + n * DOUBLE_EPSILON * np.abs(want)
    both_inf = np.isinf(got) & (got == want)
    bad = ~((np.abs(got - want) <= bound) | both_inf)
    if bad.any():
        i = np.argwhere(bad)[0]
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} elements off; first at {tuple(i)}: "
            f"got {got[tuple(i)]!r}, want {want[tuple(i)]!r}, bound {np.broadcast_to(bound, bad.shape)[tuple(i)]!r}")


def loss_shape(ref, y, p):
    return np.shape(ref.per_sample(y, p)[0])


WEIGHTS = ["unweighted", "per_sample", "column", "scalar"]


def weight_variant(variant, shape, rng):
    """No weight, one per sample, the same as (..., 1), one shared number."""
    w = rng.uniform(0.1, 2.0, shape)
    return {"unweighted": None, "per_sample": w, "column": w[..., None],
            "scalar": np.float64(0.7)}[variant]


def compare(case, dtype, reduction, shape, w, seed=0):
    _, class_name, kwargs, kind = case
    cls = api_class(class_name, kwargs)
    rng = np.random.default_rng(seed)
    y, p = make_data(kind, shape, rng, dtype)
    ref = getattr(R, class_name)(**kwargs, reduction=reduction)
    api = cls(**kwargs, reduction=reduction)
    wd = None if w is None else np.asarray(w, dtype)
    want_value, want_grad = ref.value_and_grad(y, p, sample_weight=wd)
    p_before, y_before = p.copy(), np.copy(y)
    value, grad = api.value_and_grad(y, p, sample_weight=wd)
    np.testing.assert_array_equal(p, p_before)           # inputs untouched
    np.testing.assert_array_equal(y, y_before)
    assert grad.dtype == dtype and grad.shape == p.shape
    k = p.shape[-1] if kwargs.get("axis", -1) == -1 else p.shape[kwargs["axis"]]
    m = magnitude(class_name, y, p, kwargs.get("axis", -1))
    coef = coefficients(ref, y, p, wd, reduction)
    what = f"{class_name}({kwargs}) {np.dtype(dtype).name} {reduction} shape={shape} w={None if w is None else np.shape(w)}"
    if reduction in ("none", None):
        assert isinstance(value, np.ndarray) and value.dtype == dtype, what
        assert value.shape == want_value.shape, what
        assert_close(value, want_value, dtype, k, m * coef.reshape(value.shape), what + " value")
    else:
        assert_close(float(value), float(want_value), dtype, k, m * coef.sum(), what + " value",
                     n=coef.size)
    grad_scale = np.broadcast_to(m * np.expand_dims(coef, kwargs.get("axis", -1)), p.shape)
    assert_close(grad, want_grad, dtype, k, grad_scale, what + " grad", n=coef.size)
    return api, y, p, wd, value


# --------------------------------------------------- values and gradients

@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", WEIGHTS)
def test_matches_reference(case, dtype, reduction, weights):
    api_class(case[1], case[2])
    rng = np.random.default_rng(1)
    for i, shape in enumerate(SHAPES):
        if case[2].get("axis") == 0 and shape[0] == 0:
            continue
        ref = getattr(R, case[1])(**case[2])
        y, p = make_data(case[3], shape, np.random.default_rng(i), dtype)
        w = weight_variant(weights, loss_shape(ref, y, p), rng)
        compare(case, dtype, reduction, shape, w, seed=i)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_call_equals_value_and_grad(case):
    _, class_name, kwargs, kind = case
    cls = api_class(class_name, kwargs)
    rng = np.random.default_rng(2)
    for dtype in DTYPES:
        y, p = make_data(kind, (9, 6), rng, dtype)
        for reduction in ("sum_over_batch_size", "none"):
            loss = cls(**kwargs, reduction=reduction)
            w = rng.uniform(0.5, 2.0, loss_shape(getattr(R, class_name)(**kwargs), y, p))
            w = w.astype(dtype)
            np.testing.assert_array_equal(loss(y, p, sample_weight=w),
                                          loss.value_and_grad(y, p, sample_weight=w)[0])


# ------------------------------------------------------------------ grad_out

@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_grad_out_is_filled_and_returned(case):
    _, class_name, kwargs, kind = case
    cls = api_class(class_name, kwargs)
    for dtype in DTYPES:
        y, p = make_data(kind, (7, 5), np.random.default_rng(3), dtype)
        loss = cls(**kwargs)
        want_value, want_grad = loss.value_and_grad(y, p)
        out = np.full_like(p, np.nan)
        value, grad = loss.value_and_grad(y, p, grad_out=out)
        assert grad is out
        np.testing.assert_array_equal(out, want_grad)
        assert value == want_value
        # the gradient may overwrite the predictions themselves
        alias = p.copy()
        value, grad = loss.value_and_grad(y, alias, grad_out=alias)
        assert grad is alias
        np.testing.assert_array_equal(alias, want_grad)
        assert value == want_value


def bad_grad_outs(p):
    wrong_dtype = np.zeros(p.shape, np.float64 if p.dtype == np.float32 else np.float32)
    strided = np.zeros((p.shape[0], 2 * p.shape[1]), p.dtype)[:, ::2]
    fortran = np.asfortranarray(np.zeros(p.shape, p.dtype))
    read_only = np.zeros(p.shape, p.dtype)
    read_only.flags.writeable = False
    return {"dtype": wrong_dtype, "shape": np.zeros((p.shape[0] + 1, p.shape[1]), p.dtype),
            "ndim": np.zeros(p.size, p.dtype), "strided": strided, "fortran": fortran,
            "read_only": read_only, "list": [[0.0] * p.shape[1]] * p.shape[0]}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("bad", ["dtype", "shape", "ndim", "strided", "fortran", "read_only",
                                 "list"])
def test_bad_grad_out_is_refused_untouched(dtype, bad):
    loss = api_class("SparseCategoricalCrossentropy")(from_logits=True)
    rng = np.random.default_rng(4)
    y, p = make_data("sparse_logit", (6, 4), rng, dtype)
    out = bad_grad_outs(p)[bad]
    before = np.array(out, copy=True)
    with pytest.raises((TypeError, ValueError), match="grad_out"):
        loss.value_and_grad(y, p, grad_out=out)
    np.testing.assert_array_equal(np.asarray(out), before)


# ---------------------------------------------------------- functional forms

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
    ("cosine_similarity", {}, "regression"),
    ("binary_crossentropy", {"label_smoothing": 0.1}, "binary_prob"),
    ("binary_crossentropy", {"from_logits": True}, "binary_logit"),
    ("binary_focal_crossentropy", {"apply_class_balancing": True}, "binary_prob"),
    ("binary_focal_crossentropy", {"from_logits": True, "gamma": 0.5}, "binary_logit"),
    ("categorical_crossentropy", {"label_smoothing": 0.3}, "onehot_prob"),
    ("categorical_crossentropy", {"from_logits": True}, "onehot_logit"),
    ("categorical_focal_crossentropy", {}, "onehot_prob"),
    ("categorical_focal_crossentropy", {"from_logits": True}, "onehot_logit"),
    ("sparse_categorical_crossentropy", {}, "sparse_prob"),
    ("sparse_categorical_crossentropy", {"from_logits": True, "ignore_class": -1},
     "sparse_ignore"),
]


@pytest.mark.parametrize("fn_name, kwargs, kind", FUNCTIONS,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(FUNCTIONS)])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_functional_forms(fn_name, kwargs, kind, dtype):
    fn = api_function(fn_name)
    y, p = make_data(kind, (4, 3, 9), np.random.default_rng(5), dtype)
    got = fn(y, p, **kwargs)
    want = getattr(R, fn_name)(y, p, **kwargs)
    assert got.shape == want.shape == (4, 3) and got.dtype == dtype
    scale = np.full(want.shape, magnitude("MeanAbsolutePercentageError"
                                          if "percentage" in fn_name else "", y, p))
    assert_close(got, want, dtype, 9, scale, fn_name)


# ----------------------------------------------------------------------- get

ALIASES = {
    "mse": "mean_squared_error", "MSE": "mean_squared_error",
    "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
    "kld": "kl_divergence", "KLD": "kl_divergence",
    "bce": "binary_crossentropy", "BCE": "binary_crossentropy",
    "logcosh": "log_cosh",
}


@pytest.mark.parametrize("class_name", sorted(R.LOSSES))
def test_get_by_class_name_gives_an_instance(class_name):
    cls = api_class(class_name)
    got = ok_losses.get(class_name)
    assert isinstance(got, cls)
    assert got.get_config() == cls().get_config()


@pytest.mark.parametrize("fn_name", sorted({f for f, _, _ in FUNCTIONS}))
def test_get_by_function_name_gives_the_function(fn_name):
    fn = api_function(fn_name)
    assert ok_losses.get(fn_name) is fn


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_get_by_alias(alias):
    fn = api_function(ALIASES[alias])
    assert ok_losses.get(alias) is fn


def test_get_other_identifiers():
    cls = api_class("CategoricalCrossentropy")
    assert ok_losses.get(None) is None
    loss = cls(from_logits=True)
    assert ok_losses.get(loss) is loss
    made = ok_losses.get({"class_name": "CategoricalCrossentropy",
                          "config": {"from_logits": True, "label_smoothing": 0.25}})
    assert isinstance(made, cls)
    assert made.get_config()["label_smoothing"] == 0.25
    with pytest.raises(ValueError):
        ok_losses.get("no_such_loss")


# -------------------------------------------------------------------- config

@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_config_round_trip(case):
    _, class_name, kwargs, kind = case
    cls = api_class(class_name, kwargs)
    loss = cls(**kwargs, reduction="sum", name="custom")
    config = loss.get_config()
    assert config["name"] == "custom" and config["reduction"] == "sum"
    for key, value in kwargs.items():
        assert config[key] == value, key
    again = cls.from_config(config)
    assert again.get_config() == config
    y, p = make_data(kind, (5, 4), np.random.default_rng(6))
    assert again(y, p) == loss(y, p)
    # the config holds plain Python values only (it must survive JSON)
    assert json.loads(json.dumps(config)) == config
    packed = ok_losses.serialize(loss)
    assert packed == {"class_name": class_name, "config": config}
    assert ok_losses.deserialize(json.loads(json.dumps(packed))).get_config() == config


@pytest.mark.parametrize("class_name", sorted(R.LOSSES))
def test_default_config_matches_reference(class_name):
    """Every argument the config holds has the reference's default; an argument
    left out (z_loss=0, which Keras's configs do not know) must rebuild as the
    default."""
    cls = api_class(class_name)
    config, want = cls().get_config(), R.LOSSES[class_name]().get_config()
    for key, value in config.items():
        assert want.get(key) == value, key
    rebuilt = R.LOSSES[class_name].from_config(config).get_config()
    assert rebuilt == want


# ----------------------------------------------------------------- bad input

def sentinel_like(p):
    return np.full_like(p, 123.0)


def check_refused(loss, y, p, match, w=None, errors=(TypeError, ValueError)):
    out = sentinel_like(p)
    p_before = p.copy()
    with pytest.raises(errors, match=match):
        loss.value_and_grad(y, p, sample_weight=w, grad_out=out)
    np.testing.assert_array_equal(out, sentinel_like(p))
    np.testing.assert_array_equal(p, p_before)
    with pytest.raises(errors, match=match):
        loss(y, p, sample_weight=w)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_bad_sparse_labels(dtype):
    cls = api_class("SparseCategoricalCrossentropy")
    p = np.random.default_rng(7).normal(size=(5, 4)).astype(dtype)
    for from_logits in (True, False):
        loss = cls(from_logits=from_logits)
        check_refused(loss, np.array([0, 1, 4, 2, 3]), p, "y_true", errors=ValueError)
        check_refused(loss, np.array([0, 1, -1, 2, 3]), p, "y_true", errors=ValueError)
        check_refused(loss, np.array([0.0, 1, 2, 2, 3]), p, "y_true")
        check_refused(loss, np.array([0, 1, 2, 3]), p, "y_true|y_pred", errors=ValueError)
    ignoring = cls(from_logits=True, ignore_class=9)
    check_refused(ignoring, np.array([0, 9, 10, 2, 3]), p, "y_true", errors=ValueError)
    # the ignored class itself may lie outside [0, K)
    assert np.isfinite(ignoring(np.array([0, 9, 9, 2, 3]), p))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_shape_mismatch(case):
    _, class_name, kwargs, kind = case
    cls = api_class(class_name, kwargs)
    if kind.startswith("sparse"):
        pytest.skip("labels: see test_bad_sparse_labels")
    y, _ = make_data(kind, (4, 3), np.random.default_rng(8))
    _, p = make_data(kind, (4, 5), np.random.default_rng(8))
    check_refused(cls(**kwargs), y, p, "y_true|y_pred", errors=ValueError)
    _, p = make_data(kind, (5, 3), np.random.default_rng(8))
    check_refused(cls(**kwargs), y, p, "y_true|y_pred", errors=ValueError)


@pytest.mark.parametrize("class_name", ["BinaryCrossentropy", "CategoricalCrossentropy",
                                        "BinaryFocalCrossentropy",
                                        "CategoricalFocalCrossentropy"])
@pytest.mark.parametrize("value", [float("nan"), -0.1, 1.5])
def test_bad_label_smoothing(class_name, value):
    cls = api_class(class_name)
    y, p = make_data("onehot_prob", (3, 4), np.random.default_rng(9))
    out = sentinel_like(p)
    with pytest.raises(ValueError, match="label_smoothing"):
        cls(label_smoothing=value).value_and_grad(y, p, grad_out=out)
    np.testing.assert_array_equal(out, sentinel_like(p))


@pytest.mark.parametrize("class_name", ["CategoricalCrossentropy",
                                        "SparseCategoricalCrossentropy"])
@pytest.mark.parametrize("kwargs", [{"z_loss": 0.1}, {"from_logits": True, "z_loss": -1.0},
                                    {"from_logits": True, "z_loss": float("nan")},
                                    {"from_logits": True, "z_loss": float("inf")}])
def test_bad_z_loss(class_name, kwargs):
    cls = api_class(class_name)
    with pytest.raises(ValueError, match="z_loss"):
        cls(**kwargs)
    with pytest.raises(ValueError, match="z_loss"):
        getattr(R, class_name)(**kwargs)


def test_bad_ignore_class():
    cls = api_class("SparseCategoricalCrossentropy")
    with pytest.raises(TypeError, match="ignore_class"):
        cls(ignore_class=1.5)


@pytest.mark.parametrize("reduction", ["average", "SUM", "", 0])
def test_unknown_reduction(reduction):
    cls = api_class("MeanSquaredError")
    y, p = make_data("regression", (3, 4), np.random.default_rng(10))
    with pytest.raises((ValueError, TypeError), match="reduction"):
        cls(reduction=reduction).value_and_grad(y, p)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sample_weight_that_does_not_broadcast(case):
    _, class_name, kwargs, kind = case
    cls = api_class(class_name, kwargs)
    y, p = make_data(kind, (4, 3), np.random.default_rng(11))
    n = int(np.prod(loss_shape(getattr(R, class_name)(**kwargs), y, p)))
    check_refused(cls(**kwargs), y, p, "sample_weight", w=np.ones(n + 1), errors=ValueError)


# ---------------------------------------------------------------- edge cases

EDGE_LOGITS = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 3.0], [0.0, -1e4, -1e4],
                        [2.0, -np.inf, 0.5], [-np.inf, 1.0, -np.inf]])
EDGE_LABELS = np.array([0, 2, 1, 0, 1])


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("class_name, kwargs", [
    ("SparseCategoricalCrossentropy", {"from_logits": True}),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "z_loss": 1e-4}),
    ("CategoricalCrossentropy", {"from_logits": True}),
    ("CategoricalFocalCrossentropy", {"from_logits": True}),
])
def test_huge_and_infinite_logits(dtype, class_name, kwargs):
    cls = api_class(class_name)
    x = EDGE_LOGITS.astype(dtype)
    y = EDGE_LABELS if class_name.startswith("Sparse") else np.eye(3, dtype=dtype)[EDGE_LABELS]
    loss = cls(**kwargs, reduction="none")
    value, grad = loss.value_and_grad(y, x)
    want_value, want_grad = getattr(R, class_name)(**kwargs, reduction="none") \
        .value_and_grad(y, x)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    m = magnitude(class_name, y, x)
    assert_close(value, want_value, dtype, 3, m, "value")
    assert_close(grad, want_grad, dtype, 3, m, "grad")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_binary_crossentropy_huge_logits(dtype):
    cls = api_class("BinaryCrossentropy")
    x = np.array([1e4, -1e4, 30, 0], dtype)[:, None]
    y = np.array([0, 1, 0, 1], dtype)
    value = cls(from_logits=True, reduction="none")(y, x)
    np.testing.assert_allclose(value, [1e4, 1e4, 30, 0.693147], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_binary_crossentropy_infinite_logits(dtype):
    """-inf under target 0 and +inf under target 1 cost exactly 0."""
    cls = api_class("BinaryCrossentropy")
    value, grad = cls(from_logits=True, reduction="none").value_and_grad(
        np.array([[0.0, 1.0]], dtype), np.array([[-np.inf, np.inf]], dtype))
    np.testing.assert_array_equal(value, [0.0])
    np.testing.assert_array_equal(grad, [[0.0, 0.0]])


def test_known_values():
    mse = api_class("MeanSquaredError")
    y = np.array([[1, 9, 2], [-5, -2, 6]], np.float32)
    p = np.array([[4, 8, 12], [8, 1, 3]], np.float32)
    w = np.array([1.2, 3.4], np.float32)
    assert float(mse()(y, p)) == pytest.approx(49.5, rel=1e-6)
    for reduction, value in {"sum_over_batch_size": 127.9667, "sum": 255.9333,
                             "mean_with_sample_weight": 55.6377}.items():
        assert float(mse(reduction=reduction)(y, p, sample_weight=w)) == \
            pytest.approx(value, abs=2e-4)
    scce = api_class("SparseCategoricalCrossentropy")
    x = np.array([[8, 1, 1], [0, 9, 1], [2, 3, 5]], np.float32)
    labels = np.array([0, 1, 2])
    np.testing.assert_allclose(scce(from_logits=True, reduction="none")(labels, x),
                               [0.001822, 0.000459, 0.169846], atol=2e-6)
    assert float(scce(from_logits=True)(labels, x)) == pytest.approx(0.0573756, rel=1e-5)
    assert float(scce(from_logits=True)(np.array([2]),
                                        np.array([[1e4, 0, -1e4]], np.float32))) == 20000.0


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("class_name, kwargs, sparse", [
    ("BinaryCrossentropy", {}, False),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, False),
    ("KLDivergence", {}, False),
    ("SparseCategoricalCrossentropy", {}, True),
])
def test_probabilities_exactly_zero_and_one(dtype, class_name, kwargs, sparse):
    cls = api_class(class_name)
    p = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]], dtype)
    y = np.array([1, 0, 2]) if sparse else \
        np.array([[1.0, 0, 0], [1.0, 0, 0], [0, 0, 1.0]], dtype)
    value, grad = cls(**kwargs, reduction="none").value_and_grad(y, p)
    want_value, want_grad = getattr(R, class_name)(**kwargs, reduction="none") \
        .value_and_grad(y, p)
    assert_close(value, want_value, dtype, 3, 2.0, "value")
    assert_close(grad, want_grad, dtype, 3, 2.0, "grad")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_all_rows_ignored(reduction):
    cls = api_class("SparseCategoricalCrossentropy")
    x = np.random.default_rng(12).normal(size=(3, 4))
    labels = np.full(3, 255)
    value, grad = cls(from_logits=True, ignore_class=255, reduction=reduction) \
        .value_and_grad(labels, x, sample_weight=np.ones(3))
    np.testing.assert_array_equal(value, np.zeros(3) if reduction in ("none", None) else 0.0)
    np.testing.assert_array_equal(grad, np.zeros_like(x))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_empty_batch(case):
    _, class_name, kwargs, kind = case
    cls = api_class(class_name, kwargs)
    if kwargs.get("axis") == 0:
        pytest.skip("the reduced axis is the batch axis")
    for dtype in DTYPES:
        y, p = make_data(kind, (0, 4), np.random.default_rng(0), dtype)
        for reduction in REDUCTIONS:
            value, grad = cls(**kwargs, reduction=reduction).value_and_grad(y, p)
            assert grad.shape == (0, 4) and grad.dtype == dtype
            if reduction in ("none", None):
                assert value.shape == (0,)
            else:
                assert float(value) == 0.0


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_rank_alignment_and_column_weights(dtype):
    cls = api_class("BinaryCrossentropy")
    rng = np.random.default_rng(13)
    y = rng.integers(0, 2, 6).astype(dtype)
    x = rng.normal(size=(6, 1)).astype(dtype)
    w = rng.uniform(0.5, 2.0, 6).astype(dtype)
    ref = R.BinaryCrossentropy(from_logits=True, reduction="none")
    loss = cls(from_logits=True, reduction="none")
    for yy, xx, ww in [(y, x, None), (y[:, None], x, None), (y[:, None], x[:, 0], None),
                       (y, x, w), (y, x, w[:, None]), (y[:, None], x[:, 0], w[:, None])]:
        value, grad = loss.value_and_grad(yy, xx, sample_weight=ww)
        want_value, want_grad = ref.value_and_grad(yy, xx, sample_weight=ww)
        assert value.shape == want_value.shape and grad.shape == xx.shape
        assert_close(value, want_value, dtype, 1, 4.0, "value")
        assert_close(grad, want_grad, dtype, 1, 4.0, "grad")


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_zero_weights(reduction):
    cls = api_class("CategoricalCrossentropy")
    y, x = make_data("onehot_logit", (4, 3), np.random.default_rng(14))
    value, grad = cls(from_logits=True, reduction=reduction).value_and_grad(y, x, np.zeros(4))
    assert float(value) == 0.0
    np.testing.assert_array_equal(grad, np.zeros_like(x))
    # a zero weight removes its sample even when that sample's loss is infinite
    x = np.array([[0.0, -np.inf], [1.0, 2.0]])
    smoothed = cls(from_logits=True, label_smoothing=0.1, reduction=reduction)
    value, grad = smoothed.value_and_grad(np.eye(2), x, np.array([0.0, 1.0]))
    want_value, want_grad = R.CategoricalCrossentropy(
        from_logits=True, label_smoothing=0.1, reduction=reduction).value_and_grad(
            np.eye(2), x, np.array([0.0, 1.0]))
    assert np.isfinite(value) and float(value) == pytest.approx(float(want_value), rel=1e-14)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8,
                                   np.uint16, np.uint32, np.uint64])
def test_integer_labels_of_any_dtype(dtype):
    cls = api_class("SparseCategoricalCrossentropy")
    rng = np.random.default_rng(15)
    x = rng.normal(size=(6, 5))
    labels = rng.integers(0, 5, 6)
    loss = cls(from_logits=True)
    want = loss.value_and_grad(labels, x)
    for shaped in (labels, labels[:, None]):
        got = loss.value_and_grad(shaped.astype(dtype), x)
        assert got[0] == want[0]
        np.testing.assert_array_equal(got[1], want[1])


# ------------------------------------------------- every ISA, every thread count

@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_identical_bits_on_every_isa_and_thread_count(case):
    from conftest import ISAS, THREADS, running_on
    _, class_name, kwargs, kind = case
    cls = api_class(class_name, kwargs)
    for dtype, shape in ((np.float32, (2053, 37)), (np.float64, (2053, 37)),
                         (np.float32, (4099, 5)), (np.float64, (1025, 1000))):
        shape = shape if kwargs.get("axis") != 0 else shape[::-1]
        y, p = make_data(kind, shape, np.random.default_rng(16), dtype)
        w = np.random.default_rng(17).uniform(0.5, 2.0, loss_shape(
            getattr(R, class_name)(**kwargs), y, p)).astype(dtype)
        for reduction in ("sum_over_batch_size", "none"):
            loss = cls(**kwargs, reduction=reduction)
            results = []
            for isa in ISAS:
                for threads in THREADS:
                    with running_on(isa, threads):
                        value, grad = loss.value_and_grad(y, p, sample_weight=w)
                    results.append((f"{isa}/{threads}", np.asarray(value), grad))
            name0, v0, g0 = results[0]
            for name, v, g in results[1:]:
                np.testing.assert_array_equal(v, v0, err_msg=f"{name} vs {name0}")
                np.testing.assert_array_equal(g, g0, err_msg=f"{name} vs {name0}")


# ----------------------------------------------------------- the user guide

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "losses.md"


def test_documentation_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/losses.md has no python example"
    for name in sorted(set(re.findall(r"ok\.losses\.(\w+)", "".join(blocks)))):
        api_function(name)          # skips while the build lacks a loss it uses
    for block in blocks:
        exec(compile(block, str(DOCS), "exec"), {})


# ------------------------------------------------------------------- probes

@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_nan_in_a_prediction_reaches_its_row_only(case, dtype):
    """A NaN is never clipped or max-ed away: its row's loss is NaN, the other
    rows are untouched."""
    _, class_name, kwargs, kind = case
    cls = api_class(class_name, kwargs)
    if kwargs.get("axis") == 0:
        pytest.skip("the reduced axis is the batch axis")
    y, p = make_data(kind, (4, 9), np.random.default_rng(17), dtype)
    p[2, 5] = np.nan
    value = cls(**kwargs, reduction="none")(y, p)
    want = getattr(R, class_name)(**kwargs, reduction="none")(y, p)
    np.testing.assert_array_equal(np.isnan(value), np.isnan(want))
    assert np.isnan(value[2])
    assert math.isnan(float(cls(**kwargs)(y, p)))


def test_sample_weight_against_a_loss_with_a_trailing_unit_axis():
    """(B, 1, d) inputs give L of (B, 1); a (B,) weight is applied per sample
    (Keras gives w the missing unit axis)."""
    cls = api_class("MeanSquaredError")
    rng = np.random.default_rng(18)
    y, p = make_data("regression", (5, 1, 3), rng)
    w = rng.uniform(0.5, 2.0, 5)
    for reduction in ("none", "sum"):
        value, grad = cls(reduction=reduction).value_and_grad(y, p, sample_weight=w)
        want_value, want_grad = R.MeanSquaredError(reduction=reduction) \
            .value_and_grad(y, p, sample_weight=w)
        np.testing.assert_allclose(value, want_value, rtol=1e-13)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-13)


@pytest.mark.parametrize("w", [0.5, [1.0, 2.0, 3.0], [[1.0], [2.0], [3.0]]],
                         ids=["float", "list", "column-list"])
def test_plain_python_weights(w):
    cls = api_class("MeanSquaredError")
    y, p = make_data("regression", (3, 4), np.random.default_rng(19))
    for reduction in ("sum", "mean_with_sample_weight"):
        got = cls(reduction=reduction)(y, p, sample_weight=w)
        want = R.MeanSquaredError(reduction=reduction)(y, p, sample_weight=w)
        assert float(got) == pytest.approx(float(want), rel=1e-13)


def test_grad_out_overlapping_targets_or_weights_is_refused():
    cls = api_class("MeanSquaredError")
    y, p = make_data("regression", (4, 3), np.random.default_rng(20))
    w = np.ones(12)
    for out, match in ((y, "grad_out"), (w.reshape(4, 3), "grad_out")):
        before = out.copy()
        with pytest.raises(ValueError, match=match):
            cls().value_and_grad(y, p, sample_weight=w[:4], grad_out=out)
        np.testing.assert_array_equal(out, before)


PROVIDED = [c for c in CASES if hasattr(ok_losses, c[1])
            and not refuses_axis(getattr(ok_losses, c[1]), c[2])]


@pytest.mark.skipif(not PROVIDED, reason="no loss provided by this build")
@settings(max_examples=150, deadline=None)
@given(case=st.sampled_from(PROVIDED or CASES), dtype=st.sampled_from(DTYPES),
       reduction=st.sampled_from(REDUCTIONS), weights=st.sampled_from(["unweighted",
                                                                       "per_sample", "scalar"]),
       shape=st.lists(st.integers(0, 12), min_size=1, max_size=2).map(tuple)
       .flatmap(lambda lead: st.integers(1, 70).map(lambda k: lead + (k,))),
       seed=st.integers(0, 2**16))
def test_random_shapes(case, dtype, reduction, weights, shape, seed):
    if case[2].get("axis") == 0 and shape[0] == 0:
        return
    ref = getattr(R, case[1])(**case[2])
    y, p = make_data(case[3], shape, np.random.default_rng(seed), dtype)
    w = weight_variant(weights, loss_shape(ref, y, p), np.random.default_rng(seed + 1))
    compare(case, dtype, reduction, shape, w, seed=seed)


@pytest.mark.parametrize("class_name", ["Hinge", "SquaredHinge"])
def test_hinge_label_conversion_is_decided_over_the_whole_array(class_name):
    """Row 0 holds only 0 and 1, row 1 a -1: nothing is converted, so row 0's
    zeros stay 0 (a per-row decision would make them -1)."""
    cls = api_class(class_name)
    y = np.array([[0.0, 1.0, 0.0], [-1.0, 1.0, 0.0]])
    p = np.array([[0.5, -0.3, 2.0], [0.2, 0.4, -1.5]])
    for target in (y, y[:1]):
        value, grad = cls(reduction="none").value_and_grad(target, p[:len(target)])
        want_value, want_grad = getattr(R, class_name)(reduction="none") \
            .value_and_grad(target, p[:len(target)])
        np.testing.assert_allclose(value, want_value, rtol=1e-14)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_cosine_similarity_with_zero_rows(dtype):
    """A zero prediction or target has similarity 0; below ‖ŷ‖ = ε the norm is
    held at ε, so the gradient is -u/ε."""
    cls = api_class("CosineSimilarity")
    y = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, 4.0]], dtype)
    p = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.5], [1e-9, 0.0, 0.0]], dtype)
    value, grad = cls(reduction="none").value_and_grad(y, p)
    want_value, want_grad = R.CosineSimilarity(reduction="none").value_and_grad(y, p)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    assert_close(value, want_value, dtype, 3, 2.0, "value")
    np.testing.assert_allclose(grad, want_grad, rtol=ULPS * 3 * machine_epsilon(dtype),
                               atol=ULPS * 3 * machine_epsilon(dtype) / R.EPSILON)
