"""A print HTML document to PDF bytes with WeasyPrint: tagged, metadata set, resources confined to the
project. (The worker processes that call it are briefgen.workers.)"""
from __future__ import annotations

import os
from contextlib import contextmanager
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
def _source_date(epoch: int):
    """SOURCE_DATE_EPOCH while WeasyPrint writes (it dates the PDF from it); restored after."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
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


def _scope_table_headers(document, pdf) -> None:
    """A WeasyPrint finisher: give every /TH a /Scope (PDF/UA-1 7.5). WeasyPrint links each data
    cell to its headers (/Headers) but leaves the headers' scope unsaid, which independent checkers
    flag. A header in the table's head row heads its column; any other heads its row (Markdown
    tables have header cells in the head row only)."""
    import pydyf

    def parent(obj):
        ref = obj.get("P")
        return pdf.objects[int(ref.split()[0])] if ref else None

    for obj in pdf.objects:
        if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/StructElem" and obj.get("S") == "/TH":
            row = parent(obj)
            group = parent(row) if row is not None else None
            attributes = obj.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
            attributes["Scope"] = "/Column" if group is not None and group.get("S") == "/THead" else "/Row"


class MissingGlyphs(BuildError):
    """Text that no font the project ships draws (`text`: those characters); the build locates it in
    the sources (pipeline) when it can."""

    text = ""


def _unshipped(document, shipped) -> list[tuple[str, str, bool]]:
    """(text, font, from the machine) for what the PDF drew with a font the project does not ship
    (a fallback of this machine's fontconfig) or with a shipped font lacking the glyph (.notdef)."""
    from weasyprint.text.fonts import get_hb_object_data

    out = []
    for font in document.fonts.values():
        drawn = "".join(font.to_unicode.values())
        original = get_hb_object_data(font.hb_face)  # the font file (file_content is the subset by now)
        if not shipped.holds(original or b""):
            out.append((drawn, font.family, True))
        elif 0 in font.to_unicode or font.missing:
            out.append((font.to_unicode.get(0, "") + "".join(map(chr, font.missing)), font.family, False))
    return out


def _shipped_covers(chars: str, paths) -> bool:
    """Whether the shipped fonts have every one of `chars` (read only when a PDF is refused)."""
    from fontTools.ttLib import TTFont

    have: set[int] = set()
    for path in paths:
        if str(path).endswith((".ttf", ".otf")):
            try:
                have |= set(TTFont(path, lazy=True).getBestCmap() or {})
            except Exception:  # unreadable or not a font: it covers nothing (fontTools raises its own kinds)
                continue
    return all(ord(c) in have for c in chars)


def _context(html: str, char: str, width: int = 30) -> str:
    import re
    from html import unescape

    body = html.split("<body", 1)[-1].split(">", 1)[-1]
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]*>", " ", body)))
    i = text.find(char)
    return text[max(0, i - width):i + width].strip() if i >= 0 else char


def _refuse_unshipped(document, shipped, html: str, name: str, base_dir: Path) -> None:
    import unicodedata

    problems = _unshipped(document, shipped)
    if not problems:
        return
    text, family, machine = problems[0]
    chars = "".join(dict.fromkeys(c for c in text if not c.isspace())) or text
    named = ", ".join(f"'{c}' (U+{ord(c):04X} {unicodedata.name(c, '?')})" for c in chars[:3])
    if machine and _shipped_covers(chars, shipped.paths):  # a stack names no shipped family
        raise BuildError(
            f"{name}: {named} ... were drawn with this machine's font '{family}': a font-family of the templates "
            "reaches no family the project ships for that text (the default for <code> is the machine's monospace, "
            "for one); name a vendored family (templates/fonts.css) in the stylesheet", Location(base_dir / "print.css"))
    why = f"this machine's font '{family}'" if machine else f"'{family}', which has no glyph for it"
    error = MissingGlyphs(
        f"{name}: no font the project ships for this edition draws {named} in «{_context(html, chars[0])}»: "
        f"the PDF would use {why}. Vendor a font for its script (templates/fonts/, python scripts/fonts.py "
        "vendor) and name it in [tool.briefgen.fonts], or change the text", Location(base_dir / "print.html"))
    error.text = chars
    raise error


def render_pdf(html: str, base_dir: Path, roots: tuple[Path, ...], variant: str, epoch: int, name: str,
               lang: str, font_config=None, shipped=None) -> bytes:
    """PDF bytes for a print HTML document; reproducible for identical input. With `shipped` (the
    project's font files, a briefgen.workers.Shipped), a PDF that would embed any other font is refused."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    fetcher = _fetcher_class()(roots)
    options = {"pdf_variant": variant, "pdf_tags": True, "uncompressed_pdf": False}
    import logging

    failures = _failures()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(failures)
    try:
        with _source_date(epoch):
            document = weasyprint.HTML(string=html, base_url=base_dir.as_uri() + "/", url_fetcher=fetcher).render(
                font_config=font_config, **options)
            _add_xmp_language(document.metadata, lang)
            data = document.write_pdf(finisher=_scope_table_headers, **options)
        if shipped is not None:
            _refuse_unshipped(document, shipped, html, name, base_dir)
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
