"""Live preview: build, serve dist/site on localhost, rebuild on changes, reload open pages."""
from __future__ import annotations

import base64
import hashlib
import html
import mimetypes
import stat
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from .config import Project, load_project
from .errors import BriefgenError

RELOAD_JS = """
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
"""
RELOAD = f"<script>{RELOAD_JS}</script>"

ERROR_STYLE = ("body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}"
               "pre{background:#fee;border-left:4px solid #a00;padding:1rem;white-space:pre-wrap}")

ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Build error</title>
<style>{style}</style></head>
<body><main><h1>The last build failed</h1><pre>{error}</pre>
<p>Fix the file; this page reloads by itself when the build succeeds.</p></main>{reload}</body></html>"""


def _source_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


# The pages' own files, and nothing else: the live-reload script (by its hash) is the only script,
# its polling the only connection, the error page's style the only inline style.
CSP = (f"default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' {_source_hash(ERROR_STYLE)}; "
       f"script-src {_source_hash(RELOAD_JS)}; connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")


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


class BadRequest(ValueError):
    """A request path no file can have: a NUL, an invalid escape, `..`, a backslash, no leading slash."""


def request_path(target: str) -> str:
    """The decoded path of a request target, or BadRequest."""
    if not target.startswith("/"):
        raise BadRequest("not an origin-form path")
    try:
        path = unquote(urlsplit(target).path, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("invalid percent-encoding") from None
    if any(ord(c) < 32 or c in "\\\x7f" for c in path) or any(part in (".", "..") for part in path.split("/")):
        raise BadRequest("control character, backslash or dot segment")
    return path


def site_file(site: Path, path: str) -> Path | None:
    """The file of dist/site a decoded path names, or None: every symlink is resolved first and
    anything that then lies outside dist/site is refused; a folder gives its index.html, never a listing."""
    try:
        root = site.resolve()
        found = (root / path.lstrip("/")).resolve()
        if found.is_dir():
            found = (found / "index.html").resolve()
        if found.is_relative_to(root) and found.is_file():
            return found
    except (OSError, RuntimeError):  # a name too long, a symlink loop
        pass
    return None


def _content_type(path: Path) -> str:
    types = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".woff2": "font/woff2",
             ".svg": "image/svg+xml", ".xml": "application/xml", ".pdf": "application/pdf"}
    return types.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class PreviewHandler(BaseHTTPRequestHandler):
    """Answers for one Preview and its dist/site (a subclass made by handler_class sets both)."""

    preview: Preview
    site: Path
    server_version = "briefgen-serve"
    sys_version = ""

    def log_message(self, format, *args):  # quiet: the terminal shows builds, not requests
        pass

    def _send(self, body: bytes, content_type: str, status=HTTPStatus.OK, headers=()):
        self.send_response(status)
        for name, value in [("Content-Type", content_type), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                            ("Content-Security-Policy", CSP), ("Referrer-Policy", "no-referrer"),
                            ("Cross-Origin-Resource-Policy", "same-origin"), *headers]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _refuse(self, status: HTTPStatus, why: str):
        return self._send(f"{status.value} {status.phrase}: {why}\n".encode(), "text/plain; charset=utf-8", status)

    def _host_ok(self) -> bool:
        """Only a Host naming the loopback address and port it listens on: a DNS-rebinding page
        reaches this server under its own name and must read nothing (drafts, the error page)."""
        hosts = self.headers.get_all("Host") or []
        port = self.server.server_address[1]
        return len(hosts) == 1 and hosts[0].strip().lower() in {f"{name}:{port}" for name in LOOPBACK_NAMES}

    def do_GET(self):
        if not self._host_ok():
            return self._refuse(HTTPStatus.MISDIRECTED_REQUEST, "this preview answers only http://127.0.0.1:PORT/")
        try:
            path = request_path(self.path)
        except BadRequest as exc:
            return self._refuse(HTTPStatus.BAD_REQUEST, str(exc))
        if path == "/__briefgen__/state":
            return self._send(self.preview.state.encode(), "text/plain; charset=utf-8")
        with self.preview.lock:
            error = self.preview.error
        if error is not None and (path.endswith("/") or path.endswith(".html")):
            page = ERROR_PAGE.format(style=ERROR_STYLE, error=html.escape(error), reload=RELOAD)
            return self._send(page.encode("utf-8"), "text/html; charset=utf-8", HTTPStatus.INTERNAL_SERVER_ERROR)
        return self._file(path)

    do_HEAD = do_GET

    def _file(self, path: str):
        target = site_file(self.site, path)
        if target is None:
            return self._refuse(HTTPStatus.NOT_FOUND, "no such page")
        if target.name == "index.html" and not path.endswith("/") and not path.endswith("index.html"):
            return self._send(b"", "text/plain", HTTPStatus.MOVED_PERMANENTLY, [("Location", quote(path) + "/")])
        try:
            body = target.read_bytes()
        except OSError:
            return self._refuse(HTTPStatus.NOT_FOUND, "no such page")
        if target.suffix == ".html":
            body = body.replace(b"</body>", RELOAD.encode() + b"</body>", 1)
        return self._send(body, _content_type(target))


def handler_class(preview: Preview, site: Path) -> type[PreviewHandler]:
    return type("Handler", (PreviewHandler,), {"preview": preview, "site": site})


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that went away mid-answer is no news for the terminal, and no request may print a traceback."""


def preview_server(port: int, handler) -> PreviewServer:
    """The preview's HTTP server, on the loopback address only."""
    return PreviewServer(("127.0.0.1", port), handler)


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
    server = preview_server(port, handler_class(preview, site))
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
