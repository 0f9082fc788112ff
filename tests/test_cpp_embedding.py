"""The C++ core ships with the Python package: a C++ program finds it with CMake
(find_package(optkern CONFIG), target optkern::core), builds and trains with it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

import optkern

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "cpp_trainer")


def test_installed_headers_and_cmake_package():
    include = optkern.get_include()
    assert os.path.isfile(os.path.join(include, "optkern", "optkern.hpp"))
    assert os.path.isfile(os.path.join(include, "optkern", "losses.hpp"))
    assert os.path.isfile(os.path.join(include, "optkern", "optimizers", "adam.hpp"))
    cmake_dir = optkern.get_cmake_dir()
    for name in ("optkernConfig.cmake", "optkernConfigVersion.cmake", "optkernTargets.cmake"):
        assert os.path.isfile(os.path.join(cmake_dir, name)), name
    lib = os.path.join(os.path.dirname(include), "lib", "liboptkern_core.a")
    assert os.path.isfile(lib)
    assert {"get_include", "get_cmake_dir"} <= set(optkern.__all__)


def test_command_line_prints_the_paths():
    for flag, expected in (("--include", optkern.get_include()),
                           ("--cmake-dir", optkern.get_cmake_dir())):
        out = subprocess.run([sys.executable, "-m", "optkern", flag], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout == expected + "\n"


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")
@pytest.mark.skipif(not os.path.isfile(os.path.join(EXAMPLE, "main.cpp")),
                    reason="not run from a source checkout (examples/ is not installed)")
def test_cpp_trainer_builds_against_the_installed_package_and_learns(tmp_path):
    build = str(tmp_path / "build")

    def run(*cmd):
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, " ".join(cmd) + "\n" + out.stdout[-3000:] + out.stderr[-3000:]
        return out.stdout

    run("cmake", "-S", EXAMPLE, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
        f"-Doptkern_DIR={optkern.get_cmake_dir()}")
    run("cmake", "--build", build, "-j", "2")
    output = run(os.path.join(build, "trainer"))

    losses = [float(x) for x in re.findall(r"^epoch +\d+ +loss ([0-9.]+)$", output, re.M)]
    assert len(losses) == 20, output
    assert losses[-1] < 0.5 * losses[0], output
    accuracy = float(re.search(r"^final accuracy: ([0-9.]+)$", output, re.M).group(1))
    assert accuracy > 0.9, output
