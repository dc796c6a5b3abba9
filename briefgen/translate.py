"""Translate stage: English Document + catalog + content/<lang> overrides -> target Document."""
from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .config import Project
from .content import Document, Fields, Text
from .errors import ContentError, Location
from .pofile import PoFile
from .catalog import status, translations
from .segments import Unit, text_units, walk_texts
from .source import load_yaml, read_text, split_front_matter


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


_HEX = re.compile(r"^[0-9a-f]{64}$")
_LANG_META_OPTIONAL = ("locale", "translator", "title", "short_title", "subtitle")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def translate(project: Project, doc: Document, lang: str, po: PoFile | None) -> tuple[Document, Report]:
    """A copy of `doc` in `lang`: every Text gets its catalog translations; overrides replace sections."""
    out = copy.deepcopy(doc)
    out.lang = lang
    out.locale = project.locale(lang)
    report = Report(lang, doc.name)
    table = translations(po)
    native = _apply_language_meta(project, out, lang) | _apply_overrides(project, out, lang, report)
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


def _apply_language_meta(project: Project, doc: Document, lang: str) -> set:
    path = project.language_dir(lang) / doc.name / "document.yaml"
    native = set()
    if not path.exists():
        doc.meta.output = f"{doc.meta.output}_{lang}"
        return native
    data = load_yaml(path, project.root)
    f = Fields(data, f"{lang}/{doc.name}/document.yaml", Location(path, 1), ("output",), _LANG_META_OPTIONAL)
    doc.meta.output = f.plain("output", re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"), " (letters, digits, '_', '-')")
    doc.meta.output_location = f.where("output")
    if f.has("locale"):
        doc.locale = f.plain("locale", re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$"), " (a Babel locale like es_MX)")
        try:
            from babel import Locale

            Locale.parse(doc.locale)
        except Exception:
            raise ContentError(f"unknown locale '{doc.locale}'; use one Babel knows, e.g. es_MX", f.where("locale")) from None
    if f.has("translator"):
        doc.translator = f.plain("translator")
    for key in ("title", "short_title", "subtitle"):
        if f.has(key):
            text = f.text(key, f"{doc.name} › {key}")
            native.add(id(text))
            setattr(doc.meta, key, text)
    return native


def _apply_overrides(project: Project, doc: Document, lang: str, report: Report) -> set:
    done = set()
    folder = project.language_dir(lang) / doc.name
    for section in doc.sections:
        path = folder / f"{section.name}.md"
        if not path.exists():
            continue
        fm = split_front_matter(read_text(path, project.root), path)
        Fields(fm.data, f"front matter of {path.name}", Location(path, 1), ("translation-of",), ("notes", "translator"))
        digest = fm.data["translation-of"]
        if not isinstance(digest, str) or not _HEX.match(digest):
            raise ContentError(
                "'translation-of' must be the SHA-256 (64 hex digits) of the English file it translates; "
                f"run `sha256sum {section.path.relative_to(project.root)}`",
                fm.data.where("translation-of"),
            )
        if digest != sha256_file(section.path):
            report.stale_overrides.append((path, section.path))
        section.body = Text(fm.body, Location(path, fm.body_line), block=True, where=section.body.where)
        section.override = path
        done.add(id(section.body))
    return done
