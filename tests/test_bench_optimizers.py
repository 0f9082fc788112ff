"""The optimizer benchmark covers every benchmark row of the registry (timings are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from optkern._bench.controls import CONFIGS, PAIRS_PER_ROUND, WARMUP_PAIRS, paired_ratios
from optkern._bench.optimizer_rows import (FOUNDATION, derive, keras_to_torch_kwargs,
                                           row_goals, select_rows, torch_spec)
from optkern._registry import CASES, Case, cases


def test_every_benchmark_row_counts_its_bytes_and_has_a_reference():
    rows = cases(bench=True)
    assert FOUNDATION in {c.id for c in rows}
    for case in rows:
        assert case.bytes_per_element > 0, case.id
        # read p and g, write p: at least 12 bytes, and whole float32 words
        assert case.bytes_per_element >= 12 and case.bytes_per_element % 4 == 0, case.id
        assert isinstance(case.reference, type), case.id
        assert callable(getattr(case.reference, "step", None)), case.id
        assert isinstance(case.cls, type), case.id


def test_one_benchmark_row_per_optimizer_and_front_end():
    bench = Counter((c.front_end, c.name) for c in CASES if c.bench)
    for key in {(c.front_end, c.name) for c in CASES}:
        assert bench[key] == 1, f"{key}: {bench[key]} rows with bench=True"


def test_only_selects_rows_by_substring():
    every = select_rows(None)
    assert every == cases(bench=True) and select_rows("") == every
    assert [c.id for c in select_rows("keras-sgd")] == ["keras-sgd"]
    both = select_rows("keras-sgd, keras-adamw")
    assert [c.id for c in both] == ["keras-sgd", "keras-adamw"]
    assert {c.front_end for c in select_rows("torch-")} == {"torch"}
    assert select_rows("no-such-row") == []


def test_keras_kwargs_are_renamed_to_torch_names():
    adam = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
            "amsgrad": False}
    got = keras_to_torch_kwargs({"learning_rate": 0.1, "beta_2": 0.9, "epsilon": 1e-3,
                                 "amsgrad": True, "clipvalue": 0.5}, adam)
    assert got == {"lr": 0.1, "betas": (0.9, 0.9), "eps": 1e-3, "amsgrad": True}
    rmsprop = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False}
    assert keras_to_torch_kwargs({"rho": 0.8, "momentum": 0.5}, rmsprop) == \
        {"alpha": 0.8, "momentum": 0.5}
    adadelta = {"lr": 1.0, "rho": 0.9, "eps": 1e-6}
    assert keras_to_torch_kwargs({"rho": 0.8}, adadelta) == {"rho": 0.8}


def test_torch_fastest_path_is_found_at_run_time():
    torch = pytest.importorskip("torch")
    adam = torch_spec(torch, next(c for c in CASES if c.id == FOUNDATION))
    assert adam == dict(name="Adam", kwargs={"lr": 0.01}, path="fused", extra={"fused": True})
    # torch has no fused Adamax: the multi-tensor path; torch's name is NAdam for Keras Nadam
    adamax = torch_spec(torch, Case("keras-x", "keras", "Adamax", {"learning_rate": 0.01}))
    assert adamax["name"] == "Adamax" and adamax["path"] == "foreach"
    nadam = torch_spec(torch, Case("keras-x", "keras", "Nadam", {"beta_1": 0.8}))
    assert nadam["name"] == "NAdam" and nadam["kwargs"] == {"betas": (0.8, 0.999)}
    # no such torch class, or a torch-front-end row without a torch counterpart
    assert torch_spec(torch, Case("keras-x", "keras", "Lion", {})) is None
    assert torch_spec(torch, Case("torch-x", "torch", "Lion", {}, torch=None)) is None
    assert torch_spec(None, next(c for c in CASES if c.id == FOUNDATION)) is None


def _case(name, k, ok_s, np_s, th_s=None, model=False, vs=None):
    c = dict(name=name, k=k, model=model, elements=(1 << k) if k else 10,
             optkern=dict(median=ok_s), numpy=dict(median=np_s))
    if th_s is not None:
        c["torch"] = dict(median=th_s)
    if vs is not None:
        c["vs_foundation_gbs"] = vs
    return c


def test_row_goals_judge_numpy_torch_and_bytes():
    spec = dict(name="SGD", kwargs={}, path="fused")
    rows = [dict(id=FOUNDATION, torch=spec, cases=[_case("2^14", 14, 1.0, 1.0, 1.0)]),
            dict(id="keras-x", torch=spec, cases=[
                _case("2^14", 14, 1.0, 9.0, 0.5, vs=0.7),     # numpy met, bytes not met
                _case("2^18", 18, 1.0, 7.0, 0.5),             # numpy not met, no torch goal
                _case("2^22", 22, 1.0, 8.0, 1.0, vs=0.8),     # torch met (1.0x), bytes met
                _case("model", None, 1.0, 2.0, 1.4, model=True)])]  # model: 1.5x not met
    got = [(g["row"], g["size"], g["kind"], g["met"]) for g in row_goals(rows)]
    assert got == [("keras-x", "2^14", "numpy", True), ("keras-x", "2^14", "bytes", False),
                   ("keras-x", "2^18", "numpy", False), ("keras-x", "2^22", "numpy", True),
                   ("keras-x", "2^22", "torch", True), ("keras-x", "2^22", "bytes", True),
                   ("keras-x", "model", "torch", False)]


def test_derive_compares_with_the_foundation_timed_next_to_the_row():
    """A row moving 12 B/element in 1 µs and keras-adam (28 B) in 2 µs at 2^14:
    12/28 * 2 = 0.857 of keras-adam's GB/s; no adjacent block, no comparison."""
    n = 1 << 14
    c = dict(elements=n, optkern=dict(median=1e-6), numpy=dict(median=8e-6),
             foundation=dict(median=2e-6))
    derive(c, 12, 100.0, 28)
    assert c["optkern_gbs"] == pytest.approx(12 * n / 1e-6 / 1e9)
    assert c["foundation_gbs"] == pytest.approx(28 * n / 2e-6 / 1e9)
    assert c["vs_foundation_gbs"] == pytest.approx(12 / 28 * 2)
    alone = dict(elements=n, optkern=dict(median=1e-6), numpy=dict(median=8e-6))
    derive(alone, 12, 100.0)
    assert "vs_foundation_gbs" not in alone


def run_bench(*args):
    return subprocess.run([sys.executable, "-m", "optkern", "bench", "optimizers", *args],
                          capture_output=True, text=True, timeout=300)


def test_quick_run_of_selected_rows_prints_a_row_each(tmp_path):
    selected = [c.id for c in select_rows("sgd")]
    assert "keras-sgd" in selected and len(selected) >= 2
    out = run_bench("--quick", "--only", "sgd", "--budget", "0.01", "--bw-elements",
                    str(1 << 16), "--json", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr[-2000:]
    for case_id in selected:
        assert f"| {case_id} | 2^14 |" in out.stdout, case_id
        assert f"| {case_id} | model 100x" in out.stdout, case_id
    assert "| keras-adam |" not in out.stdout and "| 2^10 |" not in out.stdout
    assert "docs/benchmarks.md" in out.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    assert [r["id"] for r in result["optimizers"]] == selected
    for row in result["optimizers"]:
        assert [c["name"] for c in row["cases"]][0] == "2^14"
        assert all(c["optkern"]["median"] > 0 and c["numpy"]["median"] > 0
                   for c in row["cases"])
        # the per-byte comparison's own keras-adam blocks, on the same arrays
        for c in row["cases"]:
            assert c["foundation"]["median"] > 0
            assert c["vs_foundation_gbs"] == pytest.approx(
                c["optkern_gbs"] / c["foundation_gbs"])
    assert result["cases"] == []


def test_only_that_selects_nothing_is_refused():
    out = run_bench("--quick", "--only", "no-such-row")
    assert out.returncode == 2
    assert "no-such-row" in out.stderr and "keras-sgd" in out.stderr


@pytest.mark.parametrize("only", ["adam,adma", "controls,nonsense", "lion, ,no-such-row"])
def test_only_with_one_substring_that_selects_nothing_is_refused_naming_it(only):
    out = run_bench("--quick", "--only", only)
    bad = only.split(",")[-1].strip()
    assert out.returncode == 2
    assert f"'{bad}' in --only" in out.stderr and "keras-sgd" in out.stderr
    assert "| " not in out.stdout  # refused before timing anything


def test_quick_controls_run_times_every_configuration_and_pairs_for_the_goals(tmp_path):
    out = run_bench("--quick", "--only", "controls", "--budget", "0.01", "--bw-elements",
                    str(1 << 16), "--json", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr[-2000:]
    for name in CONFIGS:
        assert f"| {name} |" in out.stdout, name
    controls = json.loads((tmp_path / "r.json").read_text())["controls"]
    assert sorted(controls["times"]) == sorted(CONFIGS)
    assert [(g["goal"], g["pairs"]) for g in controls["goals"]] == [
        (1.3, PAIRS_PER_ROUND), (1.1, PAIRS_PER_ROUND)]  # --quick: one round
    for goal in controls["goals"]:
        q1, q3 = goal["quartiles"]
        assert 0 < q1 <= goal["value"] <= q3
        assert goal["met"] == (goal["value"] <= goal["goal"])
        assert f"{goal['what']}: {goal['value']:.2f}x" in out.stdout


def test_pairs_alternate_which_goes_first_and_sweep_before_every_call():
    calls = []
    ratios = paired_ratios(lambda: calls.append("step"), lambda: calls.append("base"),
                           lambda: calls.append("sweep"), pairs=4)
    assert len(ratios) == 4 and all(r > 0 for r in ratios)
    timed = [c for c in calls if c != "sweep"]
    assert calls == [x for c in timed for x in ("sweep", c)]
    pairs = [tuple(timed[i:i + 2]) for i in range(0, len(timed), 2)]
    assert len(pairs) == WARMUP_PAIRS + 4
    assert pairs[0::2] == [("base", "step")] * 3 and pairs[1::2] == [("step", "base")] * 3
