"""Training controls in state dicts and checkpoints (resume mid-accumulation,
mid-schedule, with EMA and skipped steps, bit for bit), the bad-argument
messages, and ok.global_norm."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ISAS, THREADS, running_on

import optkern as ok
from optkern import _core
from optkern._registry import cases
from optkern.schedules import CosineDecay, ExponentialDecay, PiecewiseConstantDecay

KERAS = cases("keras")
IDS = [c.id for c in KERAS]


def problem(dtype, calls, sizes=(7, 3000), seed=0):
    rng = np.random.default_rng(seed)
    params = {f"w{i}": rng.standard_normal(n).astype(dtype) for i, n in enumerate(sizes)}
    grads = [{k: rng.standard_normal(v.shape).astype(dtype) for k, v in params.items()}
             for _ in range(calls)]
    grads[4]["w1"][10] = np.nan  # skipped
    return params, grads


def copy(params):
    return {k: v.copy() for k, v in params.items()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", KERAS, ids=IDS)
def test_checkpoint_resume_mid_accumulation_continues_bit_for_bit(case, dtype, tmp_path):
    controls = dict(use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=4,
                    gradient_accumulation_steps=3)
    kwargs = dict(case.kwargs)
    kwargs["learning_rate"] = ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)
    params, grads = problem(dtype, 14)
    straight = copy(params)
    opt = case.cls(straight, **kwargs, **controls)
    for g in grads:
        opt.step(g, skip_nonfinite=True)

    first = copy(params)
    opt1 = case.cls(first, **kwargs, **controls)
    for g in grads[:8]:  # 8 calls, one skipped: 7 calls, mid-accumulation
        opt1.step(g, skip_nonfinite=True)
    assert opt1.iterations % 3 != 0
    manager = ok.CheckpointManager(ok.Checkpoint(model=first, optimizer=opt1), tmp_path,
                                   max_to_keep=1)
    manager.save()

    resumed = copy(params)
    # the same schedule class with other values: the saved one replaces it
    other = ExponentialDecay(0.5, decay_steps=7, decay_rate=0.9)
    opt2 = case.cls(resumed, **dict(kwargs, learning_rate=other), **controls)
    ok.Checkpoint(model=resumed, optimizer=opt2).restore(manager.latest_checkpoint)
    assert isinstance(opt2.learning_rate, ExponentialDecay)
    assert opt2.learning_rate.get_config() == kwargs["learning_rate"].get_config()
    assert opt2.skipped_steps == 1
    for g in grads[8:]:
        opt2.step(g, skip_nonfinite=True)
    for k in params:
        np.testing.assert_array_equal(resumed[k], straight[k])
    a, b = opt.state_dict(), opt2.state_dict()
    assert set(a) == set(b)
    for key in a:
        if isinstance(a[key], np.ndarray):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        else:
            assert a[key] == b[key], key


def test_schedule_entries_are_numpy_strings_and_round_trip():
    sched = PiecewiseConstantDecay([3, 6], [0.1, 0.01, 0.001])
    opt = ok.Adam([np.ones(2)], learning_rate=sched)
    sd = opt.state_dict()
    assert "learning_rate" not in sd
    name = sd["learning_rate_schedule/class_name"]
    assert isinstance(name, np.ndarray) and name.dtype.kind == "U" and str(name) == \
        "PiecewiseConstantDecay"
    assert sd["learning_rate_schedule/config/boundaries"].dtype == np.int64
    np.testing.assert_array_equal(sd["learning_rate_schedule/config/values"],
                                  [0.1, 0.01, 0.001])
    assert str(sd["learning_rate_schedule/config/name"]) == "PiecewiseConstant"
    other = ok.Adam([np.ones(2)], learning_rate=CosineDecay(1.0, 10))
    other.load_state_dict(sd)
    assert isinstance(other.learning_rate, PiecewiseConstantDecay)
    assert [other.learning_rate(s) for s in range(8)] == [sched(s) for s in range(8)]
    # a plain callable is code, not state
    assert not any(k.startswith("learning_rate") for k in
                   ok.Adam([np.ones(2)], learning_rate=lambda s: 0.1).state_dict())


def test_bad_schedule_entries_are_refused_naming_them():
    sd = ok.Adam([np.ones(2)], learning_rate=ExponentialDecay(0.1, 5, 0.5)).state_dict()
    opt = ok.Adam([np.ones(2)])
    before = opt.state_dict()
    for bad, match in [
            (dict(sd, **{"learning_rate_schedule/class_name": np.array("Nope")}), "class_name"),
            (dict(sd, **{"learning_rate_schedule/config/decay_rate": np.array("x")}),
             "config"),
            (dict(sd, **{"learning_rate_schedule/config/decay_rate": np.ones((2, 2))}),
             "decay_rate"),
            (dict(sd, **{"learning_rate_schedule/config/nope": 1.0}), "config")]:
        with pytest.raises((TypeError, ValueError), match=match):
            opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after.keys() == before.keys() and opt.learning_rate == 0.001


@pytest.mark.parametrize("kwargs, match, exc", [
    (dict(use_ema=1), "use_ema", TypeError),
    (dict(use_ema=True, ema_momentum=1.5), "ema_momentum", ValueError),
    (dict(ema_momentum="0.9"), "ema_momentum", TypeError),
    (dict(use_ema=True, ema_overwrite_frequency=0), "ema_overwrite_frequency", ValueError),
    (dict(use_ema=True, ema_overwrite_frequency=2.0), "ema_overwrite_frequency", TypeError),
    (dict(gradient_accumulation_steps=1), "gradient_accumulation_steps", ValueError),
    (dict(gradient_accumulation_steps=True), "gradient_accumulation_steps", TypeError),
    (dict(gradient_accumulation_steps=2.5), "gradient_accumulation_steps", TypeError),
])
@pytest.mark.parametrize("case", KERAS, ids=IDS)
def test_bad_control_arguments_are_named(case, kwargs, match, exc):
    with pytest.raises(exc, match=match):
        case.cls([np.ones(3)], **case.kwargs, **kwargs)


def test_controls_are_fixed_and_in_the_signature():
    import inspect

    opt = ok.AdamW([np.ones(3)], use_ema=True, gradient_accumulation_steps=4)
    assert opt.use_ema is True and opt.gradient_accumulation_steps == 4
    assert opt.ema_momentum == 0.99 and opt.ema_overwrite_frequency is None
    with pytest.raises(AttributeError):
        opt.use_ema = False
    sig = inspect.signature(ok.AdamW)
    for name in ("use_ema", "ema_momentum", "ema_overwrite_frequency",
                 "gradient_accumulation_steps"):
        assert sig.parameters[name].kind == inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError, match="skip_nonfinite"):
        opt.step([np.ones(3)], skip_nonfinite=None)
    assert opt.iterations == 0


def test_plain_step_returns_none_and_skipped_steps_is_optional_on_load():
    opt = ok.Adam([np.ones(3)])
    assert opt.step([np.ones(3)]) is None
    assert opt.step([np.ones(3)], skip_nonfinite=True) is True
    sd = opt.state_dict()
    assert sd["skipped_steps"] == 0
    opt.skipped_steps = 5
    opt.load_state_dict({k: v for k, v in sd.items() if k != "skipped_steps"})
    assert opt.skipped_steps == 0
    with pytest.raises(ValueError, match="skipped_steps"):
        opt.load_state_dict(dict(sd, skipped_steps=1.5))


def test_global_norm_list_and_dict():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(n).astype(t) for n, t in
              ((100_003, np.float32), (17, np.float64), (0, np.float32))]
    want = math.sqrt(math.fsum(_core.sum_squares(arrays, ["0", "1", "2"])))
    results = set()
    for isa in ISAS:
        for threads in THREADS:
            with running_on(isa, threads):
                results.add(ok.global_norm(arrays))
                results.add(ok.global_norm({"a": arrays[0], "b": arrays[1], "c": arrays[2]}))
    assert results == {want}
    exact = math.sqrt(sum(float(np.sum(a.astype(np.float64) ** 2)) for a in arrays))
    assert abs(want - exact) <= 1e-12 * exact
    assert ok.global_norm([]) == 0.0
    with pytest.raises(TypeError):
        ok.global_norm(arrays[0])
    with pytest.raises(TypeError, match="grads"):
        ok.global_norm([np.ones(3, dtype=np.int32)])


def test_global_norm_is_the_norm_global_clipnorm_uses():
    rng = np.random.default_rng(1)
    g = [rng.standard_normal(5000).astype(np.float32), rng.standard_normal(7).astype(np.float32)]
    p = [np.zeros(5000, np.float32), np.zeros(7, np.float32)]
    ok.SGD(p, learning_rate=1.0, global_clipnorm=1e-3).step(g)
    scale = np.float32(1e-3 / ok.global_norm(g))
    np.testing.assert_array_equal(p[0], -(g[0] * scale))
