"""`briefgen serve`: a real HTTP client sees edits, errors and recovery without a restart."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

from conftest import make_project


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
