"""Nadam (Keras) and NAdam (torch): what the registry-driven generic tests do not
cover — validation naming each hyperparameter, refused calls that modify nothing,
the momentum-product state (Keras ``u_product``, torch per-tensor ``mu_product``),
torch parity for every flag combination and for parameter groups, and Keras's own
float32 formula."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import optkern as ok
from optkern import reference as R

DTYPES = [np.float32, np.float64]
SIZES = (1, 17, 33)


def _problem(dtype, steps, seed=0, sizes=SIZES):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(n).astype(dtype) for n in sizes]
    grads = [[rng.standard_normal(n).astype(dtype) for n in sizes] for _ in range(steps)]
    return params, grads


def _bits(arrays):
    return [a.tobytes() for a in arrays]


def _snapshot(opt):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v)
            for k, v in opt.state_dict().items()}


def _same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            assert a[k].tobytes() == b[k].tobytes() and a[k].dtype == b[k].dtype, k
        else:
            assert a[k] == b[k], k


# -- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, name, error", [
    (dict(beta_1=1.0), "beta_1", ValueError),
    (dict(beta_1=-0.1), "beta_1", ValueError),
    (dict(beta_1=math.nan), "beta_1", ValueError),
    (dict(beta_1="0.9"), "beta_1", TypeError),
    (dict(beta_2=1.0), "beta_2", ValueError),
    (dict(beta_2=-1e-9), "beta_2", ValueError),
    (dict(epsilon=-1e-7), "epsilon", ValueError),
    (dict(epsilon=math.inf), "epsilon", ValueError),
    (dict(learning_rate=-0.1), "learning_rate", ValueError),
    (dict(weight_decay=-0.1), "weight_decay", ValueError),
    (dict(clipnorm=0.0), "clipnorm", ValueError),
    (dict(clipvalue=1.0, clipnorm=1.0), "clipnorm", ValueError),
])
def test_keras_validation_names_the_hyperparameter(kwargs, name, error):
    p = np.ones(3, np.float32)
    with pytest.raises(error, match=name):
        ok.Nadam([p], **kwargs)
    assert np.array_equal(p, np.ones(3, np.float32))


@pytest.mark.parametrize("kwargs, name, error", [
    (dict(betas=(1.0, 0.999)), r"betas\[0\]", ValueError),
    (dict(betas=(-0.1, 0.999)), r"betas\[0\]", ValueError),
    (dict(betas=(0.9, 1.0)), r"betas\[1\]", ValueError),
    (dict(betas=(0.9, math.nan)), r"betas\[1\]", ValueError),
    (dict(betas=(0.9,)), "betas", ValueError),
    (dict(eps=-1e-8), "eps", ValueError),
    (dict(momentum_decay=-1e-3), "momentum_decay", ValueError),
    (dict(momentum_decay=math.inf), "momentum_decay", ValueError),
    (dict(momentum_decay="0.004"), "momentum_decay", TypeError),
    (dict(weight_decay=-0.1), "weight_decay", ValueError),
    (dict(lr=-1e-3), "lr", ValueError),
    (dict(decoupled_weight_decay=1), "decoupled_weight_decay", TypeError),
    (dict(maximize="yes"), "maximize", TypeError),
])
def test_torch_validation_names_the_hyperparameter(kwargs, name, error):
    p = np.ones(3, np.float32)
    with pytest.raises(error, match=name):
        ok.torch.NAdam([p], **kwargs)
    # ... and an edited group is refused before the step touches anything
    params, grads = _problem(np.float32, 3)
    opt = ok.torch.NAdam(params, lr=0.01)
    opt.step(grads[0])
    before, state = [p.copy() for p in params], _snapshot(opt)
    opt.param_groups[0].update({k: v for k, v in kwargs.items()})
    with pytest.raises(error, match=name):
        opt.step(grads[1])
    assert _bits(params) == _bits(before)
    assert opt.iterations == 1
    opt.param_groups[0].update(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                               momentum_decay=4e-3, decoupled_weight_decay=False,
                               maximize=False)
    _same_state(_snapshot(opt), state)


def test_torch_signature_follows_torch():
    p = np.ones(2)
    opt = ok.torch.NAdam([p], 1e-3, (0.8, 0.9), 1e-6, 0.1, 0.01, True, maximize=True)
    g = opt.param_groups[0]
    assert (g["lr"], g["betas"], g["eps"], g["weight_decay"], g["momentum_decay"],
            g["decoupled_weight_decay"], g["maximize"]) == (1e-3, (0.8, 0.9), 1e-6, 0.1, 0.01,
                                                            True, True)
    d = ok.torch.NAdam([np.ones(2)]).defaults
    assert d == dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                     momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False)
    with pytest.raises(TypeError):
        ok.torch.NAdam([p], 1e-3, (0.8, 0.9), 1e-6, 0.1, 0.01, True, False)  # maximize: keyword


@pytest.mark.parametrize("front_end", ["keras", "torch"])
def test_a_refused_step_modifies_nothing(front_end):
    params, grads = _problem(np.float32, 3)
    opt = ok.Nadam(params) if front_end == "keras" else ok.torch.NAdam(params)
    opt.step(grads[0])
    before, state = [p.copy() for p in params], _snapshot(opt)
    bad = [grads[1][0], grads[1][1], np.zeros(5, np.float32)]  # wrong size
    with pytest.raises(ValueError):
        opt.step(bad)
    bad = [grads[1][0], grads[1][1], grads[1][2].astype(np.float64)]  # wrong dtype
    with pytest.raises((TypeError, ValueError)):
        opt.step(bad)
    assert _bits(params) == _bits(before)
    _same_state(_snapshot(opt), state)
    opt.step(grads[1])  # and it continues as if the refused calls never happened
    ref_params = [p.copy() for p in _problem(np.float32, 3)[0]]
    ref = R.keras.Nadam(ref_params) if front_end == "keras" else R.torch.NAdam(ref_params)
    ref.step(grads[0])
    ref.step(grads[1])
    assert _bits(params) == _bits(ref_params)


# -- Keras: the u_product ------------------------------------------------------------------
def test_keras_u_product_is_the_running_product_in_double():
    params, grads = _problem(np.float64, 5)
    opt = ok.Nadam(params, beta_1=0.8)
    assert opt.u_product == 1.0 and opt.state_dict()["u_product"] == 1.0
    want = 1.0
    for t, g in enumerate(grads, start=1):
        opt.step(g)
        want = want * (0.8 * (1.0 - 0.5 * 0.96 ** t))
        assert opt.u_product == want
    assert opt.state_dict()["u_product"] == want


def test_keras_state_dict_resume_and_strictness():
    params, grads = _problem(np.float32, 10, seed=2)
    straight = [p.copy() for p in params]
    opt = ok.Nadam(straight, learning_rate=0.01)
    for g in grads:
        opt.step(g)

    first = [p.copy() for p in params]
    opt1 = ok.Nadam(first, learning_rate=0.01)
    for g in grads[:4]:
        opt1.step(g)
    sd = opt1.state_dict()

    # strict: u_product is required, and must be a number in [0, 1]
    for bad, error in [(None, ValueError), (1.5, ValueError), (-0.1, ValueError),
                       (math.nan, ValueError), ("0.5", TypeError)]:
        target = ok.Nadam([p.copy() for p in first], learning_rate=0.01)
        target.step(grads[0])
        state = _snapshot(target)
        broken = dict(sd)
        if bad is None:
            del broken["u_product"]
        else:
            broken["u_product"] = bad
        with pytest.raises(error, match="u_product"):
            target.load_state_dict(broken)
        _same_state(_snapshot(target), state)

    # a good one continues bit for bit
    resumed = [p.copy() for p in first]
    opt2 = ok.Nadam(resumed, learning_rate=0.01)
    opt2.load_state_dict(sd)
    assert opt2.u_product == opt1.u_product
    for g in grads[4:]:
        opt2.step(g)
    assert _bits(resumed) == _bits(straight)
    assert opt2.u_product == opt.u_product

    # not strict, without u_product: the product its iterations imply
    resumed = [p.copy() for p in first]
    opt3 = ok.Nadam(resumed, learning_rate=0.01)
    opt3.load_state_dict({k: v for k, v in sd.items() if k != "u_product"}, strict=False)
    assert opt3.u_product == opt1.u_product
    for g in grads[4:]:
        opt3.step(g)
    assert _bits(resumed) == _bits(straight)


def test_keras_groups_share_one_product_and_match_the_reference():
    params, grads = _problem(np.float32, 12, seed=4)
    mine = [p.copy() for p in params]
    opt = ok.Nadam([{"params": mine[:1], "learning_rate": 0.05},
                    {"params": mine[1:], "weight_decay": 0.1}], learning_rate=0.01)
    a = [p.copy() for p in params[:1]]
    b = [p.copy() for p in params[1:]]
    ref_a = R.keras.Nadam(a, learning_rate=0.05)
    ref_b = R.keras.Nadam(b, learning_rate=0.01, weight_decay=0.1)
    for g in grads:
        opt.step([g[:1], g[1:]])
        ref_a.step(g[:1])
        ref_b.step(g[1:])
    assert _bits(mine) == _bits(a + b)
    assert opt.u_product == ref_a.u_product == ref_b.u_product


def test_keras_schedule_matches_the_reference():
    params, grads = _problem(np.float32, 15, seed=5)
    schedule = lambda step: 0.01 / (1.0 + step)  # noqa: E731
    mine, theirs = [p.copy() for p in params], [p.copy() for p in params]
    opt, ref = ok.Nadam(mine, learning_rate=schedule), R.keras.Nadam(theirs,
                                                                     learning_rate=schedule)
    for g in grads:
        opt.step(g)
        ref.step(g)
    assert _bits(mine) == _bits(theirs)


@pytest.mark.parametrize("kwargs", [dict(), dict(beta_1=0.5, beta_2=0.9, epsilon=1e-3),
                                    dict(learning_rate=0.01, weight_decay=0.05)])
def test_keras_matches_keras_float32_formula(kwargs):
    """A plain transcription of keras.optimizers.Nadam's update in float32 (its
    variables' dtype), in Keras's own order: the folded coefficients of optkern
    round differently, so they agree to float32 precision, not bit for bit."""
    f = np.float32
    lr, b1 = kwargs.get("learning_rate", 0.001), kwargs.get("beta_1", 0.9)
    b2, eps, wd = kwargs.get("beta_2", 0.999), kwargs.get("epsilon", 1e-7), kwargs.get(
        "weight_decay")
    params, grads = _problem(np.float32, 50, seed=6)
    mine = [p.copy() for p in params]
    opt = ok.Nadam(mine, **kwargs)
    ps = [p.copy() for p in params]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    u_product = f(1.0)
    for it, g in enumerate(grads):
        opt.step(g)
        t, t1 = f(it + 1), f(it + 2)
        u_product = u_product * f(b1) * (f(1.0) - f(0.5) * f(0.96) ** t)
        u_t = f(b1) * (f(1.0) - f(0.5) * f(0.96) ** t)
        u_t_1 = f(b1) * (f(1.0) - f(0.5) * f(0.96) ** t1)
        u_product_t_1 = u_product * u_t_1
        for p, gi, m, v in zip(ps, g, ms, vs):
            if wd:
                p -= p * f(lr * wd)
            m += (gi - m) * (f(1) - f(b1))
            v += (gi * gi - v) * (f(1) - f(b2))
            m_hat = u_t_1 * m / (f(1) - u_product_t_1) + (f(1) - u_t) * gi / (f(1) - u_product)
            v_hat = v / (f(1) - f(b2) ** t)
            p -= m_hat * f(lr) / (np.sqrt(v_hat) + f(eps))
    for a, b in zip(mine, ps):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


# -- torch: parity for every flag combination ----------------------------------------------
COMBOS = list(itertools.product([0.0, 0.05], [False, True], [False, True], [4e-3, 0.1, 0.0]))
PARITY_TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def _torch_run(torch, params, grads, groups_of, kwargs, edit=None):
    theirs = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    topt = torch.optim.NAdam(groups_of(theirs), **kwargs)
    for i, g in enumerate(grads):
        if edit is not None:
            edit(i, topt.param_groups)
        for t, gi in zip(theirs, g):
            t.grad = torch.from_numpy(gi.copy())
        topt.step()
    return theirs, topt


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("wd, decoupled, maximize, psi", COMBOS,
                         ids=[f"wd{w}-dec{d}-max{m}-psi{p}" for w, d, m, p in COMBOS])
def test_matches_torch_for_every_flag_combination(wd, decoupled, maximize, psi, dtype):
    torch = pytest.importorskip("torch")
    kwargs = dict(lr=0.01, weight_decay=wd, decoupled_weight_decay=decoupled,
                  momentum_decay=psi, maximize=maximize)
    params, grads = _problem(dtype, 50, seed=3)
    mine = [p.copy() for p in params]
    opt = ok.torch.NAdam(mine, **kwargs)
    for g in grads:
        opt.step(g)
    theirs, topt = _torch_run(torch, params, grads, lambda ps: ps, kwargs)
    for a, t in zip(mine, theirs):
        np.testing.assert_allclose(a, t.detach().numpy(), **PARITY_TOL[dtype])
    # torch's state names and its float32 mu_product, to the bit
    sd = opt.state_dict()
    for i, t in enumerate(theirs):
        tstate = topt.state[t]
        assert set(tstate) == {"step", "exp_avg", "exp_avg_sq", "mu_product"}
        assert {k.split("/")[0] for k in sd if k.endswith(f"/{i}")
                and not k.startswith("param_groups/")} == set(tstate) - {"step"}
        mu = sd[f"mu_product/{i}"]
        assert mu.shape == () and mu.dtype == np.float32
        assert mu.tobytes() == tstate["mu_product"].numpy().tobytes()
        assert sd["step"] == int(tstate["step"])
        np.testing.assert_allclose(sd[f"exp_avg/{i}"], tstate["exp_avg"].numpy(),
                                   **PARITY_TOL[dtype])
        np.testing.assert_allclose(sd[f"exp_avg_sq/{i}"], tstate["exp_avg_sq"].numpy(),
                                   **PARITY_TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_matches_torch_with_param_groups_and_edits(dtype):
    """Groups with their own lr, betas, momentum_decay and weight decay, and lr and
    momentum_decay edited between steps, as torch allows."""
    torch = pytest.importorskip("torch")
    params, grads = _problem(dtype, 50, seed=8, sizes=(5, 17, 33, 2))
    kwargs = dict(lr=0.01, weight_decay=0.01)

    def groups_of(ps):
        return [{"params": ps[:1], "lr": 0.03, "betas": (0.8, 0.99)},
                {"params": ps[1:3], "momentum_decay": 0.05, "decoupled_weight_decay": True},
                {"params": ps[3:], "lr": 0.002, "maximize": True, "weight_decay": 0.0}]

    def edit(i, groups):
        if i == 20:
            groups[0]["lr"] = 0.005
            groups[2]["momentum_decay"] = 0.2

    mine = [p.copy() for p in params]
    opt = ok.torch.NAdam(groups_of(mine), **kwargs)
    for i, g in enumerate(grads):
        edit(i, opt.param_groups)
        opt.step([g[:1], g[1:3], g[3:]])
    theirs, topt = _torch_run(torch, params, grads, groups_of, kwargs, edit)
    for a, t in zip(mine, theirs):
        np.testing.assert_allclose(a, t.detach().numpy(), **PARITY_TOL[dtype])
    sd = opt.state_dict()
    for key, t in zip(["0/0", "1/0", "1/1", "2/0"], theirs):
        assert sd[f"mu_product/{key}"].tobytes() == topt.state[t]["mu_product"].numpy().tobytes()


# -- torch: the per-tensor mu_product ------------------------------------------------------
def test_torch_state_dict_mu_product_checks_modify_nothing():
    params, grads = _problem(np.float32, 4)
    opt = ok.torch.NAdam(params)
    opt.step(grads[0])
    sd = opt.state_dict()
    target = ok.torch.NAdam([p.copy() for p in params])
    target.step(grads[1])
    state = _snapshot(target)
    cases = [
        ({"mu_product/0": np.array(0.5)}, TypeError),                     # float64
        ({"mu_product/0": np.array([0.5], np.float32)}, ValueError),      # shape (1,)
        ({"mu_product/0": 0.5}, TypeError),                               # not an array
        ({"mu_product/0": np.array(1.5, np.float32)}, ValueError),        # above 1
        ({"mu_product/0": np.array(np.nan, np.float32)}, ValueError),
        ({"mu_product/7": np.array(0.5, np.float32)}, ValueError),        # unknown key
        ({"exp_avg/0": np.zeros(3, np.float32)}, ValueError),             # another entry
    ]
    for change, error in cases:
        with pytest.raises(error, match="mu_product|exp_avg"):
            target.load_state_dict({**sd, **change})
        _same_state(_snapshot(target), state)
    missing = {k: v for k, v in sd.items() if k != "mu_product/1"}
    with pytest.raises(ValueError, match="mu_product/1"):
        target.load_state_dict(missing)
    _same_state(_snapshot(target), state)


def test_torch_resume_and_missing_mu_product_when_not_strict():
    params, grads = _problem(np.float32, 10, seed=9)
    straight = [p.copy() for p in params]
    opt = ok.torch.NAdam(straight, momentum_decay=0.05)
    for g in grads:
        opt.step(g)
    first = [p.copy() for p in params]
    opt1 = ok.torch.NAdam(first, momentum_decay=0.05)
    for g in grads[:6]:
        opt1.step(g)
    sd = opt1.state_dict()
    for strip in (False, True):
        resumed = [p.copy() for p in first]
        opt2 = ok.torch.NAdam(resumed)  # options come from the state dict
        if strip:  # the product the step implies under the loaded options
            opt2.load_state_dict({k: v for k, v in sd.items()
                                  if not k.startswith("mu_product/")}, strict=False)
        else:
            opt2.load_state_dict(sd)
        for g in grads[6:]:
            opt2.step(g)
        assert _bits(resumed) == _bits(straight)
        _same_state(_snapshot(opt2), _snapshot(opt))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_torch_tensors_of_one_group_may_carry_different_products(dtype):
    """A state dict may give the tensors of one group different mu_product values
    (torch keeps one per tensor): each tensor then continues with its own."""
    params, grads = _problem(dtype, 8, seed=10)
    mine = [p.copy() for p in params]
    opt = ok.torch.NAdam(mine, lr=0.01)
    opt.step(grads[0])
    sd = opt.state_dict()
    products = [np.float32(0.25), np.float32(0.5), np.float32(0.0625)]
    for i, x in enumerate(products):
        sd[f"mu_product/{i}"] = np.array(x, np.float32)
    opt.load_state_dict(sd)

    theirs = [p.copy() for p in params]
    ref = R.torch.NAdam(theirs, lr=0.01)
    ref.step(grads[0])
    ref.mu_product = list(products)
    for g in grads[1:]:
        opt.step(g)
        ref.step(g)
    assert _bits(mine) == _bits(theirs)
    sd = opt.state_dict()
    for i in range(3):
        assert sd[f"mu_product/{i}"].tobytes() == np.float32(ref.mu_product[i]).tobytes()


def test_exported_names():
    assert ok.Nadam is ok.keras.Nadam and "Nadam" in ok.__all__ and "Nadam" in dir(ok)
    assert "Nadam" in ok.keras.__all__ and "NAdam" in ok.torch.__all__
    assert ok.reference.keras.Nadam and ok.reference.torch.NAdam
