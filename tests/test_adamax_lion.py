"""Adamax and Lion beyond the registry's generic tests: validation (each bad
hyperparameter named, nothing modified by a refused call), torch's state names
and defaults, Lion against a hand-written scalar rule of the paper and optax,
sign(0) = 0 and NaN propagation on every ISA."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ISAS, running_on

import optkern as ok
from optkern import reference as R

F32 = np.float32


def _params():
    return {"W": np.linspace(-1, 1, 12, dtype=F32).reshape(3, 4), "b": np.ones(5, F32)}


def _grads(scale=0.5):
    return {"W": np.full((3, 4), scale, F32), "b": np.linspace(-2, 2, 5, dtype=F32)}


def _snapshot(opt, params):
    return {k: v.copy() for k, v in params.items()}, opt.state_dict()


def _assert_unchanged(opt, params, snap):
    before, state = snap
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    after = opt.state_dict()
    assert after.keys() == state.keys()
    for k, v in state.items():
        np.testing.assert_array_equal(after[k], v)


# -- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kwargs, exc, match", [
    (ok.Adamax, dict(beta_1=1.0), ValueError, "beta_1"),
    (ok.Adamax, dict(beta_1=-0.1), ValueError, "beta_1"),
    (ok.Adamax, dict(beta_2=1.0), ValueError, "beta_2"),
    (ok.Adamax, dict(beta_2=float("nan")), ValueError, "beta_2"),
    (ok.Adamax, dict(epsilon=-1e-7), ValueError, "epsilon"),
    (ok.Adamax, dict(epsilon=float("inf")), ValueError, "epsilon"),
    (ok.Adamax, dict(epsilon="1e-7"), TypeError, "epsilon"),
    (ok.Adamax, dict(learning_rate=-1.0), ValueError, "learning_rate"),
    (ok.Adamax, dict(weight_decay=-0.1), ValueError, "weight_decay"),
    (ok.Adamax, dict(clipnorm=1.0, clipvalue=1.0), ValueError, "only one of"),
    (ok.Lion, dict(beta_1=0.0), ValueError, "beta_1"),  # Keras: (0, 1]
    (ok.Lion, dict(beta_1=1.5), ValueError, "beta_1"),
    (ok.Lion, dict(beta_1=True), TypeError, "beta_1"),
    (ok.Lion, dict(beta_2=-0.1), ValueError, "beta_2"),
    (ok.Lion, dict(beta_2=1.01), ValueError, "beta_2"),
    (ok.Lion, dict(learning_rate=float("nan")), ValueError, "learning_rate"),
    (ok.Lion, dict(weight_decay=float("inf")), ValueError, "weight_decay"),
    (ok.Lion, dict(clipvalue=0.0), ValueError, "clipvalue"),
    (ok.torch.Adamax, dict(lr=-1e-3), ValueError, "lr"),
    (ok.torch.Adamax, dict(betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
    (ok.torch.Adamax, dict(betas=(0.9, 1.0)), ValueError, r"betas\[1\]"),
    (ok.torch.Adamax, dict(betas=(0.9,)), ValueError, "betas"),
    (ok.torch.Adamax, dict(eps=-1.0), ValueError, "eps"),
    (ok.torch.Adamax, dict(weight_decay=-0.1), ValueError, "weight_decay"),
    (ok.torch.Adamax, dict(maximize=1), TypeError, "maximize"),
    (ok.torch.Lion, dict(lr=float("inf")), ValueError, "lr"),
    (ok.torch.Lion, dict(betas=(1.1, 0.99)), ValueError, r"betas\[0\]"),
    (ok.torch.Lion, dict(betas=(0.9, -0.5)), ValueError, r"betas\[1\]"),
    (ok.torch.Lion, dict(betas=0.9), ValueError, "betas"),
    (ok.torch.Lion, dict(weight_decay=-1.0), ValueError, "weight_decay"),
    (ok.torch.Lion, dict(maximize="no"), TypeError, "maximize"),
])
def test_bad_hyperparameters_are_named(cls, kwargs, exc, match):
    params = _params()
    before = {k: v.copy() for k, v in params.items()}
    with pytest.raises(exc, match=match):
        cls(params, **kwargs)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_keras_lion_accepts_beta_1_one_and_beta_2_bounds():
    for kw in (dict(beta_1=1.0), dict(beta_2=0.0), dict(beta_2=1.0), dict(beta_1=1e-9)):
        ok.Lion(_params(), **kw)
    for kw in (dict(betas=(0.0, 0.0)), dict(betas=(1.0, 1.0))):
        ok.torch.Lion(_params(), **kw)


@pytest.mark.parametrize("cls, name", [(ok.Adamax, "beta_1"), (ok.Adamax, "beta_2"),
                                       (ok.Adamax, "epsilon"), (ok.Lion, "beta_1"),
                                       (ok.Lion, "beta_2")])
def test_keras_hyperparameters_are_fixed(cls, name):
    opt = cls(_params())
    with pytest.raises(AttributeError, match=name):
        setattr(opt, name, 0.5)


@pytest.mark.parametrize("cls, option, bad, match", [
    (ok.torch.Adamax, "betas", (0.9, 1.5), r"betas\[1\]"),
    (ok.torch.Adamax, "eps", -1.0, "eps"),
    (ok.torch.Adamax, "lr", -0.1, "lr"),
    (ok.torch.Lion, "betas", (-0.1, 0.9), r"betas\[0\]"),
    (ok.torch.Lion, "weight_decay", float("nan"), "weight_decay"),
])
def test_torch_group_edit_refused_and_nothing_modified(cls, option, bad, match):
    params = _params()
    opt = cls(params, lr=0.01)
    opt.step(_grads())
    snap = _snapshot(opt, params)
    good = opt.param_groups[0][option]
    opt.param_groups[0][option] = bad
    with pytest.raises(ValueError, match=match):
        opt.step(_grads())
    assert opt.iterations == 1
    opt.param_groups[0][option] = good
    _assert_unchanged(opt, params, snap)


@pytest.mark.parametrize("cls, entry, bad, match", [
    (ok.torch.Adamax, "param_groups/0/betas", np.array([1.0, 0.9]), r"betas\[0\]"),
    (ok.torch.Adamax, "param_groups/0/eps", -1.0, "eps"),
    (ok.torch.Lion, "param_groups/0/betas", np.array([0.9, 2.0]), r"betas\[1\]"),
])
def test_torch_load_state_dict_refused_and_nothing_modified(cls, entry, bad, match):
    params = _params()
    opt = cls(params, lr=0.01)
    opt.step(_grads())
    sd = opt.state_dict()
    other = cls(_params(), lr=0.01)
    for _ in range(3):
        other.step(_grads(0.25))
    bad_sd = {**other.state_dict(), entry: bad}
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(bad_sd)
    after = opt.state_dict()
    for k, v in sd.items():
        np.testing.assert_array_equal(after[k], v)


@pytest.mark.parametrize("cls", [ok.Adamax, ok.Lion])
def test_keras_bad_schedule_value_refused_and_nothing_modified(cls):
    params = _params()
    opt = cls(params, learning_rate=lambda step: 0.01 if step == 0 else -1.0)
    opt.step(_grads())
    snap = _snapshot(opt, params)
    with pytest.raises(ValueError, match=r"learning_rate\(1\)"):
        opt.step(_grads())
    assert opt.iterations == 1
    _assert_unchanged(opt, params, snap)


# -- torch's names and defaults -----------------------------------------------------------
def test_torch_adamax_defaults_and_state_names_are_torchs():
    torch = pytest.importorskip("torch")
    p = np.linspace(-1, 1, 7)
    g = np.linspace(2, -1, 7)
    mine = ok.torch.Adamax([p.copy()])
    t = torch.nn.Parameter(torch.from_numpy(p.copy()))
    theirs = torch.optim.Adamax([t])
    for key in ("lr", "betas", "eps", "weight_decay", "maximize"):
        assert mine.defaults[key] == theirs.defaults[key], key
    mine.step([g])
    t.grad = torch.from_numpy(g.copy())
    theirs.step()
    state = theirs.state[t]
    sd = mine.state_dict()
    assert {k.split("/")[0] for k in sd if not k.startswith("param_groups/")
            and k != "skipped_steps"} == set(state)
    for slot in ("exp_avg", "exp_inf"):
        np.testing.assert_allclose(sd[f"{slot}/0"], state[slot].numpy(), rtol=1e-15)
    assert sd["step"] == int(state["step"])


def test_defaults_are_documented_ones():
    assert ok.torch.Lion([np.ones(2)]).defaults == dict(lr=1e-4, betas=(0.9, 0.99),
                                                        weight_decay=0.0, maximize=False)
    a, lion = ok.Adamax([np.ones(2)]), ok.Lion([np.ones(2)])
    assert (a.learning_rate, a.beta_1, a.beta_2, a.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    assert (lion.learning_rate, lion.beta_1, lion.beta_2) == (0.001, 0.9, 0.99)


# -- Lion: the paper's / optax's rule, written out per scalar -----------------------------
def _lion_by_hand(p, grads, lr, b1, b2, wd, maximize):
    """The Lion paper's Algorithm 2 (optax's ``lion`` with ``add_decayed_weights``),
    one Python float at a time: c = β1·m + (1−β1)·g; p ← p − η(sign(c) + λp);
    m ← β2·m + (1−β2)·g."""
    p = [float(x) for x in p]
    m = [0.0] * len(p)
    for g in grads:
        for i, gi in enumerate(float(x) for x in g):
            gi = -gi if maximize else gi
            c = b1 * m[i] + (1 - b1) * gi
            sign = math.copysign(1.0, c) if c != 0 else 0.0
            p[i] = p[i] - lr * (sign + wd * p[i])
            m[i] = b2 * m[i] + (1 - b2) * gi
    return np.array(p), np.array(m)


@pytest.mark.parametrize("wd, maximize", [(0.0, False), (0.1, False), (0.0, True), (0.3, True)])
def test_torch_lion_is_the_papers_rule(wd, maximize):
    rng = np.random.default_rng(5)
    p0 = rng.standard_normal(64)
    grads = [rng.standard_normal(64) for _ in range(30)]
    grads[4][:8] = 0.0  # sign(0) = 0 on the first steps' zero momentum... and later ones
    lr, b1, b2 = 0.01, 0.8, 0.95
    want_p, want_m = _lion_by_hand(p0, grads, lr, b1, b2, wd, maximize)
    p = p0.copy()
    opt = ok.torch.Lion([p], lr=lr, betas=(b1, b2), weight_decay=wd, maximize=maximize)
    for g in grads:
        opt.step([g])
    # m involves no p: the same operations, the same bits. p differs from the
    # paper's p − η(s + λp) only by the rounding of p(1 − ηλ) − ηs.
    np.testing.assert_array_equal(opt.state_dict()["exp_avg/0"], want_m)
    np.testing.assert_allclose(p, want_p, rtol=1e-13, atol=1e-15)


def test_keras_lion_is_the_papers_rule_with_keras_weight_decay():
    rng = np.random.default_rng(6)
    p0 = rng.standard_normal(40)
    grads = [rng.standard_normal(40) for _ in range(20)]
    p = p0.copy()
    opt = ok.Lion([p], learning_rate=0.02, beta_1=0.7, beta_2=0.9, weight_decay=0.2)
    for g in grads:
        opt.step([g])
    want_p, want_m = _lion_by_hand(p0, grads, 0.02, 0.7, 0.9, 0.2, False)
    np.testing.assert_array_equal(opt.state_dict()["momentum/0"], want_m)
    np.testing.assert_allclose(p, want_p, rtol=1e-13, atol=1e-15)


# -- Lion: sign(0) = 0, NaN propagates, on every ISA ---------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("make", [lambda p: ok.Lion(p, learning_rate=0.1),
                                  lambda p: ok.torch.Lion(p, lr=0.1)], ids=["keras", "torch"])
def test_lion_sign_of_zero_is_zero_and_nan_propagates(make, isa, dtype):
    n = 37  # vector body and tail
    p = np.linspace(-3, 3, n).astype(dtype)
    start = p.copy()
    g = np.zeros(n, dtype)
    g[1::3] = 2.0
    g[2::3] = -0.0
    g[5] = -2.0
    g[10] = np.nan
    with running_on(isa, 1):
        opt = make([p])
        opt.step([g])
    m = next(v for k, v in opt.state_dict().items() if k.endswith("/0"))
    zero = (g == 0)
    np.testing.assert_array_equal(p[zero], start[zero])  # sign(±0) = 0: no move
    np.testing.assert_array_equal(m[zero], 0)
    moved = (g != 0) & ~np.isnan(g)
    np.testing.assert_allclose(p[moved], start[moved] - dtype(0.1) * np.sign(g[moved]),
                               rtol=0, atol=0)
    assert np.isnan(p[10]) and np.isnan(m[10])
    assert np.isfinite(np.delete(p, 10)).all()


@pytest.mark.parametrize("isa", ISAS)
def test_adamax_nonfinite_grad_follows_reference(isa):
    """An infinite gradient makes u infinite; NaN propagates through max."""
    for ok_cls, ref_cls in ((ok.Adamax, R.keras.Adamax), (ok.torch.Adamax, R.torch.Adamax)):
        p = np.linspace(-1, 1, 19).astype(F32)
        g = np.full(19, 0.5, F32)
        g[3], g[7], g[9] = np.inf, np.nan, -np.inf
        want = p.copy()
        with np.errstate(all="ignore"):
            ref = ref_cls([want])
            ref.step([g])
            ref.step([np.full(19, 0.5, F32)])
        with running_on(isa, 1):
            opt = ok_cls([p])
            opt.step([g])
            opt.step([np.full(19, 0.5, F32)])
        np.testing.assert_array_equal(p, want)
        assert np.isnan(p[7])


def test_keras_names_resolve_through_optimizers_get():
    assert ok.optimizers.get("adamax") is ok.Adamax is ok.optimizers.Adamax
    assert ok.optimizers.get("Lion") is ok.Lion is ok.optimizers.Lion
    opt = ok.optimizers.get({"class_name": "Lion", "config": {"beta_1": 0.5}}, _params())
    assert isinstance(opt, ok.Lion) and opt.beta_1 == 0.5
