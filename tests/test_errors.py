"""Bad input: one data folder per case under tests/bad/, one parametrized test over them.

Each folder holds the files to put into a fresh sample project (project-relative paths; a
symlink stays a symlink), expect.txt: text the error line must contain (path:line[:col]: error:
message), and optionally command.txt: the command to run (default `build`).
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conftest import make_project

BAD = Path(__file__).parent / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir())


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def place(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() or dst.is_symlink():
        dst.unlink()
    if src.is_symlink():
        dst.symlink_to(src.readlink())
    else:
        shutil.copyfile(src, dst)


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_located_and_writes_nothing(case, tmp_path, run):
    root = make_project(tmp_path / "proj")
    # a previous good build and the catalogs must survive the failed command untouched
    assert run(root, "build", "--no-pdf").exit_code == 0
    assert run(root, "extract").exit_code == 0 and run(root, "update").exit_code == 0
    for src in sorted((BAD / case).rglob("*")):
        if (src.is_file() or src.is_symlink()) and src.name not in ("expect.txt", "command.txt"):
            place(src, root / src.relative_to(BAD / case))
    before = snapshot(root / "dist"), snapshot(root / "locales")
    expect = (BAD / case / "expect.txt").read_text(encoding="utf-8").strip()
    command = BAD / case / "command.txt"
    result = run(root, *(command.read_text().split() if command.exists() else ["build"]))
    assert result.exit_code == 2, result.output
    assert expect in result.output, result.output
    assert "Traceback" not in result.output
    assert (snapshot(root / "dist"), snapshot(root / "locales")) == before


def test_a_fifo_under_templates_is_not_read(tmp_path):
    """Only regular files are read under templates/: reading a named pipe would block the build."""
    import os
    import subprocess

    root = make_project(tmp_path / "proj")
    os.mkfifo(root / "templates/pipe.txt")
    result = subprocess.run([sys.executable, "-m", "briefgen", "--project", str(root), "-q", "build", "--no-pdf"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_verbose_shows_traceback(tmp_path, run):
    root = make_project(tmp_path / "proj")
    (root / "content/en/findings.yaml").write_text("findings: [\n", encoding="utf-8")
    from click.testing import CliRunner
    from briefgen.cli import main

    result = CliRunner().invoke(main, ["--project", str(root), "-v", "build"])
    assert result.exit_code == 2
    assert "Traceback" in result.output


def test_oversized_source_is_refused(tmp_path, run):
    from briefgen.source import MAX_SOURCE_BYTES

    root = make_project(tmp_path / "proj")
    recs = root / "content/en/brief/recs.md"
    recs.write_text("# Recommendations\n\n" + "word " * (MAX_SOURCE_BYTES // 5 + 10), encoding="utf-8")
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 2
    assert "recs.md: error: file is larger than 2048 KiB; split it or remove the bulk data" in result.output
    assert not (root / "dist").exists()


def test_raw_html_in_markdown_is_escaped_text(tmp_path, run):
    root = make_project(tmp_path / "proj")
    with open(root / "content/en/brief/recs.md", "a", encoding="utf-8") as fh:
        fh.write('\n<script>alert(1)</script> and <img src=x onerror=alert(1)> {{ 7 * 7 }}\n')
    assert run(root, "build", "--no-pdf").exit_code == 0
    html = (root / "dist/site/en/brief/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "{{ 7 * 7 }}" in html


def test_po_with_bom_crlf_and_plurals_is_read_and_nothing_is_dropped(tmp_path, run):
    from briefgen.pofile import read_po

    root = make_project(tmp_path / "proj")
    assert run(root, "extract").exit_code == 0 and run(root, "update").exit_code == 0
    po = root / "locales/es/LC_MESSAGES/messages.po"
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgid "Source:"\nmsgid_plural "Sources:"\nmsgstr[0] ""\nmsgstr[1] ""',
                        'msgid "Source:"\nmsgid_plural "Sources:"\nmsgstr[0] "Fuente:"\nmsgstr[1] "Fuentes:"')
    text += '\n#~ msgid "Old label"\n#~ msgstr "Etiqueta antigua"\n'
    po.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert run(root, "update").exit_code == 0
    entries = {(e.msgctxt, e.msgid): e for e in read_po(po).entries}
    assert entries[("finding", "Source:")].msgstr_plural == {0: "Fuente:", 1: "Fuentes:"}
    assert entries[(None, "Old label")].obsolete and entries[(None, "Old label")].msgstr == "Etiqueta antigua"
    assert not po.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" not in po.read_bytes()


def test_unused_footnote_is_a_warning_and_the_build_goes_on(tmp_path, run):
    root = make_project(tmp_path / "proj")
    with open(root / "content/en/brief/recs.md", "a", encoding="utf-8") as fh:
        fh.write("\n[^spare]: A note nothing refers to.\n")
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 0, result.output
    assert ("warning: content/en/brief/recs.md:5:1: footnote [^spare] is defined but never referenced; refer to it "
            "with [^spare] in the text, or delete the definition") in result.output
    assert (root / "dist/site/en/brief/index.html").exists()


def test_markdown_in_a_yaml_block_is_located_in_the_yaml_file(tmp_path, run):
    root = make_project(tmp_path / "proj")
    findings = root / "content/en/findings.yaml"
    findings.write_text(findings.read_text(encoding="utf-8").replace("49.1% of adults", "49.1%[^enif] of adults"),
                        encoding="utf-8")
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 2
    # line 5 of the file: column 15 of the text, after the block's indentation of 6
    assert "content/en/findings.yaml:5:21: error: footnote reference [^enif] has no definition" in result.output


def test_read_only_project_is_a_clear_error_not_a_bug(tmp_path, run):
    import os
    import subprocess
    import sys

    root = make_project(tmp_path / "proj")
    assert run(root, "build", "--no-pdf").exit_code == 0
    assert run(root, "extract").exit_code == 0 and run(root, "update").exit_code == 0
    (root / "content/en/brief/recs.md").write_text("# Recommendations\n\nEdited.\n", encoding="utf-8")
    assert run(root, "extract").exit_code == 0  # so that `update` has catalogs to write
    before = snapshot(root / "dist"), snapshot(root / "locales")
    # a user without write access (root keeps it unless its capabilities are dropped)
    prefix = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"] if os.geteuid() == 0 else []
    if prefix and not shutil.which("setpriv"):
        pytest.skip("needs setpriv to drop root's capabilities")
    subprocess.run(["chmod", "-R", "a-w", str(root)], check=True)
    try:
        for command in (["build", "--no-pdf"], ["update"]):
            result = subprocess.run([*prefix, sys.executable, "-m", "briefgen", "--project", str(root), *command],
                                    capture_output=True, text=True)
            assert result.returncode == 2, result.stderr
            assert "error: permission denied; briefgen writes dist/, .briefgen-cache/ and the catalogs in locales/: " \
                   "make the project folder writable for your user" in result.stderr
            assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(root)], check=True)
    assert (snapshot(root / "dist"), snapshot(root / "locales")) == before


@pytest.mark.parametrize("code, message", [
    ("ENOSPC", "error: no space left on the device; free some space (or remove dist/ and .briefgen-cache/) and run again"),
    ("EROFS", "error: read-only file system; briefgen writes dist/, .briefgen-cache/ and the catalogs in locales/: "
              "work in a copy of the project on a writable disk"),
    ("EMFILE", "error: too many open files; raise the limit (ulimit -n 4096) or close other programs, then run again"),
])
def test_machine_refusing_a_write_leaves_dist_whole(tmp_path, run, monkeypatch, code, message):
    import errno
    import os

    from briefgen.writer import Staging

    root = make_project(tmp_path / "proj")
    assert run(root, "build", "--no-pdf").exit_code == 0
    (root / "content/en/brief/recs.md").write_text("# Recommendations\n\nEdited.\n", encoding="utf-8")
    before = snapshot(root / "dist")

    def refuse(self, rel, data):
        path = self.path(rel)
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)), str(path))

    monkeypatch.setattr(Staging, "write", refuse)
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 2, result.output
    assert message in result.output and ".dist.staging-" in result.output  # the path it could not write
    assert "internal error" not in result.output
    assert snapshot(root / "dist") == before
    assert not list(root.glob(".dist.staging-*"))


def test_quiet_and_verbose_are_accepted_after_the_command_too(tmp_path, run):
    root = make_project(tmp_path / "proj")
    result = run(root, "build", "--no-pdf", "-q")
    assert result.exit_code == 0 and result.output == "", result.output
    (root / "content/en/findings.yaml").write_text("findings: [\n", encoding="utf-8")
    for args in (("build", "-v"), ("check", "--verbose"), ("extract", "-v")):
        result = run(root, *args)
        assert result.exit_code == 2 and "Traceback" in result.output, args


def test_build_py_without_the_project_installed_says_how_to_install(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    # -S: this Python without its site-packages, as a system Python without the virtual environment
    result = subprocess.run([sys.executable, "-S", str(REPO / "build.py"), "--no-pdf"], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: briefgen is not installed in this Python (")
    assert "install it as the README says: `./dev build`" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_a_library_missing_from_the_environment_is_not_a_bug(tmp_path, run, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_jinja2(name, *args, **kwargs):
        if name == "jinja2" or name.startswith("jinja2."):
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return real_import(name, *args, **kwargs)

    root = make_project(tmp_path / "proj")
    monkeypatch.setattr(builtins, "__import__", without_jinja2)
    for module in [m for m in sys.modules if m == "jinja2" or m.startswith(("jinja2.", "briefgen.render", "briefgen.site"))]:
        monkeypatch.delitem(sys.modules, module)
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 2, result.output
    assert "error: the library 'jinja2' is missing from this Python" in result.output
    assert "`./dev build`" in result.output and "internal error" not in result.output


def test_many_errors_are_sorted_and_capped(tmp_path):
    from briefgen.errors import MAX_SHOWN, ContentError, ErrorList, Location

    errors = [ContentError(f"problem {i}", Location(tmp_path / ("b.md" if i % 2 else "a.yaml"), 40 - i, 1))
              for i in range(MAX_SHOWN + 5)]
    lines = ErrorList(errors).format(tmp_path).split("\n")
    assert lines[0] == f"a.yaml:{40 - (MAX_SHOWN + 4)}:1: error: problem {MAX_SHOWN + 4}"  # by file, then line
    assert len(lines) == MAX_SHOWN + 2 and lines[-2] == "... and 5 more error(s)"
    assert lines[-1] == (f"{MAX_SHOWN + 5} errors in a.yaml (18), b.md (17); fix them and run the command again "
                         "(nothing was written)")


@pytest.mark.parametrize("findings", ["findings: [\n", "finding:\n  - id: F1\n"])
def test_a_broken_library_file_is_one_error_not_one_per_reference(tmp_path, run, findings):
    root = make_project(tmp_path / "proj")  # its layout refers to F1
    (root / "content/en/findings.yaml").write_text(findings, encoding="utf-8")
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 2
    assert [line for line in result.output.splitlines() if line] == [result.output.strip()]
    assert result.output.startswith("content/en/findings.yaml:") and "does not exist" not in result.output
