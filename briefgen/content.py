"""The loader: the only reader of a project's sources. YAML + Markdown -> Documents that keep
their source locations; each target language's own metadata and overrides; the catalogs (read
through the symlink guard). Every stage after this one reads nothing from the project."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import schema
from .config import Project
from .errors import ContentError, Location, Problems, did_you_mean, natural_key
from .lint import lint_msgstr, lint_text
from .model import Document, LanguageMeta, Library, Override, Section, Text, walk_texts
from .pofile import PoFile, read_po
from .source import Fields, YamlList, load_yaml, read_text, split_front_matter


# ----- loading ------------------------------------------------------------------------------
# Every loader records its mistakes in a Problems collector and goes on, so that one run reports
# every mistake in the sources; load_documents and load_sources raise them all at their end.

_KINDS = {"finding": "findings", "recommendation": "recommendations", "figure": "figures"}


def _load_list_file(path: Path, root: Path, key: str, problems: Problems) -> YamlList:
    data = load_yaml(path, root)
    f = Fields(data, path.name, Location(path, 1), (key,), problems=problems)
    return f.items(key, f"a list of {key}")


def load_library(project: Project, problems: Problems | None = None) -> Library:
    """Load the shared findings, recommendations and figures of the source language."""
    mine = problems is None
    problems = Problems() if mine else problems
    base = project.language_dir(project.source_language)
    library = Library({}, {}, {}, [])
    for kind, load in (("finding", schema.finding), ("recommendation", schema.recommendation), ("figure", schema.figure)):
        name, table = _KINDS[kind], getattr(library, _KINDS[kind])
        path = base / f"{name}.yaml"
        if not path.exists():
            continue
        library.sources.append(path)
        before = len(problems.errors)
        with problems.collect():
            items = _load_list_file(path, project.root, name, problems)
        if len(problems.errors) > before:  # unreadable: no reference to its ids is reported on top of this
            library.unreadable.add(kind)
            continue
        for i, item in enumerate(items):
            with problems.collect():
                obj = load(item, i, items.where(i), problems)
                if obj.id:  # a bad id is reported; the item is left out
                    if obj.id in table:
                        raise ContentError(f"{kind} id '{obj.id}' is used twice (first at line "
                                           f"{table[obj.id].location.line}); ids must be unique", item.where("id"))
                    table[obj.id] = obj
    if mine:
        problems.raise_errors()
    return library


def _lookup(library: Library, kinds: tuple[str, ...], ref: str, loc: Location):
    """The finding, recommendation or figure an id names; None when its file could not be read (that
    error is reported already)."""
    tables = [getattr(library, _KINDS[kind]) for kind in kinds]
    for table in tables:
        if ref in table:
            return table[ref]
    if any(kind in library.unreadable for kind in kinds):
        return None
    known_ids = sorted({k for table in tables for k in table}, key=natural_key)
    what = " or ".join(kinds)
    raise ContentError(f"{what} '{ref}' does not exist{did_you_mean(ref, known_ids)}; "
                       f"known {what} ids: {', '.join(known_ids) or 'none defined'}", loc)


def _refs(library: Library, kinds: tuple[str, ...], f: Fields, key: str, problems: Problems) -> list:
    out = []
    for ref, loc in f.ids(key):
        with problems.collect():
            found = _lookup(library, kinds, ref, loc)
            if found is not None:
                out.append(found)
    return out


def load_document(project: Project, name: str, library: Library, problems: Problems) -> Document:
    """Load one source-language document: metadata, layout and its Markdown sections."""
    folder = project.language_dir(project.source_language) / name
    path = folder / "document.yaml"
    data = load_yaml(path, project.root)
    f = Fields(data, "document.yaml", Location(path, 1), schema.META_REQUIRED, schema.META_OPTIONAL, problems)
    label = name.replace("-", " ").capitalize()
    meta = schema.meta(f, label, problems)
    highlights = _refs(library, ("recommendation", "finding"), f, "highlights", problems) if f.has("highlights") else []
    sections = _layout(project, f, folder, label, library, problems)
    return Document(name=name, lang=project.source_language, locale=project.locale(project.source_language),
                    meta=meta, highlights=highlights, sections=sections,
                    sources=[*library.sources, path, *(s.path for s in sections)])


def _layout(project: Project, f: Fields, folder: Path, label: str, library: Library, problems: Problems) -> list[Section]:
    """The document's sections in layout order, with the findings, recommendations and figures
    each one shows."""
    sections: list[Section] = []
    layout = f.items("layout", "a list of sections")
    seen = set()
    for i, entry in enumerate(layout):
        with problems.collect():
            ef = Fields(entry, f"layout entry {i + 1}", layout.where(i), ("section",),
                        ("findings", "recommendations", "figures"), problems)
            sname = ef.plain("section", re.compile(r"^[a-z0-9][a-z0-9-]*$"), " (a Markdown file name without .md)")
            if not sname:
                continue
            if sname in seen:
                raise ContentError(f"section '{sname}' appears twice in the layout", ef.where("section"))
            seen.add(sname)
            md_path = folder / f"{sname}.md"
            if not md_path.exists():
                raise ContentError(
                    f"layout names section '{sname}' but {md_path.relative_to(project.root)} does not exist; "
                    "create it or fix the name" + did_you_mean(sname, [p.stem for p in folder.glob("*.md")]),
                    ef.where("section"))
            section = _load_section(project, md_path, sname, label, problems)
            for kind in ("finding", "recommendation", "figure"):
                if ef.has(_KINDS[kind]):
                    setattr(section, _KINDS[kind], _refs(library, (kind,), ef, _KINDS[kind], problems))
            sections.append(section)
    return sections


def _load_section(project: Project, path: Path, name: str, label: str, problems: Problems) -> Section:
    fm = split_front_matter(read_text(path, project.root), path)
    f = Fields(fm.data, f"front matter of {path.name}", Location(path, 1), (), ("notes", "msgctxt"), problems)
    body = Text(fm.body, Location(path, fm.body_line), block=True, where=f"{label} › {name}", context=f.msgctxt())
    if not re.search(r"^# \S", fm.body, re.M):
        raise ContentError(
            "a section must start with a level-1 heading ('# Title'); add one as the first line",
            Location(path, fm.body_line),
        )
    return Section(name=name, path=path, body=body)


def _load_documents(project: Project, problems: Problems) -> tuple[Library, list[Document]]:
    library = load_library(project, problems)
    docs = []
    for name in project.documents:
        with problems.collect():
            docs.append(load_document(project, name, library, problems))
    _lint(library, docs, problems)
    return library, docs


def _lint(library: Library, docs: list[Document], problems: Problems) -> None:
    """The Markdown mistakes of every text, each text once (the library's are shared)."""
    seen = set()
    for doc in docs:
        for section in doc.sections:
            seen.add(id(section.body))
            lint_text(section.body, problems, section=True)
    for text in walk_texts([library, docs]):
        if id(text) not in seen:
            seen.add(id(text))
            lint_text(text, problems)


def load_documents(project: Project) -> tuple[Library, list[Document]]:
    """Load the shared library and every configured source-language document; every mistake in
    them is reported at once."""
    problems = Problems()
    library, docs = _load_documents(project, problems)
    problems.raise_errors()
    return library, docs


# ----- target languages: own metadata, overrides, catalogs ----------------------------------

_HEX = re.compile(r"^[0-9a-f]{64}$")
_LANG_OPTIONAL = ("locale", "translator", "title", "short_title", "subtitle")


def load_language(project: Project, lang: str, doc: Document, problems: Problems) -> LanguageMeta:
    """A target language's own metadata of one document, and its whole-section overrides."""
    path = project.language_dir(lang) / doc.name / "document.yaml"
    meta = LanguageMeta()
    if path.exists():
        f = Fields(load_yaml(path, project.root), f"{lang}/{doc.name}/document.yaml", Location(path, 1), ("output",),
                   _LANG_OPTIONAL, problems)
        meta.output = f.plain("output", schema.OUTPUT, " (letters, digits, '_', '-')")
        meta.output_location = f.where("output")
        if f.has("locale"):
            meta.locale = f.plain("locale", re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$"), " (a Babel locale like es_MX)")
            with problems.collect():
                _known_locale(meta.locale, f.where("locale"))
        meta.translator = f.plain("translator") if f.has("translator") else None
        meta.texts = {key: f.text(key, f"{doc.name} › {key}") for key in ("title", "short_title", "subtitle") if f.has(key)}
    for section in doc.sections:
        override = project.language_dir(lang) / doc.name / f"{section.name}.md"
        if override.exists():
            with problems.collect():
                found = _override(project, override, section, problems)
                if found is not None:
                    meta.overrides[section.name] = found
    return meta


def _known_locale(locale: str, where: Location) -> None:
    from babel import Locale

    try:
        Locale.parse(locale)
    except Exception:
        raise ContentError(f"unknown locale '{locale}'; use one Babel knows, e.g. es_MX", where) from None


def _override(project: Project, path: Path, section: Section, problems: Problems) -> Override | None:
    fm = split_front_matter(read_text(path, project.root), path)
    Fields(fm.data, f"front matter of {path.name}", Location(path, 1), ("translation-of",), ("notes", "translator"),
           problems)
    if "translation-of" not in fm.data:
        return None  # reported by Fields
    digest = fm.data["translation-of"]
    if not isinstance(digest, str) or not _HEX.match(digest):
        raise ContentError(
            "'translation-of' must be the SHA-256 (64 hex digits) of the English file it translates; "
            f"run `sha256sum {section.path.relative_to(project.root)}`", fm.data.where("translation-of"))
    current = hashlib.sha256(section.path.read_bytes()).hexdigest()
    body = Text(fm.body, Location(path, fm.body_line), block=True, where=section.body.where)
    lint_text(body, problems, section=True)
    return Override(section.name, path, body, digest, fm.data.where("translation-of"), section.path, digest != current)


def read_catalog(project: Project, path: Path) -> PoFile:
    """Read a catalog of the project, refusing one that a symlink places outside it."""
    return read_po(path, inside=project.root)


def load_catalog(project: Project, lang: str, domain: str) -> PoFile | None:
    """A language's catalog of one domain (content, messages); None when it does not exist."""
    path = project.po_path(lang, domain)
    return read_catalog(project, path) if path.exists() else None


@dataclass
class Sources:
    """Everything a build or a check reads from a project."""

    library: Library
    documents: list[Document]
    catalogs: dict[tuple[str, str], PoFile | None] = field(default_factory=dict)  # (lang, domain) ->
    languages: dict[tuple[str, str], LanguageMeta] = field(default_factory=dict)  # (lang, document) ->
    warnings: list[tuple[Location, str]] = field(default_factory=list)  # what the author may want to fix


def load_sources(project: Project) -> Sources:
    """Load every source: documents, each target language's catalogs, metadata and overrides.
    Every mistake in any of them is reported at once, sorted by file and line."""
    problems = Problems()
    library, documents = _load_documents(project, problems)
    sources = Sources(library, documents)
    for lang in project.target_languages:
        for domain in ("content", "messages"):
            with problems.collect():
                sources.catalogs[(lang, domain)] = po = load_catalog(project, lang, domain)
                for e in po.active() if po is not None and domain == "content" else ():
                    lint_msgstr(e.msgstr, Location(po.path, e.line), problems)
        for doc in documents:
            with problems.collect():
                sources.languages[(lang, doc.name)] = load_language(project, lang, doc, problems)
    problems.raise_errors()
    sources.warnings = problems.warnings
    return sources
