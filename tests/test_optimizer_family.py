"""Generic tests of every optimizer, driven by the registry (optkern._registry):
state slots, state-dict round trips, checkpoint resumes, convergence and, where
torch is installed, parity with torch.optim. A new optimizer is covered by
adding its rows to the registry."""

from __future__ import annotations

import numpy as np
import pytest

import optkern as ok
from optkern._registry import CASES

IDS = [c.id for c in CASES]
SIZES = (0, 1, 17, 33)


def _problem(dtype, steps, seed=0, sizes=SIZES):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(n).astype(dtype) for n in sizes]
    grads = [[rng.standard_normal(n).astype(dtype) for n in sizes] for _ in range(steps)]
    return params, grads


def _bits(arrays):
    return [a.tobytes() for a in arrays]


def _stepped(case, params, grads):
    """Copies of ``params`` and the case's optimizer over them, after a step per grads entry."""
    arrays = [p.copy() for p in params]
    opt = case.cls(arrays, **case.kwargs)
    for g in grads:
        opt.step(g)
    return arrays, opt


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_dict_holds_the_registered_slots(case):
    params, grads = _problem(np.float32, 1)
    opt = case.cls(params, **case.kwargs)
    opt.step(grads[0])
    slots = {k.split("/")[0] for k, v in opt.state_dict().items() if isinstance(v, np.ndarray)
             and not k.startswith("param_groups/")}
    assert slots == set(case.slots)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_dict_round_trip_continues_bit_for_bit(case, dtype):
    params, grads = _problem(dtype, 10)
    straight, opt = _stepped(case, params, grads)
    first, opt1 = _stepped(case, params, grads[:5])
    sd = opt1.state_dict()
    resumed = [p.copy() for p in first]
    opt2 = case.cls(resumed, **case.kwargs)
    opt2.load_state_dict(sd)
    for g in grads[5:]:
        opt2.step(g)
    assert _bits(resumed) == _bits(straight)
    assert opt2.iterations == opt.iterations == 10


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_loaded_after_steps_drives_the_next_steps(case):
    """Loading into an optimizer that has already stepped (its native call reuses
    the state lists from step to step, so loading must write into them)."""
    params, grads = _problem(np.float64, 9)
    a, opt_a = _stepped(case, params, grads[:3])
    sd = opt_a.state_dict()
    b, opt_b = _stepped(case, params, grads[4:8])  # another history
    for x, y in zip(b, a):
        x[...] = y
    opt_b.load_state_dict(sd)
    for g in grads[3:]:
        opt_a.step(g)
        opt_b.step(g)
    assert _bits(b) == _bits(a)
    sd_a, sd_b = opt_a.state_dict(), opt_b.state_dict()
    assert sd_b.keys() == sd_a.keys()
    assert all(np.asarray(sd_b[k]).tobytes() == np.asarray(sd_a[k]).tobytes() for k in sd_a)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_checkpoint_resume_continues_bit_for_bit(case, tmp_path):
    params, grads = _problem(np.float32, 8, seed=1)
    straight, _ = _stepped(case, params, grads)
    model, opt1 = _stepped(case, params, grads[:3])
    path = ok.Checkpoint(model=model, optimizer=opt1).write(tmp_path / "ckpt")
    fresh = [np.zeros_like(p) for p in params]
    opt2 = case.cls(fresh, **case.kwargs)
    ok.Checkpoint(model=fresh, optimizer=opt2).read(path)
    for g in grads[3:]:
        opt2.step(g)
    assert _bits(fresh) == _bits(straight)


# -- convergence -------------------------------------------------------------------------
CONVERGING = [c for c in CASES if c.converge is not None]
QUADRATIC_STEPS, QUADRATIC_TOL = 3000, 1e-3
ROSENBROCK_STEPS, ROSENBROCK_TOL = 5000, 1e-2


def _descend(case, x, grad, steps):
    opt = case.cls([x], **case.converge)
    for _ in range(steps):
        opt.step([grad(x)])
    return x


@pytest.mark.parametrize("case", CONVERGING, ids=[c.id for c in CONVERGING])
def test_converges_on_a_convex_quadratic(case):
    """f(x) = ½ Σ a_i (x_i − c_i)², a_i in [1, 10], from x = 0: |x − c|∞ < 1e-3."""
    rng = np.random.default_rng(7)
    a = rng.uniform(1, 10, 10)
    c = rng.uniform(-1, 1, 10)
    x = _descend(case, np.zeros(10), lambda x: a * (x - c), QUADRATIC_STEPS)
    assert np.max(np.abs(x - c)) < QUADRATIC_TOL


@pytest.mark.parametrize("case", CONVERGING, ids=[c.id for c in CONVERGING])
def test_converges_on_rosenbrock(case):
    """f(x, y) = (1 − x)² + 100 (y − x²)² from (−1.2, 1): |(x, y) − (1, 1)|∞ < 1e-2
    in 5000 steps, or in the row's ``rosenbrock_steps`` where it sets more
    (Adadelta: 10 000)."""

    def grad(v):
        x, y = v
        return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])

    v = _descend(case, np.array([-1.2, 1.0]), grad, case.rosenbrock_steps or ROSENBROCK_STEPS)
    assert np.max(np.abs(v - 1.0)) < ROSENBROCK_TOL


# -- torch parity ------------------------------------------------------------------------
TORCH_CASES = [c for c in CASES if c.torch is not None]
PARITY_STEPS = 50
PARITY_TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.id for c in TORCH_CASES])
def test_matches_torch_optim(case, dtype):
    torch = pytest.importorskip("torch")
    name, kwargs = case.torch
    params, grads = _problem(dtype, PARITY_STEPS, seed=3, sizes=(1, 17, 33))
    mine = [p.copy() for p in params]
    opt = case.cls(mine, **case.kwargs)
    theirs = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    topt = getattr(torch.optim, name)(theirs, **kwargs)
    for g in grads:
        opt.step(g)
        for t, gi in zip(theirs, g):
            t.grad = torch.from_numpy(gi.copy())
        topt.step()
    for a, t in zip(mine, theirs):
        np.testing.assert_allclose(a, t.detach().numpy(), **PARITY_TOL[dtype])
