"""Bad input: one data folder per case under tests/bad/, one parametrized test over them.

Each folder holds the files to put into a fresh sample project (project-relative paths) and
expect.txt: text the error line must contain (path:line[:col]: error: message).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import make_project

BAD = Path(__file__).parent / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir())


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_located_and_writes_nothing(case, tmp_path, run):
    root = make_project(tmp_path / "proj")
    # a previous good build must survive the failed one untouched
    assert run(root, "build", "--no-pdf").exit_code == 0
    before = snapshot(root / "dist")
    for src in (BAD / case).rglob("*"):
        if src.is_file() and src.name != "expect.txt":
            dst = root / src.relative_to(BAD / case)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    expect = (BAD / case / "expect.txt").read_text(encoding="utf-8").strip()
    result = run(root, "build")
    assert result.exit_code == 2, result.output
    assert expect in result.output, result.output
    assert "Traceback" not in result.output
    assert snapshot(root / "dist") == before


def test_verbose_shows_traceback(tmp_path, run):
    root = make_project(tmp_path / "proj")
    (root / "content/en/findings.yaml").write_text("findings: [\n", encoding="utf-8")
    from click.testing import CliRunner
    from briefgen.cli import main

    result = CliRunner().invoke(main, ["--project", str(root), "-v", "build"])
    assert result.exit_code == 2
    assert "Traceback" in result.output
