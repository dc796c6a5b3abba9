"""Faults: a killed build leaves dist/ and the catalogs intact; one writer at a time."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import make_project
from conftest import es, translate_all


def tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def briefgen(root: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "briefgen.cli", "--project", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def test_sigkill_while_rendering_a_pdf_keeps_previous_dist_and_catalogs(tmp_path, run):
    """Killed at any moment while its PDFs render, a build leaves dist/ as it was or, if the swap
    was done, as the finished new build: never a mix; the catalogs are never touched."""
    root = make_project(tmp_path / "proj")
    assert run(root, "extract").exit_code == 0 and run(root, "update").exit_code == 0
    translate_all(root / "locales/es/LC_MESSAGES/content.po", es)
    assert run(root, "build").exit_code == 0
    dist_before, locales_before = tree(root / "dist"), tree(root / "locales")
    # make the next build different, so a half-written result would show
    recs = root / "content/en/brief/recs.md"
    recs.write_text(recs.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    scratch = tmp_path / "tmp"  # what a killed process cannot clean up (WeasyPrint's font folder) stays out of /tmp
    scratch.mkdir()
    seen = []
    for delay in (0.0, 0.2, 0.4, 0.8):
        proc = briefgen(root, "build", env={**os.environ, "TMPDIR": str(scratch)})
        line = proc.stdout.readline()
        while line and not line.startswith("HTML"):  # the web pages render while the workers render the PDFs
            line = proc.stdout.readline()
        assert line.startswith("HTML "), line
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen.append(tree(root / "dist"))
        assert tree(root / "locales") == locales_before
    # the next build recovers: no staging folders are left behind and the new text is in
    assert run(root, "build").exit_code == 0
    assert not list(root.glob(".dist.staging-*")) and not (root / "dist.old").exists()
    after = tree(root / "dist")
    assert "A new paragraph." in after["site/en/brief/index.html"].decode("utf-8")
    assert all(t in (dist_before, after) for t in seen)
    assert seen[0] == dist_before  # killed at once: nothing of the new build is there


def test_second_writer_waits_then_gives_up_with_a_message(tmp_path, run, monkeypatch):
    root = make_project(tmp_path / "proj")
    import fcntl

    (root / ".briefgen-cache").mkdir()
    fd = os.open(root / ".briefgen-cache/lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, b"4242", 0)
    try:
        import briefgen.lock as lock

        real = lock.project_lock
        monkeypatch.setattr(lock, "project_lock", lambda project, wait=60.0, say=None: real(project, 0.5, say))
        result = run(root, "update")
        assert result.exit_code == 2
        assert "waiting for another briefgen (pid 4242) to finish" in result.output
        assert "another briefgen (pid 4242) is still writing this project" in result.output
    finally:
        os.close(fd)
    assert run(root, "extract").exit_code == 0


def test_concurrent_builds_do_not_corrupt_each_other(tmp_path, run):
    root = make_project(tmp_path / "proj")
    procs = [briefgen(root, "build", "--no-pdf") for _ in range(2)]
    outs = [p.communicate()[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    after = tree(root / "dist")
    import shutil

    shutil.rmtree(root / "dist")
    assert run(root, "build", "--no-pdf").exit_code == 0
    assert tree(root / "dist") == after
