"""The build daemon: `briefgen build` handed to a long-lived process builds exactly what a build of
its own would, reports the same errors and exit codes, and steps aside when its code is stale."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import REPO, make_project

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the daemon is Linux-only")


def briefgen(env: dict, *args: str, module: str = "briefgen") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120)


@pytest.fixture
def env():
    """A daemon name of this test's own, so that neither a developer's daemon nor another test's is used;
    whatever daemon the test started is stopped."""
    env = {**os.environ, "BRIEFGEN_DAEMON": f"test-{uuid.uuid4().hex}"}
    yield env
    briefgen(env, "daemon", "stop")


def tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()}


def builds_so_far(env: dict) -> int:
    out = briefgen(env, "daemon", "status")
    assert out.returncode == 0, out.stdout + out.stderr
    return int(out.stdout.split(": ")[1].split()[0])


def test_a_build_in_the_daemon_equals_a_build_of_its_own(tmp_path, env):
    assert briefgen(env, "daemon", "status").returncode == 1
    started = briefgen(env, "daemon", "start", "--idle", "60")
    assert started.returncode == 0 and "build daemon ready" in started.stderr, started.stderr
    # the client's environment reaches the daemon's (already running) PDF workers
    env = {**env, "SOURCE_DATE_EPOCH": "1700000000"}
    ours, theirs = make_project(tmp_path / "ours"), make_project(tmp_path / "theirs")
    for _ in range(2):  # the second build is a no-op in both
        out = briefgen(env, "--project", str(ours), "build")
        assert out.returncode == 0, out.stderr
        local = briefgen(env, "--project", str(theirs), "build", module="briefgen.cli")
        assert local.returncode == 0, local.stderr
        assert out.stderr == local.stderr
    assert builds_so_far(env) == 2
    assert any(name.endswith("sample_brief_es.pdf") for name in tree(ours))
    assert tree(ours) == tree(theirs)


def test_errors_and_exit_codes_come_back_and_the_daemon_goes_on(tmp_path, env):
    assert briefgen(env, "daemon", "start", "--idle", "60").returncode == 0
    root = make_project(tmp_path / "proj")
    findings = root / "content/en/findings.yaml"
    good = findings.read_text(encoding="utf-8")
    findings.write_text(good + "findings: [\n", encoding="utf-8")
    out = briefgen(env, "--project", str(root), "build")
    assert out.returncode == 2
    assert "findings.yaml:" in out.stderr and "error: YAML syntax error" in out.stderr
    assert "Traceback" not in out.stderr
    findings.write_text(good, encoding="utf-8")
    out = briefgen(env, "--project", str(root), "build")
    assert out.returncode == 0 and "built 2 editions" in out.stderr, out.stderr
    assert builds_so_far(env) == 2


def test_a_stale_daemon_stops_and_the_build_runs_on_its_own(tmp_path, env):
    assert briefgen(env, "daemon", "start", "--idle", "60").returncode == 0
    root = make_project(tmp_path / "proj")
    source = REPO / "briefgen/launch.py"  # briefgen "changed on disk" since the daemon started
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    try:
        out = briefgen(env, "--project", str(root), "build")
    finally:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert out.returncode == 0 and "built 2 editions" in out.stderr, out.stderr
    assert "is stopping: briefgen or an installed package changed since it started; this build runs on its own" in out.stderr
    assert briefgen(env, "daemon", "status").returncode == 1


def test_stop_leaves_nothing_behind(tmp_path, env):
    # where the daemon's workers and multiprocessing keep their folders; short, since a Unix socket's
    # path (multiprocessing's forkserver puts one there) is limited to 107 bytes
    tmp = Path(tempfile.mkdtemp(prefix="bg-", dir="/tmp"))
    env["TMPDIR"] = str(tmp)
    assert briefgen(env, "daemon", "start", "--idle", "60").returncode == 0
    assert briefgen(env, "--project", str(make_project(tmp_path / "first")), "build").returncode == 0
    assert list(tmp.iterdir())  # so that an empty folder below means something
    out = briefgen(env, "daemon", "stop")
    assert out.returncode == 0 and "stopped the build daemon" in out.stderr
    assert briefgen(env, "daemon", "status").returncode == 1
    deadline = time.monotonic() + 10
    while list(tmp.iterdir()) and time.monotonic() < deadline:  # the workers finish leaving
        time.sleep(0.1)
    left = list(tmp.iterdir())
    shutil.rmtree(tmp, ignore_errors=True)
    assert not left
    out = briefgen(env, "--project", str(make_project(tmp_path / "proj")), "build")  # on its own again
    assert out.returncode == 0, out.stderr


def test_only_builds_are_handed_over():
    from briefgen.launch import is_build

    assert is_build(["build"]) and is_build(["-q", "--project", "x", "build", "--strict"])
    assert is_build(["--project=x", "-v", "build"])
    assert not is_build(["check"]) and not is_build(["build", "--help"]) and not is_build(["--help"])
    assert not is_build(["--project", "build", "check"])  # "build" is the project folder here


def long_project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "proj")
    intro = root / "content/en/brief/intro.md"  # long enough that the PDFs take seconds
    intro.write_text(intro.read_text(encoding="utf-8") + "\n" + "\n\n".join(
        f"Paragraph {i} on accounts, identity documents and the banks that open them." for i in range(3000)),
        encoding="utf-8")
    return root


def start_long_build(env: dict, root: Path) -> subprocess.Popen:
    """`briefgen build` of a long project in the daemon, returned once the build runs (its PDFs render)."""
    proc = subprocess.Popen([sys.executable, "-m", "briefgen", "--project", str(root), "build", "--no-cache"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=REPO,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stderr:
        if line.startswith("HTML"):  # the HTML is written while the PDFs render
            break
    return proc


def gone(env: dict, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while briefgen(env, "daemon", "status").returncode == 0:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.parametrize("how", ["Ctrl+C in the client", "SIGTERM to the daemon"])
def test_an_interrupted_build_exits_130_and_the_daemon_leaves(tmp_path, env, how):
    started = briefgen(env, "daemon", "start", "--idle", "60")
    assert started.returncode == 0
    daemon_pid = int(started.stderr.split("(pid ")[1].split(")")[0])
    root = long_project(tmp_path)
    intro = root / "content/en/brief/intro.md"
    proc = start_long_build(env, root)
    try:
        if how == "Ctrl+C in the client":
            proc.send_signal(signal.SIGINT)
        else:
            os.kill(daemon_pid, signal.SIGTERM)
        rest = proc.stderr.read()
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130, rest
    assert "interrupted; dist/ and the catalogs are unchanged" in rest and "Traceback" not in rest
    # an interrupted build may have cut a library off mid-way: the daemon leaves rather than risk it
    assert "the build daemon" in rest and "has stopped after this build" in rest
    assert briefgen(env, "daemon", "status").returncode == 1
    intro.write_text("# Introduction\n\nShort again.\n", encoding="utf-8")
    out = briefgen(env, "--project", str(root), "build")  # on its own
    assert out.returncode == 0, out.stderr


def test_the_wire_reads_one_message_at_a_time_with_its_descriptors(tmp_path):
    """The daemon answers "started", then the exit code, on one socket: a build that fails at once
    has both waiting when the client reads the first, and the second must still be there."""
    import socket

    from briefgen import wire

    ours, theirs = socket.socketpair()
    with ours, theirs:
        note = tmp_path / "note.txt"
        note.write_text("passed along", encoding="utf-8")
        with open(note, "rb") as f:
            wire.send(ours, ("build", "x" * 100_000), fds=[f.fileno()])
        wire.send(ours, ("started",))
        wire.send(ours, ("exit", 2, False))
        (kind, payload), fds = wire.recv(theirs, fds=3)
        assert kind == "build" and len(payload) == 100_000 and len(fds) == 1
        with os.fdopen(fds[0], "rb") as passed:
            assert passed.read() == b"passed along"
        assert wire.recv(theirs) == (("started",), [])
        assert wire.recv(theirs) == (("exit", 2, False), [])


def test_a_killed_client_stops_its_build(tmp_path, env):
    """Nobody waits for that build any more: it must not go on to replace dist/ behind the user's back."""
    assert briefgen(env, "daemon", "start", "--idle", "60").returncode == 0
    root = long_project(tmp_path)
    proc = start_long_build(env, root)
    proc.kill()
    proc.wait()
    assert gone(env, 60)  # interrupted, so it leaves (see test_an_interrupted_build_exits_130_...)
    assert not (root / "dist").exists()  # nothing was published
    assert not list(root.glob(".dist.staging-*"))


def test_stop_and_status_answer_during_a_build(tmp_path, env):
    assert briefgen(env, "daemon", "start", "--idle", "60").returncode == 0
    root = long_project(tmp_path)
    proc = start_long_build(env, root)
    try:
        out = briefgen(env, "daemon", "status")
        assert out.returncode == 0 and "build(s) so far, one running now" in out.stdout, out.stdout + out.stderr
        out = briefgen(env, "daemon", "stop")
        assert out.returncode == 0 and "the build it was running was interrupted" in out.stderr, out.stderr
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 130, rest
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "interrupted; dist/ and the catalogs are unchanged" in rest and "Traceback" not in rest
    assert briefgen(env, "daemon", "status").returncode == 1
    assert not (root / "dist").exists()


def test_a_deep_tmpdir_does_not_stop_the_pdf_workers(tmp_path, env):
    """multiprocessing's forkserver puts its socket under TMPDIR, and a socket path has at most 107
    bytes: under a deeper TMPDIR the daemon (and `serve --pdf`) once failed with "AF_UNIX path too long"."""
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    env = {**env, "TMPDIR": str(deep)}
    out = briefgen(env, "daemon", "start", "--idle", "60")
    assert out.returncode == 0 and "build daemon ready" in out.stderr, out.stderr
    out = briefgen(env, "--project", str(make_project(tmp_path / "proj")), "build")
    assert out.returncode == 0, out.stderr
    assert any(name.endswith("sample_brief_es.pdf") for name in tree(tmp_path / "proj"))


def test_a_tmpdir_too_deep_with_no_short_folder_is_a_clear_error(monkeypatch):
    import tempfile

    from briefgen import pdf
    from briefgen.errors import BuildError

    monkeypatch.setattr(tempfile, "tempdir", "/" + "d" * 120)
    monkeypatch.setattr(pdf, "_SHORT_FOLDERS", ())
    with pytest.raises(BuildError, match="set TMPDIR to a shorter folder"):
        pdf._fit_forkserver_socket()
