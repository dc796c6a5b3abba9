"""Live preview: build, serve dist/site on localhost, rebuild on changes, reload open pages."""
from __future__ import annotations

import html
import stat
import threading
import time
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .config import Project, load_project
from .errors import BriefgenError

RELOAD = """<script>
(function () {
  var seen = null;
  function poll() {
    fetch("/__briefgen__/state", {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (v) {
      if (seen !== null && v !== seen) { location.reload(); }
      seen = v;
    }).catch(function () {}).finally(function () { setTimeout(poll, 700); });
  }
  poll();
})();
</script>"""

ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Build error</title>
<style>body{{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}}
pre{{background:#fee;border-left:4px solid #a00;padding:1rem;white-space:pre-wrap}}</style></head>
<body><main><h1>The last build failed</h1><pre>{error}</pre>
<p>Fix the file; this page reloads by itself when the build succeeds.</p></main>{reload}</body></html>"""


class Preview:
    """The state shared by the watcher and the HTTP handlers."""

    def __init__(self, root: Path, pdf: bool, say):
        self.root = root
        self.pdf = pdf
        self.say = say
        self.generation = 0
        self.error: str | None = None
        self.lock = threading.Lock()
        self.pool = None  # PDF workers kept warm across rebuilds

    def build(self) -> None:
        from .lock import project_lock
        from .pipeline import build

        try:
            project: Project = load_project(self.root)
            if self.pdf and self.pool is None:
                from .workers import PdfPool, worker_count

                self.pool = PdfPool(worker_count(None, len(project.documents) * len(project.languages)))
            with project_lock(project):
                build(project, pdf=self.pdf, pool=self.pool)
            error = None
        except BriefgenError as exc:
            error = exc.format(self.root)
        except Exception as exc:  # keep serving; show what went wrong
            error = f"internal error: {type(exc).__name__}: {exc}"
        if self.pool is not None and self.pool.broken:  # a worker died: start afresh next time
            self.pool.close()
            self.pool = None
        with self.lock:
            self.error = error
            self.generation += 1
        self.say(f"rebuilt ({'error' if error else 'ok'})" + (f":\n{error}" if error else ""))

    @property
    def state(self) -> str:
        with self.lock:
            return f"{self.generation}:{'error' if self.error else 'ok'}"


def snapshot(root: Path) -> dict:
    """What identifies each file a build reads: a rewrite within one clock tick still changes its size or inode."""
    out = {}
    files = [p for folder in ("content", "templates", "locales") for p in (root / folder).rglob("*")]
    for p in files + [root / "pyproject.toml"]:
        try:
            st = p.stat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            out[str(p)] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return out


def watch(preview: Preview, stop: threading.Event, last: dict, interval: float = 0.4) -> None:
    """Rebuild whenever the files differ from `last`, a snapshot taken before the build that produced
    what is served: an edit made while that build ran, or before this thread first ran, is not missed."""
    while not stop.wait(interval):
        now = snapshot(preview.root)
        if now != last:
            time.sleep(0.15)  # let an editor finish writing
            last = snapshot(preview.root)
            preview.build()


def handler_class(preview: Preview, site: Path):
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, format, *args):  # quiet: the terminal shows builds, not requests
            pass

        def _send(self, body: bytes, content_type: str, status=HTTPStatus.OK):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.startswith("/__briefgen__/state"):
                return self._send(preview.state.encode(), "text/plain; charset=utf-8")
            with preview.lock:
                error = preview.error
            path = self.path.split("?", 1)[0]
            if error is not None and (path.endswith("/") or path.endswith(".html")):
                page = ERROR_PAGE.format(error=html.escape(error), reload=RELOAD)
                return self._send(page.encode("utf-8"), "text/html; charset=utf-8", HTTPStatus.INTERNAL_SERVER_ERROR)
            target = Path(self.translate_path(self.path))
            if target.is_dir():
                target = target / "index.html"
            if target.suffix == ".html" and target.is_file():
                body = target.read_bytes().replace(b"</body>", RELOAD.encode() + b"</body>", 1)
                return self._send(body, "text/html; charset=utf-8")
            return super().do_GET()

    return Handler


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP (closed terminal) stop the server as Ctrl+C does, through the clean-up
    below, rather than leaving its PDF workers running without it."""
    import signal

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup briefgen serve: SIGHUP stays ignored
                signal.signal(sig, stop)


def serve(root: Path, port: int, pdf: bool, say) -> None:
    """Serve until interrupted; a failing build shows its error in the page instead of stopping."""
    preview = Preview(root, pdf, say)
    before = snapshot(root)
    preview.build()
    site = root / "dist" / "site"
    site.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_class(preview, site))
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(preview, stop, before), daemon=True)
    watcher.start()
    say(f"serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C to stop)")
    _stop_on_signals()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        stop.set()
        server.server_close()
        if preview.pool is not None:
            preview.pool.close()
