"""Site-wide pages: the landing page entries, the sitemap with language alternates, media names."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup


@dataclass
class EditionEntry:
    lang: str
    language: str
    title: Markup
    abstract: Markup
    authors: str
    date_text: str
    date_iso: str
    href: str
    pdf_href: str | None
    pdf_size_text: str | None


@dataclass
class DocumentEntry:
    name: str
    editions: list[EditionEntry]


def sitemap(pages: list[tuple[str, dict[str, str]]], default_lang: str) -> str:
    """sitemap.xml: one <url> per page, each listing every language edition and x-default."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for loc, alternates in pages:
        out.append(f"  <url>\n    <loc>{escape(loc)}</loc>")
        for lang, url in alternates.items():
            out.append(f'    <xhtml:link rel="alternate" hreflang={quoteattr(lang)} href={quoteattr(url)}/>')
        if default_lang in alternates:
            out.append(f'    <xhtml:link rel="alternate" hreflang="x-default" href={quoteattr(alternates[default_lang])}/>')
        out.append("  </url>")
    out.append("</urlset>")
    return "\n".join(out) + "\n"


def media_name(path: Path, root: Path | None) -> str:
    """The web edition's file name for an image: its own name plus a short hash of where it lives in
    the project, so a/pic.svg and b/pic.svg never share media/pic.svg, and the name stays the same
    from build to build (and is the same wherever the project is checked out)."""
    try:
        where = path.relative_to(root.resolve()).as_posix() if root is not None else path.as_posix()
    except ValueError:
        where = path.as_posix()
    tag = hashlib.sha256(where.encode("utf-8")).hexdigest()[:10]
    return f"{path.stem}-{tag}{path.suffix}"
