"""Parity of ``optkern.torch`` with PyTorch itself (``torch.optim`` and
``torch.nn.utils.clip_grad_norm_``).

Both sides start from the same arrays and see the same seeded gradients for 50
steps; parameters and optimizer state (torch's slot names) are compared
afterwards. torch runs its default single-tensor CPU path (``foreach=None``)
and, separately, its fused CPU kernels (``fused=True``) for SGD / Adam / AdamW.
Covered: every flag combination, float32 and float64, several tensors (sizes
0, 1, 17, 33x5) in one optimizer, param groups with their own options,
``group["lr"]`` (and momentum / betas) changed between steps, a hypothesis
property over Adam's hyperparameters, and ``clip_grad_norm_``.

Tolerances (``TOL``, checked as ``|a - b| <= atol + rtol*|b|``; the data are
O(1): standard-normal params and grads):

- float64: rtol 1e-12, atol 1e-14 for every optimizer.
- float32: rtol = atol = 1e-6 for Adam / AdamW and clip_grad_norm_, 2e-6 for
  SGD.

The differences are rounding only: torch's CPU kernels use FMA in places
(``lerp``, ``addcmul``, ``add`` with ``alpha``) and round scalar
hyperparameters (``1 - beta1``, ``-lr``, ...) to float32 for float32 tensors,
while optkern computes its scalars in double. The float64 comparisons at 1e-12
are what pin down the formulas. Momentum amplifies rounding by up to
1/(1 - momentum) = 10, which is why SGD float32 gets 2e-6: in the worst SGD case
(momentum 0.9, dampening 0.1) optkern float32 is 9.1e-7 from a float64 run on
the same data and torch float32 is 9.7e-7 from it, both equally far from the
exact result.

Largest differences observed over every case in this file (torch 2.13.0+cpu;
the same with ``OPTKERN_ISA`` = scalar, avx2 and avx512), as
max |a - b| / max(|b|, 1), in ulps at max(|b|, 1), and as the largest share of
the tolerance used, max |a - b| / (atol + rtol*|b|):

    ================  ==================  ===================  =============
    case              float32             float64              share 32 / 64
    ================  ==================  ===================  =============
    SGD (+fused)      9.8e-7 (8 ulp)      2.4e-15 (11 ulp)     0.37 / 0.07
    Adam (+fused)     3.3e-7 (4 ulp)      1.2e-15 (6 ulp)      0.20 / 0.02
    AdamW (+fused)    4.2e-7 (4 ulp)      5.6e-16 (3 ulp)      0.28 / 0.01
    clip_grad_norm_   1.2e-7 (1 ulp)      4.4e-16 (2 ulp)      0.07 / 0.00
    ================  ==================  ===================  =============

Counted at |b| itself, elements that cancel to nearly 0 (exp_avg,
momentum_buffer) show up to ~3e3 ulp, but their absolute error stays below
9.8e-7 (float32) / 1.8e-15 (float64). The total norm returned by
clip_grad_norm_ differs from torch's by at most 7.8e-8 (float32: torch reduces
in float32, optkern in double) and 4.4e-16 (float64) relative.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import optkern as ok  # noqa: E402

STEPS = 50
SHAPES = [(0,), (1,), (17,), (33, 5)]
DTYPES = [np.float32, np.float64]
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}

# (rtol, atol); the data are O(1) (standard-normal params and grads).
TOL = {
    np.float32: (1e-6, 1e-6),
    np.float64: (1e-12, 1e-14),
}
# Momentum amplifies float32 rounding (see the module docstring).
TOL_SGD_FLOAT32 = (2e-6, 2e-6)

HAS_DECOUPLED = "decoupled_weight_decay" in inspect.signature(torch.optim.Adam).parameters


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # torch's own thread pool only adds noise for tensors this small.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --------------------------------------------------------------------------- helpers
def make_problem(group_shapes, dtype, steps, seed):
    """Initial params (one list per group) and ``steps`` sets of grads."""
    rng = np.random.default_rng(seed)
    params = [[rng.standard_normal(s).astype(dtype) for s in shapes]
              for shapes in group_shapes]
    grads = [[[rng.standard_normal(s).astype(dtype) for s in shapes]
              for shapes in group_shapes] for _ in range(steps)]
    return params, grads


def run_both(ok_cls, torch_cls, dtype, options, *, group_shapes=None, group_options=None,
             torch_options=None, steps=STEPS, lr_schedule=None, seed=0):
    """Run optkern and torch side by side.

    ``group_options=None`` gives optkern a plain list of arrays (one group);
    otherwise a list of group dicts. ``lr_schedule(step, group_index, lr)``
    (0-based step) sets ``group["lr"]`` in both before each step, as a torch
    scheduler does. Returns (optkern optimizer, ok params, torch optimizer,
    torch params, grouped), params as lists of lists (per group).
    """
    if group_shapes is None:
        group_shapes = [SHAPES]
    params0, grads = make_problem(group_shapes, dtype, steps, seed)
    grouped = group_options is not None
    if not grouped:
        assert len(group_shapes) == 1
        group_options = [{}]

    ok_params = [[p.copy() for p in ps] for ps in params0]
    th_params = [[torch.from_numpy(p.copy()) for p in ps] for ps in params0]
    if grouped:
        ok_opt = ok_cls([dict(go, params=ps) for go, ps in zip(group_options, ok_params)],
                        **options)
    else:
        ok_opt = ok_cls(ok_params[0], **options)
    th_opt = torch_cls([dict(go, params=ps) for go, ps in zip(group_options, th_params)],
                       **options, **(torch_options or {}))
    if lr_schedule is not None:
        base = [g["lr"] for g in th_opt.param_groups]

    for k in range(steps):
        if lr_schedule is not None:
            for i, (og, tg) in enumerate(zip(ok_opt.param_groups, th_opt.param_groups)):
                og["lr"] = tg["lr"] = lr_schedule(k, i, base[i])
        for ps, gs in zip(th_params, grads[k]):
            for p, g in zip(ps, gs):
                p.grad = torch.from_numpy(g.copy())
        th_opt.step()
        ok_grads = [[g.copy() for g in gs] for gs in grads[k]]
        ok_opt.step(ok_grads if grouped else ok_grads[0])

    # in place, dtype kept
    for ps, ops in zip(ok_params, ok_opt.param_groups):
        for p, q in zip(ps, ops["params"] if isinstance(ops["params"], list)
                        else list(ops["params"].values())):
            assert p is q
            assert p.dtype == dtype
    return ok_opt, ok_params, th_opt, th_params, grouped


def check_close(actual, expected, dtype, what, family):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, what
    assert actual.dtype == expected.dtype == dtype, what
    rtol, atol = TOL[dtype]
    if family.startswith("SGD") and dtype == np.float32:
        rtol, atol = TOL_SGD_FLOAT32
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def compare(ok_opt, ok_params, th_opt, th_params, grouped, dtype, slots, family, steps=STEPS):
    for gi, (ops, tps) in enumerate(zip(ok_params, th_params)):
        for i, (p, t) in enumerate(zip(ops, tps)):
            check_close(p, t.numpy(), dtype, f"param {gi}/{i}", family)

    sd = ok_opt.state_dict()
    assert sd["step"] == steps
    assert ok_opt.iterations == steps
    seen = {"step"}
    for gi, tps in enumerate(th_params):
        for i, t in enumerate(tps):
            tstate = th_opt.state[t]
            key_suffix = f"{gi}/{i}" if grouped else f"{i}"
            if "step" in tstate:
                assert float(tstate["step"]) == steps
            for slot in slots:
                key = f"{slot}/{key_suffix}"
                tval = tstate.get(slot)
                if tval is None:
                    assert key not in sd or sd[key] is None, key
                    continue
                assert key in sd, (key, sorted(sd))
                seen.add(key)
                check_close(sd[key], tval.numpy(), dtype, key, family)
    # the group options, saved as torch saves param_groups
    for gi, tgroup in enumerate(th_opt.param_groups):
        for name in ok_opt.defaults:
            key = f"param_groups/{gi}/{name}"
            seen.add(key)
            if name == "betas":
                np.testing.assert_array_equal(sd[key], tgroup[name], err_msg=key)
            else:
                assert sd[key] == tgroup[name] and type(sd[key]) is type(
                    bool(sd[key]) if isinstance(tgroup[name], bool) else float(sd[key])), key
    assert sd.pop("skipped_steps") == 0  # optkern's own count (skip_nonfinite)
    extra = {k for k, v in sd.items() if v is not None} - seen
    assert not extra, f"optkern state has entries torch lacks: {sorted(extra)}"


# --------------------------------------------------------------------------- SGD
def sgd_cases():
    for momentum in (0.0, 0.9):
        for dampening in (0.0, 0.1):
            for nesterov in (False, True):
                if nesterov and (momentum == 0.0 or dampening != 0.0):
                    continue
                for weight_decay in (0.0, 0.01):
                    for maximize in (False, True):
                        yield dict(momentum=momentum, dampening=dampening, nesterov=nesterov,
                                   weight_decay=weight_decay, maximize=maximize)


def _id(d):
    return "-".join(f"{k}={v}" for k, v in d.items())


SGD_CASES = list(sgd_cases())
SGD_SLOTS = ("momentum_buffer",)


IMPLS = {"default": {"foreach": None}, "fused": {"fused": True}}


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("flags", SGD_CASES, ids=_id)
def test_sgd_matches_torch(flags, dtype, impl):
    res = run_both(ok.torch.SGD, torch.optim.SGD, dtype, dict(lr=0.05, **flags),
                   torch_options=IMPLS[impl])
    compare(*res, dtype, SGD_SLOTS, f"SGD[{impl}]")


# --------------------------------------------------------------------------- Adam / AdamW
ADAM_SLOTS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


def adam_cases(with_decoupled):
    for amsgrad in (False, True):
        for maximize in (False, True):
            for weight_decay in (0.0, 0.01):
                for decoupled in ((False, True) if with_decoupled else (None,)):
                    d = dict(amsgrad=amsgrad, maximize=maximize, weight_decay=weight_decay)
                    if decoupled is not None:
                        d["decoupled_weight_decay"] = decoupled
                    yield d


def _adam_params():
    cases = list(adam_cases(HAS_DECOUPLED))
    return pytest.mark.parametrize("flags", cases, ids=_id)


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@_adam_params()
def test_adam_matches_torch(flags, dtype, impl):
    res = run_both(ok.torch.Adam, torch.optim.Adam, dtype, dict(lr=0.01, **flags),
                   torch_options=IMPLS[impl])
    compare(*res, dtype, ADAM_SLOTS, f"Adam[{impl}]")


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("flags", list(adam_cases(False)), ids=_id)
def test_adamw_matches_torch(flags, dtype, impl):
    res = run_both(ok.torch.AdamW, torch.optim.AdamW, dtype, dict(lr=0.01, **flags),
                   torch_options=IMPLS[impl])
    compare(*res, dtype, ADAM_SLOTS, f"AdamW[{impl}]")


OPTIMIZERS = {
    "SGD": (ok.torch.SGD, torch.optim.SGD, SGD_SLOTS),
    "Adam": (ok.torch.Adam, torch.optim.Adam, ADAM_SLOTS),
    "AdamW": (ok.torch.AdamW, torch.optim.AdamW, ADAM_SLOTS),
}


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_nondefault_betas_eps(name, dtype, impl):
    ok_cls, th_cls, slots = OPTIMIZERS[name]
    opts = dict(lr=0.02, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.03, amsgrad=True)
    res = run_both(ok_cls, th_cls, dtype, opts, torch_options=IMPLS[impl], seed=1)
    compare(*res, dtype, slots, f"{name}[{impl}]")


# --------------------------------------------------------------------------- param groups
GROUP_SHAPES = [[(17,), (33, 5)], [(1,), (0,), (9,)], [(40,)]]
GROUP_CASES = {
    "SGD": (dict(lr=0.01, momentum=0.9),
            [{"lr": 0.1, "weight_decay": 0.02},
             {"momentum": 0.0},
             {"nesterov": True, "weight_decay": 0.01, "maximize": True}]),
    "Adam": (dict(lr=0.01, amsgrad=True),
             [{"lr": 0.1, "weight_decay": 0.05},
              {"betas": (0.5, 0.9), "amsgrad": False},
              {"eps": 1e-3, "maximize": True}]),
    "AdamW": (dict(lr=0.01),
              [{"lr": 0.1, "weight_decay": 0.05},
               {"weight_decay": 0.0, "amsgrad": True},
               {"lr": 0.003}]),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_param_groups(name, dtype):
    ok_cls, th_cls, slots = OPTIMIZERS[name]
    defaults, groups = GROUP_CASES[name]
    res = run_both(ok_cls, th_cls, dtype, defaults, group_shapes=GROUP_SHAPES,
                   group_options=groups, seed=2)
    compare(*res, dtype, slots, name)


def _cosine(step, group, base):
    return base * 0.5 * (1.0 + math.cos(math.pi * step / STEPS)) * (1.0 + group)


def _step_decay(step, group, base):
    return base * 0.3 ** (step // 10)


@pytest.mark.parametrize("schedule", [_cosine, _step_decay], ids=["cosine", "step"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_lr_changed_between_steps(name, dtype, schedule):
    """``group["lr"] = ...`` between steps, as a torch LR scheduler does."""
    ok_cls, th_cls, slots = OPTIMIZERS[name]
    defaults, groups = GROUP_CASES[name]
    res = run_both(ok_cls, th_cls, dtype, defaults, group_shapes=GROUP_SHAPES,
                   group_options=groups, lr_schedule=schedule, seed=3)
    compare(*res, dtype, slots, name)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_torch_scheduler_drives_both(dtype):
    """A real torch scheduler (OneCycleLR cycles lr and beta1 for Adam); its group
    values are copied to optkern's groups before every step."""
    params0, grads = make_problem([SHAPES], dtype, STEPS, seed=4)
    ok_params = [p.copy() for p in params0[0]]
    th_params = [torch.from_numpy(p.copy()) for p in params0[0]]
    ok_opt = ok.torch.Adam(ok_params, lr=0.01, weight_decay=0.01, amsgrad=True)
    th_opt = torch.optim.Adam(th_params, lr=0.01, weight_decay=0.01, amsgrad=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(th_opt, max_lr=0.05, total_steps=STEPS)
    for k in range(STEPS):
        tg, og = th_opt.param_groups[0], ok_opt.param_groups[0]
        og["lr"], og["betas"] = float(tg["lr"]), tuple(float(b) for b in tg["betas"])
        for p, g in zip(th_params, grads[k][0]):
            p.grad = torch.from_numpy(g.copy())
        th_opt.step()
        ok_opt.step([g.copy() for g in grads[k][0]])
        sched.step()
    # the scheduler moved torch's group on after the last step: follow it
    og["lr"], og["betas"] = float(tg["lr"]), tuple(float(b) for b in tg["betas"])
    compare(ok_opt, [ok_params], th_opt, [th_params], False, dtype, ADAM_SLOTS, "Adam")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sgd_momentum_changed_between_steps(dtype):
    """OneCycleLR-style momentum cycling (momentum stays > 0)."""
    params0, grads = make_problem([SHAPES], dtype, STEPS, seed=5)
    ok_params = [p.copy() for p in params0[0]]
    th_params = [torch.from_numpy(p.copy()) for p in params0[0]]
    opts = dict(lr=0.05, momentum=0.95, dampening=0.1, weight_decay=0.01)
    ok_opt = ok.torch.SGD(ok_params, **opts)
    th_opt = torch.optim.SGD(th_params, **opts)
    for k in range(STEPS):
        m = 0.85 + 0.1 * abs(math.cos(math.pi * k / 17))
        for grp in (ok_opt.param_groups[0], th_opt.param_groups[0]):
            grp["momentum"] = m
            grp["lr"] = 0.05 * (1 - k / STEPS)
        for p, g in zip(th_params, grads[k][0]):
            p.grad = torch.from_numpy(g.copy())
        th_opt.step()
        ok_opt.step([g.copy() for g in grads[k][0]])
    compare(ok_opt, [ok_params], th_opt, [th_params], False, dtype, SGD_SLOTS, "SGD")


# --------------------------------------------------------------------------- property
# beta2 stays >= 0.5: as beta2 -> 0 the denominator sqrt(v) tends to |g| and the
# step m/|g| is ill-conditioned where g (after L2 decay) nearly cancels. With
# beta2 = 0, lr 0.38, L2 0.07 both torch and optkern drift up to ~1e-10 (relative)
# from a long-double run within 10 steps, so no 1e-12 comparison can hold there;
# that is rounding, not a difference in the formula. Over 1600 random draws
# (boundary values included) with beta2 >= 0.5 the largest difference used 7% of
# the float64 tolerance.
@settings(max_examples=25, deadline=None)
@given(lr=st.floats(1e-5, 1.0), beta1=st.floats(0.0, 0.999), beta2=st.floats(0.5, 0.9999),
       eps=st.floats(1e-10, 1e-2), weight_decay=st.floats(0.0, 0.1),
       amsgrad=st.booleans(), maximize=st.booleans(), decoupled=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_adam_random_hyperparameters(lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                                     decoupled, seed):
    opts = dict(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
                amsgrad=amsgrad, maximize=maximize)
    if HAS_DECOUPLED:
        opts["decoupled_weight_decay"] = decoupled
    steps = 10
    res = run_both(ok.torch.Adam, torch.optim.Adam, np.float64, opts,
                   group_shapes=[[(1,), (17,)]], steps=steps, seed=seed)
    compare(*res, np.float64, ADAM_SLOTS, "Adam[hypothesis]", steps=steps)


# --------------------------------------------------------------------------- clip_grad_norm_
def _clip_both(arrays, max_norm, norm_type, dtype):
    ok_grads = [a.copy() for a in arrays]
    th_params = []
    for a in arrays:
        p = torch.zeros(a.shape, dtype=TORCH_DTYPE[dtype])
        p.grad = torch.from_numpy(a.copy())
        th_params.append(p)
    ok_norm = ok.torch.clip_grad_norm_(ok_grads, max_norm, norm_type)
    th_norm = torch.nn.utils.clip_grad_norm_(th_params, max_norm, norm_type)
    return ok_grads, ok_norm, [p.grad.numpy() for p in th_params], th_norm


# torch reduces float32 grads in float32; optkern accumulates in double.
CLIP_NORM_RTOL = {np.float32: 1e-6, np.float64: 1e-13}


@pytest.mark.parametrize("above", [False, True], ids=["below", "above"])
@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0, 3.0], ids=["l2", "inf", "l1", "l3"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_clip_grad_norm_matches_torch(dtype, norm_type, above):
    rng = np.random.default_rng(6)
    shapes = SHAPES + [(1000,)]
    if norm_type == math.inf:
        # torch raises on an empty tensor under the max norm ("no identity");
        # optkern counts it as 0 (see test_clip_grad_norm_zero_and_empty).
        shapes = [s for s in shapes if math.prod(s)]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    exact = np.concatenate([a.ravel().astype(np.float64) for a in arrays])
    true_norm = float(np.linalg.norm(exact, norm_type))
    max_norm = 0.25 * true_norm if above else 4.0 * true_norm
    ok_grads, ok_norm, th_grads, th_norm = _clip_both(arrays, max_norm, norm_type, dtype)
    assert isinstance(ok_norm, float)
    assert ok_norm == pytest.approx(th_norm.item(), rel=CLIP_NORM_RTOL[dtype])
    assert ok_norm == pytest.approx(true_norm, rel=1e-14)  # accumulated in double
    for i, (o, t, a) in enumerate(zip(ok_grads, th_grads, arrays)):
        assert o.dtype == dtype
        if above:
            check_close(o, t, dtype, f"clipped grad {i}", "clip_grad_norm_")
            np.testing.assert_allclose(o, a * (max_norm / (true_norm + 1e-6)),
                                       rtol=TOL[dtype][0] * 2, atol=0)
        else:
            np.testing.assert_array_equal(o, a)
            np.testing.assert_array_equal(t, a)
    if above:
        clipped = np.concatenate([o.ravel().astype(np.float64) for o in ok_grads])
        assert np.linalg.norm(clipped, norm_type) <= max_norm * (1 + 1e-6)


@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0])
def test_clip_grad_norm_zero_and_empty(norm_type):
    zeros = [np.zeros(5), np.zeros((0,))]
    if norm_type == math.inf:
        zeros = zeros[:1]
        # torch refuses an empty tensor under the max norm; optkern gives 0 for it.
        assert ok.torch.clip_grad_norm_([np.zeros((0,))], 1.0, norm_type) == 0.0
    ok_grads, ok_norm, th_grads, th_norm = _clip_both(zeros, 1.0, norm_type, np.float64)
    assert ok_norm == th_norm.item() == 0.0
    for o, t in zip(ok_grads, th_grads):
        np.testing.assert_array_equal(o, t)
    assert ok.torch.clip_grad_norm_([], 1.0, norm_type) == 0.0
    assert torch.nn.utils.clip_grad_norm_([], 1.0, norm_type).item() == 0.0
