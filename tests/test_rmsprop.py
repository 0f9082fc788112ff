"""RMSprop beyond the generic registry tests: parity with ``torch.optim.RMSprop``
for every flag combination (centered x momentum x weight_decay x maximize,
float32 and float64, torch's single-tensor and foreach paths), param groups
with their own flags, options switched on between steps, the slots each
configuration keeps under Keras's and torch's names, known values, and
validation that names the bad hyperparameter and modifies nothing.

Torch tolerances are those of tests/test_torch_parity.py (rtol = atol = 1e-6
float32, rtol 1e-12 / atol 1e-14 float64), with float32 widened to 2e-6 where
momentum is on: momentum amplifies rounding by up to 1/(1 - μ) = 10, as for
SGD. Largest shares of the tolerance used (torch 2.13.0+cpu, 50 steps, every
case here): float32 0.17 plain, 0.13 centered, 0.34 with momentum (2e-6);
float64 at most 0.07.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import optkern as ok
from optkern import reference as R

torch = pytest.importorskip("torch")

from test_torch_parity import DTYPES, STEPS, TOL, run_both  # noqa: E402

SLOTS = ("square_avg", "momentum_buffer", "grad_avg")
FLAGS = [dict(centered=c, momentum=m, weight_decay=wd, maximize=mx)
         for c, m, wd, mx in itertools.product((False, True), (0.0, 0.9), (0.0, 0.05),
                                               (False, True))]


def _id(d):
    return "-".join(f"{k}={v}" for k, v in d.items())


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _tol(dtype, momentum):
    if dtype == np.float32 and momentum:
        return 2e-6, 2e-6
    return TOL[dtype]


def _compare(ok_opt, ok_params, th_opt, th_params, grouped, dtype, momentum):
    rtol, atol = _tol(dtype, momentum)
    sd = ok_opt.state_dict()
    assert sd["step"] == STEPS
    arrays = {k for k, v in sd.items() if isinstance(v, np.ndarray)
              and not k.startswith("param_groups/")}
    expected = set()
    for gi, (ops, tps) in enumerate(zip(ok_params, th_params)):
        for i, (p, t) in enumerate(zip(ops, tps)):
            np.testing.assert_allclose(p, t.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"param {gi}/{i}")
            suffix = f"{gi}/{i}" if grouped else f"{i}"
            tstate = th_opt.state[t]
            assert set(tstate) <= {"step", *SLOTS}
            for slot in SLOTS:
                if slot in tstate:
                    key = f"{slot}/{suffix}"
                    expected.add(key)
                    np.testing.assert_allclose(sd[key], tstate[slot].numpy(), rtol=rtol,
                                               atol=atol, err_msg=key)
    # exactly torch's slots, under torch's names
    assert arrays == expected
    for gi, tgroup in enumerate(th_opt.param_groups):
        for name in ok_opt.defaults:
            assert sd[f"param_groups/{gi}/{name}"] == tgroup[name], name


# -- torch parity ------------------------------------------------------------------------
@pytest.mark.parametrize("foreach", [False, True], ids=["single", "foreach"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("flags", FLAGS, ids=_id)
def test_matches_torch_every_flag_combination(flags, dtype, foreach):
    res = run_both(ok.torch.RMSprop, torch.optim.RMSprop, dtype, dict(lr=0.01, **flags),
                   torch_options=dict(foreach=foreach))
    _compare(*res, dtype, flags["momentum"] > 0)


GROUP_SHAPES = [[(17,), (33, 5)], [(1,), (0,), (9,)], [(40,)], [(6, 2)]]
GROUP_OPTIONS = [{"lr": 0.02, "centered": True},
                 {"momentum": 0.5, "alpha": 0.9, "weight_decay": 0.01},
                 {"centered": True, "momentum": 0.9, "eps": 1e-4, "maximize": True},
                 {}]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_matches_torch_with_param_groups_of_their_own_flags(dtype):
    res = run_both(ok.torch.RMSprop, torch.optim.RMSprop, dtype, dict(lr=0.01),
                   group_shapes=GROUP_SHAPES, group_options=GROUP_OPTIONS, seed=2)
    _compare(*res, dtype, True)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_matches_torch_with_lr_and_alpha_changed_between_steps(dtype):
    def schedule(step, group, base):
        return base * 0.97 ** step

    res = run_both(ok.torch.RMSprop, torch.optim.RMSprop, dtype, dict(lr=0.01, momentum=0.5),
                   group_shapes=GROUP_SHAPES, group_options=GROUP_OPTIONS, lr_schedule=schedule,
                   seed=3)
    _compare(*res, dtype, True)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_flags_switched_on_before_the_first_step_match_torch(dtype):
    """torch makes its state on the first step, so flags set before it count."""
    rng = np.random.default_rng(4)
    p0 = [rng.standard_normal(n).astype(dtype) for n in (5, 8)]
    grads = [[rng.standard_normal(n).astype(dtype) for n in (5, 8)] for _ in range(STEPS)]
    mine = [p.copy() for p in p0]
    theirs = [torch.from_numpy(p.copy()) for p in p0]
    opt = ok.torch.RMSprop(mine, lr=0.01)
    topt = torch.optim.RMSprop(theirs, lr=0.01)
    for group in (opt.param_groups[0], topt.param_groups[0]):
        group.update(momentum=0.9, centered=True)
    for g in grads:
        opt.step([x.copy() for x in g])
        for t, x in zip(theirs, g):
            t.grad = torch.from_numpy(x.copy())
        topt.step()
    _compare(opt, [mine], topt, [theirs], False, dtype, True)


def test_flags_switched_on_later_start_their_slots_at_zero():
    """After steps without them, momentum and centered start from zero slots
    (the reference, whose slots stay zero while unused, continues alike)."""
    rng = np.random.default_rng(5)
    p0 = [rng.standard_normal(n).astype(np.float32) for n in (7, 16)]
    grads = [[rng.standard_normal(n).astype(np.float32) for n in (7, 16)] for _ in range(10)]
    mine, ref_params = [p.copy() for p in p0], [p.copy() for p in p0]
    opt = ok.torch.RMSprop(mine, lr=0.01)
    ref = R.torch.RMSprop(ref_params, lr=0.01)
    for k, g in enumerate(grads):
        if k == 5:
            opt.param_groups[0].update(momentum=0.9, centered=True)
            ref.momentum, ref.centered = 0.9, True
            started = opt.state_dict()
            for i in range(2):
                np.testing.assert_array_equal(started[f"momentum_buffer/{i}"], 0.0)
                np.testing.assert_array_equal(started[f"grad_avg/{i}"], 0.0)
        opt.step(g)
        ref.step(g)
    sd = opt.state_dict()
    for i in range(2):
        np.testing.assert_array_equal(mine[i], ref_params[i])
        np.testing.assert_array_equal(sd[f"momentum_buffer/{i}"], ref.momentum_buffer[i])
        np.testing.assert_array_equal(sd[f"grad_avg/{i}"], ref.grad_avg[i])


# -- slots -----------------------------------------------------------------------------------
@pytest.mark.parametrize("momentum, centered, slots", [
    (0.0, False, {"velocity"}),
    (0.5, False, {"velocity", "momentum"}),
    (0.0, True, {"velocity", "average_gradient"}),
    (0.5, True, {"velocity", "momentum", "average_gradient"}),
])
def test_keras_slots_named_as_keras(momentum, centered, slots):
    params = {"W": np.ones((2, 3), np.float32)}
    opt = ok.RMSprop(params, momentum=momentum, centered=centered)
    opt.step({"W": np.full((2, 3), 0.5, np.float32)})
    sd = opt.state_dict()
    assert {k for k in sd if "/" in k} == {f"{s}/W" for s in slots}


# -- known values --------------------------------------------------------------------------
def test_keras_known_value_epsilon_inside_the_square_root():
    # keras.optimizers.RMSprop(learning_rate=0.1) on var²/2 from 10 gives 9.683772:
    # v = 0.1*100 = 10; p = 10 - 0.1*10/sqrt(10 + 1e-7).
    var = np.array([10.0], np.float32)
    ok.RMSprop([var], learning_rate=0.1).step([var.copy()])
    np.testing.assert_allclose(var, [9.683772], rtol=1e-7)
    # a large epsilon shows where it goes: sqrt(v + ε), not sqrt(v) + ε
    var = np.array([10.0])
    ok.RMSprop([var], learning_rate=0.1, epsilon=6.0).step([var.copy()])
    np.testing.assert_allclose(var, [10.0 - 1.0 / 4.0], rtol=1e-15)


def test_torch_known_value_epsilon_outside_the_square_root():
    # v = 0.01*100 = 1; p = 10 - 0.01*10/(sqrt(1) + 1) with eps = 1
    var = np.array([10.0])
    ok.torch.RMSprop([var], lr=0.01, eps=1.0).step([np.array([10.0])])
    np.testing.assert_allclose(var, [10.0 - 0.1 / 2.0], rtol=1e-15)


# -- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(rho=-0.1), ValueError, "rho"),
    (dict(rho=1.01), ValueError, "rho"),
    (dict(rho=float("nan")), ValueError, "rho"),
    (dict(momentum=-0.1), ValueError, "momentum"),
    (dict(momentum=float("inf")), ValueError, "momentum"),
    (dict(epsilon=-1e-7), ValueError, "epsilon"),
    (dict(centered=1), TypeError, "centered"),
    (dict(rho="0.9"), TypeError, "rho"),
    (dict(learning_rate=-1.0), ValueError, "learning_rate"),
    (dict(weight_decay=-0.1), ValueError, "weight_decay"),
    (dict(clipnorm=1.0, global_clipnorm=1.0), ValueError, "only one of"),
])
def test_keras_hyperparameters_checked(kwargs, exc, match):
    p = np.ones(3, np.float32)
    with pytest.raises(exc, match=match):
        ok.RMSprop([p], **kwargs)
    np.testing.assert_array_equal(p, 1.0)


def test_keras_hyperparameters_fixed():
    opt = ok.RMSprop([np.ones(3)], rho=0.8, momentum=0.5, epsilon=1e-6, centered=True)
    assert (opt.rho, opt.momentum, opt.epsilon, opt.centered) == (0.8, 0.5, 1e-6, True)
    for name in ("rho", "momentum", "epsilon", "centered"):
        with pytest.raises(AttributeError, match=name):
            setattr(opt, name, 0.1)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(alpha=-0.01), ValueError, "alpha"),
    (dict(alpha=1.5), ValueError, "alpha"),
    (dict(eps=-1e-8), ValueError, "eps"),
    (dict(momentum=-0.5), ValueError, "momentum"),
    (dict(weight_decay=-1.0), ValueError, "weight_decay"),
    (dict(lr=-0.01), ValueError, "lr"),
    (dict(centered="yes"), TypeError, "centered"),
    (dict(maximize=0), TypeError, "maximize"),
])
def test_torch_hyperparameters_checked(kwargs, exc, match):
    p = np.ones(3, np.float32)
    with pytest.raises(exc, match=match):
        ok.torch.RMSprop([p], **kwargs)
    np.testing.assert_array_equal(p, 1.0)


def _grouped():
    params = [np.ones(4, np.float32), np.ones(3, np.float32)]
    opt = ok.torch.RMSprop([{"params": [params[0]], "momentum": 0.9},
                            {"params": [params[1]], "centered": True}], lr=0.1)
    grads = [[np.full(4, 0.5, np.float32)], [np.full(3, -0.5, np.float32)]]
    opt.step(grads)
    return opt, params, grads


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.parametrize("option, value, match", [
    ("alpha", 1.2, r"param_groups\[1\]: alpha"),
    ("eps", -1.0, r"param_groups\[1\]: eps"),
    ("momentum", -0.9, r"param_groups\[1\]: momentum"),
    ("centered", None, r"param_groups\[1\]: centered"),
])
def test_group_edit_refused_and_nothing_modified(option, value, match):
    opt, params, grads = _grouped()
    before, sd = [p.copy() for p in params], opt.state_dict()
    good = opt.param_groups[1][option]
    opt.param_groups[1][option] = value
    with pytest.raises((ValueError, TypeError), match=match):
        opt.step(grads)
    for p, q in zip(params, before):
        np.testing.assert_array_equal(p, q)
    assert opt.iterations == 1
    opt.param_groups[1][option] = good
    _assert_same_state(opt.state_dict(), sd)


def test_bad_state_dict_refused_and_nothing_modified():
    opt, params, grads = _grouped()
    sd = opt.state_dict()
    bad = dict(sd, **{"param_groups/0/alpha": 2.0})
    with pytest.raises(ValueError, match="alpha"):
        opt.load_state_dict(bad)
    _assert_same_state(opt.state_dict(), sd)
    bad = dict(sd, **{"square_avg/1/0": np.ones(4, np.float32)})
    with pytest.raises(ValueError, match="square_avg"):
        opt.load_state_dict(bad)
    _assert_same_state(opt.state_dict(), sd)


@pytest.mark.parametrize("make", [
    lambda p: ok.RMSprop(p, momentum=0.5, centered=True),
    lambda p: ok.torch.RMSprop(p, momentum=0.5, centered=True),
], ids=["keras", "torch"])
def test_bad_grads_refused_and_nothing_modified(make):
    params = {"W": np.ones((2, 3), np.float32), "b": np.ones(3, np.float32)}
    opt = make(params)
    good = {"W": np.full((2, 3), 0.5, np.float32), "b": np.full(3, -0.5, np.float32)}
    opt.step(good)
    before, sd = {k: v.copy() for k, v in params.items()}, opt.state_dict()
    for bad in ({**good, "b": good["b"].astype(np.float64)},
                {**good, "W": np.ones((3, 2), np.float32)},
                {"W": good["W"]}):
        with pytest.raises((TypeError, ValueError)):
            opt.step(bad)
        for k in params:
            np.testing.assert_array_equal(params[k], before[k])
        _assert_same_state(opt.state_dict(), sd)
    assert opt.iterations == 1
