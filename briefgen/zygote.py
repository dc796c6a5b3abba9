"""PDF workers forked straight from the build: the quickest way to have WeasyPrint ready.

`briefgen build` forks one child (the zygote) as soon as it knows it has something to render, while
this process is still single-threaded and has not touched Pango. The zygote imports WeasyPrint
once, forks the other workers from itself, then works as the first of them. Compared with
multiprocessing's forkserver this saves starting two interpreters (the forkserver and its
resource tracker) and the per-worker start-up protocol: about 0.1 s before the first PDF starts.

Each worker talks to this process over its own socket: it says when it is ready, then receives
one job at a time and sends back the PDF or the error. A thread per worker hands it the longest
job waiting, so that the last PDF to finish is a short one. Workers ignore Ctrl+C (this process
handles it) and exit when their socket closes, so they never outlive the build for long.

Used only where forking is safe: Linux, one thread. `serve` and threaded callers use PdfRenderer.
"""
from __future__ import annotations

import os
import pickle
import signal
import socket
import sys
import threading

from . import wire
from .errors import BriefgenError
from .progress import flush_streams


def usable() -> bool:
    """Forking this process is safe: Linux, a single thread, and WeasyPrint (Pango, fontconfig) not
    loaded here yet, as in `briefgen build`; a process that rendered PDFs itself must not fork."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1
            and "weasyprint" not in sys.modules)


def _send(sock: socket.socket, obj) -> None:
    wire.send(sock, obj)


def _recv(sock: socket.socket):
    return wire.recv(sock)[0]


def _picklable(exc: BaseException) -> BaseException:
    """exc if it survives a round trip through pickle (exceptions with extra required arguments do
    not), else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _work(sock: socket.socket) -> None:
    """A worker's life: set up fonts, say ready, render jobs until the socket closes."""
    from .pdf import run_job, warm_up

    try:
        warm_up()
    except BaseException as exc:
        _send(sock, ("failed", _picklable(exc)))
        raise
    _send(sock, ("ready", os.getpid()))
    while True:
        try:
            job = _recv(sock)
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", run_job(job)[1])
        except BaseException as exc:  # sent back; the build reports it
            reply = ("error", _picklable(exc))
        try:
            _send(sock, reply)
        except OSError:
            return


def _zygote(socks: list[socket.socket]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the build process
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the workers forked below reap themselves
    # A SIGTERM from the build (it stopped early) waits until the import is over: killed inside it,
    # cffi's library lookup would leave its temporary files behind.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        from . import pdfserver  # noqa: F401  (imports WeasyPrint once, for every worker)
    except BaseException as exc:  # e.g. Pango missing: the build reports this, not "a worker died"
        for sock in socks:
            try:
                _send(sock, ("failed", _picklable(exc)))
            except OSError:
                pass
        raise
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    for i in range(1, len(socks)):
        if os.fork() == 0:
            for j, s in enumerate(socks):
                if j != i:
                    s.close()
            _exit_after(_work, socks[i])
    for s in socks[1:]:
        s.close()
    _work(socks[0])
    try:  # leave after the workers forked above, so that the build finds them all gone once this one is
        while True:
            os.wait()
    except ChildProcessError:
        pass


def _close_inherited_files(keep: set[int]) -> None:
    """Close what the zygote inherited from the build, above all the project lock (an flock is
    held while any process has its file open) and the staging files: workers must not keep them."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:  # the listing's own descriptor, already gone
                pass


def _exit_after(func, *args) -> None:
    """Run func in a forked child and leave without returning into the parent's code."""
    code = 0
    try:
        func(*args)
    except BaseException:
        code = 1
    finally:
        try:
            from .pdf import clean_up

            clean_up()
        finally:
            os._exit(code)


class WorkerDied(BriefgenError):
    """A worker process vanished (killed, out of memory); nothing was written."""

    exit_code = 3


class ForkRenderer:
    """Same interface as pdf.PdfRenderer, for one build."""

    parallel = True

    def __init__(self, workers: int):
        flush_streams()
        pairs = [socket.socketpair() for _ in range(workers)]
        try:
            pid = os.fork()
        except OSError:
            for ours, theirs in pairs:
                ours.close()
                theirs.close()
            raise
        if pid == 0:
            os.setpgid(0, 0)  # a process group of its own, with the workers it forks: see close()
            for ours, _ in pairs:
                ours.close()
            _close_inherited_files(keep={0, 1, 2, *(theirs.fileno() for _, theirs in pairs)})
            _exit_after(_zygote, [theirs for _, theirs in pairs])
        try:
            os.setpgid(pid, pid)  # also here, so that close() finds the group however soon it runs
        except OSError:  # the child did it first, or has already left
            pass
        self.pid = pid
        self.socks = []
        for ours, theirs in pairs:
            theirs.close()
            self.socks.append(ours)
        self.broken = False
        self._failure: BaseException | None = None
        self.jobs: list = []  # (sequence number, job): two jobs may share an output name
        self._seq = 0
        self._pending: list = []
        self._results: dict = {}
        self._pids: list[int] = []
        self._busy = 0
        self._closing = False
        self._cond = threading.Condition()
        self._threads = [threading.Thread(target=self._feed, args=(s,), daemon=True, name="briefgen-pdf-worker")
                         for s in self.socks]
        for t in self._threads:
            t.start()

    def _feed(self, sock: socket.socket) -> None:
        try:
            status, payload = _recv(sock)  # ready: WeasyPrint imported, fonts set up
        except Exception:
            return self._died(None)
        if status != "ready":  # WeasyPrint could not start: every job fails with its reason
            return self._died(None, payload)
        with self._cond:
            self._pids.append(payload)
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                key, job = max(self._pending, key=lambda kj: len(kj[1].html))  # the longest waiting
                self._pending.remove((key, job))
                self._busy += 1
            try:
                _send(sock, job)
                status, payload = _recv(sock)
            except (EOFError, OSError):
                return self._died(key)
            except Exception as exc:  # a reply that cannot be read: this job failed, the worker lives on
                status, payload = "error", RuntimeError(f"{job.name}: the PDF worker's reply is unreadable: {exc}")
            with self._cond:
                self._busy -= 1
                self._results[key] = (status, payload)
                self._cond.notify_all()

    def _died(self, job, reason: BaseException | None = None) -> None:
        with self._cond:
            if not self._closing:
                self.broken = True
                error = reason or WorkerDied("a PDF worker process stopped unexpectedly (killed, or out of "
                                             "memory?); dist/ is unchanged; run the build again")
                self._failure = error
                for k in ([job] if job is not None else []) + [k for k, _ in self._pending]:
                    self._results[k] = ("error", error)
                self._pending.clear()
            self._cond.notify_all()

    def submit(self, job) -> None:
        with self._cond:
            self._seq += 1
            self.jobs.append((self._seq, job))
            if self.broken:
                self._results[self._seq] = ("error", self._failure)
            else:
                self._pending.append((self._seq, job))
            self._cond.notify_all()

    def results(self, progress=lambda message: None):
        jobs, self.jobs = self.jobs, []
        for key, job in jobs:
            with self._cond:
                while key not in self._results:
                    if not any(t.is_alive() for t in self._threads):  # never wait for nobody
                        self._results[key] = ("error", self._failure or WorkerDied(
                            "the PDF workers stopped before rendering every PDF; dist/ is unchanged; "
                            "run the build again"))
                        break
                    self._cond.wait(timeout=1.0)
                status, payload = self._results.pop(key)
            if status == "error":
                raise payload
            progress(f"PDF  {job.name}")
            yield job.rel, payload

    def discard(self) -> None:
        with self._cond:
            self._pending.clear()
            self.jobs = []

    def close(self) -> None:
        with self._cond:
            self._closing = True
            unfinished = self._busy > 0 or bool(self._pending) or len(self._pids) < len(self.socks)
            self._pending.clear()
            self._cond.notify_all()
        if unfinished:  # the build stopped early: the PDFs in progress are not wanted
            # SIGTERM: they remove their font folders and leave. To the zygote's process group, not
            # to each worker's pid: a worker that has left is reaped at once and its pid may be
            # reused, while the zygote, not yet waited for, keeps its pid, and so the group's id.
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except OSError:
                pass
        for sock in self.socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for t in self._threads:
            t.join()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
