"""PDF output with WeasyPrint: tagged, metadata set, fonts vendored, resources confined to the project."""
from __future__ import annotations

import datetime as _dt
import mimetypes
import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from .errors import BuildError, Location


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ProjectFetcher(URLFetcher):
        """Serves only files inside the allowed folders and data: URIs; refuses everything else."""

        def __init__(self, roots: tuple[Path, ...]):
            super().__init__(fail_on_errors=True)
            self.roots = tuple(r.resolve() for r in roots)
            self.refused: list[str] = []

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
            self.refused.append(url)
            raise ValueError(f"resource outside the project refused: {url}")

    return ProjectFetcher


@contextmanager
def source_date(date: _dt.date):
    """SOURCE_DATE_EPOCH for the render: the environment's if set, else the publication date."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if previous is None:
        epoch = int(_dt.datetime(date.year, date.month, date.day, tzinfo=_dt.timezone.utc).timestamp())
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def render_pdf(html: str, base_dir: Path, roots: tuple[Path, ...], variant: str, date: _dt.date, name: str) -> bytes:
    """PDF bytes for a print HTML document; reproducible for identical input."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    fetcher = _fetcher_class()(roots)
    options = {"pdf_variant": variant, "pdf_tags": True, "uncompressed_pdf": False}
    try:
        with source_date(date):
            document = weasyprint.HTML(string=html, base_url=base_dir.as_uri() + "/", url_fetcher=fetcher)
            return document.write_pdf(**options)
    except FatalURLFetchingError:
        url = fetcher.refused[-1] if fetcher.refused else "a resource"
        raise BuildError(
            f"{name}: '{url}' is outside the project; only files under content/ and templates/ and data: URIs "
            "may be used (nothing is fetched from the network)",
            Location(base_dir / "print.css"),
        ) from None
