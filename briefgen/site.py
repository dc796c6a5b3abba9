"""The web edition: a page per edition, the landing page, the 404 page, the sitemap with language
alternates."""
from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup


def page_path(lang: str, doc: str) -> str:
    return f"{lang}/{doc}/index.html"


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
    dir: str = "ltr"


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


class Site:
    """The web edition of one build: a page per edition (rendered once its PDF, which it links,
    is ready), the 404 page, the sitemap and the index. Writes into `files` and `media`."""

    def __init__(self, project, editions, envs: dict, files: dict, media: dict, progress):
        from .markdown import media_name
        from .fonts import direction, site_fonts, web_css
        from .render import document_view, language_name
        from .views import Alternate

        self.project, self.envs, self.files = project, envs, files
        self.dirs = {lang: direction(project.locale(lang)) for lang in project.languages}
        for lang in project.languages:  # each language's script faces and typography; the fonts they use
            files[f"site/fonts-{lang}.css"] = web_css(project, lang).encode("utf-8")
        for rel, path in site_fonts(project).items():
            media[f"site/{rel}"] = path
        self.views = {}
        self.pdf_of = {f"pdf/{ed.doc.meta.output}.pdf": (ed.lang, ed.doc.name) for ed in editions}
        base = project.site_url
        for ed in editions:
            progress(f"HTML {ed.lang}/{ed.doc.name}")
            view, renderer = document_view(project, ed.doc, "screen", envs[ed.lang])
            for res in renderer.resources:
                media[f"site/{ed.lang}/{ed.doc.name}/media/{media_name(res.path, project.root)}"] = res.path
            view.canonical = base + f"{ed.lang}/{ed.doc.name}/"
            view.root_href = "../../"
            view.alternates = [Alternate(lang, language_name(lang), f"../../{lang}/{ed.doc.name}/", base + f"{lang}/{ed.doc.name}/",
                                         self.dirs[lang]) for lang in project.languages]
            self.views[(ed.lang, ed.doc.name)] = view

    def pages(self, waiting: set[str]) -> None:
        """Every page that does not wait for a PDF still rendering; those with a PDF at hand
        (from the cache) link it."""
        for rel, key in self.pdf_of.items():
            if rel in self.files:
                self.with_pdf(rel, self.files[rel])
            elif rel not in waiting:
                self._page(*key)
        self._not_found_and_sitemap()

    def with_pdf(self, rel: str, data: bytes) -> None:
        """A PDF is ready: publish it on the site and render its edition's page, which links it."""
        from .render import size_text
        from .views import PdfLink

        lang, name = self.pdf_of[rel]
        view = self.views[(lang, name)]
        self.files[f"site/{rel}"] = data
        view.pdf = PdfLink(f"../../{rel}", self.project.site_url + rel, len(data), size_text(len(data), view.locale))
        self._page(lang, name)

    def _page(self, lang: str, name: str) -> None:
        from .render import json_ld, render_template

        source_lang = self.project.source_language
        view = self.views[(lang, name)]
        if lang == source_lang:
            others = [(v.lang, v.canonical, v.title_text) for (l2, n2), v in self.views.items() if n2 == name and l2 != lang]
        else:
            source = self.views[(source_lang, name)]
            others = [(source.lang, source.canonical, source.title_text)]
        view.json_ld = json_ld(view, others, source_lang)
        self.files[f"site/{page_path(lang, name)}"] = render_template(self.envs[lang], "document.html", doc=view).encode("utf-8")

    def _not_found_and_sitemap(self) -> None:
        from .render import render_template

        project, lang = self.project, self.project.source_language
        generator = self.views[(lang, project.documents[0])].generator
        self.files["site/404.html"] = render_template(self.envs[lang], "404.html", lang=lang, dir=self.dirs[lang],
                                                      root_href=project.site_url, generator=generator).encode("utf-8")
        pages = [(project.site_url, {lang: project.site_url})]
        for name in project.documents:
            alts = {other: project.site_url + f"{other}/{name}/" for other in project.languages}
            pages += [(alts[other], alts) for other in project.languages]
        self.files["site/sitemap.xml"] = sitemap(pages, lang).encode("utf-8")

    def index(self) -> None:
        """The landing page: every document in every language, with its PDF when there is one."""
        from .render import language_name, render_template

        project, lang = self.project, self.project.source_language
        entries = []
        for name in project.documents:
            eds = []
            for other in project.languages:
                v = self.views[(other, name)]
                eds.append(EditionEntry(
                    other, language_name(other), v.title, v.abstract, ", ".join(a.name for a in v.authors), v.date_text,
                    v.date_iso, f"{other}/{name}/", f"pdf/{v.output}.pdf" if v.pdf else None,
                    v.pdf.size_text if v.pdf else None, self.dirs[other]))
            entries.append(DocumentEntry(name, eds))
        generator = self.views[(lang, project.documents[0])].generator
        self.files["site/index.html"] = render_template(
            self.envs[lang], "index.html", documents=entries, site_url=project.site_url, languages=project.languages,
            lang=lang, dir=self.dirs[lang], generator=generator).encode("utf-8")
