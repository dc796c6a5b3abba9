"""The typed contexts templates get: one view per document in one mode (screen or print)."""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup


@dataclass
class Heading:
    id: str
    level: int
    text: str
    children: list[Heading] = field(default_factory=list)  # its subsections, in the table of contents


@dataclass
class SourceView:
    html: Markup
    url: str | None


@dataclass
class FindingView:
    id: str
    title: Markup
    body: Markup
    sources: list[SourceView]


@dataclass
class RecommendationView:
    id: str
    audience: Markup | None
    title: Markup
    body: Markup


@dataclass
class FigureView:
    id: str
    number: int  # figures are numbered across a document
    title: Markup
    alt: str
    chart: Markup  # as wide as the text column: inline SVG on a page, HTML in print (briefgen.chart)
    chart_narrow: Markup | None  # on a page, the same chart laid out for phones (labels above the bars)
    source: Markup | None


@dataclass
class SectionView:
    id: str
    html: Markup
    notes: Markup  # the section's notes list (screen), placed after its figures and boxes
    findings: list[FindingView]
    recommendations: list[RecommendationView]
    figures: list[FigureView]


@dataclass
class AuthorView:
    name: str
    family: str
    initials: str
    affiliation: Markup | None
    bio: Markup | None = None


@dataclass
class AboutView:
    """One 'About ...' note of the back matter (the publisher, an initiative)."""

    id: str
    title: Markup
    body: Markup


@dataclass
class Alternate:
    lang: str
    label: str  # the language's own name
    href: str  # relative to the page
    url: str  # absolute
    dir: str = "ltr"  # the language's direction (its name in the switcher)


@dataclass
class PdfLink:
    href: str
    url: str
    size: int
    size_text: str


@dataclass
class DocumentView:
    """Everything a document template may use; nothing else is passed in."""

    name: str
    lang: str
    locale: str
    mode: str
    title: Markup
    title_text: str
    short_title_text: str
    subtitle: Markup | None
    series: Markup
    authors: list[AuthorView]
    date_text: str
    date_iso: str
    year: int
    publisher: Markup
    publisher_text: str
    place: Markup
    keywords: list[str]
    licence_name: Markup | None  # only a licence confirmed in document.yaml
    licence_url: str | None
    copyright: Markup
    abstract: Markup
    abstract_text: str
    highlights: list[tuple[str, Markup]]
    sections: list[SectionView]
    toc: list[Heading]
    output: str
    translator: str | None
    generator: str
    canonical: str = ""
    root_href: str = ""
    alternates: list[Alternate] = field(default_factory=list)
    pdf: PdfLink | None = None
    json_ld: Markup = Markup("")
    fallback_count: int = 0
    created: str = ""  # PDF creation time (ISO 8601)
    citation: Markup = Markup("")  # the suggested citation (APA, citeproc-py)
    edition_note: Markup | None = None  # about this edition (document.yaml `edition_note`)
    disclaimer: Markup | None = None
    acknowledgements: Markup | None = None
    about: list[AboutView] = field(default_factory=list)  # about the publisher, the initiative
    csl: dict = field(default_factory=dict)  # the citation data it is made from
    dir: str = "ltr"  # rtl for a language written right to left (CLDR, through Babel)
    font_css: Markup = Markup("")  # print: the script's faces and typography (briefgen.fonts.print_css)
