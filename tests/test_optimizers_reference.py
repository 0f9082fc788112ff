"""Every optimizer kernel against optkern.reference, element by element.

The kernels apply the reference's IEEE operations in the same order, with no
FMA contraction (-ffp-contract=off) and correctly rounded sqrt and division,
so without norm clipping they must agree *exactly* (0 ulp) on every ISA and
thread count. With clipnorm / global_clipnorm the norm is summed in a
different (fixed, lane-wise) order than np.sum, so the clip factor may differ
in its last bit: those cases use rtol 1e-6 (float32) / 1e-12 (float64).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ISAS, THREADS, running_on
from hypothesis import given, settings
from hypothesis import strategies as st

import optkern as ok
from optkern import reference as R
from optkern._registry import CASES

SMALL_SIZES = (0, 1, 15, 16, 17, 31, 33)
LARGE_SIZE = 1_000_003
STEPS = 20
DTYPES = (np.float32, np.float64)

# Every case of the registry: each optimizer, front end and flag combination.
CASES = [pytest.param(c.cls, c.reference, c.kwargs, c.exact, id=c.id) for c in CASES]


def make_problem(sizes, dtype, steps, seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(n).astype(dtype) for n in sizes]
    grads = [[rng.standard_normal(n).astype(dtype) for n in sizes] for _ in range(steps)]
    return params, grads


def run_reference(ref_cls, kwargs, params, grads):
    arrays = [p.copy() for p in params]
    opt = ref_cls(arrays, **kwargs)
    with np.errstate(all="ignore"):
        for g in grads:
            opt.step(g)
    return arrays


def run_kernel(ok_cls, kwargs, params, grads, isa, threads):
    arrays = [p.copy() for p in params]
    with running_on(isa, threads):
        opt = ok_cls(arrays, **kwargs)
        for g in grads:
            opt.step(g)
    assert opt.iterations == len(grads)
    return arrays


def assert_matches(got, want, exact, dtype):
    for a, b in zip(got, want):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            rtol = 1e-6 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ok_cls, ref_cls, kwargs, exact", CASES)
def test_small_sizes_every_isa(ok_cls, ref_cls, kwargs, exact, dtype):
    params, grads = make_problem(SMALL_SIZES, dtype, STEPS)
    want = run_reference(ref_cls, kwargs, params, grads)
    for isa in ISAS:
        got = run_kernel(ok_cls, kwargs, params, grads, isa, 1)
        assert_matches(got, want, exact, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ok_cls, ref_cls, kwargs, exact", CASES)
def test_large_odd_size_every_isa_and_thread_count(ok_cls, ref_cls, kwargs, exact, dtype):
    params, grads = make_problem([LARGE_SIZE], dtype, 3)
    want = run_reference(ref_cls, kwargs, params, grads)
    results = {}
    for isa in ISAS:
        for threads in THREADS:
            results[isa, threads] = got = run_kernel(ok_cls, kwargs, params, grads, isa, threads)
            assert_matches(got, want, exact, dtype)
    # Bit for bit across thread counts and ISAs, clipped or not.
    first = next(iter(results.values()))
    for got in results.values():
        np.testing.assert_array_equal(got[0], first[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_many_tensors_across_chunks_two_threads(dtype):
    """Tensors that straddle chunk boundaries, on two threads, 20 steps."""
    rng = np.random.default_rng(1)
    sizes = [int(n) for n in rng.integers(0, 70_000, size=40)]
    params, grads = make_problem(sizes, dtype, STEPS)
    for ok_cls, ref_cls, kwargs in [
            (ok.AdamW, R.keras.AdamW, dict(learning_rate=0.01, amsgrad=True)),
            (ok.torch.SGD, R.torch.SGD, dict(lr=0.01, momentum=0.9, weight_decay=0.1))]:
        want = run_reference(ref_cls, kwargs, params, grads)
        got = run_kernel(ok_cls, kwargs, params, grads, ISAS[-1], 2)
        assert_matches(got, want, True, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ok_cls, ref_cls, kwargs, exact", CASES)
def test_nonfinite_grads_follow_the_formula(ok_cls, ref_cls, kwargs, exact, dtype):
    params, grads = make_problem([33], dtype, 5)
    grads[1][0][3] = np.nan
    grads[2][0][5] = np.inf
    grads[3][0][7] = -np.inf
    want = run_reference(ref_cls, kwargs, params, grads)
    for isa in ISAS:
        got = run_kernel(ok_cls, kwargs, params, grads, isa, 1)
        assert_matches(got, want, exact, dtype)


def test_grads_are_never_modified():
    params, grads = make_problem([1000, 17], np.float32, 3)
    saved = [[g.copy() for g in step] for step in grads]
    opt = ok.Adam([p.copy() for p in params], clipnorm=0.1)
    for g in grads:
        opt.step(g)
    for g, s in zip(grads, saved):
        for a, b in zip(g, s):
            np.testing.assert_array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 300),
    lr=st.floats(0, 1),
    beta_1=st.floats(0, 0.999),
    beta_2=st.floats(0, 0.9999),
    epsilon=st.floats(0, 1),
    weight_decay=st.floats(0, 0.5),
    amsgrad=st.booleans(),
    torch_convention=st.booleans(),
    dtype=st.sampled_from(DTYPES),
)
def test_adam_property_exact_for_any_hyperparameters(n, lr, beta_1, beta_2, epsilon,
                                                     weight_decay, amsgrad, torch_convention,
                                                     dtype):
    params, grads = make_problem([n], dtype, 4, seed=n)
    if torch_convention:
        kw = dict(lr=lr, betas=(beta_1, beta_2), eps=epsilon, weight_decay=weight_decay,
                  amsgrad=amsgrad)
        ok_cls, ref_cls = ok.torch.Adam, R.torch.Adam
    else:
        kw = dict(learning_rate=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                  weight_decay=weight_decay, amsgrad=amsgrad)
        ok_cls, ref_cls = ok.Adam, R.keras.Adam
    want = run_reference(ref_cls, kw, params, grads)
    got = run_kernel(ok_cls, kw, params, grads, ISAS[-1], 1)
    assert_matches(got, want, True, dtype)
