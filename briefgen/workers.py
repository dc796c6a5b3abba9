"""The PDF worker pool of `build` and `serve`: one model, a small interface.

    pool = PdfPool(workers)      # starts importing WeasyPrint in the background at once
    pool.submit(jobs)            # never blocks for long; longest job first
    for rel, data in pool.results(progress): ...   # in the order the jobs were given
    pool.close()

Workers are processes forked from multiprocessing's forkserver, which imports WeasyPrint once
(`preload`), so each worker starts with it loaded and the import overlaps the build's loading of
the content. Forkserver rather than fork: a process that has initialised Pango (any process
that rendered a PDF) cannot be forked safely, and `serve` is threaded. Even one PDF goes to a
worker, so that WeasyPrint loads while this process renders the HTML. A pool can serve many
builds in turn (`serve` keeps one, so its rebuilds find the workers warm); after a worker died
it is `broken` and the caller makes a new one.
"""
from __future__ import annotations

import os
import pickle
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import BriefgenError, BuildError


@dataclass(frozen=True)
class PdfJob:
    """Everything a worker needs to render one PDF (picklable)."""

    rel: str          # the output, e.g. pdf/brief.pdf
    html: str         # the print HTML
    base_dir: Path    # where relative URLs in it point (templates/)
    roots: tuple      # the only folders it may read (templates/, content/)
    variant: str      # pdf/ua-1 or pdf/a-3u
    epoch: int        # SOURCE_DATE_EPOCH for the PDF's dates (config.build_time)
    name: str         # lang/document, for messages
    lang: str
    script_faces: tuple = ()  # (script face, family) its print HTML declares (briefgen.fonts.script_faces)


class WorkerDied(BriefgenError):
    """A worker process vanished (killed, out of memory); nothing was written."""

    exit_code = 3


class Fonts:
    """This process's WeasyPrint font configurations, one per set of script faces (an Arabic PDF's
    "Script Serif" is not a Chinese one's: one configuration holding both would draw a character
    they share with whichever fontconfig sorts first, so a PDF would depend on the worker's past),
    kept while the font files a job may use are unchanged.
    WeasyPrint only ever adds fonts to a configuration: a worker that outlives a build (serve)
    would otherwise render a replaced font file with the font it met first. `shipped` holds
    those files: a PDF may embed no other font (briefgen.pdf)."""

    def __init__(self):
        self.configs: dict = {}
        self.files: tuple | None = None
        self.shipped = Shipped(())

    def for_job(self, roots: tuple, script_faces: tuple = ()):
        files = _font_files(roots)
        if files != self.files:
            self.clear()
            self.files, self.shipped = files, Shipped(files)
        if script_faces not in self.configs:
            from weasyprint.text.fonts import FontConfiguration

            self.configs[script_faces] = FontConfiguration()
        return self.configs[script_faces]

    def clear(self) -> None:
        """Remove the folders where WeasyPrint keeps these configurations' fonts (its own __del__
        does not run in a worker that is stopped)."""
        folders = [getattr(config, "_folder", None) for config in self.configs.values()]
        self.configs, self.files, self.shipped = {}, None, Shipped(())
        for folder in filter(None, folders):
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


class Shipped:
    """The font files a job may use (`paths`), and whether a font's bytes are one of them (`holds`).
    A file is read only when a PDF embeds a font of its size: hashing all of them (11 MB) cost each
    worker 0.03-0.04 s before its first PDF."""

    def __init__(self, files: tuple):  # (path, mtime, size), as _font_files gives them
        self.paths = [path for path, _mtime, _size in files]
        self._by_size: dict[int, list[str]] = {}
        for path, _mtime, size in files:
            self._by_size.setdefault(size, []).append(path)
        self._digests: dict[str, str | None] = {}

    def holds(self, data: bytes) -> bool:
        import hashlib

        wanted = hashlib.sha256(data).hexdigest()
        for path in self._by_size.get(len(data), ()):
            if path not in self._digests:
                try:
                    with open(path, "rb") as f:
                        self._digests[path] = hashlib.sha256(f.read()).hexdigest()
                except OSError:
                    self._digests[path] = None
            if self._digests[path] == wanted:
                return True
        return False


def _font_files(roots: tuple) -> tuple:
    """(path, mtime, size) of every font file under `roots` (a job reads nothing else)."""
    from .fonts import FONT_SUFFIXES

    found = []
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                if name.lower().endswith(FONT_SUFFIXES):
                    path = os.path.join(folder, name)
                    try:
                        st = os.stat(path)
                    except OSError:
                        continue
                    found.append((path, st.st_mtime_ns, st.st_size))
    return tuple(sorted(found))


_FONTS = Fonts()  # one per process: the build's own (one worker) or a worker's


def run_job(job: PdfJob) -> bytes:
    """Render one job with this process's fonts."""
    from .pdf import render_pdf

    config = _FONTS.for_job(job.roots, job.script_faces)
    return render_pdf(job.html, job.base_dir, job.roots, job.variant, job.epoch, job.name, job.lang, config,
                      _FONTS.shipped)


def _work(job: PdfJob) -> bytes:
    """run_job in a worker: an error goes back to the build by pickle, so one that pickle cannot
    rebuild (extra required arguments) goes as a RuntimeError with its text (else the pool would
    take it for a dead worker)."""
    try:
        return run_job(job)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        raise


def _start_worker(owner: int) -> None:
    """In each worker: Ctrl+C reaches the whole terminal's process group, and the process that owns
    the pool handles it; SIGTERM (the pool closed early) and a normal exit remove the fonts folder;
    the worker leaves when the owner is gone."""
    import signal
    from multiprocessing import util

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _leave_with(owner)

    def stop(signum, frame):
        _FONTS.clear()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    util.Finalize(None, _FONTS.clear, exitpriority=100)


def _leave_with(owner: int) -> None:
    """Leave when the process that owns the pool has ended. A build killed with SIGKILL closes
    nothing, and a worker holds both ends of the pool's job queue, so it would wait for work
    forever (and the forkserver with it, while any of its children lives)."""
    import select
    import threading
    import time

    def watch() -> None:
        try:
            fd = os.pidfd_open(owner)  # readable once the owner has ended (Linux 5.3+)
        except ProcessLookupError:
            fd = None
        except (AttributeError, OSError):
            fd = -1
        if fd == -1:  # no pidfd here: ask every second
            while _alive(owner):
                time.sleep(1.0)
        elif fd is not None:
            select.select([fd], [], [])
        _FONTS.clear()
        os._exit(1)

    threading.Thread(target=watch, name="briefgen-owner-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PdfPool:
    """Render PdfJobs in worker processes (see the module's text)."""

    def __init__(self, workers: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import forkserver

        self.broken = False
        self._workers = workers
        self._jobs: list[PdfJob] = []  # not yet collected, in their order
        self._waiting: list[PdfJob] = []  # not yet given to a worker, longest first
        self._started: dict = {}  # id(job) -> its future
        self._submitted: list = []  # every future not known to be done: close() stops their workers
        _fit_forkserver_socket()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["briefgen.weasyload", "briefgen.pdf"])  # WeasyPrint, quickly, once
        forkserver.ensure_running()  # the import starts now, while the build loads its content
        self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                             initargs=(os.getpid(),))

    def submit(self, jobs: list[PdfJob]) -> None:
        """Queue jobs; results() gives them back in the order given here. As many start at once as
        there are workers, longest first (longest_first); each worker that finishes gets the longest
        waiting job in the language it just rendered, whose hyphenation dictionary it has loaded: a
        worker that changed language loaded a second one (0.03-0.07 s), in about half the builds."""
        self._jobs += jobs
        self._waiting = longest_first(self._waiting + jobs)
        self._start()

    def _start(self, lang: str | None = None) -> None:
        running = [f for f in self._submitted if not f.done()]
        with _no_main_module():
            while len(running) < self._workers and self._waiting:
                job = next_job(self._waiting, lang)
                self._waiting.remove(job)
                self._started[id(job)] = future = self._executor.submit(_work, job)
                future.lang = job.lang
                running.append(future)
        self._submitted = running

    def results(self, progress: Callable[[str], None] = lambda message: None) -> Iterator[tuple[str, bytes]]:
        """(rel, PDF bytes) of every job submitted since the last results(); the first failure is raised."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        jobs, self._jobs = self._jobs, []
        try:
            for job in jobs:
                try:
                    while not (id(job) in self._started and self._started[id(job)].done()):
                        done, _ = wait(self._submitted, return_when=FIRST_COMPLETED)
                        self._start(next(iter(done)).lang)
                    data = self._started.pop(id(job)).result()
                except BrokenProcessPool:
                    self.broken = True
                    raise WorkerDied("a PDF worker process stopped unexpectedly (killed, or out of memory?); "
                                     "dist/ is unchanged; run the build again") from None
                progress(f"PDF  {job.name}")
                yield job.rel, data
        finally:
            self._drop()  # after a failure: the rest of this build's jobs are not wanted

    def discard(self) -> None:
        """Drop the jobs of a build that stopped before collecting them; the pool stays usable."""
        self._jobs = []
        self._drop()

    def _drop(self) -> None:
        for future in self._started.values():
            future.cancel()
        self._waiting, self._started = [], {}

    def close(self) -> None:
        """Stop the workers; a PDF still rendering is not wanted (its worker is stopped)."""
        busy = any(not f.done() for f in self._submitted)
        processes = list((self._executor._processes or {}).values())  # (no public way to reach them)
        self._executor.shutdown(wait=not busy, cancel_futures=True)
        if busy:
            for process in processes:
                process.terminate()  # SIGTERM: it removes its fonts folder and leaves
            for process in processes:
                process.join()


def longest_first(jobs: list[PdfJob]) -> list[PdfJob]:
    """Jobs in the order to start them, so that the last PDF to finish is a short one. The number
    of elements stands for rendering time (boxes to lay out): this project's briefing, with a table,
    takes a third longer than its concept note, whose print HTML is longer in Spanish."""
    return sorted(jobs, key=lambda job: -job.html.count("<"))


def next_job(waiting: list[PdfJob], lang: str | None) -> PdfJob:
    """The job to give a worker that has just rendered a PDF in `lang`: the longest waiting one in
    that language, else the longest waiting one (`waiting` is longest first)."""
    return next((job for job in waiting if job.lang == lang), waiting[0])


def worker_count(requested: int | None, most: int) -> int:
    """Workers for a build: as requested (--jobs), else one per CPU this process may use; never
    more than `most` (the PDFs a build may render)."""
    try:
        cpus = len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(requested or cpus, most))


@contextmanager
def _no_main_module():
    """Workers started in this block do not re-run the main module.

    multiprocessing makes every forkserver child import the parent's `__main__` (the `briefgen`
    script, or a user's build.py) before its first task: start-up time for nothing, and a crash
    when the main module has no file (`python -` reading stdin)."""
    import types

    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


# multiprocessing's forkserver listens on <its temporary folder>/listener-XXXXXXXX, its temporary
# folder being <TMPDIR>/pymp-XXXXXXXX, and a Unix socket's path has at most 107 bytes
_TMPDIR_MAX = 107 - len("/pymp-XXXXXXXX/listener-XXXXXXXX")


def _fit_forkserver_socket() -> None:
    """Under a TMPDIR too deep for that socket ("AF_UNIX path too long"), make multiprocessing's
    temporary folder (it holds nothing else, and goes when this process ends) in a short one."""
    import multiprocessing.util
    import tempfile

    if len(tempfile.gettempdir()) <= _TMPDIR_MAX:
        return
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            saved, tempfile.tempdir = tempfile.tempdir, folder
            try:
                made = multiprocessing.util.get_temp_dir()  # made once per process, then reused
            finally:
                tempfile.tempdir = saved
            if len(made) <= _TMPDIR_MAX + len("/pymp-XXXXXXXX"):
                return
            break
    raise BuildError(f"the temporary folder {tempfile.gettempdir()} is too deep for the PDF workers' socket "
                     f"(at most {_TMPDIR_MAX} characters); set TMPDIR to a shorter folder, such as /tmp")
