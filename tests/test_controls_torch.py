"""skip_nonfinite and per-group weight decay in the torch front-end, against
optkern.reference.torch, bit for bit, every ISA, one and two threads."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ISAS, THREADS, running_on

import optkern as ok
from optkern import reference as R
from optkern._registry import cases

TORCH = cases("torch")
IDS = [c.id for c in TORCH]


def problem(dtype, calls, sizes=(5, 17000, 33), seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(n).astype(dtype) for n in sizes]
    grads = [[rng.standard_normal(n).astype(dtype) for n in sizes] for _ in range(calls)]
    return params, grads


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", TORCH, ids=IDS)
def test_skip_nonfinite_matches_the_reference(case, dtype):
    params, grads = problem(dtype, 8)
    grads[1][0][2] = np.nan
    grads[3][1][16999] = np.inf
    grads[5][2][0] = -np.inf
    grads[5][1][1] = np.nan
    bad = {1, 3, 5}
    want = [p.copy() for p in params]
    ref = case.reference(want, **case.kwargs)
    with np.errstate(all="ignore"):
        for i, g in enumerate(grads):
            if i not in bad:
                ref.step(g)
    for isa in ISAS:
        for threads in THREADS:
            got = [p.copy() for p in params]
            with running_on(isa, threads):
                opt = case.cls(got, **case.kwargs)
                returned = [opt.step(g, skip_nonfinite=True) for g in grads]
            assert returned == [i not in bad for i in range(len(grads))]
            assert opt.iterations == len(grads) - len(bad) and opt.skipped_steps == len(bad)
            assert opt.state_dict()["skipped_steps"] == len(bad)
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b)


def test_plain_step_returns_none():
    opt = ok.torch.Adam([np.ones(3)])
    assert opt.step([np.full(3, np.nan)]) is None  # not asked to skip: the formula runs
    assert np.isnan(opt.params[0]).all()
    assert opt.state_dict()["skipped_steps"] == 0
    with pytest.raises(TypeError, match="skip_nonfinite"):
        opt.step([np.ones(3)], skip_nonfinite="yes")


def test_skipped_steps_round_trip():
    opt = ok.torch.SGD([np.ones(3)], lr=0.1, momentum=0.9)
    opt.step([np.full(3, np.inf)], skip_nonfinite=True)
    opt.step([np.ones(3)], skip_nonfinite=True)
    sd = opt.state_dict()
    assert sd["skipped_steps"] == 1 and sd["step"] == 1
    other = ok.torch.SGD([np.ones(3)], lr=0.1, momentum=0.9)
    other.load_state_dict(sd)
    assert other.skipped_steps == 1
    with pytest.raises(ValueError, match="skipped_steps"):
        other.load_state_dict(dict(sd, skipped_steps=-1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_no_weight_decay_for_biases_and_norms_through_groups(dtype):
    """The torch idiom: a second param group with weight_decay=0."""
    rng = np.random.default_rng(5)
    W, b, gamma = (rng.standard_normal(n).astype(dtype) for n in (300, 17, 17))
    grads = [[rng.standard_normal(n).astype(dtype) for n in (300, 17, 17)] for _ in range(5)]
    decayed, plain = [W.copy()], [b.copy(), gamma.copy()]
    ref_decayed = R.torch.AdamW(decayed, lr=0.01, weight_decay=0.1)
    ref_plain = R.torch.AdamW(plain, lr=0.01, weight_decay=0.0)
    for g in grads:
        ref_decayed.step(g[:1])
        ref_plain.step(g[1:])
    for isa in ISAS:
        for threads in THREADS:
            params = {"W": W.copy(), "b": b.copy(), "gamma": gamma.copy()}
            with running_on(isa, threads):
                opt = ok.torch.AdamW([{"params": {"W": params["W"]}},
                                      {"params": {"b": params["b"], "gamma": params["gamma"]},
                                       "weight_decay": 0.0}], lr=0.01, weight_decay=0.1)
                for g in grads:
                    opt.step([{"W": g[0]}, {"b": g[1], "gamma": g[2]}])
            np.testing.assert_array_equal(params["W"], decayed[0])
            np.testing.assert_array_equal(params["b"], plain[0])
            np.testing.assert_array_equal(params["gamma"], plain[1])
    assert opt.state_dict()["param_groups/1/weight_decay"] == 0.0
