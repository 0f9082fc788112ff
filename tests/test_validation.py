"""Bad input is refused with an error naming the argument, before anything
is modified; NaN/inf inside gradients are not errors."""

from __future__ import annotations

import numpy as np
import pytest

import optkern as ok

OPTIMIZERS = [
    lambda p: ok.SGD(p, momentum=0.9),
    lambda p: ok.Adam(p, amsgrad=True),
    lambda p: ok.AdamW(p),
    lambda p: ok.torch.SGD(p, momentum=0.9),
    lambda p: ok.torch.Adam(p, amsgrad=True),
    lambda p: ok.torch.AdamW(p),
    lambda p: ok.Adagrad(p),
    lambda p: ok.Adadelta(p),
    lambda p: ok.torch.Adagrad(p, lr_decay=0.1),
    lambda p: ok.torch.Adadelta(p),
]


def make(make_opt, dtype=np.float32):
    params = {"W1": np.ones((3, 4), dtype), "b1": np.ones(4, dtype)}
    opt = make_opt(params)
    good = {"W1": np.full((3, 4), 0.5, dtype), "b1": np.full(4, 0.5, dtype)}
    opt.step(good)  # nonzero state
    return opt, params, good


def snapshot(opt, params):
    return {k: v.copy() for k, v in params.items()}, opt.state_dict()


def assert_unchanged(opt, params, snap):
    before_params, before_state = snap
    for k in params:
        np.testing.assert_array_equal(params[k], before_params[k])
    after_state = opt.state_dict()
    assert after_state.keys() == before_state.keys()
    for k, v in before_state.items():
        np.testing.assert_array_equal(after_state[k], v)


BAD_GRADS = [
    ("dtype", lambda g: {**g, "b1": g["b1"].astype(np.float64)}, TypeError, r"grads\['b1'\]"),
    ("int dtype", lambda g: {**g, "b1": g["b1"].astype(np.int32)}, TypeError, r"grads\['b1'\]"),
    ("shape", lambda g: {**g, "W1": np.ones((4, 3), np.float32)}, ValueError, r"grads\['W1'\]"),
    ("not an array", lambda g: {**g, "b1": [0.5] * 4}, TypeError, r"grads\['b1'\]"),
    ("non-contiguous", lambda g: {**g, "W1": np.ones((4, 3), np.float32).T}, ValueError,
     r"grads\['W1'\].*C-contiguous"),
    ("missing key", lambda g: {"W1": g["W1"]}, ValueError, "b1"),
    ("extra key", lambda g: {**g, "c": g["b1"]}, ValueError, "'c'"),
    ("not a dict", lambda g: list(g.values()), TypeError, "grads"),
    ("big-endian", lambda g: {**g, "b1": g["b1"].astype(">f4")}, TypeError, r"grads\['b1'\]"),
]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
@pytest.mark.parametrize("name, corrupt, exc, match", BAD_GRADS, ids=[b[0] for b in BAD_GRADS])
def test_bad_grads_refused_and_nothing_modified(make_opt, name, corrupt, exc, match):
    opt, params, good = make(make_opt)
    snap = snapshot(opt, params)
    with pytest.raises(exc, match=match):
        opt.step(corrupt(good))
    assert_unchanged(opt, params, snap)
    assert opt.iterations == 1


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_grad_sharing_memory_with_param_or_state(make_opt):
    opt, params, good = make(make_opt)
    snap = snapshot(opt, params)
    with pytest.raises(ValueError, match="shares memory"):
        opt.step({"W1": params["W1"], "b1": good["b1"]})
    # A view into another tensor's parameter is caught as well.
    big = np.ones(20, np.float32)
    opt2 = make_opt({"a": big[:12].reshape(3, 4), "b": np.ones(4, np.float32)})
    with pytest.raises(ValueError, match="shares memory"):
        opt2.step({"a": np.ones((3, 4), np.float32), "b": big[:12][8:12]})
    assert_unchanged(opt, params, snap)


def test_params_sharing_memory_refused_at_construction():
    base = np.ones(8, np.float32)
    with pytest.raises(ValueError, match=r"params\[0\] and params\[1\] share memory"):
        ok.Adam([base[:6], base[4:]])
    np.testing.assert_array_equal(base, 1.0)


@pytest.mark.parametrize("cls", [ok.SGD, ok.Adam, ok.torch.SGD, ok.torch.Adam])
def test_bad_params_refused_at_construction(cls):
    ro = np.ones(3, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[0\].*read-only"):
        cls([ro])
    with pytest.raises(ValueError, match=r"params\['w'\].*C-contiguous"):
        cls({"w": np.ones((3, 3), np.float32)[:, 1]})
    with pytest.raises(TypeError, match=r"params\[1\].*float32 or float64"):
        cls([np.ones(2), np.ones(2, np.int64)])
    with pytest.raises(TypeError, match="params"):
        cls(np.ones(3))
    with pytest.raises(TypeError, match=r"params\[0\]"):
        cls([[1.0, 2.0]])


@pytest.mark.parametrize("kwargs, match", [
    (dict(learning_rate=-1.0), "learning_rate"),
    (dict(learning_rate=float("nan")), "learning_rate"),
    (dict(beta_1=1.0), "beta_1"),
    (dict(beta_2=-0.1), "beta_2"),
    (dict(epsilon=-1e-7), "epsilon"),
    (dict(epsilon=float("inf")), "epsilon"),
    (dict(weight_decay=-0.1), "weight_decay"),
    (dict(clipnorm=0.0), "clipnorm"),
    (dict(clipvalue=-1.0), "clipvalue"),
    (dict(clipnorm=1.0, clipvalue=1.0), "only one of"),
])
def test_keras_hyperparameters_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ok.Adam([np.ones(3, np.float32)], **kwargs)


@pytest.mark.parametrize("cls, kwargs, match", [
    (ok.torch.Adam, dict(lr=-1e-3), "lr"),
    (ok.torch.Adam, dict(betas=(0.9, 1.0)), r"betas\[1\]"),
    (ok.torch.Adam, dict(betas=(-0.1, 0.9)), r"betas\[0\]"),
    (ok.torch.Adam, dict(betas=(0.9,)), "betas"),
    (ok.torch.Adam, dict(eps=-1.0), "eps"),
    (ok.torch.AdamW, dict(weight_decay=float("inf")), "weight_decay"),
    (ok.torch.SGD, dict(momentum=-0.5), "momentum"),
    (ok.torch.SGD, dict(nesterov=True), "nesterov"),
    (ok.torch.SGD, dict(momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (ok.SGD, dict(momentum=1.5), "momentum"),
])
def test_torch_hyperparameters_checked(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([np.ones(3, np.float32)], **kwargs)


def test_group_edit_checked_before_step_and_nothing_modified():
    p = [np.ones(3, np.float32)]
    opt = ok.torch.Adam(p, lr=0.1)
    opt.step([np.ones(3, np.float32)])
    before = p[0].copy()
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr"):
        opt.step([np.ones(3, np.float32)])
    np.testing.assert_array_equal(p[0], before)
    assert opt.iterations == 1


def test_schedule_returning_bad_value_refused():
    p = [np.ones(3, np.float32)]
    opt = ok.Adam(p, learning_rate=lambda step: -0.1)
    with pytest.raises(ValueError, match=r"learning_rate\(0\)"):
        opt.step([np.ones(3, np.float32)])
    np.testing.assert_array_equal(p[0], 1.0)
    assert opt.iterations == 0


def test_unknown_group_option_refused():
    with pytest.raises(ValueError, match="unknown param group option"):
        ok.torch.Adam([{"params": [np.ones(2)], "learning_rate": 0.1}])
    with pytest.raises(ValueError, match="'params'"):
        ok.torch.Adam([{"lr": 0.1}])


def test_wrong_grad_count_for_lists():
    opt = ok.Adam([np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="grads has 1 entry; expected 2"):
        opt.step([np.ones(2)])


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_nan_and_inf_in_grads_do_not_raise(make_opt):
    opt, params, good = make(make_opt)
    g = {k: v.copy() for k, v in good.items()}
    g["W1"][0, 0] = np.nan
    g["b1"][1] = np.inf
    opt.step(g)
    assert np.isnan(params["W1"][0, 0])
    assert np.all(np.isfinite(params["W1"].ravel()[1:]))


def test_set_num_threads_checked():
    with pytest.raises(ValueError, match="n must be >= 1"):
        ok.set_num_threads(0)
    with pytest.raises(TypeError):
        ok.set_num_threads(1.5)


def test_keras_hyperparameters_fixed_but_learning_rate_reassignable():
    p = [np.ones(3)]
    opt = ok.Adam(p, beta_1=0.8)
    assert opt.beta_1 == 0.8 and opt.amsgrad is False and opt.weight_decay is None
    with pytest.raises(AttributeError, match="beta_1 is fixed"):
        opt.beta_1 = 0.5
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -0.1
    opt.learning_rate = 0.5
    opt.step([np.ones(3)])
    q = [np.ones(3)]
    ok.Adam(q, learning_rate=0.5, beta_1=0.8).step([np.ones(3)])
    np.testing.assert_array_equal(p[0], q[0])
