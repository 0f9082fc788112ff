"""``optkern.torch.lr_scheduler`` against ``torch.optim.lr_scheduler``.

Each case builds a real ``torch.optim.SGD`` / ``Adam`` on dummy float64
parameters beside an ``optkern.torch.SGD`` / ``Adam`` with the same three param
groups (different learning rates), attaches the same scheduler to each, and
runs 300 steps of ``optimizer.step(); scheduler.step()``. The learning rates
(``get_last_lr()`` and every ``group["lr"]``; momentum / ``betas`` where a
scheduler cycles them) must be equal to the last bit every step: both sides do
the same double-precision arithmetic in the same order. The parameters must
agree to 1e-12 at the end, which shows the optkern optimizers took up the
edited groups. Also: state-dict round trips mid-schedule, ReduceLROnPlateau on
metric sequences, float epochs for CosineAnnealingWarmRestarts, and bad input.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

import optkern.torch as okt
from optkern.torch import lr_scheduler as oks

torch = pytest.importorskip("torch")
tls = torch.optim.lr_scheduler

LRS = (0.1, 0.01, 0.05)
STEPS = 300
SHAPE = (4,)


def grads_for(step: int) -> list:
    rng = np.random.default_rng(step)
    return [rng.standard_normal(SHAPE) for _ in LRS]


def make_optimizers(kind: str, lrs=LRS, **options):
    start = [np.linspace(-1, 1, SHAPE[0]) * (i + 1) for i in range(len(lrs))]
    t_params = [torch.tensor(a, requires_grad=True) for a in start]
    o_params = [a.copy() for a in start]
    t_cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    o_cls = {"sgd": okt.SGD, "adam": okt.Adam, "adamw": okt.AdamW}[kind]
    if kind == "sgd":
        options.setdefault("momentum", 0.9)
    t_opt = t_cls([{"params": [p], "lr": lr} for p, lr in zip(t_params, lrs)], **options)
    o_opt = o_cls([{"params": [p], "lr": lr} for p, lr in zip(o_params, lrs)], **options)
    return t_opt, t_params, o_opt, o_params


def torch_step(opt, params, grads):
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    opt.step()


def groups_view(opt) -> list:
    keys = ("lr", "momentum", "betas")
    return [{k: (tuple(g[k]) if k == "betas" else g[k]) for k in keys if k in g}
            for g in opt.param_groups]


def run_parity(kind, build, steps=STEPS, **options):
    """Run both sides; return the per-step lrs of the optkern side."""
    t_opt, t_params, o_opt, o_params = make_optimizers(kind, **options)
    t_sched, o_sched = build(tls, t_opt), build(oks, o_opt)
    history = []
    assert o_sched.get_last_lr() == t_sched.get_last_lr()
    assert groups_view(o_opt) == groups_view(t_opt)
    for step in range(steps):
        grads = grads_for(step)
        torch_step(t_opt, t_params, grads)
        o_opt.step([[g] for g in grads])
        t_sched.step()
        o_sched.step()
        assert o_sched.get_last_lr() == t_sched.get_last_lr(), step
        assert groups_view(o_opt) == groups_view(t_opt), step
        history.append(o_sched.get_last_lr())
    for t, o in zip(t_params, o_params):
        np.testing.assert_allclose(o, t.detach().numpy(), rtol=1e-12, atol=1e-14)
    return history


def _per_group_lambdas():
    return [lambda e: 1.0 / (e + 1), lambda e: 0.99 ** e, lambda e: 1.0 + (e % 7) / 10]


CASES = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, _per_group_lambdas()),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.98),
    "StepLR": lambda m, o: m.StepLR(o, step_size=30, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[50, 100, 100, 250], gamma=0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=40),
    "LinearLR-up": lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=100),
    "LinearLR-down": lambda m, o: m.LinearLR(o, 1.0, 0.1, total_iters=200),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.99),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=120, power=2.0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=50, eta_min=1e-4),
    "CosineAnnealingLR-long": lambda m, o: m.CosineAnnealingLR(o, T_max=300),
    "CosineAnnealingLR-7": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=10, T_mult=2, eta_min=1e-5),
    "CosineAnnealingWarmRestarts-1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    # total_steps > STEPS: at step total_steps itself torch extrapolates (see below)
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.1, 0.5], total_steps=STEPS + 1),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.2, epochs=7, steps_per_epoch=43, anneal_strategy="linear",
        three_phase=True, pct_start=0.25),
    "OneCycleLR-cos-3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.2, total_steps=STEPS + 10, three_phase=True, base_momentum=[0.8, 0.7, 0.6],
        max_momentum=0.9, div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS + 1, cycle_momentum=False, pct_start=0.5),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=20), m.ExponentialLR(o, gamma=0.99)],
        milestones=[20]),
    "SequentialLR-3": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=10), m.CosineAnnealingLR(o, T_max=40),
            m.StepLR(o, step_size=25, gamma=0.5)], milestones=[30, 120]),
    "SequentialLR-warm-restarts": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.5, total_iters=5),
            m.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2)], milestones=[5]),
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name, kind):
    history = run_parity(kind, CASES[name])
    assert len({tuple(h) for h in history}) > 1  # the schedule did change the rates


@pytest.mark.parametrize("name", ["OneCycleLR", "CosineAnnealingLR", "SequentialLR-3",
                                  "LinearLR-down"])
def test_matches_torch_adamw(name):
    run_parity("adamw", CASES[name], weight_decay=0.05)


def test_matches_torch_sgd_without_momentum_and_adam_variants():
    run_parity("sgd", CASES["OneCycleLR"], momentum=0.0)  # OneCycle switches momentum on
    run_parity("adam", CASES["CosineAnnealingLR"], weight_decay=0.01, amsgrad=True)


RESUME_ARGS = {
    "LambdaLR": dict(lr_lambda=lambda e: 0.95 ** e),
    "MultiplicativeLR": dict(lr_lambda=lambda e: 0.98),
    "StepLR": dict(step_size=30, gamma=0.5),
    "MultiStepLR": dict(milestones=[50, 100], gamma=0.3),
    "ExponentialLR": dict(gamma=0.99),
    "CosineAnnealingLR": dict(T_max=50, eta_min=1e-4),
    "CosineAnnealingWarmRestarts": dict(T_0=10, T_mult=2),
    "LinearLR": dict(start_factor=0.25, total_iters=100),
    "PolynomialLR": dict(total_iters=120, power=2.0),
}


@pytest.mark.parametrize("name", sorted(RESUME_ARGS))
def test_resume_with_last_epoch_matches_torch(name):
    """last_epoch >= 0 resumes: the groups must already hold initial_lr."""
    def build(m, o):
        for g in o.param_groups:
            g["initial_lr"] = 2 * g["lr"]
        return getattr(m, name)(o, **RESUME_ARGS[name], last_epoch=40)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_parity("sgd", build, steps=100)


def test_onecycle_momentum_cycles_inversely_to_lr():
    _, _, opt, _ = make_optimizers("sgd")
    sched = oks.OneCycleLR(opt, max_lr=1.0, total_steps=100, pct_start=0.3)
    lrs, moms = [], []
    for _ in range(100):
        opt.step([[np.zeros(SHAPE)] for _ in LRS])
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
    peak = int(np.argmax(lrs))  # lrs[k] is the rate for step k + 1
    assert peak + 1 == int(np.argmin(moms)) + 1 == 29  # pct_start * total_steps - 1
    assert moms[peak] == pytest.approx(0.85) and moms[-1] == pytest.approx(0.95)
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    with pytest.raises(ValueError, match="total_steps"):
        sched.step()
    assert sched.last_epoch == 100


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_onecycle_last_step_keeps_the_final_values(strategy):
    """Step total_steps lies past the last phase: torch extrapolates the phase
    there (linear: below min_lr, negative); optkern keeps its end values. Every
    earlier step matches torch exactly."""
    def build(m, o):
        return m.OneCycleLR(o, max_lr=0.5, total_steps=50, anneal_strategy=strategy)

    run_parity("sgd", build, steps=49)
    t_opt, _, o_opt, _ = make_optimizers("sgd")
    t_sched, o_sched = build(tls, t_opt), build(oks, o_opt)
    with warnings.catch_warnings():  # torch warns: no optimizer.step() before
        warnings.simplefilter("ignore")
        for _ in range(50):
            t_sched.step()
            o_sched.step()
    min_lr = o_opt.param_groups[0]["min_lr"]
    assert min_lr == pytest.approx(0.5 / 25 / 1e4, rel=1e-12)
    assert o_sched.get_last_lr() == [min_lr] * 3
    assert [g["momentum"] for g in o_opt.param_groups] == [0.95] * 3
    if strategy == "linear":
        assert t_sched.get_last_lr()[0] < 0
    else:
        assert t_sched.get_last_lr()[0] > 100 * min_lr  # cos turned back up


# -- state dicts --------------------------------------------------------------------

def assert_plain(value):
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str)
            assert_plain(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            assert_plain(v)
    else:
        assert value is None or type(value) in (int, float, str, bool), type(value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_round_trip_mid_schedule(name):
    build = CASES[name]
    kind = "adam" if "OneCycle" in name else "sgd"

    def fresh():
        _, _, opt, _ = make_optimizers(kind)
        return opt, build(oks, opt)

    opt, sched = fresh()
    full = []
    for step in range(STEPS):
        opt.step([[g] for g in grads_for(step)])
        sched.step()
        full.append((sched.get_last_lr(), groups_view(opt)))
        if step == 149:
            saved = sched.state_dict()
    assert_plain(saved)
    json.loads(json.dumps(saved))
    opt2, sched2 = fresh()
    sched2.load_state_dict(saved)
    assert sched2.state_dict() == saved
    for step in range(150, STEPS):
        opt2.step([[g] for g in grads_for(step)])
        sched2.step()
        assert (sched2.get_last_lr(), groups_view(opt2)) == full[step], step


def test_state_dict_matches_torch_keys_for_simple_schedulers():
    t_opt, _, o_opt, _ = make_optimizers("sgd")
    t, o = tls.StepLR(t_opt, 10, 0.5), oks.StepLR(o_opt, 10, 0.5)
    shared = {"step_size", "gamma", "base_lrs", "last_epoch", "_step_count", "_last_lr"}
    assert shared <= set(t.state_dict()) and shared <= set(o.state_dict())
    assert {k: o.state_dict()[k] for k in shared} == {k: t.state_dict()[k] for k in shared}


def test_lambda_state_leaves_out_the_functions():
    _, _, opt, _ = make_optimizers("sgd")
    sched = oks.LambdaLR(opt, lambda e: 0.5 ** e)
    assert "lr_lambdas" not in sched.state_dict()
    assert_plain(sched.state_dict())


def test_load_state_dict_refuses_bad_input_and_changes_nothing():
    _, _, opt, _ = make_optimizers("sgd")
    sched = oks.StepLR(opt, 10)
    before = sched.state_dict()
    good = dict(before, last_epoch=5)
    for bad, error in [(dict(good, extra=1), ValueError),
                       ({k: v for k, v in good.items() if k != "gamma"}, ValueError),
                       (dict(good, base_lrs=[0.1]), ValueError),
                       (dict(good, gamma=lambda: 1), TypeError),
                       (dict(good, gamma=np.ones(2)), TypeError),
                       (dict(good, gamma="0.1"), TypeError),
                       ([("last_epoch", 5)], TypeError)]:
        with pytest.raises(error):
            sched.load_state_dict(bad)
        assert sched.state_dict() == before


# -- ReduceLROnPlateau -----------------------------------------------------------------

def metric_sequence(n=STEPS, seed=0):
    """Falling with noise, then flat stretches (exact repeats) and a rise."""
    rng = np.random.default_rng(seed)
    values = list(1.0 / (1.0 + np.arange(80) / 10) + rng.normal(0, 0.01, 80))
    values += [values[-1]] * 40 + list(values[-1] + rng.normal(0, 1e-5, 60))
    values += list(np.linspace(values[-1], values[-1] + 0.5, 60)) + [0.05] * 20
    values += list(rng.uniform(0.0, 1.0, n - len(values)))
    return [float(v) for v in values[:n]]


PLATEAU_CASES = [
    {},
    {"mode": "max", "factor": 0.5, "patience": 3},
    {"threshold_mode": "abs", "threshold": 1e-3, "patience": 2, "cooldown": 5},
    {"mode": "max", "threshold_mode": "abs", "patience": 0, "min_lr": [0.05, 0.001, 0.0]},
    {"factor": 0.3, "patience": 1, "min_lr": 1e-3, "eps": 1e-3},
    {"factor": 0.0, "patience": 4, "cooldown": 2},
]


@pytest.mark.parametrize("options", PLATEAU_CASES, ids=str)
@pytest.mark.parametrize("seed", [0, 1])
def test_reduce_lr_on_plateau_matches_torch(options, seed):
    t_opt, t_params, o_opt, o_params = make_optimizers("sgd")
    t_sched = tls.ReduceLROnPlateau(t_opt, **options)
    o_sched = oks.ReduceLROnPlateau(o_opt, **options)
    changes = 0
    for step, metric in enumerate(metric_sequence(seed=seed)):
        grads = grads_for(step)
        torch_step(t_opt, t_params, grads)
        o_opt.step([[g] for g in grads])
        before = o_sched.get_last_lr()
        t_sched.step(metric)
        o_sched.step(np.float64(metric) if step % 2 else metric)
        changes += o_sched.get_last_lr() != before
        assert o_sched.get_last_lr() == t_sched.get_last_lr(), step
        for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch"):
            assert getattr(o_sched, key) == getattr(t_sched, key), (step, key)
    assert changes > 0
    for t, o in zip(t_params, o_params):
        np.testing.assert_allclose(o, t.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_reduce_lr_on_plateau_state_round_trip_mid_sequence():
    metrics = metric_sequence()
    options = dict(factor=0.8, patience=5, cooldown=2, threshold_mode="abs", threshold=1e-3)

    def fresh():
        opt = make_optimizers("sgd")[2]
        return opt, oks.ReduceLROnPlateau(opt, **options)

    opt, sched = fresh()
    full = []
    for step, metric in enumerate(metrics):
        sched.step(metric)
        full.append(sched.get_last_lr())
        if step == 149:
            saved = sched.state_dict()
    assert_plain(saved)
    opt2, sched2 = fresh()
    sched2.load_state_dict(saved)
    assert [g["lr"] for g in opt2.param_groups] == full[149]
    for step in range(150, len(metrics)):
        sched2.step(metrics[step])
        assert sched2.get_last_lr() == full[step], step
    assert full[149] != full[-1]


def test_reduce_lr_on_plateau_state_round_trip_and_nan_metric():
    _, _, opt, _ = make_optimizers("sgd")
    sched = oks.ReduceLROnPlateau(opt, patience=1)
    for m in (1.0, 1.0, 1.0):
        sched.step(m)
    saved = sched.state_dict()
    assert_plain(saved)
    _, _, opt2, _ = make_optimizers("sgd")
    sched2 = oks.ReduceLROnPlateau(opt2, patience=1)
    sched2.load_state_dict(saved)
    assert [g["lr"] for g in opt2.param_groups] == sched.get_last_lr()
    for m in (math.nan, math.nan):
        sched.step(m)
        sched2.step(m)
    assert sched.get_last_lr() == sched2.get_last_lr() == [lr * 0.1 * 0.1 for lr in LRS]


# -- CosineAnnealingWarmRestarts with epochs ---------------------------------------------

@pytest.mark.parametrize("T_0, T_mult", [(10, 1), (10, 2), (3, 3), (5, 4)])
def test_warm_restarts_fractional_epochs_match_torch(T_0, T_mult):
    t_opt, _, o_opt, _ = make_optimizers("sgd")
    t_sched = tls.CosineAnnealingWarmRestarts(t_opt, T_0, T_mult, eta_min=1e-4)
    o_sched = oks.CosineAnnealingWarmRestarts(o_opt, T_0, T_mult, eta_min=1e-4)
    rng = np.random.default_rng(T_0 * T_mult)
    epochs = np.cumsum(rng.uniform(0.0, 1.0, 400))
    epochs = [float(e) for e in epochs] + [0.5, 7.25, 3.0, 100.0, 2.0]
    for i, epoch in enumerate(epochs):
        if i % 5 == 4:  # interleave plain steps, as torch allows
            t_sched.step()
            o_sched.step()
        else:
            t_sched.step(epoch)
            o_sched.step(epoch)
        assert o_sched.get_last_lr() == t_sched.get_last_lr(), (i, epoch)
        assert (o_sched.T_cur, o_sched.T_i, o_sched.last_epoch) == \
            (t_sched.T_cur, t_sched.T_i, t_sched.last_epoch)


@pytest.mark.parametrize("T_0, T_mult", [(1, 3), (2, 3), (10, 2), (7, 1), (3, 5)])
def test_warm_restarts_epoch_at_every_restart_gives_the_full_rate(T_0, T_mult):
    """step(epoch) at a restart gives the restarted rate, as stepping there one
    epoch at a time does (torch's closed form is one period low at some of
    these epochs for T_mult=3, e.g. 121*T_0, and gives eta_min there)."""
    _, _, opt, _ = make_optimizers("sgd")
    sched = oks.CosineAnnealingWarmRestarts(opt, T_0, T_mult, eta_min=0.0)
    for n in range(1, 25):
        epoch = T_0 * n if T_mult == 1 else T_0 * (T_mult ** n - 1) // (T_mult - 1)
        if epoch > 1e15:
            break
        sched.step(epoch)
        assert sched.T_cur == 0 and sched.get_last_lr() == list(LRS), (n, epoch)
        sched.step(epoch - 1e-4 * T_0 * T_mult ** (n - 1))  # the end of the previous period
        assert sched.get_last_lr()[0] < LRS[0] * 1e-4


def test_warm_restarts_stepwise_equals_epochwise():
    _, _, opt, _ = make_optimizers("sgd")
    _, _, opt2, _ = make_optimizers("sgd")
    a = oks.CosineAnnealingWarmRestarts(opt, 3, 3)
    b = oks.CosineAnnealingWarmRestarts(opt2, 3, 3)
    for epoch in range(1, 400):
        a.step()
        b.step(epoch)
        assert a.get_last_lr() == pytest.approx(b.get_last_lr(), rel=1e-12, abs=1e-15), epoch


# -- SequentialLR ------------------------------------------------------------------------

def test_sequential_lr_switches_at_milestones():
    _, _, opt, _ = make_optimizers("sgd")
    warm = oks.LinearLR(opt, start_factor=0.1, total_iters=10)
    decay = oks.ExponentialLR(opt, gamma=0.5)
    sched = oks.SequentialLR(opt, [warm, decay], milestones=[10])
    assert sched.get_last_lr() == [lr * 0.1 for lr in LRS]
    lrs = []
    for _ in range(12):
        opt.step([[np.zeros(SHAPE)] for _ in LRS])
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs[8] == pytest.approx(0.1 * 0.91)  # warmup at epoch 9 ...
    assert lrs[9] == 0.1 and lrs[10] == 0.05 and lrs[11] == 0.025  # ... decay from epoch 10


# -- bad input -----------------------------------------------------------------------------

def sgd():
    return make_optimizers("sgd")[2]


BAD = [
    (lambda o: oks.StepLR(o, 0), ValueError, "step_size"),
    (lambda o: oks.StepLR(o, 2.5), TypeError, "step_size"),
    (lambda o: oks.StepLR(o, True), TypeError, "step_size"),
    (lambda o: oks.StepLR(o, 10, gamma=-0.1), ValueError, "gamma"),
    (lambda o: oks.StepLR(o, 10, gamma="0.1"), TypeError, "gamma"),
    (lambda o: oks.StepLR(o, 10, last_epoch=-2), ValueError, "last_epoch"),
    (lambda o: oks.StepLR(o, 10, last_epoch=3), ValueError, "initial_lr"),
    (lambda o: oks.StepLR(object(), 10), TypeError, "param_groups"),
    (lambda o: oks.MultiStepLR(o, [10, -1]), ValueError, r"milestones\[1\]"),
    (lambda o: oks.MultiStepLR(o, 10), TypeError, "milestones"),
    (lambda o: oks.ExponentialLR(o, math.nan), ValueError, "gamma"),
    (lambda o: oks.ConstantLR(o, factor=0.0), ValueError, "factor"),
    (lambda o: oks.ConstantLR(o, factor=1.5), ValueError, "factor"),
    (lambda o: oks.LinearLR(o, start_factor=0.0), ValueError, "start_factor"),
    (lambda o: oks.LinearLR(o, end_factor=1.5), ValueError, "end_factor"),
    (lambda o: oks.LinearLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: oks.PolynomialLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: oks.PolynomialLR(o, power=-1.0), ValueError, "power"),
    (lambda o: oks.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: oks.CosineAnnealingLR(o, T_max=10, eta_min=-1.0), ValueError, "eta_min"),
    (lambda o: oks.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
    (lambda o: oks.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1.5), TypeError, "T_mult"),
    (lambda o: oks.CosineAnnealingWarmRestarts(o, T_0=5, eta_min=math.inf), ValueError,
     "eta_min"),
    (lambda o: oks.LambdaLR(o, 0.5), TypeError, "lr_lambda"),
    (lambda o: oks.LambdaLR(o, [lambda e: 1.0]), ValueError, "lr_lambda"),
    (lambda o: oks.LambdaLR(o, lambda e: -1.0), ValueError, "learning rate"),
    (lambda o: oks.LambdaLR(o, lambda e: math.nan), ValueError, "learning rate"),
    (lambda o: oks.MultiplicativeLR(o, "x"), TypeError, "lr_lambda"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1), ValueError, "total_steps"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError, "total_steps"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=0), ValueError,
     "steps_per_epoch"),
    (lambda o: oks.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=10), ValueError, "max_lr"),
    (lambda o: oks.OneCycleLR(o, max_lr=-0.1, total_steps=10), ValueError, "max_lr"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), ValueError,
     "pct_start"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=0.1), ValueError,
     "phase 1"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.0), ValueError,
     "phase 2"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="tri"),
     ValueError, "anneal_strategy"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1, total_steps=10, div_factor=0), ValueError,
     "div_factor"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1, total_steps=10, cycle_momentum=1), TypeError,
     "cycle_momentum"),
    (lambda o: oks.OneCycleLR(o, max_lr=0.1, total_steps=10, max_momentum=-0.5), ValueError,
     "max_momentum"),
    (lambda o: oks.ReduceLROnPlateau(o, mode="low"), ValueError, "mode"),
    (lambda o: oks.ReduceLROnPlateau(o, threshold_mode="rel_abs"), ValueError,
     "threshold_mode"),
    (lambda o: oks.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
    (lambda o: oks.ReduceLROnPlateau(o, patience=-1), ValueError, "patience"),
    (lambda o: oks.ReduceLROnPlateau(o, cooldown=0.5), TypeError, "cooldown"),
    (lambda o: oks.ReduceLROnPlateau(o, min_lr=[0.0]), ValueError, "min_lr"),
    (lambda o: oks.ReduceLROnPlateau(o, min_lr=-1e-3), ValueError, "min_lr"),
    (lambda o: oks.ReduceLROnPlateau(o, threshold=math.nan), ValueError, "threshold"),
    (lambda o: oks.SequentialLR(o, [], []), ValueError, "schedulers"),
    (lambda o: oks.SequentialLR(o, [oks.StepLR(o, 5)], [3]), ValueError, "milestones"),
    (lambda o: oks.SequentialLR(o, [oks.StepLR(o, 5), oks.ReduceLROnPlateau(o)], [3]),
     TypeError, r"schedulers\[1\]"),
    (lambda o: oks.SequentialLR(o, [oks.StepLR(o, 5), oks.StepLR(sgd(), 5)], [3]),
     ValueError, r"schedulers\[1\]"),
    (lambda o: oks.SequentialLR(o, [oks.StepLR(o, 5)] * 3, [5, 3]), ValueError, "sorted"),
]


@pytest.mark.parametrize("build, error, match", BAD)
def test_bad_arguments(build, error, match):
    opt = sgd()
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(error, match=match):
        build(opt)
    if "SequentialLR" not in build.__code__.co_names and match != "initial_lr":
        assert [dict(g) for g in opt.param_groups] == before


def test_bad_steps():
    opt = sgd()
    with pytest.raises(ValueError, match="epoch"):
        oks.StepLR(opt, 5).step(-1)
    with pytest.raises(ValueError, match="epoch"):
        oks.CosineAnnealingWarmRestarts(opt, 5).step(-0.5)
    plateau = oks.ReduceLROnPlateau(opt)
    for bad in ("0.5", None, True):
        with pytest.raises(TypeError, match="metrics"):
            plateau.step(bad)
    assert plateau.last_epoch == 0
    sched = oks.LambdaLR(opt, lambda e: 1.0 if e < 2 else -1.0)
    sched.step()
    lrs = [g["lr"] for g in opt.param_groups]
    with pytest.raises(ValueError, match="learning rate"):
        sched.step()
    assert sched.last_epoch == 1 and [g["lr"] for g in opt.param_groups] == lrs


def test_step_with_epoch_uses_closed_form_like_torch():
    t_opt, _, o_opt, _ = make_optimizers("sgd")
    for name in ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR-up",
                 "LinearLR-down", "ConstantLR", "PolynomialLR"):
        t_sched, o_sched = CASES[name](tls, t_opt), CASES[name](oks, o_opt)
        for epoch in (0, 3, 40, 7, 101, 260):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_sched.step(epoch)
            o_sched.step(epoch)
            assert o_sched.get_last_lr() == t_sched.get_last_lr(), (name, epoch)
