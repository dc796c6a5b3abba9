"""Render stage: Documents -> typed views -> HTML (screen pages and the print HTML for PDFs)."""
from __future__ import annotations

import gettext as _gettext
import json
from pathlib import Path

import jinja2
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from . import __version__
from .chart import ChartBar, ChartGroup, bar_chart, bar_rows
from .config import Project
from .model import Document, Figure, Finding, Recommendation, Text
from .bidi import isolate, isolate_urls, listing, ltr
from .errors import BuildError, Location
from .fonts import direction, print_css
from .markdown import Pass, parse, plain_text
from .mdhtml import Style, render
from .plurals import GERMANIC, CountError, whole_number
from .pofile import PoFile
from .webpolicy import POLICY
from .views import (
    AboutView, AuthorView, DocumentView, FigureView, FindingView, Heading, RecommendationView, SectionView, SourceView,
)


# ----- text rendering -----------------------------------------------------------------------


class TextRenderer:
    """Renders the Texts of one document in one mode, numbering footnotes continuously."""

    def __init__(self, project: Project, mode: str, notes_label: str, back_label: str):
        self.project = project
        self.style = Style(mode=mode, notes_label=notes_label, back_label=back_label)
        self.media_prefix = None if mode == "print" else "media/"
        self.resources: list = []
        self.fallbacks = 0

    @classmethod
    def with_labels(cls, project: Project, mode: str, labels) -> TextRenderer:
        """A renderer whose labels come from templates/labels.html (`labels`, the template as a module):
        the labels briefgen writes into the text (notes lists, table captions and source lines)."""
        text = lambda markup: Markup(markup).unescape().strip()  # noqa: E731
        r = cls(project, mode, text(labels.notes()), text(labels.back()))
        r.style.table_label = lambda n: text(labels.table(n))
        r.style.source_labels = {"source": text(labels.source()), "sources": text(labels.sources())}
        return r

    def _pass(self, text: Text, **kw) -> Pass:
        return Pass(
            translations=text.translations,
            fallback_lang=text.fallback_lang,
            base=text.location,
            text_dir=Path(text.location.path).parent,
            project_root=self.project.root,
            allowed_roots=(self.project.content_dir, self.project.templates_dir),
            media_prefix=self.media_prefix,
            **kw,
        )

    def _parse(self, text: Text, **kw):
        p = self._pass(text, **kw)
        tokens, env = parse(text.source, text.block, p)
        POLICY.images([res.path for res in p.resources], p.allowed_roots)  # SVGs: no scripts, nothing from elsewhere
        isolate_urls(tokens)
        self.resources.extend(p.resources)
        self.fallbacks += sum(1 for t in tokens if t.type == "inline" and t.meta.get("fallback"))
        return tokens, env

    def inline(self, text: Text | None) -> Markup | None:
        if text is None:
            return None
        tokens, env = self._parse(text)
        return Markup(render(tokens, env, self.style, block=False))

    def plain(self, text: Text | None) -> str:
        if text is None:
            return ""
        p = self._pass(text)
        p.fallback_lang = None
        tokens, _ = parse(text.source, text.block, p)
        return plain_text(tokens)

    def block(self, text: Text, first_id: str | None = None, id_prefix: str = "",
              notes_out: list | None = None) -> tuple[Markup, list[Heading]]:
        """A Markdown block and its headings; with `notes_out`, its notes list goes there (screen)."""
        tokens, env = self._parse(text, first_id=first_id, id_prefix=id_prefix)
        headings = []
        for i, tok in enumerate(tokens):
            if tok.type == "heading_open":
                headings.append(Heading(tok.attrGet("id"), int(tok.tag[1]) + self.style.heading_shift, plain_text([tokens[i + 1]])))
        return Markup(render(tokens, env, self.style, block=True, notes_out=notes_out)), headings


# ----- gettext for templates ----------------------------------------------------------------


class CatalogTranslations(_gettext.NullTranslations):
    """gettext over a parsed PO file: translated, non-fuzzy entries only."""

    def __init__(self, po: PoFile | None):
        super().__init__()
        self.table = {}
        self.plurals = {}
        self.rule = po.plural_rule() if po is not None else GERMANIC
        if po is not None:
            for e in po.active():
                if not e.usable(self.rule.nplurals):
                    continue  # English instead; a plural short of the header's forms too (check: BG107)
                if e.msgid_plural is None:
                    self.table[e.key] = e.msgstr
                else:
                    self.plurals[e.key] = e.msgstr_plural

    def gettext(self, message):
        return self.table.get((None, message), message)

    def ngettext(self, singular, plural, n):
        return self.npgettext(None, singular, plural, n)

    def pgettext(self, context, message):
        return self.table.get((context, message), message)

    def npgettext(self, context, singular, plural, n):
        forms = self.plurals.get((context, singular))
        if forms:
            return forms[self.rule.form(n)]
        return singular if whole_number(n) == 1 else plural  # untranslated: English, whose rule is n != 1


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for this process, keyed by template and checked against
    its source (Jinja2 compares checksums): a build makes one environment per language, and
    `serve` new ones for every rebuild; each would compile every template again (a third of the
    HTML's time). Every environment here has the same settings, so they can share the code."""

    def __init__(self, limit: int = 256):
        self.limit = limit
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)  # ignored by Jinja2 when the source changed

    def dump_bytecode(self, bucket) -> None:
        if len(self.store) >= self.limit:
            self.store.pop(next(iter(self.store)))
        self.store[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def environment(project: Project, messages: PoFile | None, locale: str | None = None) -> jinja2.Environment:
    """Jinja2 with autoescape, StrictUndefined and the i18n extension bound to one catalog; the
    filters `bdi` and `ltr` (isolated names and URLs) and `listing` (the locale's list separator)."""
    POLICY.templates(project.templates_dir, (project.content_dir, project.templates_dir), project.root)  # as print's
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(project.templates_dir)),
        autoescape=jinja2.select_autoescape(("html", "svg", "xml"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_COMPILED,
    )
    translations = CatalogTranslations(messages)
    # A label is text, whoever wrote it: Jinja2's newstyle gettext would pass a msgstr on as
    # markup (Markup(msgstr)), so a translator's "<script>" would reach every page. Escaped here,
    # it is shown as written; a {% trans %} variable is still escaped on its own by Jinja2.
    env.install_gettext_callables(
        gettext=lambda message: escape(translations.gettext(message)),
        ngettext=lambda singular, plural, n: escape(translations.ngettext(singular, plural, n)),
        pgettext=lambda context, message: escape(translations.pgettext(context, message)),
        npgettext=lambda context, singular, plural, n: escape(translations.npgettext(context, singular, plural, n)),
        newstyle=True,
    )
    env.globals["catalog"] = translations
    env.globals["credit"] = project.credit  # the footer names briefgen only when configured
    locale = locale or project.locale(project.source_language)
    env.filters.update(bdi=isolate, ltr=ltr, listing=lambda items, names=False: listing(items, locale, names))
    env.policies["ext.i18n.trimmed"] = True
    return env


def render_template(env: jinja2.Environment, name: str, **context) -> str:
    """Render one template, turning template mistakes into located errors."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(f"template syntax error: {exc.message}", Location(exc.filename or name, exc.lineno)) from None
    except jinja2.TemplateNotFound as exc:
        raise BuildError(f"template '{exc.name}' not found in templates/", Location(name)) from None
    except jinja2.UndefinedError as exc:
        raise BuildError(f"template uses an undefined value: {exc.message}", Location(Path("templates") / name)) from None
    except CountError as exc:
        raise BuildError(f"{exc}: give ngettext (or {{% trans count=... %}}) a number of items",
                         _template_line(exc) or Location(Path("templates") / name)) from None


def _template_line(exc: BaseException) -> Location | None:
    """Where in a template an error was raised: Jinja2 gives its frames the template's file and line."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith((".html", ".svg")) and "__jinja_exception__" in tb.tb_frame.f_globals:
            found = Location(code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


# ----- views from documents -----------------------------------------------------------------


def language_name(lang: str) -> str:
    try:
        loc = Locale.parse(lang.replace("-", "_"))
        name = loc.get_display_name(loc) or lang
        return name[0].upper() + name[1:]
    except Exception:
        return lang


def size_text(size: int, locale: str) -> str:
    if size >= 1024 * 1024:
        return f"{format_decimal(round(size / (1024 * 1024), 1), locale=locale)} MB"
    return f"{format_decimal(max(1, round(size / 1024)), locale=locale)} KB"


def _figure(r: TextRenderer, fig: Figure, locale: str, number: int) -> FigureView:
    groups = [ChartGroup(r.plain(g.label), [ChartBar(r.plain(b.label), b.value) for b in g.bars]) for g in fig.groups]
    alt = r.plain(fig.alt)
    if r.style.mode == "print":
        return FigureView(fig.id, number, r.inline(fig.title), alt, Markup(bar_rows(groups, fig.unit, locale)), None,
                          r.inline(fig.source))
    rtl = direction(locale) == "rtl"
    wide = bar_chart(alt, groups, fig.unit, locale, f"fig-{fig.id}", rtl=rtl)
    narrow = bar_chart(alt, groups, fig.unit, locale, f"fig-{fig.id}-narrow", narrow=True, rtl=rtl)
    return FigureView(fig.id, number, r.inline(fig.title), alt, Markup(wide), Markup(narrow), r.inline(fig.source))


def _finding(r: TextRenderer, f: Finding) -> FindingView:
    body, _ = r.block(f.body, id_prefix=f"{f.id.lower()}-")
    return FindingView(f.id, r.inline(f.title), body, [SourceView(r.inline(s.text), s.url) for s in f.sources])


def _recommendation(r: TextRenderer, rec: Recommendation) -> RecommendationView:
    body, _ = r.block(rec.body, id_prefix=f"{rec.id.lower()}-")
    return RecommendationView(rec.id, r.inline(rec.audience), r.inline(rec.title), body)


def _sections(r: TextRenderer, doc: Document) -> tuple[list[SectionView], list[Heading]]:
    """The sections' views, and the table of contents: each section's heading with its subsections."""
    sections, toc, figures = [], [], 0
    for s in doc.sections:
        notes: list[str] = []
        html, headings = r.block(s.body, first_id=s.name, id_prefix=f"{s.name}-", notes_out=notes)
        for h in headings:
            if h.level <= 2 or not toc:
                toc.append(h)
            elif h.level == 3:
                toc[-1].children.append(h)
        views = []
        for fig in s.figures:
            figures += 1
            views.append(_figure(r, fig, doc.locale, figures))
        sections.append(SectionView(s.name, html, Markup("".join(notes)), [_finding(r, f) for f in s.findings],
                                    [_recommendation(r, x) for x in s.recommendations], views))
    return sections, toc


def _about(r: TextRenderer, meta) -> dict:
    """The back matter's apparatus from document.yaml (each part None or empty when not given)."""
    block = lambda text: r.block(text)[0] if text is not None else None  # noqa: E731
    return dict(
        edition_note=block(meta.edition_note), disclaimer=block(meta.disclaimer),
        acknowledgements=block(meta.acknowledgements),
        about=[AboutView(a.id, r.inline(a.title), block(a.body)) for a in meta.about],
    )


def document_view(project: Project, doc: Document, mode: str, env: jinja2.Environment) -> tuple[DocumentView, TextRenderer]:
    """The typed template context of one document in one mode ('screen' or 'print')."""
    r = TextRenderer.with_labels(project, mode, env.get_template("labels.html").module)
    meta = doc.meta
    sections, toc = _sections(r, doc)
    authors = []
    for a in meta.authors:
        parts = a.name.split()
        initials = " ".join(p[0] + "." for p in parts[:-1])
        authors.append(AuthorView(a.name, parts[-1], initials, r.inline(a.affiliation),
                                  r.block(a.bio)[0] if a.bio is not None else None))
    view = DocumentView(
        name=doc.name,
        lang=doc.lang,
        locale=doc.locale,
        mode=mode,
        title=r.inline(meta.title),
        title_text=r.plain(meta.title),
        short_title_text=r.plain(meta.short_title),
        subtitle=r.inline(meta.subtitle),
        series=r.inline(meta.series),
        authors=authors,
        date_text=format_date(meta.date, format=project.date_format(doc.lang), locale=doc.locale),
        date_iso=meta.date.isoformat(),
        year=meta.date.year,
        publisher=r.inline(meta.publisher),
        publisher_text=r.plain(meta.publisher),
        place=r.inline(meta.place),
        keywords=[r.plain(k) for k in meta.keywords],
        licence_name=r.inline(meta.licence.name) if meta.licence else None,
        licence_url=meta.licence.url if meta.licence else None,
        copyright=r.inline(meta.copyright),
        abstract=r.block(meta.abstract)[0],
        abstract_text=r.plain(meta.abstract),
        highlights=[(h.id, r.inline(h.title)) for h in doc.highlights],
        sections=sections,
        toc=toc,
        output=meta.output,
        translator=doc.translator,
        generator=f"briefgen {__version__}",
        **_about(r, meta),
    )
    view.fallback_count = r.fallbacks
    view.dir = direction(doc.locale)
    if mode == "print":
        view.font_css = Markup(print_css(project, doc.lang))  # generated from the catalogue: no "<"
    from .citation import apa, csl_item

    view.csl = csl_item(
        f"{doc.name}-{doc.lang}", title=view.title_text, authors=[a.name for a in meta.authors], date=meta.date,
        publisher=view.publisher_text, place=r.plain(meta.place), series=r.plain(meta.series), lang=doc.lang,
        url=meta.record.get("url"),
    )
    view.citation = Markup(apa(view.csl, doc.locale, html=True))
    return view, r


def json_ld(view: DocumentView, other: list[tuple[str, str, str]], source_lang: str) -> Markup:
    """schema.org Report metadata; `other` lists (lang, url, title) of the other editions."""
    data = {
        "@context": "https://schema.org",
        "@type": "Report",
        "name": view.title_text,
        "headline": view.title_text,
        "author": [{"@type": "Person", "name": a.name} for a in view.authors],
        "datePublished": view.date_iso,
        "publisher": {"@type": "Organization", "name": view.publisher_text},
        "inLanguage": view.lang,
        "keywords": ", ".join(view.keywords),
        "abstract": view.abstract_text,
        "url": view.canonical,
    }
    if view.licence_url:
        data["license"] = view.licence_url
    if view.pdf:
        data["encoding"] = {"@type": "MediaObject", "contentUrl": view.pdf.url, "encodingFormat": "application/pdf",
                            "contentSize": str(view.pdf.size)}
    editions = [{"@type": "Report", "inLanguage": lang, "url": url, "name": title} for lang, url, title in other]
    if editions:
        original = view.lang == source_lang
        data["workTranslation" if original else "translationOfWork"] = editions if original else editions[0]
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # inert inside <script>
