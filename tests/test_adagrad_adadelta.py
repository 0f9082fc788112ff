"""Adagrad and Adadelta beyond the registry's generic tests: defaults, the
accumulator's starting value, hyperparameter checks that name the bad value
and modify nothing, torch's state names and values, param groups, doctests."""

from __future__ import annotations

import doctest
import importlib
import inspect
import math

import numpy as np
import pytest

import optkern as ok
from optkern import reference as R


def _problem(dtype=np.float32, steps=10, sizes=(1, 17, 33), seed=5):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(n).astype(dtype) for n in sizes]
    grads = [[rng.standard_normal(n).astype(dtype) for n in sizes] for _ in range(steps)]
    return params, grads


def _defaults(cls):
    return {k: v.default for k, v in inspect.signature(cls).parameters.items()
            if v.default is not inspect.Parameter.empty}


# -- defaults ----------------------------------------------------------------------------
def test_keras_defaults():
    controls = dict(use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                    gradient_accumulation_steps=None)  # every Keras optimizer's, as Keras
    assert _defaults(ok.Adagrad) == dict(learning_rate=0.001, initial_accumulator_value=0.1,
                                         epsilon=1e-7, weight_decay=None, clipnorm=None,
                                         clipvalue=None, global_clipnorm=None, **controls)
    assert _defaults(ok.Adadelta) == dict(learning_rate=0.001, rho=0.95, epsilon=1e-7,
                                          weight_decay=None, clipnorm=None, clipvalue=None,
                                          global_clipnorm=None, **controls)


def test_torch_defaults():
    assert _defaults(ok.torch.Adagrad) == dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                                               initial_accumulator_value=0.0, eps=1e-10,
                                               maximize=False)
    assert _defaults(ok.torch.Adadelta) == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0,
                                                maximize=False)


@pytest.mark.parametrize("name", ["Adagrad", "Adadelta"])
def test_torch_defaults_are_torchs(name):
    torch = pytest.importorskip("torch")
    theirs = _defaults(getattr(torch.optim, name))
    for key, value in _defaults(getattr(ok.torch, name)).items():
        assert theirs[key] == value, key


@pytest.mark.parametrize("name", ["Adagrad", "Adadelta"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_torch_parity_with_defaults(name, dtype):
    torch = pytest.importorskip("torch")
    params, grads = _problem(dtype, steps=50)
    mine = [p.copy() for p in params]
    opt = getattr(ok.torch, name)(mine)
    theirs = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    topt = getattr(torch.optim, name)(theirs)
    for g in grads:
        opt.step(g)
        for t, gi in zip(theirs, g):
            t.grad = torch.from_numpy(gi.copy())
        topt.step()
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for a, t in zip(mine, theirs):
        np.testing.assert_allclose(a, t.detach().numpy(), **tol)


# -- the accumulator's starting value ----------------------------------------------------
def test_keras_adagrad_accumulator_starts_at_initial_value():
    params = [np.zeros(3, np.float32), np.zeros((2, 2))]
    sd = ok.Adagrad(params).state_dict()
    np.testing.assert_array_equal(sd["accumulator/0"], np.full(3, 0.1, np.float32))
    np.testing.assert_array_equal(sd["accumulator/1"], np.full((2, 2), 0.1))
    sd = ok.Adagrad(params, initial_accumulator_value=0.0).state_dict()
    assert not sd["accumulator/0"].any()


def test_torch_adagrad_sum_starts_at_the_constructors_initial_value():
    """As torch: a group's own initial_accumulator_value is kept, not used."""
    groups = [{"params": [np.zeros(3)], "initial_accumulator_value": 0.5},
              {"params": [np.zeros(2, np.float32)]}]
    opt = ok.torch.Adagrad(groups, initial_accumulator_value=0.25)
    sd = opt.state_dict()
    np.testing.assert_array_equal(sd["sum/0/0"], np.full(3, 0.25))
    np.testing.assert_array_equal(sd["sum/1/0"], np.full(2, 0.25, np.float32))
    assert sd["param_groups/0/initial_accumulator_value"] == 0.5


def test_torch_state_names_and_values_are_torchs():
    torch = pytest.importorskip("torch")
    params, grads = _problem(np.float64, steps=7)
    for name, kwargs in [("Adagrad", dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.2)),
                         ("Adadelta", dict(rho=0.8, weight_decay=0.1))]:
        opt = getattr(ok.torch, name)([p.copy() for p in params], **kwargs)
        theirs = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
        topt = getattr(torch.optim, name)(theirs, **kwargs)
        for g in grads:
            opt.step(g)
            for t, gi in zip(theirs, g):
                t.grad = torch.from_numpy(gi.copy())
            topt.step()
        sd, tsd = opt.state_dict(), topt.state_dict()
        for i in range(len(params)):
            tstate = tsd["state"][i]
            assert set(tstate) == set(opt._slots) | {"step"}
            assert int(tstate["step"]) == sd["step"] == len(grads)
            for slot in opt._slots:
                np.testing.assert_allclose(sd[f"{slot}/{i}"], tstate[slot].numpy(),
                                           rtol=1e-12, atol=1e-14)
        for key, value in tsd["param_groups"][0].items():
            if key in opt.defaults:
                assert sd[f"param_groups/0/{key}"] == value, key


def test_torch_param_groups_match_torch():
    torch = pytest.importorskip("torch")
    params, grads = _problem(np.float64, steps=30)
    groups = lambda ps: [{"params": ps[:1], "lr": 0.3, "initial_accumulator_value": 1.0},
                         {"params": ps[1:], "lr_decay": 0.05, "weight_decay": 0.1}]
    mine = [p.copy() for p in params]
    opt = ok.torch.Adagrad(groups(mine), lr=0.1)
    theirs = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    topt = torch.optim.Adagrad(groups(theirs), lr=0.1)
    for k, g in enumerate(grads):
        if k == 10:  # an edit between steps, as torch allows
            opt.param_groups[1]["lr"] = topt.param_groups[1]["lr"] = 0.02
        opt.step([g[:1], g[1:]])
        for t, gi in zip(theirs, g):
            t.grad = torch.from_numpy(gi.copy())
        topt.step()
    for a, t in zip(mine, theirs):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_torch_lr_decay_uses_the_step_count():
    """η' = η/(1 + (t − 1)·lr_decay): with s fixed by a huge initial value the
    steps shrink exactly as 1, 1/2, 1/3 for lr_decay = 1."""
    p = np.zeros(1)
    opt = ok.torch.Adagrad([p], lr=1.0, lr_decay=1.0, initial_accumulator_value=1e30, eps=0.0)
    moves = []
    for _ in range(3):
        before = p.copy()
        opt.step([np.ones(1)])
        moves.append(float(before[0] - p[0]))
    np.testing.assert_allclose(np.array(moves) * 1e15, [1.0, 1 / 2, 1 / 3], rtol=1e-12)


def test_keras_schedule_matches_reference():
    params, grads = _problem(np.float32, steps=6)
    schedule = lambda step: 0.1 / (1 + step)
    for cls, ref in [(ok.Adagrad, R.keras.Adagrad), (ok.Adadelta, R.keras.Adadelta)]:
        mine, want = [p.copy() for p in params], [p.copy() for p in params]
        opt, r = cls(mine, learning_rate=schedule), ref(want, learning_rate=schedule)
        for g in grads:
            opt.step(g)
            r.step(g)
        for a, b in zip(mine, want):
            np.testing.assert_array_equal(a, b)


# -- hyperparameter checks ---------------------------------------------------------------
BAD = [
    (lambda p: ok.Adagrad(p, initial_accumulator_value=-0.1), ValueError,
     "initial_accumulator_value"),
    (lambda p: ok.Adagrad(p, initial_accumulator_value=math.inf), ValueError,
     "initial_accumulator_value"),
    (lambda p: ok.Adagrad(p, initial_accumulator_value="0.1"), TypeError,
     "initial_accumulator_value"),
    (lambda p: ok.Adagrad(p, epsilon=-1e-7), ValueError, "epsilon"),
    (lambda p: ok.Adagrad(p, epsilon=math.nan), ValueError, "epsilon"),
    (lambda p: ok.Adagrad(p, learning_rate=-1.0), ValueError, "learning_rate"),
    (lambda p: ok.Adagrad(p, weight_decay=-0.1), ValueError, "weight_decay"),
    (lambda p: ok.Adagrad(p, clipnorm=0.0), ValueError, "clipnorm"),
    (lambda p: ok.Adadelta(p, rho=-0.01), ValueError, "rho"),
    (lambda p: ok.Adadelta(p, rho=1.01), ValueError, "rho"),
    (lambda p: ok.Adadelta(p, rho=True), TypeError, "rho"),
    (lambda p: ok.Adadelta(p, epsilon=-1.0), ValueError, "epsilon"),
    (lambda p: ok.Adadelta(p, clipvalue=-1.0), ValueError, "clipvalue"),
    (lambda p: ok.torch.Adagrad(p, lr=-0.1), ValueError, "lr"),
    (lambda p: ok.torch.Adagrad(p, lr_decay=-0.1), ValueError, "lr_decay"),
    (lambda p: ok.torch.Adagrad(p, weight_decay=-0.1), ValueError, "weight_decay"),
    (lambda p: ok.torch.Adagrad(p, initial_accumulator_value=-0.1), ValueError,
     "initial_accumulator_value"),
    (lambda p: ok.torch.Adagrad(p, eps=-1e-10), ValueError, "eps"),
    (lambda p: ok.torch.Adagrad([{"params": p, "initial_accumulator_value": -1.0}]), ValueError,
     "initial_accumulator_value"),
    (lambda p: ok.torch.Adadelta([{"params": p, "rho": 2.0}]), ValueError, "rho"),
    (lambda p: ok.torch.Adagrad(p, maximize=1), TypeError, "maximize"),
    (lambda p: ok.torch.Adadelta(p, rho=-0.1), ValueError, "rho"),
    (lambda p: ok.torch.Adadelta(p, rho=1.5), ValueError, "rho"),
    (lambda p: ok.torch.Adadelta(p, eps=-1e-6), ValueError, "eps"),
    (lambda p: ok.torch.Adadelta(p, lr=math.inf), ValueError, "lr"),
    (lambda p: ok.torch.Adadelta(p, weight_decay=-1.0), ValueError, "weight_decay"),
    (lambda p: ok.torch.Adadelta(p, maximize="no"), TypeError, "maximize"),
]


@pytest.mark.parametrize("make, exc, name", BAD, ids=[f"{i}-{b[2]}" for i, b in enumerate(BAD)])
def test_bad_hyperparameter_is_named_and_nothing_modified(make, exc, name):
    params = [np.ones(4, np.float32)]
    with pytest.raises(exc, match=rf"\b{name}\b"):
        make(params)
    np.testing.assert_array_equal(params[0], np.ones(4, np.float32))


@pytest.mark.parametrize("make", [lambda p: ok.Adadelta(p, rho=0.0),
                                  lambda p: ok.Adadelta(p, rho=1.0),
                                  lambda p: ok.torch.Adadelta(p, rho=0.0),
                                  lambda p: ok.torch.Adadelta(p, rho=1.0),
                                  lambda p: ok.Adagrad(p, initial_accumulator_value=0.0,
                                                       epsilon=0.0),
                                  lambda p: ok.torch.Adagrad(p, eps=0.0, lr_decay=0.0)])
def test_edge_values_are_accepted(make):
    make([np.ones(4)]).step([np.ones(4)])


def _state(opt, params):
    return [p.copy() for p in params], opt.state_dict()


def _assert_same(opt, params, before):
    saved_params, saved_state = before
    for a, b in zip(params, saved_params):
        np.testing.assert_array_equal(a, b)
    state = opt.state_dict()
    assert state.keys() == saved_state.keys()
    for k, v in saved_state.items():
        np.testing.assert_array_equal(state[k], v)


@pytest.mark.parametrize("cls, option, bad", [
    (ok.torch.Adagrad, "lr_decay", -1.0),
    (ok.torch.Adagrad, "initial_accumulator_value", -1.0),
    (ok.torch.Adagrad, "eps", -1.0),
    (ok.torch.Adadelta, "rho", 1.5),
    (ok.torch.Adadelta, "eps", -1.0),
])
def test_torch_edited_group_refused_before_anything_changes(cls, option, bad):
    params, grads = _problem(np.float32, steps=2)
    opt = cls(params)
    opt.step(grads[0])
    before = _state(opt, params)
    good = opt.param_groups[0][option]
    opt.param_groups[0][option] = bad
    with pytest.raises(ValueError, match=rf"\b{option}\b"):
        opt.step(grads[1])
    opt.param_groups[0][option] = good
    _assert_same(opt, params, before)
    opt.step(grads[1])
    assert opt.iterations == 2


@pytest.mark.parametrize("cls, option, bad", [
    (ok.torch.Adagrad, "lr_decay", -1.0),
    (ok.torch.Adadelta, "rho", -0.5),
])
def test_torch_bad_state_dict_option_refused_and_nothing_modified(cls, option, bad):
    params, grads = _problem(np.float32, steps=2)
    opt = cls(params)
    opt.step(grads[0])
    sd = opt.state_dict()
    opt.step(grads[1])
    before = _state(opt, params)
    sd[f"param_groups/0/{option}"] = bad
    with pytest.raises(ValueError, match=rf"\b{option}\b"):
        opt.load_state_dict(sd)
    _assert_same(opt, params, before)


@pytest.mark.parametrize("make", [lambda p: ok.Adagrad(p), lambda p: ok.Adadelta(p),
                                  lambda p: ok.torch.Adagrad(p), lambda p: ok.torch.Adadelta(p)])
def test_bad_grads_refused_and_nothing_modified(make):
    params, grads = _problem(np.float32, steps=2)
    opt = make(params)
    opt.step(grads[0])
    before = _state(opt, params)
    bad = [grads[1][0], grads[1][1].astype(np.float64), grads[1][2]]
    with pytest.raises(TypeError, match=r"grads\[1\]|grads"):
        opt.step(bad)
    _assert_same(opt, params, before)


@pytest.mark.parametrize("cls, attr", [(ok.Adagrad, "initial_accumulator_value"),
                                       (ok.Adagrad, "epsilon"), (ok.Adadelta, "rho"),
                                       (ok.Adadelta, "epsilon")])
def test_keras_hyperparameters_are_fixed(cls, attr):
    opt = cls([np.ones(2)])
    assert getattr(opt, attr) == _defaults(cls)[attr]
    with pytest.raises(AttributeError, match=attr):
        setattr(opt, attr, 0.5)


@pytest.mark.parametrize("module", ["optkern.keras.adagrad", "optkern.keras.adadelta",
                                    "optkern.torch.adagrad", "optkern.torch.adadelta"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_found_by_name():
    assert ok.optimizers.get("adagrad") is ok.Adagrad is ok.optimizers.Adagrad
    opt = ok.optimizers.get({"class_name": "Adadelta", "config": {"rho": 0.5}}, [np.ones(2)])
    assert isinstance(opt, ok.Adadelta) and opt.rho == 0.5
