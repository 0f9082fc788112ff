"""Keras-convention learning-rate schedules (``optkern.schedules``).

Each schedule is checked at every step 0..10 000 against its formula written
out plainly here with NumPy (exactly where the order of operations is the same
and only + - * / are involved; to 1e-15 relative where NumPy's cos / pow / log
may round differently from the C library's: on x86-64 Linux with NumPy 2 they
agree exactly, but NumPy may use its own SIMD versions), at every period boundary for
CosineDecayRestarts, through get_config / from_config / serialize, inside a
Keras-convention optimizer, and with bad arguments.
"""

from __future__ import annotations

import json
import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import optkern as ok
import optkern.schedules as sch

STEPS = np.arange(10_001, dtype=np.float64)
DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "schedules.md"


def evaluate(schedule) -> np.ndarray:
    return np.array([schedule(int(s)) for s in STEPS])


def close(actual, expected, scale):
    """Within 1e-15 relative, or 1e-15*scale absolute (where 1 + cos(...) cancels
    to nearly 0, one ulp of cos is a large relative error)."""
    np.testing.assert_allclose(actual, expected, rtol=1e-15, atol=1e-15 * scale)


# -- formulas ---------------------------------------------------------------------

@pytest.mark.parametrize("staircase", [False, True])
@pytest.mark.parametrize("init, decay_steps, rate", [(0.1, 1000, 0.96), (1.0, 7, 0.5),
                                                     (3e-4, 250.5, 0.1)])
def test_exponential_decay(init, decay_steps, rate, staircase):
    p = STEPS / decay_steps
    if staircase:
        p = np.floor(p)
    expected = init * np.power(rate, p)
    close(evaluate(sch.ExponentialDecay(init, decay_steps, rate, staircase)), expected, init)


@pytest.mark.parametrize("staircase", [False, True])
@pytest.mark.parametrize("init, decay_steps, rate", [(0.1, 1000, 0.5), (1.0, 1, 2.0),
                                                     (5e-3, 33.3, 0.0)])
def test_inverse_time_decay(init, decay_steps, rate, staircase):
    p = STEPS / decay_steps
    if staircase:
        p = np.floor(p)
    expected = init / (1.0 + rate * p)
    np.testing.assert_array_equal(
        evaluate(sch.InverseTimeDecay(init, decay_steps, rate, staircase)), expected)


@pytest.mark.parametrize("boundaries, values", [
    ([1000, 5000], [0.1, 0.01, 0.001]),
    ([0, 1, 2, 9999], [5.0, 4.0, 3.0, 2.0, 1.0]),
    ([2500.5], [1e-3, 1e-4]),
    ([], [0.25]),
])
def test_piecewise_constant_decay(boundaries, values):
    expected = np.full(STEPS.shape, values[-1])
    for b, v in zip(reversed(boundaries), reversed(values[:-1])):
        expected[STEPS <= b] = v  # each boundary belongs to the piece before it
    np.testing.assert_array_equal(evaluate(sch.PiecewiseConstantDecay(boundaries, values)),
                                  expected)


@pytest.mark.parametrize("cycle", [False, True])
@pytest.mark.parametrize("init, decay_steps, end, power", [
    (0.1, 1000, 1e-4, 1.0), (1.0, 3000, 0.0, 0.5), (0.5, 77, 0.01, 2.0), (0.1, 10, 0.2, 3.0)])
def test_polynomial_decay(init, decay_steps, end, power, cycle):
    if cycle:
        multiplier = np.where(STEPS == 0, 1.0, np.ceil(STEPS / decay_steps))
        d = decay_steps * multiplier
        s = STEPS
    else:
        d = np.float64(decay_steps)
        s = np.minimum(STEPS, decay_steps)
    expected = (init - end) * np.power(1.0 - s / d, power) + end
    close(evaluate(sch.PolynomialDecay(init, decay_steps, end, power, cycle)), expected, init)


def test_polynomial_decay_defaults_and_cycle_ends():
    lr = sch.PolynomialDecay(0.1, 100, cycle=True)
    assert lr.get_config()["end_learning_rate"] == 0.0001 and lr.power == 1.0
    assert lr(0) == 0.1 and lr(100) == lr(200) == lr(300) == pytest.approx(1e-4, abs=1e-18)
    assert lr(101) > lr(199)


@pytest.mark.parametrize("init, decay_steps, alpha, target, warmup", [
    (0.1, 10_000, 0.0, None, 0), (0.1, 4_000, 0.1, None, 0), (1.0, 333, 0.5, None, 0),
    (0.0, 5_000, 0.0, 0.1, 1_000), (1e-3, 2_000, 0.2, 0.05, 777), (0.01, 9_000, 0.0, 0.2, 0),
])
def test_cosine_decay(init, decay_steps, alpha, target, warmup):
    def decay(s, start):
        return start * ((1 - alpha) * (0.5 * (1 + np.cos(np.pi * (s / decay_steps)))) + alpha)

    if target is None:
        expected = decay(np.minimum(STEPS, decay_steps), init)
    else:
        s = np.minimum(STEPS, decay_steps + warmup)
        with np.errstate(divide="ignore", invalid="ignore"):
            rising = (target - init) * (s / warmup) + init
        expected = np.where(s < warmup, rising, decay(s - warmup, target))
    lr = sch.CosineDecay(init, decay_steps, alpha, warmup_target=target, warmup_steps=warmup)
    close(evaluate(lr), expected, max(init, target or 0.0))
    if target is not None and warmup:
        assert lr(0) == init and lr(warmup) == target


def restart_index(f, t_mul):
    """Period index by the plain closed form, then moved to satisfy
    S(i) <= f < S(i + 1) exactly."""
    if t_mul == 1.0:
        return np.floor(f)

    def start(i):
        return (1.0 - t_mul ** i) / (1.0 - t_mul)

    i = np.floor(np.log(1.0 - f * (1.0 - t_mul)) / np.log(t_mul))
    for _ in range(3):
        i = np.where(start(i) > f, i - 1, i)
        i = np.where(start(i + 1) <= f, i + 1, i)
    assert np.all(start(i) <= f) and np.all(f < start(i + 1))
    return i


def restarts_formula(steps, init, first, t_mul, m_mul, alpha):
    f = steps / first
    i = restart_index(f, t_mul)
    completed = (f - (i if t_mul == 1.0 else (1.0 - t_mul ** i) / (1.0 - t_mul))) / t_mul ** i
    cosine = 0.5 * m_mul ** i * (1.0 + np.cos(np.pi * completed))
    return init * ((1.0 - alpha) * cosine + alpha)


RESTART_CASES = [(0.1, 100, 2.0, 1.0, 0.0), (0.1, 64, 1.5, 0.9, 0.1), (1.0, 10, 1.0, 0.5, 0.0),
                 (0.05, 30, 3.0, 1.0, 0.05), (0.2, 1000, 2.0, 0.5, 0.0), (1.0, 1, 1.5, 1.0, 0.0)]


@pytest.mark.parametrize("init, first, t_mul, m_mul, alpha", RESTART_CASES)
def test_cosine_decay_restarts(init, first, t_mul, m_mul, alpha):
    lr = sch.CosineDecayRestarts(init, first, t_mul, m_mul, alpha)
    close(evaluate(lr), restarts_formula(STEPS, init, first, t_mul, m_mul, alpha), init)


@pytest.mark.parametrize("t_mul", [1.0, 1.5, 2.0, 3.0])
def test_cosine_decay_restarts_every_boundary(t_mul):
    """At the first step of every period the rate is that period's full start
    rate, and just before it the previous period has decayed to its end."""
    init, first, m_mul, alpha = 0.1, 8, 0.75, 0.0
    lr = sch.CosineDecayRestarts(init, first, t_mul, m_mul, alpha)
    n_periods = 10_000 if t_mul == 1.0 else int(math.log(1e12) / math.log(t_mul))
    for i in range(1, n_periods):
        start = float(i) if t_mul == 1.0 else (1.0 - t_mul ** i) / (1.0 - t_mul)
        step = start * first  # first is a power of two: step / first == start exactly
        assert lr(step) == init * (0.5 * m_mul ** i * 2.0), (i, step)
        before = lr(np.nextafter(step, 0.0))
        assert before <= 1e-9 * init * m_mul ** (i - 1), (i, step, before)


def test_plain_closed_form_lands_one_period_low_at_some_boundaries():
    """Why restart_index corrects its first guess: floor(log(.)/log(t_mul)) is
    one low at these restarts, which would give the previous period's end
    (about 0) instead of the full rate."""
    for t_mul, i in ((1.5, 5), (3.0, 5)):
        start = (1.0 - t_mul ** i) / (1.0 - t_mul)
        assert math.floor(math.log(1.0 - start * (1.0 - t_mul)) / math.log(t_mul)) == i - 1
        assert sch.cosine.restart_index(start, t_mul) == i
        lr = sch.CosineDecayRestarts(1.0, 1, t_mul)
        assert lr(start) == 1.0


def test_numpy_bools_are_flags():
    assert sch.ExponentialDecay(0.1, 10, 0.5, staircase=np.True_).staircase is True
    assert sch.PolynomialDecay(0.1, 10, cycle=np.bool_(False)).cycle is False


def test_values_are_python_floats_and_steps_may_be_numpy():
    lr = sch.ExponentialDecay(0.1, 10, 0.5)
    for step in (3, 3.0, np.int64(3), np.float32(3), np.array(3), np.uint8(3)):
        value = lr(step)
        assert type(value) is float and value == 0.1 * 0.5 ** 0.3


# -- configs -----------------------------------------------------------------------

ALL = [
    sch.ExponentialDecay(0.1, 1000, 0.96, staircase=True, name="e"),
    sch.InverseTimeDecay(0.1, 10, 0.5),
    sch.PiecewiseConstantDecay([10, 20.5], [0.1, 0.01, 0.001]),
    sch.PolynomialDecay(0.1, 100, 0.001, power=0.5, cycle=True),
    sch.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10),
    sch.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.01),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    config = schedule.get_config()
    again = type(schedule).from_config(config)
    assert again.get_config() == config
    json_again = sch.deserialize(json.loads(json.dumps(sch.serialize(schedule))))
    assert type(json_again) is type(schedule) and json_again.get_config() == config
    assert sch.get(sch.serialize(schedule)).get_config() == config
    assert sch.get(schedule) is schedule
    for step in (0, 1, 5, 10, 11, 20, 21, 99, 100, 101, 1234):
        assert again(step) == schedule(step) == json_again(step)
    assert repr(schedule).startswith(type(schedule).__name__ + "(")


def test_keras_default_names_and_arguments():
    assert sch.ExponentialDecay(0.1, 1, 0.5).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5,
        "staircase": False, "name": "ExponentialDecay"}
    assert sch.PiecewiseConstantDecay([1], [1.0, 0.5]).name == "PiecewiseConstant"
    assert sch.CosineDecay(0.1, 5).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 5, "alpha": 0.0, "name": "CosineDecay",
        "warmup_target": None, "warmup_steps": 0}
    assert sch.CosineDecayRestarts(0.1, 5).get_config() == {
        "initial_learning_rate": 0.1, "first_decay_steps": 5, "t_mul": 2.0, "m_mul": 1.0,
        "alpha": 0.0, "name": "SGDRDecay"}


def test_custom_schedule_and_deserialize_custom_objects():
    class Halving(sch.LearningRateSchedule):
        def __init__(self, lr):
            self.lr = lr

        def __call__(self, step):
            return self.lr / 2 ** (step // 10)

        def get_config(self):
            return {"lr": self.lr}

    h = sch.deserialize(sch.serialize(Halving(0.4)), custom_objects={"Halving": Halving})
    assert h(25) == 0.1
    with pytest.raises(ValueError, match="Halving"):
        sch.deserialize(sch.serialize(Halving(0.4)))
    with pytest.raises(NotImplementedError):
        sch.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError):
        sch.LearningRateSchedule().get_config()


def test_get_and_deserialize_reject_bad_input():
    assert sch.get(0.5) == 0.5
    for bad in ("ExponentialDecay", True, None):
        with pytest.raises(TypeError):
            sch.get(bad)
    with pytest.raises(ValueError, match="class_name"):
        sch.deserialize({"config": {}})
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        sch.serialize(lambda step: 0.1)


# -- inside an optimizer -------------------------------------------------------------

def test_schedule_drives_keras_adam():
    """The optimizer calls the schedule with iterations = 0, 1, ... before each
    step: the result is bit-identical to setting the float learning rate by hand."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((5, 7)).astype(np.float32)
    grads = [rng.standard_normal((5, 7)).astype(np.float32) for _ in range(30)]
    schedule = sch.ExponentialDecay(0.05, decay_steps=4, decay_rate=0.5)
    a, b = w0.copy(), w0.copy()
    opt_a = ok.Adam([a], learning_rate=schedule)
    opt_b = ok.Adam([b], learning_rate=1.0)
    for i, g in enumerate(grads):
        opt_a.step([g])
        opt_b.learning_rate = schedule(i)
        opt_b.step([g])
    assert opt_a.iterations == 30
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, w0)


def test_schedule_in_param_group_of_sgd():
    w, v = np.ones(3), np.ones(3)
    lr = sch.PiecewiseConstantDecay([0], [1.0, 0.5])
    opt = ok.SGD([{"params": [w], "learning_rate": lr}, {"params": [v]}], learning_rate=0.1)
    for _ in range(2):
        opt.step([[np.ones(3)], [np.ones(3)]])
    np.testing.assert_array_equal(w, 1.0 - 1.0 - 0.5)
    np.testing.assert_array_equal(v, 1.0 - 0.2)


# -- bad input -------------------------------------------------------------------------

BAD = [
    (sch.ExponentialDecay, (0.1, 0, 0.5), ValueError, "decay_steps"),
    (sch.ExponentialDecay, (0.1, -5, 0.5), ValueError, "decay_steps"),
    (sch.ExponentialDecay, (-0.1, 10, 0.5), ValueError, "initial_learning_rate"),
    (sch.ExponentialDecay, (0.1, 10, -0.5), ValueError, "decay_rate"),
    (sch.ExponentialDecay, (0.1, 10, math.nan), ValueError, "decay_rate"),
    (sch.ExponentialDecay, (math.inf, 10, 0.5), ValueError, "initial_learning_rate"),
    (sch.ExponentialDecay, ("0.1", 10, 0.5), TypeError, "initial_learning_rate"),
    (sch.ExponentialDecay, (0.1, True, 0.5), TypeError, "decay_steps"),
    (sch.ExponentialDecay, (0.1, 10, 0.5, 1), TypeError, "staircase"),
    (sch.ExponentialDecay, (0.1, 10, 0.5, "yes"), TypeError, "staircase"),
    (sch.InverseTimeDecay, (0.1, 0.0, 0.5), ValueError, "decay_steps"),
    (sch.InverseTimeDecay, (0.1, 10, -1), ValueError, "decay_rate"),
    (sch.InverseTimeDecay, (None, 10, 1), TypeError, "initial_learning_rate"),
    (sch.PiecewiseConstantDecay, ([10, 5], [1.0, 0.5, 0.1]), ValueError, "increasing"),
    (sch.PiecewiseConstantDecay, ([10, 10], [1.0, 0.5, 0.1]), ValueError, "increasing"),
    (sch.PiecewiseConstantDecay, ([10], [1.0, 0.5, 0.1]), ValueError, "one more"),
    (sch.PiecewiseConstantDecay, ([10, 20], [1.0]), ValueError, "one more"),
    (sch.PiecewiseConstantDecay, ([10], [1.0, -0.5]), ValueError, r"values\[1\]"),
    (sch.PiecewiseConstantDecay, ([math.nan], [1.0, 0.5]), ValueError, r"boundaries\[0\]"),
    (sch.PiecewiseConstantDecay, (["a"], [1.0, 0.5]), TypeError, r"boundaries\[0\]"),
    (sch.PiecewiseConstantDecay, ([1], [1.0, False]), TypeError, r"values\[1\]"),
    (sch.PiecewiseConstantDecay, (5, [1.0]), TypeError, "boundaries"),
    (sch.PiecewiseConstantDecay, ([], "1"), TypeError, "values"),
    (sch.PolynomialDecay, (0.1, 0), ValueError, "decay_steps"),
    (sch.PolynomialDecay, (0.1, 10, -1e-4), ValueError, "end_learning_rate"),
    (sch.PolynomialDecay, (0.1, 10, 1e-4, -1.0), ValueError, "power"),
    (sch.PolynomialDecay, (0.1, 10, 1e-4, 1.0, None), TypeError, "cycle"),
    (sch.CosineDecay, (0.1, 0), ValueError, "decay_steps"),
    (sch.CosineDecay, (0.1, 10, -0.1), ValueError, "alpha"),
    (sch.CosineDecay, (0.1, 10, 1.5), ValueError, "alpha"),
    (sch.CosineDecay, (0.1, 10, 0.0, "n", -0.1), ValueError, "warmup_target"),
    (sch.CosineDecay, (0.1, 10, 0.0, "n", 0.1, -1), ValueError, "warmup_steps"),
    (sch.CosineDecay, (0.1, 10, 0.0, "n", "0.1"), TypeError, "warmup_target"),
    (sch.CosineDecayRestarts, (0.1, 0), ValueError, "first_decay_steps"),
    (sch.CosineDecayRestarts, (0.1, 10, 0.5), ValueError, "t_mul"),
    (sch.CosineDecayRestarts, (0.1, 10, 2.0, -1.0), ValueError, "m_mul"),
    (sch.CosineDecayRestarts, (0.1, 10, 2.0, 1.0, 2.0), ValueError, "alpha"),
    (sch.CosineDecayRestarts, (0.1, 10, math.inf), ValueError, "t_mul"),
]


@pytest.mark.parametrize("cls, args, error, match", BAD)
def test_bad_arguments_fail_at_construction(cls, args, error, match):
    with pytest.raises(error, match=match):
        cls(*args)


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_bad_steps(schedule):
    for step in (-1, -0.5, math.nan, math.inf, np.int64(-3)):
        with pytest.raises(ValueError, match="step"):
            schedule(step)
    for step in ("3", None, True, [1], np.array([1, 2])):
        with pytest.raises(TypeError, match="step"):
            schedule(step)


def test_optimizer_reports_a_bad_step_from_its_schedule():
    opt = ok.SGD([np.ones(2)], learning_rate=lambda step: -1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        opt.step([np.ones(2)])


# -- import cost and docs --------------------------------------------------------------

def test_import_optkern_does_not_import_schedules():
    code = ("import sys, optkern; assert 'optkern.schedules' not in sys.modules; "
            "import optkern.schedules, optkern.torch.lr_scheduler; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_docs_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    assert len(blocks) >= 2
    for block in blocks:
        if "import torch\n" in block:
            pytest.importorskip("torch")
        exec(compile(block, str(DOCS), "exec"), {})


@pytest.mark.parametrize("module", ["optkern.schedules", "optkern.schedules._base", "optkern.schedules.exponential",
                                    "optkern.schedules.piecewise", "optkern.schedules.polynomial",
                                    "optkern.schedules.cosine", "optkern.torch.lr_scheduler"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
