"""The command line as a user meets it: help text, version, console command, suites."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import optkern as ok

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optkern", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_help_is_plain_text():
    out = run_cli("--help")
    assert out.returncode == 0, out.stderr
    assert "``" not in out.stdout, out.stdout
    for command in ("info", "bench"):
        assert command in out.stdout


def test_version_prints_name_and_version():
    out = run_cli("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"optkern {ok.__version__}\n"


def test_console_command_is_installed_and_documented():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^\[project\.scripts\]\noptkern = "optkern\.__main__:main"$', pyproject, re.M)
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^optkern (info|--version|bench)", readme, re.M), \
        "the README shows the optkern console command"
    exe = Path(sys.executable).parent / "optkern"
    if not exe.exists():
        pytest.skip("optkern is not installed in this environment's scripts directory")
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"optkern {ok.__version__}\n"


def test_bench_help_lists_the_suites():
    out = run_cli("bench", "--help")
    assert out.returncode == 0, out.stderr
    from optkern._bench import SUITES

    assert "optimizers" in SUITES and "checkpoint" in SUITES
    for name in SUITES:
        assert name in out.stdout
    assert "``" not in out.stdout


def test_bench_suite_help_is_plain_text():
    out = run_cli("bench", "optimizers", "--help")
    assert out.returncode == 0, out.stderr
    assert "--quick" in out.stdout and "``" not in out.stdout


def test_bench_unknown_suite_is_refused():
    out = run_cli("bench", "nosuchsuite")
    assert out.returncode == 2
    assert "nosuchsuite" in out.stderr and "optimizers" in out.stderr


def test_bench_checkpoint_suite_runs(tmp_path):
    out = run_cli("bench", "checkpoint", "--size-mb", "2", "--reps", "1", "--dir", str(tmp_path),
                  timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| ok Checkpoint.restore" in out.stdout
    for word in ("PASS", "MISS", "issue", "target"):
        assert word not in out.stdout


@pytest.mark.parametrize("script", ["bench_optimizers.py", "bench_checkpoint.py"])
def test_bench_scripts_are_the_suites(script):
    out = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    suite = script[len("bench_"):-len(".py")]
    assert f"python -m optkern bench {suite}" in out.stdout
