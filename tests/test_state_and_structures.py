"""Param structures (list, dict, groups), state dicts and bit-for-bit resumption."""

from __future__ import annotations

import numpy as np
import pytest

import optkern as ok

rng = np.random.default_rng(7)

FACTORIES = {
    "SGD": (lambda p: ok.SGD(p, momentum=0.9), {"momentum"}),
    "SGD-plain": (lambda p: ok.SGD(p), set()),
    "Adam": (lambda p: ok.Adam(p), {"momentum", "velocity"}),
    "Adam-amsgrad": (lambda p: ok.Adam(p, amsgrad=True), {"momentum", "velocity", "velocity_hat"}),
    "AdamW": (lambda p: ok.AdamW(p), {"momentum", "velocity"}),
    "torch.SGD": (lambda p: ok.torch.SGD(p, momentum=0.9), {"momentum_buffer"}),
    "torch.Adam": (lambda p: ok.torch.Adam(p, weight_decay=0.1), {"exp_avg", "exp_avg_sq"}),
    "torch.AdamW-amsgrad": (lambda p: ok.torch.AdamW(p, amsgrad=True),
                            {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
}


def model(dtype=np.float32):
    return {"W1": rng.standard_normal((5, 3)).astype(dtype),
            "b1": rng.standard_normal(3).astype(dtype)}


def grads_for(params):
    return {k: rng.standard_normal(v.shape).astype(v.dtype) for k, v in params.items()}


@pytest.mark.parametrize("name", FACTORIES)
def test_state_dict_keys_and_values(name):
    factory, slots = FACTORIES[name]
    params = model()
    opt = factory(params)
    opt.step(grads_for(params))
    sd = opt.state_dict()
    counter = "step" if name.startswith("torch") else "iterations"
    assert sd[counter] == 1 and opt.iterations == 1
    hyper = {k for k in sd if k == "learning_rate" or k.startswith("param_groups/")}
    assert hyper == ({"learning_rate"} if counter == "iterations" else
                     {f"param_groups/0/{o}" for o in opt.defaults})
    assert set(sd) == ({counter, "skipped_steps"} | hyper |
                       {f"{s}/{k}" for s in slots for k in params})
    for key, value in sd.items():
        if key not in (counter, "skipped_steps") and key not in hyper:
            assert isinstance(value, np.ndarray) and value.dtype == np.float32
    # state_dict returns copies
    if slots:
        key = next(k for k in sd if k not in (counter, "skipped_steps") and k not in hyper)
        sd[key][...] = 123.0
        assert not np.any(opt.state_dict()[key] == 123.0)


@pytest.mark.parametrize("name", FACTORIES)
def test_resume_bit_for_bit(name):
    factory, _ = FACTORIES[name]
    params = model(np.float64)
    grads = [grads_for(params) for _ in range(20)]
    opt = factory(params)
    for g in grads[:10]:
        opt.step(g)
    saved_params = {k: v.copy() for k, v in params.items()}
    saved_state = opt.state_dict()
    for g in grads[10:]:
        opt.step(g)

    resumed = {k: v.copy() for k, v in saved_params.items()}
    opt2 = factory(resumed)
    opt2.load_state_dict(saved_state)
    for g in grads[10:]:
        opt2.step(g)
    for k in params:
        np.testing.assert_array_equal(resumed[k], params[k])
    assert opt2.iterations == opt.iterations == 20


def test_load_state_dict_refuses_bad_entries_and_changes_nothing():
    params = model()
    opt = ok.Adam(params, amsgrad=True)
    opt.step(grads_for(params))
    good = opt.state_dict()
    before = opt.state_dict()
    bad_cases = [
        ({k: v for k, v in good.items() if k != "velocity/b1"}, ValueError, "missing"),
        ({**good, "velocity/zzz": np.zeros(3, np.float32)}, ValueError, "unexpected"),
        ({**good, "momentum/W1": np.zeros((3, 5), np.float32)}, ValueError, r"shape"),
        ({**good, "momentum/W1": np.zeros((5, 3), np.float64)}, TypeError, r"dtype"),
        ({**good, "momentum/W1": [[0.0] * 3] * 5}, TypeError, "numpy.ndarray"),
        ({**good, "iterations": -1}, ValueError, "iterations"),
        ({**good, "iterations": 1.5}, ValueError, "iterations"),
        ({k: v for k, v in good.items() if k != "iterations"}, ValueError, "iterations"),
        ([1, 2], TypeError, "mapping"),
    ]
    # make the arrays differ so that a partial copy would show
    for k in good:
        if k != "iterations":
            good[k] = good[k] + 1.0
    for sd, exc, match in bad_cases:
        if isinstance(sd, dict):
            sd = {k: (v + 1.0 if isinstance(v, np.ndarray) and v.dtype == np.float32 else v)
                  for k, v in sd.items()}
        with pytest.raises(exc, match=match):
            opt.load_state_dict(sd)
        after = opt.state_dict()
        for k, v in before.items():
            np.testing.assert_array_equal(after[k], v)


def test_load_state_dict_in_place_and_non_strict():
    params = model()
    opt = ok.torch.Adam(params)
    slot = opt._state["exp_avg"][0]
    sd = {"exp_avg/W1": np.full((5, 3), 2.0, np.float32)}
    opt.load_state_dict(sd, strict=False)
    assert opt._state["exp_avg"][0] is slot
    np.testing.assert_array_equal(slot, 2.0)
    assert opt.iterations == 0
    opt.load_state_dict({"step": 5, "unknown": np.zeros(1)}, strict=False)
    assert opt.iterations == 5


def test_list_dict_and_group_structures_agree():
    base = model()
    grads = [grads_for(base) for _ in range(5)]
    as_dict = {k: v.copy() for k, v in base.items()}
    as_list = [v.copy() for v in base.values()]
    as_groups = [{"params": {"W1": base["W1"].copy()}}, {"params": [base["b1"].copy()]}]
    o1, o2, o3 = ok.Adam(as_dict), ok.Adam(as_list), ok.Adam(as_groups)
    for g in grads:
        o1.step(g)
        o2.step(list(g.values()))
        o3.step([{"W1": g["W1"]}, [g["b1"]]])
    np.testing.assert_array_equal(as_dict["W1"], as_list[0])
    np.testing.assert_array_equal(as_dict["W1"], as_groups[0]["params"]["W1"])
    np.testing.assert_array_equal(as_dict["b1"], as_groups[1]["params"][0])
    assert set(o3.state_dict()) == {"iterations", "skipped_steps", "learning_rate", "momentum/0/W1",
                                    "momentum/1/0",
                                    "velocity/0/W1", "velocity/1/0"}


def test_groups_with_own_hyperparameters_equal_separate_optimizers():
    a, b = rng.standard_normal(10), rng.standard_normal(7)
    grads = [(rng.standard_normal(10), rng.standard_normal(7)) for _ in range(6)]
    grouped = [a.copy(), b.copy()]
    opt = ok.torch.AdamW([{"params": [grouped[0]], "lr": 0.1, "weight_decay": 0.5},
                          {"params": [grouped[1]]}], lr=0.01)
    sa, sb = [a.copy()], [b.copy()]
    oa = ok.torch.AdamW(sa, lr=0.1, weight_decay=0.5)
    ob = ok.torch.AdamW(sb, lr=0.01)
    for ga, gb in grads:
        opt.step([[ga], [gb]])
        oa.step([ga])
        ob.step([gb])
    np.testing.assert_array_equal(grouped[0], sa[0])
    np.testing.assert_array_equal(grouped[1], sb[0])
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["weight_decay"] == 1e-2


def test_keras_group_learning_rate_override():
    a = [np.ones(4)]
    b = [np.ones(4)]
    ok.SGD([{"params": a, "learning_rate": 0.5}], learning_rate=0.1).step([[np.ones(4)]])
    ok.SGD(b, learning_rate=0.5).step([np.ones(4)])
    np.testing.assert_array_equal(a[0], b[0])


def test_mixed_dtypes_in_one_optimizer():
    p32, p64 = np.ones(40, np.float32), np.ones(40, np.float64)
    opt = ok.Adam([p32, p64], learning_rate=0.1)
    opt.step([np.full(40, 0.3, np.float32), np.full(40, 0.3)])
    np.testing.assert_allclose(p32, p64, rtol=1e-6)
    assert p32.dtype == np.float32


def test_schedule_called_with_zero_based_iterations():
    seen = []
    opt = ok.SGD([np.ones(2)], learning_rate=lambda step: seen.append(step) or 0.1)
    for _ in range(3):
        opt.step([np.ones(2)])
    assert seen == [0, 1, 2]


def test_empty_optimizer_and_empty_tensors():
    opt = ok.Adam([])
    opt.step([])
    assert opt.iterations == 1
    opt = ok.torch.SGD([np.zeros(0, np.float32), np.zeros((3, 0))], momentum=0.9)
    opt.step([np.zeros(0, np.float32), np.zeros((3, 0))])


def test_torch_sgd_momentum_switched_on_later_starts_its_buffer():
    """As torch: a missing momentum_buffer starts as g on its first use."""
    a = np.zeros(3)
    opt = ok.torch.SGD([a], lr=0.1)
    opt.step([np.ones(3)])
    assert "momentum_buffer/0" not in opt.state_dict()
    opt.param_groups[0]["momentum"] = 0.9
    opt.step([np.ones(3)])
    np.testing.assert_array_equal(a, -0.2)
    np.testing.assert_array_equal(opt.state_dict()["momentum_buffer/0"], 1.0)
    opt.step([np.ones(3)])
    np.testing.assert_allclose(a, -0.2 - 0.1 * 1.9)


def test_torch_sgd_resumed_momentum_is_not_reinitialised():
    params = [np.zeros(4)]
    opt = ok.torch.SGD(params, lr=0.1, momentum=0.5)
    opt.step([np.ones(4)])
    sd = opt.state_dict()
    other = [params[0].copy()]
    opt2 = ok.torch.SGD(other, lr=0.1, momentum=0.5)
    opt2.load_state_dict(sd)
    opt.step([np.ones(4)])
    opt2.step([np.ones(4)])
    np.testing.assert_array_equal(params[0], other[0])
