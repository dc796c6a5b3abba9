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


def render_pdf(html: str, base_dir: Path, roots: tuple[Path, ...], variant: str, epoch: int, name: str,
               lang: str, font_config=None) -> bytes:
    """PDF bytes for a print HTML document; reproducible for identical input."""
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
