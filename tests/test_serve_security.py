"""`briefgen serve` trusts no one: real HTTP requests to a served dist/site, with hostile headers and paths."""
from __future__ import annotations

import base64
import hashlib
import http.client
import re
import threading

import pytest

from briefgen.serve import Preview, handler_class, preview_server

PAGE = b"<!DOCTYPE html><html><head><title>t</title></head><body><p>Draft text</p></body></html>"


@pytest.fixture
def served(tmp_path):
    """A dist/site with a page, a stylesheet and a font folder, served on a free loopback port."""
    site = tmp_path / "proj/dist/site"
    (site / "en/brief").mkdir(parents=True)
    (site / "en/brief/index.html").write_bytes(PAGE)
    (site / "screen.css").write_text("body{color:#222}", encoding="utf-8")
    (site / "fonts").mkdir()
    (site / "fonts/a.woff2").write_bytes(b"wOF2")
    (tmp_path / "secret.txt").write_text("root:x:0:0 secret", encoding="utf-8")
    preview = Preview(tmp_path / "proj", False, lambda message: None)
    server = preview_server(0, handler_class(preview, site))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], site, preview
    finally:
        server.shutdown()
        server.server_close()


def get(port: int, path: str, host: str | None = "default", method: str = "GET") -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    if host is not None:
        conn.putheader("Host", f"127.0.0.1:{port}" if host == "default" else host)
    conn.endheaders()
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def test_page_is_served_with_protective_headers(served):
    port, _, _ = served
    status, headers, body = get(port, "/en/brief/")
    assert status == 200 and b"Draft text" in body
    assert headers["x-content-type-options"] == "nosniff"
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    # the live-reload script is the only script allowed, by its hash
    scripts = re.findall(rb"<script>(.*?)</script>", body, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0]).digest()).decode()
    assert re.search(r"script-src 'sha256-[^']+'(;|$)", csp) and f"'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    status, headers, _ = get(port, "/screen.css")
    assert status == 200 and headers["x-content-type-options"] == "nosniff" and headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("host", ["localhost:{port}", "[::1]:{port}", "127.0.0.1:{port}", "LOCALHOST:{port}"])
def test_loopback_host_names_are_answered(served, host):
    port, _, _ = served
    assert get(port, "/en/brief/", host.format(port=port))[0] == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1", "localhost:1",
                                  "127.0.0.1:{port}.evil.example", "", None])
def test_other_host_headers_are_refused(served, host):
    """A DNS-rebinding page reaches the server with its own name in Host: it must read nothing."""
    port, _, preview = served
    host = host.format(port=port) if host else host
    for path in ("/en/brief/", "/__briefgen__/state", "/screen.css"):
        status, _, body = get(port, path, host)
        assert status in (400, 421) and b"Draft" not in body and b"body{" not in body
    preview.error = "content/en/brief/intro.md:3: error: a secret draft sentence"
    status, _, body = get(port, "/en/brief/", host)
    assert status in (400, 421) and b"secret draft" not in body


def test_symlinks_out_of_the_site_are_not_followed(served, tmp_path):
    port, site, _ = served
    (site / "leak").symlink_to("/etc/passwd")
    (site / "secret.txt").symlink_to(tmp_path / "secret.txt")
    (site / "up").symlink_to(tmp_path)
    for path in ("/leak", "/secret.txt", "/up/secret.txt", "/up/"):
        status, _, body = get(port, path)
        assert status == 404 and b"root:" not in body, path
    (site / "en/again.css").symlink_to(site / "screen.css")  # inside the site: fine
    assert get(port, "/en/again.css")[0] == 200


def test_directories_are_never_listed(served):
    port, site, _ = served
    status, _, body = get(port, "/fonts/")
    assert status == 404 and b"a.woff2" not in body and b"Directory listing" not in body
    status, headers, _ = get(port, "/en/brief")
    assert status == 301 and headers["location"] == "/en/brief/"
    (site / "café").mkdir()
    (site / "café/index.html").write_bytes(PAGE)
    status, headers, _ = get(port, "/caf%C3%A9")
    assert status == 301 and headers["location"] == "/caf%C3%A9/"
    assert get(port, headers["location"])[0] == 200


@pytest.mark.parametrize("path", ["/%00/", "/%00", "/en/%00.html", "/%ff/", "/..%2f..%2fetc/passwd", "/../../etc/passwd",
                                  "/en/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/a\\..\\b", "http://evil.example/", "*",
                                  "/" + "a" * 5000])
def test_malformed_paths_get_400_never_a_traceback(served, capfd, path):
    port, _, _ = served
    status, headers, body = get(port, path)
    assert status in (400, 404, 414), (path, status)
    if "%00" in path or "%ff" in path or ".." in path or "\\" in path or not path.startswith("/"):
        assert status == 400, (path, status)
    assert b"root:" not in body
    assert get(port, "/en/brief/")[0] == 200  # still serving
    assert "Traceback" not in capfd.readouterr().err


def test_head_and_state_follow_the_same_rules(served):
    port, _, _ = served
    status, headers, body = get(port, "/en/brief/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > len(PAGE)
    status, _, body = get(port, "/__briefgen__/state")
    assert status == 200 and body == b"0:ok"
    assert get(port, "/leak", method="HEAD")[0] == 404


def test_error_page_is_allowed_its_style_only(served):
    port, _, preview = served
    preview.error = "content/en/brief/intro.md:3: error: <b>bad</b>"
    status, headers, body = get(port, "/en/brief/")
    assert status == 500 and b"&lt;b&gt;bad&lt;/b&gt;" in body
    style = re.search(rb"<style>(.*?)</style>", body, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style).digest()).decode()
    assert f"'sha256-{digest}'" in headers["content-security-policy"]
