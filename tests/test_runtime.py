"""Build info, ISA selection, threads, clipping helpers, import cost and
allocation-free steps."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from conftest import ISAS

import optkern as ok


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_build_info():
    info = ok.build_info()
    assert set(info) == {"version", "isa", "available_isas", "openmp", "num_threads",
                         "compiler"}
    assert info["isa"] in info["available_isas"]
    assert info["available_isas"][0] == "scalar"
    assert info["version"] == ok.__version__
    assert info["num_threads"] == ok.get_num_threads() >= 1


@pytest.mark.parametrize("isa", ISAS)
def test_optkern_isa_env_forces_the_kernels(isa):
    code = ("import numpy as np, optkern as ok;"
            "p=[np.linspace(-1,1,1001,dtype=np.float32)];"
            "o=ok.Adam(p,amsgrad=True);[o.step([np.cos(p[0])]) for _ in range(5)];"
            "print(ok.build_info()['isa']); print(p[0].tobytes().hex())")
    out = run_python(code, OPTKERN_ISA=isa)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert lines[0] == isa
    base = run_python(code, OPTKERN_ISA="scalar").stdout.split()
    assert lines[1] == base[1]  # every ISA gives the same bits


def test_optkern_isa_env_invalid_is_a_clear_error():
    out = run_python("import optkern as ok; ok.build_info()", OPTKERN_ISA="avx9000")
    assert out.returncode != 0
    assert "OPTKERN_ISA=avx9000" in out.stderr and "scalar, avx2 or avx512" in out.stderr


def test_omp_num_threads_respected():
    out = run_python("import optkern as ok; print(ok.get_num_threads())", OMP_NUM_THREADS="3")
    assert out.stdout.strip() == "3"


def test_set_num_threads_round_trip():
    old = ok.get_num_threads()
    try:
        ok.set_num_threads(5)
        assert ok.get_num_threads() == 5 == ok.build_info()["num_threads"]
    finally:
        ok.set_num_threads(old)


def test_import_is_lazy():
    """``import optkern`` loads the core and nothing else of ours (import cost)."""
    out = run_python("import sys, optkern; print(sorted(m for m in sys.modules "
                     "if m.startswith('optkern')))")
    loaded = eval(out.stdout)
    assert loaded == ["optkern", "optkern._core", "optkern._info"]


@pytest.mark.parametrize("make_opt", [
    lambda p: ok.Adam(p, clipnorm=1.0),
    lambda p: ok.torch.AdamW(p, amsgrad=True),
    lambda p: ok.torch.SGD(p, momentum=0.9),
])
def test_steps_allocate_nothing(make_opt):
    params = {f"w{i}": np.ones(1000 + i, np.float32) for i in range(8)}
    grads = {k: np.full_like(v, 1e-3) for k, v in params.items()}
    opt = make_opt(params)
    for _ in range(50):
        opt.step(grads)
    tracemalloc.start()
    try:
        opt.step(grads)
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(1000):
            opt.step(grads)
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - start < 1024, f"{end - start} bytes retained over 1000 steps"


def test_rss_flat_over_1000_steps():
    resource = pytest.importorskip("resource")
    params = [np.ones(1 << 18, np.float32) for _ in range(4)]
    grads = [np.full_like(p, 1e-3) for p in params]
    opt = ok.Adam(params)
    for _ in range(100):
        opt.step(grads)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(1000):
        opt.step(grads)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 2048  # KiB


def test_clip_grad_norm_in_place():
    g = [np.full(4, 3.0, np.float32), np.full(9, 4.0 / 3.0, np.float32)]
    norm = ok.torch.clip_grad_norm_(g, max_norm=1.0)
    assert norm == pytest.approx(np.sqrt(36 + 16))
    total = np.sqrt(sum(float(np.sum(x.astype(np.float64) ** 2)) for x in g))
    assert total == pytest.approx(1.0, rel=1e-5)
    small = [np.full(3, 0.1)]
    ok.torch.clip_grad_norm_(small, max_norm=10.0)
    np.testing.assert_array_equal(small[0], 0.1)
    with pytest.raises(RuntimeError, match="non-finite"):
        ok.torch.clip_grad_norm_([np.array([np.inf])], 1.0, error_if_nonfinite=True)


def test_cli_info_self_check_passes():
    out = subprocess.run([sys.executable, "-m", "optkern", "info"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 failed" in out.stdout and "isa" in out.stdout


def test_reference_seed_formulas():
    t = np.zeros(10)
    t[2] = 1
    y = np.array([.1, .05, .6, 0, .05, .1, 0, .1, 0, 0])
    assert ok.reference.mse_half_sum(y, t) == pytest.approx(0.0975)
    assert ok.reference.cross_entropy_error(y, t) == pytest.approx(0.5108255, rel=1e-6)


def test_bench_quick_smoke_run(tmp_path):
    """The optimizer benchmark runs end to end (timings are not checked)."""
    out = subprocess.run([sys.executable, "-m", "optkern", "bench", "--quick", "--no-torch",
                          "--json", str(tmp_path / "r.json")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| 2^10 |" in out.stdout
    import json
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["cases"][0]["optkern"]["median"] > 0
