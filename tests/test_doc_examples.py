"""The examples in the README and docs/ run as written.

* Every fenced ``python`` block of README.md and docs/*.md runs: the blocks of one
  file in order, in one namespace, in a fresh temporary directory (one subprocess
  per file). A block that genuinely cannot run here (it needs ``mpiexec``, say) is
  marked by the line ``<!-- example not run: REASON -->`` right before its fence.
* Every command of the README's ``bash`` blocks (and of docs/*.md's) is checked:
  the cheap ``optkern`` commands run; the long ones (a benchmark, a training run)
  are checked against their command's ``--help``; the install and test commands
  must match pyproject.toml and .ci/run. A command no rule knows fails the test.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
NOT_RUN = re.compile(r"<!--\s*example not run:\s*(\S[^>]*?)\s*-->\s*$")


def blocks(path: Path, language: str) -> list[tuple[int, str, str | None]]:
    """(first line number of the code, code, reason it is not run or None) of each
    ``language`` block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        if m.group(1) != language:
            continue
        line = text.count("\n", 0, m.start()) + 2
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NOT_RUN.search(before)
        out.append((line, m.group(2), marker.group(1) if marker else None))
    return out


def test_the_block_extraction_sees_the_examples():
    readme = blocks(ROOT / "README.md", "python")
    assert len(readme) >= 3 and all(code.strip() for _, code, _ in readme)
    assert blocks(ROOT / "README.md", "bash")
    line, code, _ = readme[0]
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[line - 1] == code.splitlines()[0]


@pytest.mark.parametrize("path", [p for p in DOC_FILES if blocks(p, "python")],
                         ids=lambda p: p.name)
def test_python_examples_run(path, tmp_path):
    runnable = []
    for line, code, reason in blocks(path, "python"):
        if reason is None:
            runnable.append((line, code))
        else:
            assert len(reason) > 10, f"{path.name}:{line}: say why the example cannot run"
    name = str(path.relative_to(ROOT))
    script = ["import sys", "ns = {'__name__': '__main__'}"]
    for line, code in runnable:
        # pad with newlines so that a traceback names the line of the Markdown file
        padded = "\n" * (line - 1) + code
        script.append(f"exec(compile({padded!r}, {name!r}, 'exec'), ns)")
    out = subprocess.run([sys.executable, "-c", "\n".join(script)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"{name}: an example failed:\n{out.stderr[-3000:]}"


# ---------------------------------------------------------------- shell ----
def shell_commands() -> list[tuple[str, int, str]]:
    """(file name, line, command) of every command of the bash blocks, comments
    dropped, ``a && b`` split into its parts."""
    out = []
    for path in DOC_FILES:
        for line, code, reason in blocks(path, "bash"):
            code = re.sub(r"\\\n\s*", " ", code)  # join continued lines
            for i, raw in enumerate(code.splitlines()):
                text = raw.split(" #", 1)[0].strip()
                if not text or text.startswith("#"):
                    continue
                for part in text.split("&&"):
                    out.append((path.name, line + i, part.strip()))
    return out


def pyproject() -> dict:
    try:
        import tomllib
    except ImportError:
        pytest.skip("tomllib needs Python 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    return [c.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
            for c in line.split("&&")]


def run(argv: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def optkern_argv(cmd: str) -> list[str] | None:
    """The arguments after ``optkern`` / ``python -m optkern`` (also under
    ``mpiexec -n N``), or None."""
    words = shlex.split(cmd)
    if words[:1] == ["mpiexec"] and words[1:2] == ["-n"]:
        words = words[3:]
    if words[:3] == ["python", "-m", "optkern"]:
        return words[3:]
    if words[:1] == ["optkern"]:
        return words[1:]
    return None


CHEAP = [["--version"], ["--help"], ["info"], ["train", "--help"], ["bench", "--help"]]


def check_optkern(argv: list[str]) -> str:
    """Run a cheap command; check a long one's options against its --help."""
    cmd = [sys.executable, "-m", "optkern", *argv]
    if argv in CHEAP or (argv and argv[-1] == "--help"):
        out = run(cmd)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip()
        return "ran"
    head = argv[:2] if argv[:1] == ["bench"] and len(argv) > 1 and \
        not argv[1].startswith("-") else argv[:1]
    help_out = run([sys.executable, "-m", "optkern", *head, "--help"])
    assert help_out.returncode == 0, help_out.stderr[-2000:]
    if argv[:1] == ["bench"] and len(head) == 2:
        suites = run([sys.executable, "-m", "optkern", "bench", "--help"]).stdout
        assert re.search(rf"^\s+{re.escape(head[1])}\s", suites, re.M), head[1]
    for word in argv[len(head):]:
        if word.startswith("--"):
            option = word.split("=", 1)[0]
            assert option in help_out.stdout, f"{option} is not an option of {' '.join(head)}"
    return "options checked"


def check_pip(cmd: str) -> str:
    words = shlex.split(cmd)
    assert words[:2] == ["pip", "install"], cmd
    meta = pyproject()
    extras = meta["project"].get("optional-dependencies", {})
    targets = [w for w in words[2:] if not w.startswith("-")]
    for t in targets:
        m = re.fullmatch(r"\.(?:\[([\w,]+)\])?", t)
        if m:  # this project, with extras that pyproject.toml defines
            for extra in (m.group(1) or "").split(","):
                assert not extra or extra in extras, f"{cmd}: no extra {extra!r}"
            continue
        name = re.split(r"[<>=!~ ]", t, maxsplit=1)[0]
        if name == "torch":  # the version CI installs
            assert any(t in c for c in ci_commands()), f"{cmd}: .ci/run installs another torch"
        elif name in ("scikit-build-core", "pybind11"):  # the build requirements
            assert t in meta["build-system"]["requires"], f"{cmd}: not {t} in pyproject.toml"
        else:
            extra_reqs = [r for reqs in extras.values() for r in reqs]
            assert any(r.startswith(name) for r in extra_reqs), \
                f"{cmd}: {name} is not named in pyproject.toml's extras"
    return "checked against pyproject.toml"


def check_command(cmd: str) -> str:
    argv = optkern_argv(cmd)
    if argv is not None:
        return check_optkern(argv)
    if cmd.startswith("python -m pip install"):
        cmd = cmd[len("python -m "):]
    if cmd.startswith("pip install"):
        return check_pip(cmd)
    if cmd.startswith("cmake ") or cmd.startswith("ctest "):
        # the C++ builds: tests/test_cpp_embedding.py and test_cpp_core.py run them
        assert (ROOT / "examples" / "cpp_trainer" / "CMakeLists.txt").is_file()
        return "C++ build, run by the C++ tests"
    if re.fullmatch(r"\.?/?build[\w-]*/\w+", cmd):
        return "the program a C++ build made"
    if re.fullmatch(r"mpiexec -n \d+ python -m mpi4py \w+\.py", cmd):
        return "a user's script under MPI (tests/test_distributed_mpi.py runs ours)"
    if cmd == "python -m pytest":
        # the README's test command is the one CI runs
        assert cmd in ci_commands() and ci_commands()[-1] == cmd
        assert "pytest" in " ".join(pyproject()["project"]["optional-dependencies"]["test"])
        return "matches .ci/run"
    if re.match(r"(ruff|mypy|clang-format)\b", cmd):
        # the style checks: the README shows the commands CI runs
        assert cmd in ci_commands(), f"{cmd}: .ci/run runs other style checks"
        return "matches .ci/run"
    if cmd in ("python -m venv .venv", ". .venv/bin/activate"):
        return "environment"
    m = re.fullmatch(r"python (bench/\w+\.py)(.*)", cmd)
    if m:
        assert (ROOT / m.group(1)).is_file(), m.group(1)
        return "script exists"
    raise AssertionError(f"no rule checks this command; add one to {Path(__file__).name}")


def test_shell_commands_are_checked():
    commands = shell_commands()
    readme = [c for c in commands if c[0] == "README.md"]
    assert any(optkern_argv(c) == ["info"] for _, _, c in readme)
    assert any(c == "python -m pytest" for _, _, c in readme)
    failures = []
    for name, line, cmd in commands:
        try:
            check_command(cmd)
        except AssertionError as exc:
            failures.append(f"{name}:{line}: {cmd}: {exc}")
    assert not failures, "\n".join(failures)


def test_readme_install_and_test_commands_match_ci():
    readme = [c for name, _, c in shell_commands() if name == "README.md"]
    ci = ci_commands()
    assert ci[-1] == "python -m pytest" and ci[-2].startswith("python -m pip install "), ci
    assert ci[-2] in readme and "python -m pytest" in readme, (ci[-2:], readme)
    torch_ci = [c for c in ci if "torch==" in c]
    assert torch_ci, ci
    version = re.search(r"torch==([\w.]+)", torch_ci[0]).group(1)
    text = (ROOT / "README.md").read_text()
    assert f"torch=={version}" in text
