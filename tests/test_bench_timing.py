"""The benchmark suites' shared timing tools keep the contract their docstrings give."""

from __future__ import annotations

import importlib

from optkern._bench import SUITES
from optkern._bench.bandwidth import bandwidth_bound, measure_bandwidth
from optkern._bench.timing import (
    Timer,
    cache_sweeper,
    gc_paused,
    last_level_cache_bytes,
    pool_rounds,
    run_rounds,
)

BLOCK_KEYS = {"median", "min", "max", "samples", "inner", "cold", "warmup_calls", "times",
              "foreign_load"}


def test_every_suite_is_a_module_with_main():
    for name in SUITES:
        module = importlib.import_module(f"optkern._bench.{name}")
        assert callable(module.main), name


def test_block_times_one_call_per_sample_entry():
    calls = []
    timer = Timer(min_samples=3, max_samples=4)
    r = timer.block(lambda: calls.append(1), budget_s=0.01, sample_s=0.001)
    assert BLOCK_KEYS <= set(r)
    assert 3 <= r["samples"] <= 4 and len(r["times"]) == r["samples"]
    # one cold call, the warm-up calls, then samples x inner calls
    assert len(calls) == 1 + r["warmup_calls"] + r["samples"] * r["inner"]
    assert r["min"] <= r["median"] <= r["max"]


def test_cache_sweeper_reads_more_than_the_last_level_cache():
    assert last_level_cache_bytes() > 0
    sweep = cache_sweeper(min_bytes=1 << 20)
    assert sweep() == max(1 << 20, 2 * last_level_cache_bytes()) // 4  # a sum of float32 ones


def test_quiet_block_without_waiting_runs_once():
    timer = Timer(retries=0, quiet_wait_s=0.0)
    r = timer.quiet_block(lambda: None, budget_s=0.005)
    assert r["attempt"] == 0 and timer.waited_s == 0.0


def test_run_rounds_takes_blocks_in_turn_and_pools_samples():
    order = []
    timer = Timer(min_samples=2, max_samples=2)

    def block(name):
        def run():
            order.append(name)
            return timer.block(lambda: None, budget_s=0.001, sample_s=0.0001)
        return run

    pooled = run_rounds({"a": block("a"), "b": block("b")}, rounds=2)
    assert order == ["a", "b", "a", "b"]
    for name in ("a", "b"):
        assert pooled[name]["samples"] == 4 and len(pooled[name]["round_medians"]) == 2
        assert len(pooled[name]["rounds"]) == 2


def test_pool_rounds_is_the_median_of_all_samples():
    runs = [dict(times=[1.0, 5.0], median=3.0, foreign_load=None),
            dict(times=[2.0], median=2.0, foreign_load=0.1)]
    r = pool_rounds(runs)
    assert r["median"] == 2.0 and r["min"] == 1.0 and r["max"] == 5.0
    assert r["foreign_load"] == 0.1 and r["round_medians"] == [3.0, 2.0]


def test_bandwidth_bound_is_the_best_measurement():
    timer = Timer(min_samples=2, max_samples=2)
    first = measure_bandwidth(timer, 1 << 12, threads=2, budget_s=0.001)
    assert set(first) == {"add_out (1 thread)", "add_inplace (1 thread)",
                          "add_out (2 threads)", "add_inplace (2 threads)"}
    second = {k: dict(v, gbs=v["gbs"] * 2) for k, v in first.items()}
    best, bound = bandwidth_bound([first, second])
    assert best == {k: v["gbs"] for k, v in second.items()}
    assert bound == max(best.values()) > 0


def test_gc_paused_turns_the_collector_off_and_restores_its_state():
    import gc
    for before in (True, False):
        (gc.enable if before else gc.disable)()
        try:
            with gc_paused():
                assert not gc.isenabled()
            assert gc.isenabled() == before
        finally:
            gc.enable()
