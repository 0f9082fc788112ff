"""The C++ core builds without Python and passes its own test (cpp/tests)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")
@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, "cpp", "tests", "core_test.cpp")),
                    reason="not run from a source checkout")
def test_cpp_core_standalone(tmp_path):
    build = str(tmp_path / "build")

    def run(*cmd):
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        return out.stdout

    run("cmake", "-S", ROOT, "-B", build, "-DOPTKERN_BUILD_TESTS=ON",
        "-DCMAKE_BUILD_TYPE=Release")
    run("cmake", "--build", build, "--target", "optkern_core_test", "-j", "2")
    output = run(os.path.join(build, "optkern_core_test"))
    assert output.strip().endswith(", 0 failed"), output
