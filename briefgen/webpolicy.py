"""The web edition's resource policy, the same as print's: stylesheets, templates and content SVGs
may load only files under content/ or templates/ and data: URIs, and run no scripts.

The PDF side enforces this in WeasyPrint's URL fetcher; a browser fetches whatever a page names,
so the web side is checked in the sources, before anything is written, with a location.
"""
from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import BuildError, Location

ALLOWED = "only files under content/ and templates/ and data: URIs may be used (nothing is fetched from the network)"
NO_SCRIPTS = "the web edition runs no scripts (the live-reload script of `briefgen serve` is the only one)"

_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
_DATA_BLOCKS = {"application/ld+json", "application/json"}  # <script type=...> a browser never runs
_RESOURCE_ATTRS = {"src", "srcset", "poster", "data", "background"}
_LOADING_LINKS = {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "manifest", "apple-touch-icon",
                  "mask-icon", "shortcut", "import", "dns-prefetch", "preconnect"}


def _refuse(what: str, where: Location, why: str = ALLOWED) -> BuildError:
    return BuildError(f"{what}; {why}", where)


def _is_remote(url: str) -> bool:
    """A URL that leaves the project whatever it is relative to: a scheme other than data:, or //host."""
    url = url.strip()
    scheme = urlsplit(url).scheme.lower() if ":" in url.split("/", 1)[0] else ""
    return (bool(scheme) and scheme != "data") or url.startswith(("//", "\\\\", "/\\"))


def check_local(url: str, base: Path, roots: tuple[Path, ...], where: Location, what: str) -> None:
    """A reference in a project file: data:, a #fragment, or a path under one of the roots (a missing
    file there is the renderer's to report, as WeasyPrint does for the PDFs)."""
    url = url.strip()
    if not url or url.startswith("#") or url.lower().startswith("data:"):
        return
    if _is_remote(url) or url.startswith("/"):
        raise _refuse(f"{what} '{url}' is outside the project", where)
    path = (base / unquote(urlsplit(url).path)).resolve()
    if not any(path.is_relative_to(r.resolve()) for r in roots):
        raise _refuse(f"{what} '{url}' is outside the project (it resolves to {path})", where)


def check_css(text: str, path: Path, roots: tuple[Path, ...], first_line: int = 1, base: Path | None = None) -> None:
    """Every url() and @import of a stylesheet (or a style attribute or element) stays in the project."""
    text = _CSS_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    for m in _CSS_URL.finditer(text):
        url = next(g for g in m.groups() if g is not None)
        where = Location(path, first_line + text.count("\n", 0, m.start()))
        check_local(url, base or path.parent, roots, where, "stylesheet reference")


def _template_url(url: str, where: Location, what: str) -> None:
    """A template's URLs are relative to the page being written, which only the build knows: what can be
    judged here is the part before the first {{ }}, and that must not name another host."""
    static = re.split(r"\{[{%]", url, maxsplit=1)[0]
    if static.strip().lower().startswith("javascript:"):
        raise _refuse(f"{what} '{url}' is a script", where, NO_SCRIPTS)
    if _is_remote(static):
        raise _refuse(f"{what} '{url}' is outside the project", where)


class _TemplateChecker(HTMLParser):
    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.in_style: int | None = None

    def handle_starttag(self, tag, attrs):
        where = Location(self.path, self.getpos()[0])
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and (values.get("type", "").strip().lower() not in _DATA_BLOCKS or "src" in values):
            raise _refuse(f"<script> in a template ({values.get('src') or 'inline'})", where, NO_SCRIPTS)
        for name, value in values.items():
            if name.startswith("on"):
                raise _refuse(f"event handler attribute {name}= in a template", where, NO_SCRIPTS)
            if name == "style":
                _template_css(value, where)
            elif name in _RESOURCE_ATTRS or (name == "href" and tag != "a" and _loads(tag, values)):
                for url in value.split(",") if name == "srcset" else [value]:
                    _template_url(url.strip().split(" ")[0], where, f"<{tag} {name}>")
            elif name == "href" and value.strip().lower().startswith("javascript:"):
                raise _refuse(f"<{tag} href='{value}'>", where, NO_SCRIPTS)
        if tag == "style":
            self.in_style = where.line

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = None

    def handle_data(self, data):
        if self.in_style is not None:
            _template_css(data, Location(self.path, self.getpos()[0]))


def _loads(tag: str, values: dict) -> bool:
    if tag != "link":
        return tag != "area"
    return bool(set(values.get("rel", "").lower().split()) & _LOADING_LINKS)


def _template_css(text: str, where: Location) -> None:
    for i, line in enumerate(text.split("\n")):
        for m in _CSS_URL.finditer(line):
            _template_url(next(g for g in m.groups() if g is not None), Location(where.path, where.line + i),
                          "stylesheet reference")


def check_template(path: Path) -> None:
    """A template's scripts, event handlers and the URLs it loads (Jinja comments are not markup)."""
    text = re.sub(r"\{#.*?#\}", lambda m: re.sub(r"[^\n]", " ", m.group(0)), path.read_text(encoding="utf-8"), flags=re.S)
    checker = _TemplateChecker(path)
    checker.feed(text)
    checker.close()


def check_svg(path: Path, roots: tuple[Path, ...]) -> None:
    """A content SVG: no script, event handler or foreignObject; references only to the project."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        raise BuildError(f"image {path.name} is not a well-formed SVG file: {exc}", Location(path)) from None
    for node in [*reversed(list(root.itersiblings(preceding=True))), *root.iter()]:
        where = Location(path, node.sourceline or 0)
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-stylesheet":
            check_local(node.get("href") or "", path.parent, roots, where, "SVG stylesheet")
        if not isinstance(node.tag, str):
            continue
        name = etree.QName(node).localname
        if name in ("script", "foreignObject", "iframe", "embed", "object"):
            raise _refuse(f"<{name}> in an SVG image", where, NO_SCRIPTS + "; remove it from the image")
        for attr, value in node.attrib.items():
            local = etree.QName(attr).localname.lower()
            if local.startswith("on"):
                raise _refuse(f"event handler attribute {local}= in an SVG image", where, NO_SCRIPTS)
            if local == "href" and value.strip().lower().startswith("javascript:"):
                raise _refuse(f"link '{value}' in an SVG image", where, NO_SCRIPTS)
            if local in ("href", "src") and name != "a":  # a link in an image is never followed
                check_local(value, path.parent, roots, where, "SVG reference")
            elif local == "style":
                check_css(value, path, roots, where.line)
        if name == "style" and node.text:
            check_css(node.text, path, roots, where.line)


class PolicyCheck:
    """Checks each file once per content: serve rebuilds and every language share the answers."""

    def __init__(self):
        self.passed: set[tuple] = set()

    def _once(self, path: Path, check, *args) -> None:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns, args)  # ctime: any write sets it
        if key not in self.passed:
            check(path, *args)
            self.passed.add(key)

    def templates(self, templates_dir: Path, roots: tuple[Path, ...], project_root: Path) -> None:
        """Every file under templates/ inside the project (template_files), and the stylesheets and
        HTML templates among them confined."""
        for path in template_files(templates_dir, project_root.resolve()):
            if path.suffix == ".css":
                self._once(path, lambda p, r: check_css(p.read_text(encoding="utf-8"), p, r), roots)
            elif path.suffix in (".html", ".htm"):
                self._once(path, check_template)

    def images(self, paths, roots: tuple[Path, ...]) -> None:
        for path in sorted(set(paths)):
            if path.suffix.lower() == ".svg":
                self._once(path, check_svg, roots)


def template_files(folder: Path, root: Path) -> list[Path]:
    """Every regular file under `folder` (the templates, stylesheets and fonts every part of briefgen
    reads, Jinja2, WeasyPrint, Babel's extraction, the caches, alike). A located error for a symlink
    that leaves `root`, that links to a folder (tools walking templates/ do not all follow those:
    copy the folder in) or that loops. Only the folder and the symlinks are resolved: below a folder
    inside `root` nothing else can leave it (resolving all 170 files took 0.02 s per language)."""
    if not folder.is_dir():
        return []
    if not folder.resolve().is_relative_to(root):
        raise BuildError(f"refusing to use {folder.name}: it resolves to {folder.resolve()}, outside the project",
                         Location(folder))
    files = []
    for parent, dirs, names in os.walk(folder):  # symlinked folders are listed in dirs, not entered
        for name in sorted(dirs + names):
            path = Path(parent, name)
            if path.is_symlink():
                _refuse_link(path, root)
            if name in names and path.is_file():  # regular files only: a FIFO would block a reader
                files.append(path)
    return sorted(files)


def _refuse_link(path: Path, root: Path) -> None:
    try:
        real = path.resolve()
    except RuntimeError:
        raise BuildError(f"refusing to use {path.name}: its symlinks form a loop; replace the link with the file",
                         Location(path)) from None
    if not real.is_relative_to(root):
        raise BuildError(f"refusing to use {path.name}: it resolves to {real}, outside the project (a symlink "
                         "leaving the project); copy the file into templates/ instead", Location(path))
    if real.is_dir():
        raise BuildError(f"refusing to use {path.name}: it links to a folder ({real.relative_to(root)}); copy the "
                         "folder into templates/ instead (a link to a file inside the project is fine)", Location(path))


POLICY = PolicyCheck()
