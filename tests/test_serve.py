"""`briefgen serve`: a real HTTP client sees edits, errors and recovery without a restart."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import make_project
from test_workers import alive


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def wait_for(url: str, predicate, timeout: float = 30.0) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        status, body = fetch(url)
        if predicate(status, body) or time.monotonic() > deadline:
            return status, body
        time.sleep(0.2)


def test_serve_rebuilds_shows_errors_and_recovers(tmp_path):
    root = make_project(tmp_path / "proj")
    proc = subprocess.Popen([sys.executable, "-m", "briefgen.cli", "--project", str(root), "serve", "--port", "0"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        port = None
        for _ in range(50):
            line = proc.stderr.readline()
            m = re.search(r"serving http://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
        assert port, "server did not start"
        page = f"http://127.0.0.1:{port}/en/brief/"
        status, body = fetch(page)
        assert status == 200 and "Three steps are needed" in body and "/__briefgen__/state" in body

        recs = root / "content/en/brief/recs.md"
        recs.write_text(recs.read_text(encoding="utf-8").replace("Three steps", "Five careful steps"), encoding="utf-8")
        status, body = wait_for(page, lambda s, b: "Five careful steps" in b)
        assert status == 200 and "Five careful steps" in body

        findings = root / "content/en/findings.yaml"
        good = findings.read_text(encoding="utf-8")
        findings.write_text(good + "findings: [\n", encoding="utf-8")
        status, body = wait_for(page, lambda s, b: s == 500)
        assert status == 500 and "findings.yaml:" in body and "YAML syntax error" in body

        findings.write_text(good, encoding="utf-8")
        status, body = wait_for(page, lambda s, b: s == 200)
        assert status == 200 and "Five careful steps" in body
        assert proc.poll() is None  # the server never stopped
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_edit_during_the_first_build_is_rebuilt(tmp_path, monkeypatch):
    """The watcher compares with the files as they were before the first build, not as they were
    when its thread happened to start: an edit saved meanwhile was once never picked up."""
    from briefgen import serve as serve_mod

    root = make_project(tmp_path / "proj")
    recs = root / "content/en/brief/recs.md"
    builds = []

    def build(self):
        builds.append(recs.read_text(encoding="utf-8"))
        if len(builds) == 1:  # the author saves while the first build runs
            recs.write_text(builds[0].replace("Three steps", "Five careful steps"), encoding="utf-8")

    def serve_forever(self, poll_interval=0.5):
        deadline = time.monotonic() + 20
        while len(builds) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)

    monkeypatch.setattr(serve_mod.Preview, "build", build)
    monkeypatch.setattr(serve_mod.ThreadingHTTPServer, "serve_forever", serve_forever)
    monkeypatch.setattr(serve_mod, "_stop_on_signals", lambda: None)
    serve_mod.serve(root, 0, False, lambda msg: None)
    assert len(builds) == 2 and "Five careful steps" in builds[1]


def test_a_rewrite_in_the_same_clock_tick_is_seen(tmp_path):
    from briefgen.serve import snapshot

    root = make_project(tmp_path / "proj")
    recs = root / "content/en/brief/recs.md"
    before = snapshot(root)
    stamp = recs.stat().st_mtime_ns
    recs.write_text(recs.read_text(encoding="utf-8") + "More.\n", encoding="utf-8")
    os.utime(recs, ns=(stamp, stamp))  # a coarse clock: same modification time
    assert snapshot(root) != before


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl+C"])
def test_stopping_serve_stops_its_pdf_workers_quietly(tmp_path, how):
    root = make_project(tmp_path / "proj")
    log = tmp_path / "serve.log"  # a file, not a pipe: workers left behind would hold a pipe open
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "briefgen.cli", "--project", str(root), "serve", "--pdf",
                                 "--port", "0"], stderr=err, stdout=subprocess.DEVNULL, start_new_session=True,
                                # as from a terminal: a shell without job control starts background
                                # commands (a CI step, say) with Ctrl+C ignored, and they pass that on
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while "serving http://" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = descendants(proc.pid)
        assert len(workers) >= 2  # the forkserver and its workers
        if how == "SIGTERM":
            proc.terminate()
        else:  # the terminal sends SIGINT to the whole foreground process group
            os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        deadline = time.monotonic() + 10
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [p for p in workers if alive(p)]
        for pid in left:  # never leave them to the next test
            os.kill(pid, signal.SIGKILL)
    rest = log.read_text()
    assert not left
    assert "Traceback" not in rest, rest
    assert code == (143 if how == "SIGTERM" else 130), rest
