"""The document model: plain dataclasses that every stage passes on; each text keeps where it came from."""
from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .errors import Location


@dataclass
class Text:
    """A translatable piece of Markdown (inline or block) and where it came from.

    `translations` is None in the source language; in a target language it maps each
    unit's msgid to its msgstr (missing units fall back to the source, marked by language).
    """

    source: str
    location: Location
    block: bool = False
    where: str = ""
    context: str | None = None
    translations: dict | None = None
    fallback_lang: str | None = None


@dataclass
class Author:
    name: str
    affiliation: Text | None = None
    bio: Text | None = None  # a short biography (Markdown), printed under "About the authors"


@dataclass
class Licence:
    name: Text
    url: str


@dataclass
class About:
    """An 'About ...' note of the back matter: a heading and a Markdown text."""

    id: str
    title: Text
    body: Text


@dataclass
class Source:
    text: Text
    url: str | None = None


@dataclass
class Finding:
    id: str
    title: Text
    body: Text
    sources: list[Source]
    location: Location


@dataclass
class Recommendation:
    id: str
    audience: Text
    title: Text
    body: Text
    location: Location


@dataclass
class Bar:
    label: Text
    value: float


@dataclass
class BarGroup:
    label: Text
    bars: list[Bar]


@dataclass
class Figure:
    id: str
    title: Text
    alt: Text
    source: Text
    unit: str
    groups: list[BarGroup]
    location: Location


@dataclass
class Section:
    name: str
    path: Path
    body: Text
    findings: list[Finding] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    override: Path | None = None  # a whole-file translation used instead of the catalog


@dataclass
class Meta:
    title: Text
    short_title: Text
    series: Text
    authors: list[Author]
    date: _dt.date
    publisher: Text
    place: Text
    keywords: list[Text]
    licence: Licence | None  # None unless the licence is confirmed (`confirmed: false` prints nothing)
    copyright: Text
    abstract: Text
    output: str
    subtitle: Text | None = None
    record: dict = field(default_factory=dict)  # repository record: identifier, url, type, subtype
    output_location: Location | None = None  # where `output` is set (a language's own file, if any)
    edition_note: Text | None = None  # about this edition (e.g. how its text was made), back matter
    disclaimer: Text | None = None  # e.g. the views expressed are the authors' own
    acknowledgements: Text | None = None
    about: list[About] = field(default_factory=list)  # about the publisher, the initiative, ...


@dataclass
class Document:
    """One document (briefing, concept note) in one language."""

    name: str
    lang: str
    locale: str
    meta: Meta
    highlights: list[Recommendation | Finding]
    sections: list[Section]
    translator: str | None = None
    sources: list[Path] = field(default_factory=list)  # every file this document was built from


@dataclass
class Library:
    """The shared data: findings, recommendations and figures, by id."""

    findings: dict[str, Finding]
    recommendations: dict[str, Recommendation]
    figures: dict[str, Figure]
    sources: list[Path]
    unreadable: set[str] = field(default_factory=set)  # kinds whose file failed to load (errors reported)


@dataclass
class Override:
    """A whole section written by hand in a target language (content/<lang>/<doc>/<section>.md)."""

    section: str
    path: Path
    body: Text
    translation_of: str  # the SHA-256 of the source-language file it translates
    translation_of_location: Location
    english: Path
    stale: bool  # the source-language file changed since


@dataclass
class LanguageMeta:
    """What a target language sets for itself in content/<lang>/<doc>/document.yaml, and its overrides."""

    output: str | None = None
    output_location: Location | None = None
    locale: str | None = None
    translator: str | None = None
    texts: dict[str, Text] = field(default_factory=dict)  # title, short_title, subtitle in the language
    overrides: dict[str, Override] = field(default_factory=dict)  # by section name


def walk_texts(obj) -> Iterator[Text]:
    """Every Text reachable from a dataclass tree, depth-first in field order."""
    if isinstance(obj, Text):
        yield obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from walk_texts(getattr(obj, f.name))
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from walk_texts(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from walk_texts(item)
