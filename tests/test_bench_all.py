"""`python -m optkern bench all`: every suite in turn, --json and --plot (timings are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from optkern._bench import SUITES, all_suites

# The --json document: required keys and their types (a tuple: any of these types).
NUMBER = (int, float)
MACHINE = {"cpu_model": str, "machine": str, "isa": str, "available_isas": list,
           "threads": int, "optkern": str, "numpy": str, "torch": (str, type(None)),
           "python": str, "os": str}
SUITE = {"suite": str, "title": str, "baseline": str, "bound": str,
         "bound_gbs": NUMBER + (type(None),), "rows": list, "wall_s": NUMBER, "raw": dict}
ROW = {"series": str, "case": str, "elements": int, "bytes_per_element": (int, type(None)),
       "optkern_s": float, "numpy_s": (float, type(None)), "torch_s": (float, type(None)),
       "optkern_ns_per_element": float, "numpy_ns_per_element": (float, type(None)),
       "torch_ns_per_element": (float, type(None)), "speedup_numpy": (float, type(None)),
       "speedup_torch": (float, type(None)), "fraction_of_bound": (float, type(None)),
       "bandwidth_bound_case": bool}


def check_keys(obj: dict, schema: dict, where: str) -> list[str]:
    errors = [f"{where}: no {key!r}" for key in schema if key not in obj]
    errors += [f"{where}.{key}: {type(obj[key]).__name__} is not {want}"
               for key, want in schema.items() if key in obj and not isinstance(obj[key], want)]
    return errors


def check_document(doc: dict, suites: list[str]) -> list[str]:
    errors = check_keys(doc, {"machine": dict, "suites": dict}, "document")
    if errors:
        return errors
    errors += check_keys(doc["machine"], MACHINE, "machine")
    assert doc["machine"]["isa"] in doc["machine"]["available_isas"]
    if list(doc["suites"]) != suites:
        errors.append(f"suites {list(doc['suites'])} != {suites}")
    for name, res in doc["suites"].items():
        errors += check_keys(res, SUITE, name)
        if res.get("suite") != name:
            errors.append(f"{name}: suite {res.get('suite')!r}")
        if not res.get("rows"):
            errors.append(f"{name}: no rows")
        for i, row in enumerate(res.get("rows", [])):
            errors += check_keys(row, ROW, f"{name}.rows[{i}]")
            if errors:
                continue
            if row["optkern_s"] <= 0 or row["elements"] <= 0:
                errors.append(f"{name}.rows[{i}]: non-positive time or size")
            expect = row["optkern_s"] / row["elements"] * 1e9
            if abs(row["optkern_ns_per_element"] - expect) > 1e-9 * expect:
                errors.append(f"{name}.rows[{i}]: ns per element is not time / elements")
            if row["numpy_s"] is not None and \
                    abs(row["speedup_numpy"] - row["numpy_s"] / row["optkern_s"]) > 1e-9:
                errors.append(f"{name}.rows[{i}]: speed-up vs NumPy is not numpy / optkern")
    return errors


def run_bench(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optkern", "bench", *args],
                          capture_output=True, text=True, timeout=timeout)


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_all_runs_every_suite_and_writes_json_and_plot(tmp_path):
    out_json, out_png = tmp_path / "out.json", tmp_path / "out.png"
    # --smoke (test only) cuts the --quick cases further; one thread keeps a loaded
    # machine from stalling OpenMP barriers
    args = ["all", "--quick", "--smoke", "--threads", "1", "--json", str(out_json)]
    if have_matplotlib():
        args += ["--plot", str(out_png)]
    out = run_bench(*args)
    assert out.returncode == 0, out.stderr[-3000:]
    doc = json.loads(out_json.read_text())
    errors = check_document(doc, all_suites())
    assert not errors, "\n".join(errors)
    assert doc["machine"]["threads"] == 1
    for name in all_suites():
        assert f"## {name}: " in out.stdout, name
    assert "| series | case | elements |" in out.stdout
    assert "docs/benchmarks.md" in out.stdout
    if have_matplotlib():
        assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_schema_check_catches_a_broken_document():
    row = dict.fromkeys(ROW, None)
    row.update(series="s", case="c", elements=10, optkern_s=1.0, optkern_ns_per_element=5.0,
               bandwidth_bound_case=True)
    res = dict(suite="x", title="t", baseline="b", bound="b", bound_gbs=None, rows=[row],
               wall_s=1.0, raw={})
    machine = dict(cpu_model="c", machine="m", isa="avx2", available_isas=["avx2"], threads=1,
                   optkern="0", numpy="1", torch=None, python="3", os="L")
    errors = check_document(dict(machine=machine, suites={"x": res}), ["x"])
    assert errors == ["x.rows[0]: ns per element is not time / elements"]
    del machine["os"]
    assert "machine: no 'os'" in check_document(dict(machine=machine, suites={"x": res}), ["x"])


BLOCK_MATPLOTLIB = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("blocked for the test")
sys.meta_path.insert(0, Block())
from optkern._bench import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("args", [["all", "--quick"], ["checkpoint", "--size-mb", "1"]])
def test_plot_without_matplotlib_is_a_one_line_error(args, tmp_path):
    out = subprocess.run([sys.executable, "-c", BLOCK_MATPLOTLIB, *args, "--plot",
                          str(tmp_path / "x.png")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr[-2000:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "matplotlib" in lines[0], out.stderr
    assert not (tmp_path / "x.png").exists() and out.stdout == ""


def test_all_is_in_the_help_and_every_suite_can_be_in_it():
    out = run_bench("--help")
    assert out.returncode == 0
    assert "all" in out.stdout and "--plot" in out.stdout and "--json" in out.stdout
    assert set(all_suites()) <= set(SUITES)
    assert all(suite.smoke for suite in SUITES.values() if suite.in_all)


@pytest.mark.parametrize("args, option", [
    (["optimizers", "--rounds", "0"], "--rounds"),
    (["optimizers", "--budget", "nan"], "--budget"),
    (["optimizers", "--threads", "0"], "--threads"),
    (["optimizers", "--retries", "-1"], "--retries"),
    (["optimizers", "--quiet-wait", "-2"], "--quiet-wait"),
    (["optimizers", "--bw-elements", "0"], "--bw-elements"),
    (["losses", "--budget", "-1"], "--budget"),
    (["losses", "--rounds", "two"], "--rounds"),
    (["checkpoint", "--size-mb", "-1"], "--size-mb"),
    (["checkpoint", "--reps", "0"], "--reps"),
    (["distributed", "--elements", "0"], "--elements"),
    (["distributed", "--tensors", "100", "--elements", "5"], "--tensors"),
    (["all", "--threads", "-1"], "--threads"),
])
def test_careless_option_is_a_one_line_usage_error_naming_it(args, option):
    out = run_bench(*args, "--quick", timeout=120)
    assert out.returncode == 2, out.stderr[-2000:]
    assert option in out.stderr and "Traceback" not in out.stderr
    assert "error:" in out.stderr.strip().splitlines()[-1]
