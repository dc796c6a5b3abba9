"""A build daemon for authors who rebuild often: `briefgen daemon start`, then `briefgen build` as usual.

A one-shot `briefgen build` after a one-line change spends about a third of its time before the
first PDF page: starting Python, importing Jinja2, Babel, markdown-it, forking the PDF workers,
importing WeasyPrint in them; its workers then meet every font and style for the first time.
`briefgen serve` avoids all that, as one long-lived process; the daemon does the same for the
command line. It runs each `build` it is handed, one at a time, with the command's arguments,
folder, environment, umask and terminal (the client passes its stdin, stdout and stderr over the
socket), and keeps its PDF workers warm between builds, like `serve`. The client waits for the exit code
and passes Ctrl+C on. Only `build` is handed over, and only by the `briefgen` command (or
`python -m briefgen`); nothing else changes.

It is never started behind the user's back. It leaves after `--idle` seconds without a build, on
`briefgen daemon stop` (at once: a build under way is interrupted as by Ctrl+C; a second thread
answers `status` and `stop` while the main thread builds), as soon as a build finds that briefgen
or any installed package changed on disk since it started (it would build with old code; that
build then runs in its own process),
and after a build that was interrupted or failed inside briefgen: libraries cut off mid-way may
leave their caches unsure, and a build must never depend on an earlier one. A build whose client
goes away (killed) is interrupted: nobody waits for it, so it must not publish.

One daemon per user and BRIEFGEN_DAEMON name (`off`: never use one), on an abstract Unix socket
(Linux). Pickles travel both ways, so each side checks that the other runs as the same user
(SO_PEERCRED) before it reads anything.
"""
from __future__ import annotations

import errno
import hashlib
import os
import pickle
import queue
import select
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path

from .codekey import code_key
from .wire import recv as _recv
from .wire import send as _send

DEFAULT_IDLE = 30 * 60  # seconds without a build before the daemon leaves
_ANSWER_TIMEOUT = 5.0  # a daemon that does not take a request this fast is ignored


class DaemonError(Exception):
    """`briefgen daemon` could not do what it was asked (reported by the CLI with exit code 2)."""


# ----- both sides ------------------------------------------------------------------------------


def _name() -> str | None:
    """The daemon's abstract socket name, or None where there is no daemon (BRIEFGEN_DAEMON=off, not Linux)."""
    instance = os.environ.get("BRIEFGEN_DAEMON", "default")
    if instance == "off" or not sys.platform.startswith("linux"):
        return None
    return f"\0briefgen-daemon-{os.getuid()}-{hashlib.sha256(instance.encode()).hexdigest()[:16]}"


def _peer(sock: socket.socket) -> int | None:
    """The pid at the other end, if it runs as this user."""
    pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                         struct.calcsize("3i")))
    return pid if uid == os.getuid() else None


def _connect() -> tuple[socket.socket, int] | None:
    """(socket, daemon pid), or None when no daemon of this user answers."""
    name = _name()
    if name is None:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(name)
        pid = _peer(sock)
        if pid is not None:
            return sock, pid
    except OSError:
        pass
    sock.close()
    return None


def _ask(request) -> tuple | None:
    """The daemon's answer to a short request (it answers at once, even during a build); ("silent",
    pid) if it does not answer in time; None when there is no daemon."""
    connected = _connect()
    if connected is None:
        return None
    sock, pid = connected
    sock.settimeout(_ANSWER_TIMEOUT)
    try:
        _send(sock, request)
        return _recv(sock)[0]
    except socket.timeout:
        return ("silent", pid)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, struct.error):
        return None
    finally:
        sock.close()


# ----- the client: `briefgen build` with a daemon running -----------------------------------------


def delegate(args: list[str]) -> int | None:
    """Run `briefgen <args>` (a build) in the daemon: its exit code, or None when there is no daemon
    to run it (none running, switched off, or stale: then it has stopped)."""
    connected = _connect()
    if connected is None:
        return None
    sock, pid = connected
    quiet = bool({"-q", "--quiet"} & set(args[:args.index("build")] if "build" in args else args))  # errors only
    fds, opened = [], []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:  # closed: the build gets /dev/null there
            opened.append(os.open(os.devnull, os.O_RDWR))
            fds.append(opened[-1])
    interrupted: list[int] = []
    started = False

    def interrupt(signum, frame):  # Ctrl+C (or a stop) is for the build
        interrupted.append(signum)
        if started:
            _interrupt(pid)

    forwarded = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
                 if signal.getsignal(sig) is not signal.SIG_IGN}  # nohup: the build ignores SIGHUP as ours would
    mask = os.umask(0)
    os.umask(mask)
    try:
        sock.settimeout(_ANSWER_TIMEOUT)
        _send(sock, ("build", code_key(), list(args), os.getcwd(), dict(os.environ), mask), fds)
        answer, _ = _recv(sock)  # the build starts, or the daemon is stale
        if answer[0] != "started":
            if interrupted:
                print("interrupted; dist/ and the catalogs are unchanged", file=sys.stderr)
                return 130
            if answer[0] == "stale" and not quiet:
                print(f"note: the build daemon (pid {pid}) is stopping: briefgen or an installed package changed "
                      "since it started; this build runs on its own (`briefgen daemon start` starts a new daemon)",
                      file=sys.stderr)
            return None
        started = True
        if interrupted:  # before the build started
            _interrupt(pid)
        sock.settimeout(None)
        answer, _ = _recv(sock)
        if len(answer) > 2 and answer[2] and not quiet:
            print(f"note: the build daemon (pid {pid}) has stopped after this build; later builds run on their "
                  "own until `briefgen daemon start`", file=sys.stderr)
        return int(answer[1])
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, struct.error, IndexError, TypeError):
        if not started:  # it never started this build
            if interrupted:
                print("interrupted; dist/ and the catalogs are unchanged", file=sys.stderr)
                return 130
            return None
        print(f"error: the build daemon (pid {pid}) stopped during the build; dist/ may be unchanged or "
              "complete; run the build again", file=sys.stderr)
        return 3
    finally:
        for sig, handler in forwarded.items():
            signal.signal(sig, handler)
        for fd in opened:
            os.close(fd)
        sock.close()


def _interrupt(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGINT)
    except OSError:
        pass


# ----- control: start, stop, status -------------------------------------------------------------


def status() -> dict | None:
    """The daemon's state ({"pid", "silent": True} if it does not answer), or None if none runs."""
    answer = _ask(("status", code_key()))
    if answer and answer[0] == "silent":
        return {"pid": answer[1], "silent": True}
    return answer[1] if answer and answer[0] == "ok" else None


def stop() -> tuple[int, bool | None] | None:
    """Stop the daemon now: (its pid, whether a build it was running was interrupted: None if it did not
    answer and was sent SIGTERM), or None if none was running. An interrupted build ends as after
    Ctrl+C (exit 130, dist/ and the catalogs unchanged)."""
    answer = _ask(("stop",))
    if not answer or answer[0] not in ("stopping", "silent"):
        return None
    pid, interrupted = answer[1], (None if answer[0] == "silent" else bool(answer[2]))
    if answer[0] == "silent":  # the same user's process (SO_PEERCRED) that does not answer: SIGTERM
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + 30
    while _connect_quietly() and time.monotonic() < deadline:
        time.sleep(0.05)
    return pid, interrupted


def _connect_quietly() -> bool:
    connected = _connect()
    if connected:
        connected[0].close()
    return connected is not None


def start(idle: float = DEFAULT_IDLE) -> dict:
    """Start a daemon unless one with this code runs (a stale one stops when asked); its status."""
    current = status()
    if current is not None:
        return current
    if _name() is None:
        raise DaemonError("the build daemon is switched off here (BRIEFGEN_DAEMON=off, or not Linux)")
    from .progress import flush_streams

    flush_streams()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # detach: a session of its own, then a grandchild that nobody waits for
        code = 1
        try:
            os.close(read_end)
            os.setsid()
            if os.fork() == 0:
                _daemon(write_end, idle)  # never returns
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode("utf-8", "replace")
    if not message.startswith("ready"):
        raise DaemonError(f"the build daemon did not start: {message or 'it stopped at once'}")
    current = status()
    if current is None:
        raise DaemonError("the build daemon started but does not answer")
    return current


# ----- the daemon -------------------------------------------------------------------------------


def _daemon(ready_fd: int, idle: float) -> None:
    code = 0
    try:
        _serve(ready_fd, idle)
    except BaseException:
        code = 1
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()  # multiprocessing's: its temporary folder goes
        finally:
            os._exit(code)


def _serve(ready_fd: int, idle: float) -> None:
    from .zygote import _close_inherited_files

    _close_inherited_files(keep={0, 1, 2, ready_fd})  # nothing of the starting command (locks, pipes)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    os.chdir("/")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a client forwards Ctrl+C while its build runs
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def terminate(signum, frame):
        _STATE["leave"] = True
        if _STATE["building"]:  # the build stops as after Ctrl+C; the daemon leaves after answering
            raise KeyboardInterrupt
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminate)  # through the clean-up below: the workers stop too
    key = code_key()
    renderer = None
    try:
        from . import catalog, check, cli, content, pipeline, render, review, site, translate  # noqa: F401
        from .pdf import PdfRenderer

        renderer = PdfRenderer(max(2, pipeline._usable_cpus()))  # processes even on one CPU: see below
        # multiprocessing's forkserver, which every later pool of this process uses too, must start
        # now, with /dev/null as its stdout: started during a build it would keep that client's
        # terminal (or pipe) open for as long as the daemon lives
        if not renderer.started.wait(timeout=120):
            raise DaemonError("the PDF workers did not start in 2 minutes")
        if renderer._error is not None:
            raise renderer._error
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(_name())
        listener.listen(16)
    except BaseException as exc:
        reason = ("another one is starting" if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE
                  else f"{type(exc).__name__}: {exc}")
        os.write(ready_fd, reason.encode())
        if renderer is not None:
            renderer.close()
        raise
    os.write(ready_fd, f"ready {os.getpid()}".encode())
    os.close(ready_fd)
    state = {"pid": os.getpid(), "key": key, "started": time.time(), "idle": idle, "builds": 0}
    builds: queue.Queue = queue.Queue()
    threading.Thread(target=_take_requests, args=(listener, key, state, builds), daemon=True).start()
    try:
        while not _STATE["leave"]:
            try:
                conn, request, fds = builds.get(timeout=idle)
            except queue.Empty:
                return
            if conn is None:  # stop, or stale
                return
            try:
                _run_build(conn, request, fds, state, renderer)
            except Exception:  # one bad request never stops the daemon
                pass
            finally:
                conn.close()
                for fd in fds:
                    os.close(fd)
    finally:
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the other thread's accept(); close alone would not
        except OSError:
            pass
        listener.close()
        renderer.close()


_STATE = {"building": False, "leave": False}  # shared by the daemon's threads and its SIGTERM handler


def _take_requests(listener: socket.socket, key: str, state: dict, builds: queue.Queue) -> None:
    """The daemon's other thread: it answers `status` and `stop` at once, even during a build, and
    queues builds for the main thread."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:  # closed: the daemon leaves
            return
        fds: list[int] = []
        try:
            conn.settimeout(_ANSWER_TIMEOUT)
            if _peer(conn) is None or _STATE["leave"]:  # leaving: as if gone (a build runs on its own)
                raise ValueError("another user, or leaving")
            request, fds = _recv(conn, fds=3)
            if request[0] == "build" and len(fds) == 3 and request[1] == key:
                builds.put((conn, request, fds))
                continue
            if request[0] == "stop":
                _send(conn, ("stopping", os.getpid(), _STATE["building"]))
                _leave(builds, interrupt=True)
                return
            if request[1] != key:  # briefgen or a package changed on disk since this daemon started
                _send(conn, ("stale",))
                _leave(builds, interrupt=False)  # a build under way finishes first
                return
            if request[0] == "status":
                _send(conn, ("ok", {**state, "building": _STATE["building"]}))
        except Exception:  # one bad request never stops the daemon
            pass
        for fd in fds:
            os.close(fd)
        conn.close()


def _leave(builds: queue.Queue, interrupt: bool) -> None:
    _STATE["leave"] = True  # builds still queued are not started: their clients build on their own
    builds.put((None, None, []))
    if interrupt and _STATE["building"]:  # as Ctrl+C: ignored if that build has just ended
        _interrupt_build()


def _run_build(conn: socket.socket, request: tuple, fds: list[int], state: dict, renderer) -> None:
    if _STATE["leave"] or select.select([conn], [], [], 0)[0]:  # leaving; or the client gave up waiting
        return  # (and built on its own) or died
    _send(conn, ("started",))
    state["builds"] += 1
    done = threading.Event()
    threading.Thread(target=_watch_client, args=(conn, done), daemon=True).start()
    try:
        code = _build(request[2], request[3], request[4], request[5], fds, renderer)
    except KeyboardInterrupt:  # in the instant the build ended
        code = 130
    finally:
        done.set()
    if code in (130, 3) or renderer.broken:
        _STATE["leave"] = True  # interrupted, a bug, or a worker died: see the docstring
    conn.settimeout(None)
    try:
        _send(conn, ("exit", code, _STATE["leave"]))
    except OSError:  # the client has gone
        pass


def _watch_client(conn: socket.socket, done: threading.Event) -> None:
    """Interrupt the build, as Ctrl+C would, if its client goes away (killed, say): nobody waits for
    it, and it must not go on to replace dist/ behind the user's back. The client sends nothing while
    its build runs, so the socket becomes readable only when it is closed."""
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN | select.POLLHUP | select.POLLRDHUP)
    while not poller.poll(100):
        if done.is_set():
            return
    while not _STATE["building"]:  # until the build's Ctrl+C handler is in place
        if done.wait(0.01):
            return
    _interrupt_build()


def _interrupt_build() -> None:
    """Ctrl+C for the build running in the main thread (its KeyboardInterrupt; ignored once it is over),
    sent to that thread, so that it also breaks off a wait in a system call."""
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)


def _build(args: list[str], cwd: str, env: dict, mask: int, fds: list[int], renderer) -> int:
    """One `briefgen <args>` in this process, as the client would have run it."""
    from . import cli
    from .progress import flush_streams

    saved = [os.dup(fd) for fd in (0, 1, 2)]
    saved_env = dict(os.environ)
    saved_mask = os.umask(mask)
    try:
        for fd, target in zip(fds, (0, 1, 2)):
            os.dup2(fd, target)
        try:
            os.chdir(cwd)
        except OSError as exc:
            print(f"error: cannot enter the current folder {cwd}: {exc.strerror}; cd to the project again",
                  file=sys.stderr, flush=True)
            return 2
        os.environ.clear()
        os.environ.update(env)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _STATE["building"] = True
        try:
            return cli.invoke(args, renderer=renderer)
        except KeyboardInterrupt:  # between the command's own handlers
            return 130
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: a Ctrl+C still on its way is dropped
            _STATE["building"] = False
            flush_streams()
    finally:
        os.umask(saved_mask)
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir("/")
        for fd, target in zip(saved, (0, 1, 2)):
            os.dup2(fd, target)
            os.close(fd)
