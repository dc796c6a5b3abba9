"""Translate stage: a source-language Document + a catalog + the language's own metadata and
overrides -> the Document in that language. A pure function: it reads nothing."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import status, translations
from .config import Project
from .content import Sources
from .errors import Location
from .model import Document, LanguageMeta
from .pofile import PoFile
from .segments import Unit, text_units, walk_texts


def shorten(text: str, width: int = 60) -> str:
    """A msgid as an error line quotes it."""
    return text if len(text) <= width else text[:width - 3] + "..."


@dataclass
class Gap:
    """A unit that fell back to the source language, and why."""

    unit: Unit
    state: str  # fuzzy, untranslated, absent
    location: Location | None

    def describe(self) -> str:
        short = shorten(self.unit.msgid)
        return f"{self.state} ({self.unit.where}): {short!r}"


@dataclass
class Report:
    """What a translation used, what fell back, and which overrides are stale."""

    lang: str
    document: str
    gaps: list[Gap] = field(default_factory=list)
    stale_overrides: list[tuple[Path, Path]] = field(default_factory=list)


@dataclass
class Edition:
    """One document in one language, ready to render; `report` is None in the source language."""

    doc: Document
    report: Report | None = None

    @property
    def lang(self) -> str:
        return self.doc.lang


def translate(project: Project, doc: Document, lang: str, po: PoFile | None, meta: LanguageMeta) -> tuple[Document, Report]:
    """A copy of `doc` in `lang`: every Text gets its catalog translations; the language's own
    metadata and overrides replace what they cover. Reads nothing."""
    out = copy.deepcopy(doc)
    out.lang = lang
    out.locale = meta.locale or project.locale(lang)
    out.translator = meta.translator
    out.meta.output = meta.output or f"{doc.meta.output}_{lang}"
    out.meta.output_location = meta.output_location or doc.meta.output_location
    report = Report(lang, doc.name)
    native = set()
    for key, text in meta.texts.items():
        setattr(out.meta, key, text)
        native.add(id(text))
    for section in out.sections:
        override = meta.overrides.get(section.name)
        if override is not None:
            section.body, section.override = override.body, override.path
            native.add(id(override.body))
            if override.stale:
                report.stale_overrides.append((override.path, override.english))
    table = translations(po)
    for text in walk_texts(out):
        if id(text) in native:  # written in the target language already
            continue
        found = {}
        for unit in text_units(text):
            hit = table.get((unit.context, unit.msgid))
            if hit is not None:
                found[unit.msgid] = hit
            else:
                st = status(po, unit.context, unit.msgid)
                report.gaps.append(Gap(unit, st.state, st.location))
        text.translations = found
        text.fallback_lang = project.source_language
    return out, report


def translate_all(project: Project, sources: Sources) -> list[Edition]:
    """Every document in every language, the source language first."""
    editions = []
    for doc in sources.documents:
        editions.append(Edition(doc))
        for lang in project.target_languages:
            tdoc, report = translate(project, doc, lang, sources.catalogs[(lang, "content")],
                                     sources.languages[(lang, doc.name)])
            editions.append(Edition(tdoc, report))
    return editions
