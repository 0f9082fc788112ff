"""Training controls of the Keras-convention optimizers (EMA, gradient
accumulation, weight-decay exclusion, skip_nonfinite) against the NumPy model
in controls_model.py, bit for bit: every Keras optimizer of the registry,
float32 and float64, every ISA, one and two threads."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ISAS, THREADS, running_on
from controls_model import ControlsModel

import optkern as ok
from optkern._registry import cases

KERAS = cases("keras")
IDS = [c.id for c in KERAS]
DTYPES = (np.float32, np.float64)
# 0, 1 and lane-width sizes, several control blocks, and enough elements in all
# for two threads to split the work.
SIZES = (0, 1, 17, 2500, 17000)
CALLS = 9

CONTROLS = {
    "ema": dict(use_ema=True, ema_momentum=0.9),
    "ema-overwrite": dict(use_ema=True, ema_momentum=0.99, ema_overwrite_frequency=3),
    "accum2": dict(gradient_accumulation_steps=2),
    "accum3-ema": dict(gradient_accumulation_steps=3, use_ema=True, ema_momentum=0.5,
                       ema_overwrite_frequency=2),
    "accum4": dict(gradient_accumulation_steps=4),
}


def problem(dtype, calls=CALLS, sizes=SIZES, seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(n).astype(dtype) for n in sizes]
    grads = [[rng.standard_normal(n).astype(dtype) for n in sizes] for _ in range(calls)]
    return params, grads


def run_model(case, controls, params, grads, skip=False, no_decay=None):
    arrays = [p.copy() for p in params]
    model = ControlsModel(case.reference, arrays, case.kwargs, no_decay=no_decay, **controls)
    returned = [model.step(g, skip) if skip else (model.step(g), None)[1] for g in grads]
    return arrays, model, returned


def run_optkern(case, controls, params, grads, isa, threads, skip=False, exclude=None):
    arrays = [p.copy() for p in params]
    with running_on(isa, threads):
        opt = case.cls(arrays, **case.kwargs, **controls)
        if exclude is not None:
            opt.exclude_from_weight_decay(var_names=exclude)
        returned = [opt.step(g, skip_nonfinite=skip) for g in grads]
    return arrays, opt, returned


def assert_same(opt, arrays, model, want):
    for a, b in zip(arrays, want):
        np.testing.assert_array_equal(a, b)
    sd = opt.state_dict()
    if model.use_ema:
        for i, s in enumerate(model.avg):
            np.testing.assert_array_equal(sd[f"average/{i}"], s)
    if model.k:
        for i, a in enumerate(model.acc):
            np.testing.assert_array_equal(sd[f"gradient_accumulator/{i}"], a)
    assert opt.iterations == model.calls
    assert sd.get("skipped_steps", 0) == model.skipped


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", CONTROLS)
@pytest.mark.parametrize("case", KERAS, ids=IDS)
def test_controls_match_the_model_every_isa_and_thread_count(case, name, dtype):
    controls = CONTROLS[name]
    params, grads = problem(dtype)
    want, model, _ = run_model(case, controls, params, grads)
    for isa in ISAS:
        for threads in THREADS:
            got, opt, returned = run_optkern(case, controls, params, grads, isa, threads)
            assert returned == [None] * CALLS  # a plain step returns None
            assert_same(opt, got, model, want)


# The EMA runs inside each optimizer's kernel loop, on the update's result:
# sizes on both sides of every lane width (4 and 8 doubles, 8 and 16 floats)
# reach the vector body and each remainder path, and 20001 elements in all
# split across two threads off a lane boundary.
LANE_SIZES = (2, 3, 4, 5, 7, 8, 9, 15, 16, 31, 32, 33, 47, 63, 65, 20001)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["ema", "ema-overwrite", "accum3-ema"])
@pytest.mark.parametrize("case", KERAS, ids=IDS)
def test_ema_matches_the_model_at_lane_width_sizes(case, name, dtype):
    controls = CONTROLS[name]
    params, grads = problem(dtype, calls=7, sizes=LANE_SIZES, seed=1)
    want, model, _ = run_model(case, controls, params, grads)
    for isa in ISAS:
        for threads in THREADS:
            got, opt, _ = run_optkern(case, controls, params, grads, isa, threads)
            assert_same(opt, got, model, want)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("controls", [{}, CONTROLS["accum3-ema"]], ids=["plain", "accum3-ema"])
@pytest.mark.parametrize("case", KERAS, ids=IDS)
def test_skip_nonfinite_matches_the_model(case, controls, dtype):
    params, grads = problem(dtype, calls=10, sizes=(5, 17000, 33))
    grads[1][0][2] = np.nan          # first tensor
    grads[3][1][16999] = np.inf      # last element of the large tensor
    grads[4][2][0] = -np.inf         # last tensor, on a call that would update (k=3)
    grads[7][1][9000] = np.nan
    grads[7][2][3] = np.inf          # two tensors at once
    want, model, want_returned = run_model(case, controls, params, grads, skip=True)
    assert model.skipped == 4
    for isa in ISAS:
        for threads in THREADS:
            got, opt, returned = run_optkern(case, controls, params, grads, isa, threads,
                                             skip=True)
            assert returned == want_returned
            assert opt.skipped_steps == 4
            assert_same(opt, got, model, want)


@pytest.mark.parametrize("case", KERAS, ids=IDS)
def test_skipped_call_leaves_everything_untouched(case):
    params, grads = problem(np.float32, calls=3, sizes=(40, 7))
    opt = case.cls(params, **case.kwargs, use_ema=True, gradient_accumulation_steps=2)
    opt.step(grads[0])
    before = opt.state_dict()
    params_before = [p.copy() for p in params]
    bad = [g.copy() for g in grads[1]]
    bad[1][6] = np.nan
    assert opt.step(bad, skip_nonfinite=True) is False
    after = opt.state_dict()
    assert after.pop("skipped_steps") == 1 and before.pop("skipped_steps") == 0
    assert set(after) == set(before)
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)
    for p, q in zip(params, params_before):
        np.testing.assert_array_equal(p, q)
    assert opt.step(grads[1], skip_nonfinite=True) is True and opt.iterations == 2


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("case", [c for c in KERAS if "weight_decay" in c.kwargs
                                  or c.name == "AdamW"], ids=lambda c: c.id)
def test_exclude_from_weight_decay_matches_the_model(case, dtype):
    names = ["dense/kernel", "dense/bias", "norm/gamma", "out/kernel", "out/bias"]
    rng = np.random.default_rng(3)
    sizes = (300, 17, 17, 17000, 3)
    params = {n: rng.standard_normal(s).astype(dtype) for n, s in zip(names, sizes)}
    grads = [{n: rng.standard_normal(s).astype(dtype) for n, s in zip(names, sizes)}
             for _ in range(6)]
    no_decay = [bool(("bias" in n) or ("gamma" in n)) for n in names]
    want = [p.copy() for p in params.values()]
    model = ControlsModel(case.reference, want, case.kwargs, no_decay=no_decay)
    for g in grads:
        model.step(list(g.values()))
    for isa in ISAS:
        for threads in THREADS:
            got = {n: p.copy() for n, p in params.items()}
            with running_on(isa, threads):
                opt = case.cls(got, **case.kwargs)
                opt.exclude_from_weight_decay(var_names=["bias", "gam+a"])
                for g in grads:
                    opt.step(g)
            for a, b in zip(got.values(), want):
                np.testing.assert_array_equal(a, b)


def test_exclusion_by_group_key_and_by_array():
    rng = np.random.default_rng(4)
    W, b, W2 = (rng.standard_normal(n) for n in (20, 5, 9))
    g = [{"W": np.ones(20), "b": np.ones(5)}, [np.ones(9)]]
    opt = ok.SGD([{"params": {"W": W.copy(), "b": b.copy()}}, {"params": [W2.copy()]}],
                 learning_rate=0.1, weight_decay=0.5)
    # keys are "0/W", "0/b", "1/0": "^1/" matches the second group's tensor
    opt.exclude_from_weight_decay(var_names=["^1/", "/b$"])
    opt.step(g)
    p = opt.params
    np.testing.assert_array_equal(p[0], (W - W * (0.1 * 0.5)) - 0.1 * np.ones(20))
    np.testing.assert_array_equal(p[1], b - 0.1 * np.ones(5))
    np.testing.assert_array_equal(p[2], W2 - 0.1 * np.ones(9))
    # var_list: the arrays themselves; each call replaces the previous exclusion
    arrays = [W.copy(), b.copy()]
    opt = ok.SGD(arrays, learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["0"])
    opt.exclude_from_weight_decay(var_list=[arrays[1]])
    opt.step([np.ones(20), np.ones(5)])
    np.testing.assert_array_equal(arrays[0], (W - W * (0.1 * 0.5)) - 0.1 * np.ones(20))
    np.testing.assert_array_equal(arrays[1], b - 0.1 * np.ones(5))


def test_exclusion_after_the_first_step_is_refused():
    opt = ok.AdamW([np.ones(3)])
    opt.step([np.ones(3)])
    with pytest.raises(ValueError, match="exclude_from_weight_decay"):
        opt.exclude_from_weight_decay(var_names=["0"])
    with pytest.raises(ValueError, match="var_list"):
        ok.AdamW([np.ones(3)]).exclude_from_weight_decay(var_list=[np.ones(3)])
    with pytest.raises(TypeError, match="var_names"):
        ok.AdamW([np.ones(3)]).exclude_from_weight_decay(var_names="bias")


def test_schedule_with_accumulation_is_evaluated_at_the_update_count():
    seen = []

    def schedule(step):
        seen.append(step)
        return 0.1 / (1 + step)

    opt = ok.SGD([np.zeros(2)], learning_rate=schedule, gradient_accumulation_steps=3)
    for _ in range(9):
        opt.step([np.ones(2)])
    assert seen == [0, 1, 2]
    assert opt.iterations == 9 and opt.update_iterations == 3
    np.testing.assert_array_equal(opt.params[0], -(0.1 + 0.1 / 2 + 0.1 / 3) * np.ones(2))


def test_finalize_variable_values_copies_the_averages():
    p = [np.full(4, 2.0)]
    opt = ok.SGD(p, learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    opt.step([np.ones(4)])   # p = 1, s = p (first call)
    opt.step([np.ones(4)])   # p = 0, s = 0.5*1 + 0.5*0
    np.testing.assert_array_equal(p[0], np.zeros(4))
    opt.finalize_variable_values()
    np.testing.assert_array_equal(p[0], np.full(4, 0.5))
    q = [np.ones(2)]
    ok.SGD(q).finalize_variable_values()  # no EMA: nothing
    np.testing.assert_array_equal(q[0], np.ones(2))


def test_grads_are_never_modified_by_accumulation():
    params, grads = problem(np.float32, calls=4, sizes=(100, 20000))
    saved = [[g.copy() for g in step] for step in grads]
    opt = ok.Adam(params, gradient_accumulation_steps=2, use_ema=True, global_clipnorm=0.5)
    for g in grads:
        opt.step(g, skip_nonfinite=True)
    for g, s in zip(grads, saved):
        for a, b in zip(g, s):
            np.testing.assert_array_equal(a, b)


def test_huge_finite_grads_are_not_skipped():
    """float64 squares overflow above 1e154: the norm is inf, the grads finite;
    the call runs (and, as Keras, a non-finite global norm makes the update NaN)."""
    p = [np.ones(3)]
    opt = ok.SGD(p, global_clipnorm=1.0)
    assert opt.step([np.full(3, 1e200)], skip_nonfinite=True) is True
    assert np.isnan(p[0]).all() and opt.skipped_steps == 0
