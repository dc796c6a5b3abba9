"""PDF output with WeasyPrint: tagged, metadata set, fonts vendored, resources confined to the project."""
from __future__ import annotations

import datetime as _dt
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError, Location


def _fetcher_class():
    import mimetypes
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ProjectFetcher(URLFetcher):
        """Serves only files inside the allowed folders and data: URIs; refuses everything else."""

        def __init__(self, roots: tuple[Path, ...]):
            super().__init__(fail_on_errors=True)
            self.roots = tuple(r.resolve() for r in roots)
            self.refused: list[str] = []
            self.missing: list[str] = []

        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(unquote(urlsplit(url).path))).resolve()
                if any(path.is_relative_to(r) for r in self.roots) and path.is_file():
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    if path.suffix == ".woff2":
                        mime = "font/woff2"
                    return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
                if any(path.is_relative_to(r) for r in self.roots):
                    self.missing.append(url)
                    raise ValueError(f"resource not found: {url}")
            self.refused.append(url)
            raise ValueError(f"resource outside the project refused: {url}")

    return ProjectFetcher


def creation_stamp(date: _dt.date) -> str:
    """The PDF's creation time: SOURCE_DATE_EPOCH when set, else the publication date (never the clock)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{date.isoformat()}T00:00:00Z"


def _failures():
    """A logging handler that collects WeasyPrint's 'Failed to load ...' warnings, which it would
    otherwise skip over."""
    import logging

    class Failures(logging.Handler):
        def __init__(self):
            super().__init__(logging.WARNING)
            self.messages: list[str] = []

        def emit(self, record):
            message = record.getMessage()
            if message.startswith("Failed to load"):
                self.messages.append(message.splitlines()[0])

    return Failures()


@contextmanager
def source_date(date: _dt.date, epoch: str | None = None):
    """SOURCE_DATE_EPOCH for the render: `epoch` (the build's) if given and set, else this
    process's if set, else the publication date."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        epoch = previous or ""
    if not epoch:
        epoch = str(int(_dt.datetime(date.year, date.month, date.day, tzinfo=_dt.timezone.utc).timestamp()))
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _add_xmp_language(metadata, lang: str) -> None:
    """Put dc:language into WeasyPrint's single rdf:RDF (the catalog's /Lang comes from <html lang>)."""
    from xml.etree.ElementTree import SubElement, fromstring, tostring

    from weasyprint.pdf.metadata import NS

    original = metadata.generate_rdf_metadata

    def generate(variant, version, conformance):
        rdf = fromstring(original(variant, version, conformance))
        desc = SubElement(rdf, f"{{{NS['rdf']}}}Description", {f"{{{NS['rdf']}}}about": ""})
        bag = SubElement(SubElement(desc, f"{{{NS['dc']}}}language"), f"{{{NS['rdf']}}}Bag")
        SubElement(bag, f"{{{NS['rdf']}}}li").text = lang
        return tostring(rdf, encoding="utf-8")

    metadata.generate_rdf_metadata = generate


def import_weasyprint() -> None:
    """Import WeasyPrint, without its ~0.15 s of library lookups on Linux.

    WeasyPrint tries several spellings of each C library it loads ('libgobject-2.0-0',
    'gobject-2.0-0', 'gobject-2.0', ...), and cffi hands each one that is not a file name to
    ctypes.util.find_library, which on Linux runs `ldconfig -p`, then gcc, then ld, for each
    spelling that fails: about 15 ms a time, some 20 times, on the critical path of every build.
    Here find_library answers from one reading of the linker cache, the answer the first of those
    three steps gives; the gcc and ld steps only ever find libraries that the later spellings
    (file names, which dlopen searches itself) load anyway. Should the import fail this way, it
    runs again with the real lookup, so nothing that imported before fails now."""
    import sys

    if "weasyprint" in sys.modules:
        return
    if not sys.platform.startswith("linux"):
        import weasyprint  # noqa: F401
        return
    import ctypes.util

    real = ctypes.util.find_library
    ctypes.util.find_library = _cached_find_library(real)
    try:
        import weasyprint  # noqa: F401,F811
    except OSError:
        for module in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[module]
        ctypes.util.find_library = real
        import weasyprint  # noqa: F401,F811
    finally:
        ctypes.util.find_library = real


def _cached_find_library(real):
    """find_library from one `ldconfig -p`, as ctypes' own first step reads it (same ABI filter,
    first match in the cache's order); the real one where ldconfig cannot be run."""
    import re
    import struct
    import subprocess

    sonames: list[str] | None = None

    def find_library(name: str):
        nonlocal sonames
        if sonames is None:
            machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
            abi = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
                   "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}.get(machine, "libc6")
            try:
                out = subprocess.run(["/sbin/ldconfig", "-p"], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, env={"LC_ALL": "C", "LANG": "C"}, check=True).stdout
            except (OSError, subprocess.SubprocessError):
                sonames = []
                return real(name)
            sonames = [os.fsdecode(m.group(1)) for m in re.finditer(
                rb"^\s+(lib\S+)\s+\(" + re.escape(abi.encode()), out, re.MULTILINE)]
        if not sonames:
            return real(name)
        prefix = f"lib{name}."
        return next((s for s in sonames if s.startswith(prefix)), None)

    return find_library


def render_pdf(html: str, base_dir: Path, roots: tuple[Path, ...], variant: str, date: _dt.date, name: str,
               lang: str = "en", font_config=None, epoch: str | None = None) -> bytes:
    """PDF bytes for a print HTML document; reproducible for identical input."""
    import_weasyprint()
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    fetcher = _fetcher_class()(roots)
    options = {"pdf_variant": variant, "pdf_tags": True, "uncompressed_pdf": False}
    import logging

    failures = _failures()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(failures)
    try:
        with source_date(date, epoch):
            document = weasyprint.HTML(string=html, base_url=base_dir.as_uri() + "/", url_fetcher=fetcher).render(
                font_config=font_config, **options)
            _add_xmp_language(document.metadata, lang)
            data = document.write_pdf(**options)
    except FatalURLFetchingError:
        if fetcher.missing and not fetcher.refused:
            raise BuildError(f"{name}: '{fetcher.missing[-1]}' does not exist; add the file or fix the reference",
                             Location(base_dir / "print.css")) from None
        url = fetcher.refused[-1] if fetcher.refused else "a resource"
        raise BuildError(
            f"{name}: '{url}' is outside the project; only files under content/ and templates/ and data: URIs "
            "may be used (nothing is fetched from the network)",
            Location(base_dir / "print.css"),
        ) from None
    except (OSError, ValueError) as exc:  # a broken image or font in the project
        raise BuildError(f"{name}: cannot render the PDF: {exc}; check the images and fonts it uses",
                         Location(base_dir / "print.html")) from None
    finally:
        logger.removeHandler(failures)
    if failures.messages:
        raise BuildError(f"{name}: cannot render the PDF: {failures.messages[0]}; check the images and fonts it uses",
                         Location(base_dir / "print.html"))
    return data


@dataclass(frozen=True)
class PdfJob:
    """Everything a worker needs to render one PDF (picklable)."""

    rel: str
    html: str
    base_dir: Path
    roots: tuple
    variant: str
    date: _dt.date
    name: str
    lang: str
    # The building process's SOURCE_DATE_EPOCH: workers kept across builds (serve, the daemon) were
    # started with another environment. Empty: unset.
    epoch: str = field(default_factory=lambda: os.environ.get("SOURCE_DATE_EPOCH", ""))


_FONTS = None


def _font_config():
    global _FONTS
    if _FONTS is None:
        import gc

        from weasyprint.text.fonts import FontConfiguration

        # A render allocates millions of short-lived objects: collecting the youngest generation
        # every 10,000 allocations instead of 700 saves about 5% of the time for about 2 MB.
        gc.set_threshold(10_000, 10, 10)
        _FONTS = FontConfiguration()
        _clean_up_at_exit()
    return _FONTS


def clean_up() -> None:
    """Remove the folder where WeasyPrint put this process's fonts. Its own clean-up (__del__)
    never runs in worker processes, which leave with os._exit: without this every build would
    leave a folder of fonts per worker in the temporary directory."""
    global _FONTS
    folder = getattr(_FONTS, "_folder", None)
    _FONTS = None
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


_EXIT_HOOKED = False


def _clean_up_at_exit() -> None:
    global _EXIT_HOOKED
    if _EXIT_HOOKED:
        return
    _EXIT_HOOKED = True
    import atexit
    import multiprocessing
    import signal
    from multiprocessing import util

    atexit.register(clean_up)  # this process (one worker: rendering in the build itself)
    if multiprocessing.parent_process() is not None:  # a multiprocessing worker: finalizers run at its exit
        util.Finalize(None, clean_up, exitpriority=100)
    import threading

    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # stopped by the build: clean up

        def stop(signum, frame):
            clean_up()
            os._exit(128 + signum)

        signal.signal(signal.SIGTERM, stop)


_FONTS_SEEN = None  # the font files behind _FONTS


def _font_files(roots) -> tuple:
    """(path, mtime, size) of every font file a job may use (only files under its roots can be)."""
    found = []
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                if name.lower().endswith((".ttf", ".otf", ".woff", ".woff2", ".ttc")):
                    path = os.path.join(folder, name)
                    try:
                        st = os.stat(path)
                    except OSError:
                        continue
                    found.append((path, st.st_mtime_ns, st.st_size))
    return tuple(sorted(found))


def run_job(job: PdfJob) -> tuple[str, bytes]:
    """Render one job; each process loads WeasyPrint and its font configuration once, and keeps
    the configuration while the font files under the job's folders stay as they were. WeasyPrint
    only ever adds fonts to a configuration: workers that outlive a build (serve, the daemon)
    would otherwise render a replaced font file, or another project's font of the same name,
    with the font they met first."""
    global _FONTS_SEEN
    fonts = _font_files(job.roots)
    if _FONTS_SEEN is not None and fonts != _FONTS_SEEN:
        clean_up()  # a fresh configuration below
    _FONTS_SEEN = fonts
    return job.rel, render_pdf(job.html, job.base_dir, job.roots, job.variant, job.date, job.name, job.lang,
                               _font_config(), epoch=job.epoch)


def warm_up() -> None:
    """Set up WeasyPrint's font configuration in a worker before its first job arrives."""
    _font_config()


@contextmanager
def _no_main_module():
    """Workers started in this block do not re-run the main module.

    multiprocessing makes every forkserver/spawn child import the parent's `__main__` (the
    `briefgen` script, `python -m briefgen.cli`, or a user's build.py) before its first task: about
    40 ms of start-up per worker for nothing, since workers only need briefgen.pdf, and a crash when
    the main module has no file (`python -` reading stdin). A blank `__main__` while the workers
    start leaves the real module untouched."""
    import sys
    import types

    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _ignore_ctrl_c() -> None:
    """In pool workers: Ctrl+C reaches the whole terminal's process group; the process that owns
    the pool handles it and stops the workers, which must not die mid-job with a traceback each."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


_FLUSH, _STOP = "flush", "stop"  # markers on the starter thread's queue

# multiprocessing's forkserver listens on <its temporary folder>/listener-XXXXXXXX, its temporary
# folder being <TMPDIR>/pymp-XXXXXXXX, and a Unix socket's path has at most 107 bytes
_TMPDIR_MAX = 107 - len("/pymp-XXXXXXXX/listener-XXXXXXXX")
_SHORT_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm")


def _fit_forkserver_socket() -> None:
    """Under a TMPDIR too deep for that socket ("AF_UNIX path too long"), make multiprocessing's
    temporary folder (it holds nothing else, and goes when this process ends) in a short one."""
    import multiprocessing.util
    import tempfile

    if len(tempfile.gettempdir()) <= _TMPDIR_MAX:
        return
    for folder in _SHORT_FOLDERS:
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


class PdfRenderer:
    """Worker processes that render PDFs while the caller renders HTML; with one worker, jobs
    render in this process, after the HTML. One renderer can serve many builds in turn (`serve`
    keeps one, so its rebuilds find the workers warm): submit() the jobs, then results().

    The workers are forked from a forkserver that imports WeasyPrint once (``briefgen.pdfserver``),
    so the import is paid once, not once per worker. Forkserver rather than fork: a process whose
    Pango/GLib is initialised cannot be forked safely, and importing WeasyPrint initialises
    neither (only FontConfiguration does, in each worker). Starting the forkserver waits for that
    import, so a thread does it while this process loads the content; jobs submitted meanwhile
    queue up and go to the pool as soon as it exists."""

    def __init__(self, workers: int):
        import queue
        import threading

        self.workers = workers
        self.pool = None  # the ProcessPoolExecutor, once the starter thread has made it
        self.parallel = workers > 1
        self.broken = False  # a worker died: make a new renderer
        self.jobs: list[PdfJob] = []
        self.futures: dict = {}  # rel -> Future, written by the starter thread until a flush
        self._queue: queue.Queue = queue.Queue()
        self._flushed = threading.Event()
        self._error: BaseException | None = None
        self._starter = None
        self.started = threading.Event()  # the workers (and multiprocessing's forkserver) exist
        if not self.parallel:
            self.started.set()
        if self.parallel:
            _fit_forkserver_socket()
            self._starter = threading.Thread(target=self._start, name="briefgen-pdf-pool", daemon=True)
            self._starter.start()

    def _start(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        try:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["briefgen.pdfserver"])
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_ignore_ctrl_c)
            with _no_main_module():
                for _ in range(self.workers):  # starts every worker now (they start on demand)
                    self.pool.submit(warm_up)
        except BaseException as exc:  # reported to the caller by results()
            self._error = exc
        self.started.set()
        while True:
            # Longest first among the jobs already waiting (HTML length stands for rendering time), so
            # the last PDF to finish is a short one; jobs that arrive later go in arrival order.
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            jobs = [j for j in batch if isinstance(j, PdfJob)]
            for job in sorted(jobs, key=lambda j: -len(j.html)):
                if self._error is None:
                    try:
                        self.futures[job.rel] = self.pool.submit(run_job, job)
                    except BaseException as exc:  # the pool broke between builds
                        self._error = exc
            if _FLUSH in batch or _STOP in batch:
                self._flushed.set()
            if _STOP in batch:
                return

    def submit(self, job: PdfJob) -> None:
        """Queue one job; it starts in a worker as soon as one is free (never blocks)."""
        self.jobs.append(job)
        if self.parallel:
            self._queue.put(job)

    def results(self, progress=lambda message: None):
        """(rel, bytes) for every job submitted since the last results(), in submission order; the
        first failure is raised."""
        from concurrent.futures.process import BrokenProcessPool

        jobs, self.jobs = self.jobs, []
        if not self.parallel:
            for job in jobs:
                progress(f"PDF  {job.name}")
                yield run_job(job)
            return
        self._flushed.clear()
        self._queue.put(_FLUSH)
        self._flushed.wait()
        futures, self.futures = self.futures, {}
        if self._error is not None:
            self.broken = True
            raise self._error
        try:
            for job in jobs:
                rel, data = futures[job.rel].result()
                progress(f"PDF  {job.name}")
                yield rel, data
        except BrokenProcessPool:
            self.broken = True
            raise
        finally:
            for future in futures.values():
                future.cancel()  # after a failure: the rest of this build's jobs are not wanted

    def discard(self) -> None:
        """Drop the jobs of a build that stopped before collecting them; the renderer stays usable."""
        self.jobs = []
        if self.parallel and self._starter.is_alive():
            self._flushed.clear()
            self._queue.put(_FLUSH)
            self._flushed.wait()
        futures, self.futures = self.futures, {}
        for future in futures.values():
            future.cancel()

    def close(self) -> None:
        if self._starter is not None and self._starter.is_alive():
            self._queue.put(_STOP)
            self._starter.join()
        if self.pool is not None:
            for f in self.futures.values():
                f.cancel()
            self.pool.shutdown(wait=True, cancel_futures=True)
