"""The loss kernels: optkern's own exp/log/log1p against libm, every loss's
kernel paths (few and many classes, short and long rows, vector tails) against
the NumPy reference, identical bits on every ISA and thread count, a gradient
written over y_pred, finite differences, and refused input."""

from __future__ import annotations

import numpy as np
import pytest

import optkern as ok
from optkern import _core
from optkern.reference import losses as R

from conftest import ISAS, running_on

DTYPES = (np.float32, np.float64)

# (class name, kwargs, targets): targets "labels", "onehot" (one-hot or soft
# rows), "binary" (0/1), "real" (any real), "prob" (rows of probabilities).
CASES = [
    ("MeanSquaredError", {}, "real", "real"),
    ("MeanAbsoluteError", {}, "real", "real"),
    ("Huber", {"delta": 0.7}, "real", "real"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary", "real"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "binary", "real"),
    ("BinaryCrossentropy", {}, "binary", "unit"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary", "unit"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot", "real"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1, "z_loss": 1e-3},
     "soft", "real"),
    ("CategoricalCrossentropy", {}, "onehot", "prob"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, "soft", "prob"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "labels", "real"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "z_loss": 1e-2, "ignore_class": 1},
     "labels", "real"),
    ("SparseCategoricalCrossentropy", {}, "labels", "prob"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0}, "labels", "prob"),
]
IDS = [f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, kw, _, _ in CASES]

# Rows × classes: empty, one, vector lanes ±1 (16 float, 8 double), few
# (≤ 16) and many classes, and blocks of rows ±1.
SHAPES = [(0, 5), (1, 1), (1, 7), (3, 8), (5, 15), (16, 16), (17, 17), (15, 9), (33, 31),
          (7, 33), (2, 100), (40, 3), (6, 257)]


def make(case, shape, dtype, seed=0):
    _, kwargs, targets, preds = case
    rng = np.random.default_rng(seed)
    rows, k = shape
    if preds == "real":
        p = rng.normal(scale=3.0, size=shape)
    elif preds == "unit":
        p = rng.uniform(0.0, 1.0, size=shape)
        p.flat[::7] = 0.0
        p.flat[3::11] = 1.0
    else:
        p = rng.uniform(0.0, 1.0, size=shape) ** 3
        if k > 1:
            p[:, 0] = 0.0
            p /= np.maximum(p.sum(-1, keepdims=True), 1e-30)
    if targets == "labels":
        y = rng.integers(0, max(k, 1), size=rows)
    elif targets == "onehot":
        y = np.eye(max(k, 1))[rng.integers(0, max(k, 1), size=rows)][:, :k]
    elif targets == "soft":
        y = rng.dirichlet(np.ones(max(k, 1)), size=rows)[:, :k]
    elif targets == "binary":
        y = rng.integers(0, 2, size=shape).astype(float)
    else:
        y = rng.normal(size=shape)
    y = y if targets == "labels" else y.astype(dtype)
    return y, p.astype(dtype)


def pair(case, reduction="sum_over_batch_size"):
    name, kwargs = case[0], case[1]
    return (getattr(ok.losses, name)(reduction=reduction, **kwargs),
            getattr(R, name)(reduction=reduction, **kwargs))


def tolerance(dtype, k):
    eps = np.finfo(dtype).eps
    return 64 * eps * max(k, 4)


# ---- vector maths ------------------------------------------------------------

def ulps32(got, want):
    """|got − want| in units of float32 spacing at the (float64) true value."""
    want32 = want.astype(np.float32)
    spacing = np.spacing(np.abs(want32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


def float32_sample():
    """A dense stratified sample of all float32 bit patterns: every 4099th one
    plus a varying offset, both signs, with specials."""
    bits = np.arange(0, 2**32, 4099, dtype=np.uint64)
    bits = (bits + (bits // 4099) % 4099).astype(np.uint32)
    x = bits.view(np.float32)
    return x[np.isfinite(x)]


@pytest.mark.parametrize("fn, bound", [("exp", 2.0), ("log", 2.0), ("log1p", 3.0)])
def test_vmath_float32_against_libm(fn, bound):
    x = float32_sample()
    if fn == "exp":
        x = x[(x > -103.0) & (x < 88.7)]
    elif fn == "log":
        x = x[x > 0]
    else:
        x = x[x > -1]
    got = _core.vmath(fn, x)
    want = getattr(np, fn)(x.astype(np.float64))
    err = ulps32(got, want)
    assert err.max() <= bound, (fn, x[np.argmax(err)], err.max())


@pytest.mark.parametrize("fn, bound", [("exp", 2.0), ("log", 2.0), ("log1p", 3.0)])
def test_vmath_float64_against_long_double(fn, bound):
    if np.finfo(np.longdouble).nmant < 63:
        pytest.skip("long double is not wider than double here")
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2**63, size=400_000, dtype=np.uint64)
    x = bits.view(np.float64)
    x = x[np.isfinite(x)]
    x = x * np.where(rng.random(x.size) < 0.5, -1.0, 1.0)
    if fn == "exp":
        x = np.concatenate([x[np.abs(x) < 700], rng.uniform(-708, 709, 200_000)])
    elif fn == "log":
        x = x[x > 0]
    else:
        x = np.concatenate([x[x > -1], rng.uniform(-1, 1, 100_000), rng.normal(0, 1e-9, 1000)])
    got = _core.vmath(fn, x)
    want = getattr(np, fn)(x.astype(np.longdouble))
    spacing = np.spacing(np.abs(want.astype(np.float64))).astype(np.longdouble)
    err = np.abs(got.astype(np.longdouble) - want) / spacing
    assert float(err.max()) <= bound, (fn, x[np.argmax(err)], float(err.max()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_vmath_special_values(dtype):
    inf, nan = np.inf, np.nan
    specials = {"exp": [-inf, inf, nan, 0.0, -0.0, -2000.0, 2000.0],
                "log": [-inf, inf, nan, 0.0, -0.0, -1.0, 1.0],
                "log1p": [-inf, inf, nan, 0.0, -0.0, -1.0, -2.0]}
    with np.errstate(all="ignore"):
        for fn, values in specials.items():
            x = np.array(values, dtype)
            np.testing.assert_array_equal(_core.vmath(fn, x), getattr(np, fn)(x), err_msg=fn)
    tiny = np.array([np.finfo(dtype).smallest_subnormal, np.finfo(dtype).tiny], dtype)
    np.testing.assert_allclose(_core.vmath("log", tiny), np.log(tiny.astype(np.longdouble)),
                               rtol=4 * np.finfo(dtype).eps)


def test_vmath_same_bits_on_every_isa():
    x32 = float32_sample()[::7]
    x64 = np.random.default_rng(2).normal(scale=300, size=100_003)
    results = {}
    for isa in ISAS:
        with running_on(isa, 1):
            results[isa] = [_core.vmath(fn, x).tobytes() for fn in ("exp", "log", "log1p")
                            for x in (x32, x64, np.abs(x64))]
    for isa in ISAS:
        assert results[isa] == results[ISAS[0]], isa


# ---- every loss against the reference -----------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_kernels_match_reference(case, dtype):
    for i, shape in enumerate(SHAPES):
        y, p = make(case, shape, dtype, seed=i)
        for reduction in ("sum_over_batch_size", "none"):
            mine, ref = pair(case, reduction)
            value, grad = mine.value_and_grad(y, p)
            want_value, want_grad = ref.value_and_grad(y, p)
            tol = tolerance(dtype, shape[1])
            what = f"{case[0]}{case[1]} {np.dtype(dtype).name} {shape} {reduction}"
            scale = np.abs(want_value).max() if np.size(want_value) else 0.0
            np.testing.assert_allclose(value, want_value, rtol=tol, atol=tol * (1 + scale),
                                       err_msg=what)
            gscale = np.abs(want_grad).max() if want_grad.size else 0.0
            np.testing.assert_allclose(grad, want_grad, rtol=tol, atol=tol * (1e-3 + gscale),
                                       err_msg=what + " grad")
            assert grad.dtype == dtype and grad.shape == p.shape


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_weighted_reductions_match_reference(case):
    y, p = make(case, (37, 11), np.float64, seed=5)
    w = np.random.default_rng(6).uniform(0, 2, size=37)
    for reduction in ("sum", "mean", "mean_with_sample_weight", "sum_over_batch_size", None):
        mine, ref = pair(case, reduction)
        value, grad = mine.value_and_grad(y, p, sample_weight=w)
        want_value, want_grad = ref.value_and_grad(y, p, sample_weight=w)
        np.testing.assert_allclose(value, want_value, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-15)


# ---- identical bits on every ISA and thread count ------------------------------

BIG = [(3000, 7), (700, 33), (64, 1000), (2000, 16)]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_same_bits_on_every_isa_and_thread_count(case):
    for dtype in DTYPES:
        for shape in BIG:
            y, p = make(case, shape, dtype, seed=shape[1])
            w = np.random.default_rng(3).uniform(0, 2, size=shape[0]).astype(dtype)
            loss = getattr(ok.losses, case[0])(reduction="none", **case[1])
            reduced = getattr(ok.losses, case[0])(**case[1])
            seen = None
            for isa in ISAS:
                for threads in (1, 2, 3):
                    with running_on(isa, threads):
                        per, grad = loss.value_and_grad(y, p, sample_weight=w)
                        value, grad2 = reduced.value_and_grad(y, p)
                    got = (per.tobytes(), grad.tobytes(), value, grad2.tobytes())
                    if seen is None:
                        seen = got
                    assert got == seen, (case, dtype, shape, isa, threads)


# ---- the gradient may overwrite y_pred ------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_grad_out_may_be_y_pred(case):
    for dtype in DTYPES:
        for shape in [(5, 3), (40, 16), (9, 17), (3, 300), (100, 1)]:
            y, p = make(case, shape, dtype, seed=7)
            loss = getattr(ok.losses, case[0])(**case[1])
            value, grad = loss.value_and_grad(y, p)
            inplace = p.copy()
            value2, grad2 = loss.value_and_grad(y, inplace, grad_out=inplace)
            assert grad2 is inplace
            assert value2 == value
            np.testing.assert_array_equal(inplace, grad)
            out = np.full_like(p, 7.0)
            value3, grad3 = loss.value_and_grad(y, p, grad_out=out)
            assert grad3 is out and value3 == value
            np.testing.assert_array_equal(out, grad)


# ---- gradient against central differences (float64) ------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_matches_finite_differences(case):
    y, p = make(case, (6, 5), np.float64, seed=11)
    if case[3] in ("unit", "prob"):
        p = np.clip(p, 0.05, 0.9)  # away from the clipping bounds
    w = np.random.default_rng(12).uniform(0.5, 2, size=6)
    loss = getattr(ok.losses, case[0])(reduction="sum_over_batch_size", **case[1])
    _, grad = loss.value_and_grad(y, p, sample_weight=w)
    h = 1e-6
    rng = np.random.default_rng(13)
    for idx in zip(rng.integers(0, 6, 12), rng.integers(0, 5, 12)):
        if case[0] in ("MeanAbsoluteError", "Huber") and abs(p[idx] - y[idx]) < 1e-3:
            continue
        up, down = p.copy(), p.copy()
        up[idx] += h
        down[idx] -= h
        fd = (loss(y, up, sample_weight=w) - loss(y, down, sample_weight=w)) / (2 * h)
        assert grad[idx] == pytest.approx(fd, rel=1e-5, abs=1e-8), (case, idx)


# ---- known values and edge cases --------------------------------------------------

def test_known_values():
    x = np.array([[8, 1, 1], [0, 9, 1], [2, 3, 5]], np.float32)
    labels = np.array([0, 1, 2])
    scce = ok.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    np.testing.assert_allclose(scce(labels, x), [0.001822, 0.000459, 0.169846], rtol=2e-3)
    big = np.array([[1e4, 0, -1e4]], np.float32)
    for k in (3, 40):  # few- and many-class paths
        xb = np.full((1, k), -1e4, np.float32)
        xb[0, :3] = big
        assert ok.losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([2]), xb) \
            == 20000.0
    bce = ok.losses.BinaryCrossentropy(from_logits=True, reduction=None)
    got = bce(np.array([[0.0], [1], [0], [1]]), np.array([[1e4], [-1e4], [30], [0]]))
    np.testing.assert_allclose(got, [1e4, 1e4, 30, 0.693147], rtol=1e-6)


@pytest.mark.parametrize("k", [4, 40])
def test_minus_inf_logit_under_zero_target_counts_zero(k):
    x = np.zeros((2, k))
    x[:, 1] = -np.inf
    y = np.zeros((2, k))
    y[:, 0] = 1.0
    value, grad = ok.losses.CategoricalCrossentropy(from_logits=True).value_and_grad(y, x)
    assert value == pytest.approx(np.log(k - 1))
    assert np.all(np.isfinite(grad)) and np.all(grad[:, 1] == 0.0)


@pytest.mark.parametrize("k", [4, 40])
def test_z_loss_adds_squared_log_normaliser(k):
    rng = np.random.default_rng(21)
    x = rng.normal(size=(9, k))
    labels = rng.integers(0, k, 9)
    z = 0.01
    plain = ok.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(labels, x)
    with_z = ok.losses.SparseCategoricalCrossentropy(from_logits=True, z_loss=z,
                                                      reduction=None)
    m = x.max(1)
    lse = m + np.log(np.exp(x - m[:, None]).sum(1))
    np.testing.assert_allclose(with_z(labels, x), plain + z * lse**2, rtol=1e-13)
    dense = ok.losses.CategoricalCrossentropy(from_logits=True, z_loss=z, reduction=None)
    np.testing.assert_allclose(dense(np.eye(k)[labels], x), plain + z * lse**2, rtol=1e-12)


def test_large_batches_use_threads_and_agree_with_the_reference():
    rng = np.random.default_rng(31)
    x = rng.normal(size=(5000, 12)).astype(np.float32)
    labels = rng.integers(0, 12, 5000)
    mine = ok.losses.SparseCategoricalCrossentropy(from_logits=True)
    ref = R.SparseCategoricalCrossentropy(from_logits=True)
    with running_on(ISAS[-1], 2):
        value, grad = mine.value_and_grad(labels, x)
    want_value, want_grad = ref.value_and_grad(labels, x)
    assert value == pytest.approx(float(want_value), rel=1e-6)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", ["MeanSquaredError", "BinaryCrossentropy"])
def test_gradients_past_the_cache_size_have_the_bits_of_small_calls(name):
    # A gradient of 32 MiB or more is written with streaming stores: the same
    # values as row by row, out of place and in place, on every ISA and thread count.
    rng = np.random.default_rng(5)
    rows, cols = 8200, 1024  # 33.6 MB of float32
    x = rng.normal(size=(rows, cols)).astype(np.float32)
    y = rng.integers(0, 2, size=(rows, cols)).astype(np.float32)
    kwargs = {"from_logits": True} if name == "BinaryCrossentropy" else {}
    loss = getattr(ok.losses, name)(reduction="sum", **kwargs)
    small = np.concatenate([loss.value_and_grad(y[r:r + 100], x[r:r + 100])[1]
                            for r in range(0, rows, 100)])
    for isa in ISAS:
        for threads in (1, 2):
            with running_on(isa, threads):
                _, grad = loss.value_and_grad(y, x)
                np.testing.assert_array_equal(grad, small, err_msg=f"{isa} {threads}")
                inplace = x.copy()
                loss.value_and_grad(y, inplace, grad_out=inplace)
                np.testing.assert_array_equal(inplace, small, err_msg=f"{isa} {threads} in place")


@pytest.mark.parametrize("name", ["SparseCategoricalCrossentropy", "CategoricalCrossentropy"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_gradients_past_the_cache_size_have_the_bits_of_small_calls(name, dtype):
    # Softmax rows of a gradient of 32 MiB or more go through a row buffer and
    # streaming stores: the same bits as small calls, out of place, in place and
    # into a gradient that starts off a 64-byte boundary, on every ISA and thread
    # count; with sample weights, an odd row length, an ignored class and z_loss.
    rng = np.random.default_rng(6)
    cols = 30011
    rows = (33 << 20) // (cols * np.dtype(dtype).itemsize) + 3
    x = rng.normal(scale=3.0, size=(rows, cols)).astype(dtype)
    x[:, 0] = rng.uniform(-1.0, 1.0, size=rows)  # the label moves around a first line
    w = rng.uniform(0.0, 2.0, size=rows).astype(dtype)
    w[4], w[6] = -0.0, -1.5
    if name == "SparseCategoricalCrossentropy":
        y = rng.integers(0, cols, size=rows)
        y[::5] = rng.integers(0, 20, size=y[::5].size)
        y[1::5] = cols - 1 - rng.integers(0, 20, size=y[1::5].size)
        y[2::7] = 3  # ignored
        kwargs = {"from_logits": True, "ignore_class": 3, "z_loss": 1e-3}
    else:
        y = rng.dirichlet(np.ones(cols) * 0.1, size=rows).astype(dtype)
        kwargs = {"from_logits": True, "label_smoothing": 0.1}
    loss = getattr(ok.losses, name)(reduction="sum", **kwargs)
    step = 16
    small = np.concatenate([loss.value_and_grad(y[r:r + step], x[r:r + step],
                                                sample_weight=w[r:r + step])[1]
                            for r in range(0, rows, step)])
    want = float(np.sum([loss(y[r:r + step], x[r:r + step], sample_weight=w[r:r + step])
                         for r in range(0, rows, step)]))
    flat = np.empty(rows * cols + 16, dtype)
    for isa in ISAS:
        for threads in (1, 2):
            with running_on(isa, threads):
                msg = f"{isa} {threads}"
                value, grad = loss.value_and_grad(y, x, sample_weight=w)
                np.testing.assert_array_equal(grad, small, err_msg=msg)
                assert value == pytest.approx(want, rel=1e-9), msg
                for offset in (1, 3):
                    out = flat[offset:offset + rows * cols].reshape(rows, cols)
                    loss.value_and_grad(y, x, sample_weight=w, grad_out=out)
                    np.testing.assert_array_equal(out, small, err_msg=f"{msg} offset {offset}")
                inplace = x.copy()
                loss.value_and_grad(y, inplace, sample_weight=w, grad_out=inplace)
                np.testing.assert_array_equal(inplace, small, err_msg=f"{msg} in place")


# ---- refused input ----------------------------------------------------------------

def sentinel_like(p):
    return np.full_like(p, 42.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bad_input_is_refused_before_any_write(dtype):
    x = np.random.default_rng(41).normal(size=(6, 4)).astype(dtype)
    labels = np.array([0, 1, 2, 3, 0, 1])
    scce = ok.losses.SparseCategoricalCrossentropy(from_logits=True)
    bad_calls = {
        "label out of range": (ValueError, "y_true", lambda g: scce.value_and_grad(
            np.array([0, 1, 2, 4, 0, 1]), x, grad_out=g)),
        "negative label": (ValueError, "y_true", lambda g: scce.value_and_grad(
            np.array([0, 1, 2, -1, 0, 1]), x, grad_out=g)),
        "float labels": (TypeError, "y_true", lambda g: scce.value_and_grad(
            labels.astype(dtype), x, grad_out=g)),
        "label shape": (ValueError, "y_true", lambda g: scce.value_and_grad(
            labels[:5], x, grad_out=g)),
        "dense shape": (ValueError, "y_true", lambda g: ok.losses.MeanSquaredError()
                        .value_and_grad(x[:, :3], x, grad_out=g)),
        "weight shape": (ValueError, "sample_weight", lambda g: scce.value_and_grad(
            labels, x, sample_weight=np.ones(5), grad_out=g)),
        "grad dtype": (TypeError, "grad_out", lambda g: scce.value_and_grad(
            labels, x, grad_out=g.astype(np.float64 if dtype == np.float32 else np.float32))),
        "grad shape": (ValueError, "grad_out", lambda g: scce.value_and_grad(
            labels, x, grad_out=np.zeros((6, 5), dtype))),
        "grad layout": (ValueError, "grad_out", lambda g: scce.value_and_grad(
            labels, x, grad_out=np.asfortranarray(np.zeros((6, 4), dtype)))),
        "grad strided": (ValueError, "grad_out", lambda g: scce.value_and_grad(
            labels, x, grad_out=np.zeros((6, 8), dtype)[:, ::2])),
        "grad not an array": (TypeError, "grad_out", lambda g: scce.value_and_grad(
            labels, x, grad_out=[[0.0] * 4] * 6)),
        "y_pred ints": (TypeError, "y_pred", lambda g: scce.value_and_grad(
            labels, np.zeros((6, 4), np.int64), grad_out=g)),
        "y_pred scalar": (ValueError, "y_pred", lambda g: ok.losses.MeanSquaredError()(
            np.float64(1.0), np.float64(2.0))),
    }
    for what, (error, name, call) in bad_calls.items():
        g = sentinel_like(x)
        with pytest.raises(error, match=name):
            call(g)
        np.testing.assert_array_equal(g, sentinel_like(x), err_msg=what)
    read_only = sentinel_like(x)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="grad_out"):
        scce.value_and_grad(labels, x, grad_out=read_only)
    overlapping = np.zeros(x.size + 4, dtype)
    view = overlapping[4:].reshape(x.shape)
    view[...] = x
    with pytest.raises(ValueError, match="grad_out"):
        scce.value_and_grad(labels, view, grad_out=overlapping[:-4].reshape(x.shape))


def test_bad_arguments():
    with pytest.raises(ValueError, match="reduction"):
        ok.losses.MeanSquaredError(reduction="avg")
    for bad in (float("nan"), -0.1, 1.5):
        with pytest.raises(ValueError, match="label_smoothing"):
            ok.losses.BinaryCrossentropy(label_smoothing=bad)
        with pytest.raises(ValueError, match="label_smoothing"):
            ok.losses.CategoricalCrossentropy(label_smoothing=bad)
    with pytest.raises(ValueError, match="z_loss"):
        ok.losses.CategoricalCrossentropy(from_logits=True, z_loss=-1.0)
    with pytest.raises(ValueError, match="delta"):
        ok.losses.Huber(delta=-1.0)


def test_any_integer_label_dtype():
    x = np.random.default_rng(51).normal(size=(5, 4))
    want = ok.losses.SparseCategoricalCrossentropy(from_logits=True)(np.arange(5) % 4, x)
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
                  np.uint64):
        labels = (np.arange(5) % 4).astype(dtype)
        assert ok.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, x) == want
    assert ok.losses.SparseCategoricalCrossentropy(from_logits=True)(
        (np.arange(5) % 4)[:, None], x) == want


@pytest.mark.parametrize("shape", [(64, 1000), (3, 32000), (300, 10), (8, 77)])
def test_softmax_gradient_within_a_few_ulp(shape):
    # The float32 softmax (e = exp(x − m) in float32 by the x ≤ 0 variant of
    # exp, s summed from float sums of four e, g = e·(1/s)) against float64
    # maths on the same float32 differences x − m: exp ≤ 2 ulp, a = 1/s and
    # the product e·a ½ ulp each, the float sums of four e a little more;
    # measured at most 2.8 ulp (the same bits on every ISA).
    rng = np.random.default_rng(shape[1])
    x = rng.normal(scale=4.0, size=shape).astype(np.float32)
    labels = rng.integers(0, shape[1], size=shape[0])
    loss = ok.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    d = (x - x.max(axis=1, keepdims=True)).astype(np.float64)
    e = np.exp(d)
    p = e / e.sum(axis=1, keepdims=True)
    off_label = np.ones(shape, bool)
    off_label[np.arange(shape[0]), labels] = False
    keep = off_label & (p > np.finfo(np.float32).tiny)
    for isa in ISAS:
        with running_on(isa, 1):
            _, g = loss.value_and_grad(labels, x)
        err = ulps32(g[keep], p[keep])
        assert err.max() <= 3.5, (isa, err.max())
