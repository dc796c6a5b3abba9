"""Site-wide pages: the landing page entries, the sitemap with language alternates."""
from __future__ import annotations

from dataclasses import dataclass
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
