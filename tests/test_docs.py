"""The documentation a user reads is true and self-contained.

Everything the README, docs/, docstrings, comments and benchmark output refer to
lives in this repository; relative links resolve; the development instructions
name what the build needs; statements about the core match the built core.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from optkern import _core

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ["README.md", "pyproject.toml", "CMakeLists.txt", "docs", "python", "bench", "cpp"]
TEXT_SUFFIXES = {".md", ".py", ".pyi", ".cpp", ".hpp", ".h", ".txt", ".toml", ".cmake"}

# References a reader of this repository cannot follow.
OUTSIDE = [
    (re.compile(r"\.\./shared"), "../shared"),
    (re.compile(r"(?<![\w.-])shared/"), "shared/"),
    (re.compile(r"SEMANTICS\.md"), "SEMANTICS.md"),
    (re.compile(r"DESIGN\.md"), "DESIGN.md"),
    (re.compile(r"\bissues?[ -]?#?\d", re.I), "issue <n>"),
]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def scanned_files() -> list[Path]:
    files = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix in TEXT_SUFFIXES
                            and "__pycache__" not in p.parts)
    return files


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def build_requirements() -> list[str]:
    """Project names in pyproject's [build-system].requires."""
    text = (ROOT / "pyproject.toml").read_text()
    try:
        import tomllib
    except ImportError:  # Python < 3.11: the one line is enough
        line = re.search(r"^requires\s*=\s*\[(.*)\]", text, re.M).group(1)
        reqs = re.findall(r"\"([^\"]+)\"", line)
    else:
        reqs = tomllib.loads(text)["build-system"]["requires"]
    return [re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] for r in reqs]


def readme_section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"^(#+) {re.escape(title)}\b.*?$(.*?)(?=^#{{1,2}} |\Z)", readme,
                      re.M | re.S)
    assert match, f"README.md has no section {title!r}"
    return match.group(2)


def test_no_reference_outside_the_repository():
    found = []
    for path in scanned_files():
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern, what in OUTSIDE:
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{lineno}: {what}: {line.strip()}")
    assert not found, "references outside the repository:\n" + "\n".join(found)


def test_the_scan_sees_the_files_it_should():
    names = {str(p.relative_to(ROOT)) for p in scanned_files()}
    assert {"README.md", "docs/optimizers.md", "docs/benchmarks.md",
            "cpp/include/optkern/optkern.hpp", "python/optkern/__main__.py"} <= names


def test_relative_links_resolve():
    broken = []
    for md in markdown_files():
        for target in LINK.findall(md.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            if not (md.parent / path).exists():
                broken.append(f"{md.relative_to(ROOT)}: {target}")
    assert not broken, "links to files that do not exist:\n" + "\n".join(broken)


def test_readme_names_the_docs():
    readme = (ROOT / "README.md").read_text()
    for page in ("docs/optimizers.md", "docs/benchmarks.md"):
        assert f"]({page})" in readme


def test_development_section_installs_the_build_requirements_first():
    section = readme_section("Development")
    commands = [line.strip() for line in section.splitlines() if "pip install" in line]
    editable = [i for i, c in enumerate(commands) if "--no-build-isolation" in c and " -e" in c]
    assert editable, "the development section gives the editable install"
    before = " ".join(commands[:editable[0]])
    reqs = build_requirements()
    assert reqs, "pyproject.toml lists build requirements"
    missing = [r for r in reqs if r not in before]
    assert not missing, f"installed before the editable install: none of {missing}"
    assert ".[test]" in " ".join(commands), "the test extra is installed"
    assert "C++" in section, "the section says what to do after a C++ change"


def test_docs_state_how_the_core_splits_work():
    text = (ROOT / "docs" / "optimizers.md").read_text()
    # the sizes the core is built with, as the docs state them
    assert f"{_core.parallel_min_elements:,}".replace(",", " ") in text
    assert f"{_core.chunk_elements:,}".replace(",", " ") in text
    readme = (ROOT / "README.md").read_text()
    # steps are not cut into fixed chunks: one equal part per thread
    assert not re.search(r"fixed chunks of 8.?192", readme)
    assert "one equal contiguous part per thread" in text


def test_benchmark_report_speaks_plainly():
    out = subprocess.run([sys.executable, "-m", "optkern", "bench", "--quick", "--no-torch",
                          "--budget", "0.01", "--bw-elements", str(1 << 16)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| 2^10 |" in out.stdout
    for word in ("PASS", "MISS", "issue", "Issue"):
        assert word not in out.stdout + out.stderr
    assert "docs/benchmarks.md" in out.stdout, "the report says where its method is described"
