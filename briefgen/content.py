"""The loader: the only reader of a project's sources. YAML + Markdown -> Documents that keep
their source locations; each target language's own metadata and overrides; the catalogs (read
through the symlink guard). Every stage after this one reads nothing from the project."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .config import Project
from .errors import CatalogError, ContentError, Location, Problems, did_you_mean, natural_key
from .model import (
    Author, Bar, BarGroup, Document, Figure, Finding, LanguageMeta, Library, Licence, Meta, Override, Recommendation,
    Section, Source, Text, walk_texts,
)
from .lint import lint_msgstr, lint_text
from .pofile import PoFile, read_po
from .source import ID, Fields, YamlList, value_kind, load_yaml, read_text, split_front_matter


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
    for kind, load in (("finding", _finding), ("recommendation", _recommendation), ("figure", _figure)):
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


def _finding(item, i: int, where: Location, problems: Problems) -> Finding:
    f = Fields(item, f"finding {i + 1}", where, ("id", "title", "body"), ("sources", "msgctxt"), problems)
    fid = f.plain("id", ID, " (use letters and digits, e.g. F1)")
    label = f"Finding {fid}"
    srcs = []
    if f.has("sources"):
        lst = f.items("sources")
        for j, s in enumerate(lst):
            sf = Fields(s, f"source {j + 1} of finding {fid}", lst.where(j), ("text",), ("url",), problems)
            srcs.append(Source(sf.text("text", f"{label} › source {j + 1}"), sf.url("url") if sf.has("url") else None))
    finding = Finding(fid, f.text("title", f"{label} › title"), f.text("body", f"{label} › body", block=True), srcs,
                      f.data.location)
    context = f.msgctxt()
    for text in (finding.title, finding.body, *(src.text for src in srcs)):
        text.context = context
    return finding


def _recommendation(item, i: int, where: Location, problems: Problems) -> Recommendation:
    f = Fields(item, f"recommendation {i + 1}", where, ("id", "title", "body"), ("audience",), problems)
    rid = f.plain("id", ID, " (use letters and digits, e.g. R1)")
    label = f"Recommendation {rid}"
    audience = f.text("audience", f"{label} › audience") if f.has("audience") else None
    return Recommendation(rid, audience, f.text("title", f"{label} › title"), f.text("body", f"{label} › body", block=True),
                          f.data.location)


def _figure(item, i: int, where: Location, problems: Problems) -> Figure:
    f = Fields(item, f"figure {i + 1}", where, ("id", "title", "alt", "groups"), ("source", "unit"), problems)
    gid = f.plain("id", ID, " (use letters, digits and '-', e.g. enif-2021)")
    label = f"Figure {gid}"
    unit = f.plain("unit") if f.has("unit") else "percent"
    if unit not in ("percent", "number"):
        problems.error(ContentError(f"'unit' must be 'percent' or 'number'{did_you_mean(unit, ('percent', 'number'))}",
                                    f.where("unit")))
    groups = []
    glist = f.items("groups")
    for j, g in enumerate(glist):
        gf = Fields(g, f"group {j + 1} of figure {gid}", glist.where(j), ("label", "bars"), problems=problems)
        bars = []
        blist = gf.items("bars")
        for k, b in enumerate(blist):
            bf = Fields(b, f"bar {k + 1} of figure {gid}", blist.where(k), ("label", "value"), problems=problems)
            if isinstance(b, dict) and isinstance(b.get("label"), (int, float)) and not isinstance(b.get("label"), bool):
                b["label"] = str(b["label"])
            bars.append(Bar(bf.text("label", f"{label} › bar label"), bf.number("value")))
        groups.append(BarGroup(gf.text("label", f"{label} › group label"), bars))
    return Figure(gid, f.text("title", f"{label} › title"), f.text("alt", f"{label} › alt text"),
                  f.text("source", f"{label} › source") if f.has("source") else None, unit, groups, f.data.location)


_META_REQUIRED = ("title", "authors", "date", "publisher", "place", "series", "abstract", "output", "layout")
_META_OPTIONAL = ("subtitle", "short_title", "keywords", "licence", "copyright", "highlights", "record", "edition_note")
_OUTPUT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


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
    f = Fields(data, "document.yaml", Location(path, 1), _META_REQUIRED, _META_OPTIONAL, problems)
    label = name.replace("-", " ").capitalize()
    meta = _meta(f, label, problems)
    highlights = _refs(library, ("recommendation", "finding"), f, "highlights", problems) if f.has("highlights") else []
    sections = _layout(project, f, folder, label, library, problems)
    return Document(name=name, lang=project.source_language, locale=project.locale(project.source_language),
                    meta=meta, highlights=highlights, sections=sections,
                    sources=[*library.sources, path, *(s.path for s in sections)])


def _meta(f: Fields, label: str, problems: Problems) -> Meta:
    authors = []
    alist = f.items("authors", "a list of authors")
    for i, a in enumerate(alist):
        af = Fields(a, f"author {i + 1}", alist.where(i), ("name",), ("affiliation",), problems)
        authors.append(Author(af.plain("name"), af.text("affiliation", f"{label} › author affiliation") if af.has("affiliation") else None))
    if not authors and isinstance(f.data.get("authors"), YamlList):
        problems.error(ContentError("'authors' is empty; list at least one author", f.where("authors")))
    keywords = []
    if f.has("keywords"):
        klist = f.items("keywords")
        for i, k in enumerate(klist):
            if not isinstance(k, str):
                problems.error(ContentError(f"keyword {i + 1} must be text, got {value_kind(k)}", klist.where(i)))
            keywords.append(Text(str(k), klist.where(i), where=f"{label} › keyword"))
    licence = None
    if f.has("licence"):
        lf = Fields(f.data["licence"], "licence", f.where("licence"), ("name", "url"), problems=problems)
        licence = Licence(lf.text("name", f"{label} › licence"), lf.url("url"))
    title = f.text("title", f"{label} › title")
    optional = lambda key, where: f.text(key, f"{label} › {where}") if f.has(key) else None  # noqa: E731
    return Meta(
        title=title, short_title=optional("short_title", "short title") or title,
        series=f.text("series", f"{label} › series"), authors=authors, date=f.date("date"),
        publisher=f.text("publisher", f"{label} › publisher"), place=f.text("place", f"{label} › place"),
        keywords=keywords, licence=licence,
        copyright=optional("copyright", "copyright holder") or f.text("publisher", label),
        abstract=f.text("abstract", f"{label} › abstract", block=True),
        output=f.plain("output", _OUTPUT, " (use letters, digits, '_', '-', no extension)"),
        subtitle=optional("subtitle", "subtitle"),
        record=_record(f.data["record"], f.where("record"), problems) if f.has("record") else {},
        output_location=f.where("output"),
        edition_note=f.text("edition_note", f"{label} › edition note", block=True) if f.has("edition_note") else None,
    )


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


def _record(data, where: Location, problems: Problems) -> dict:
    f = Fields(data, "record", where, ("identifier", "type", "subtype"), ("url",), problems)
    out = {k: f.plain(k) for k in ("identifier", "type", "subtype")}
    if f.has("url"):
        out["url"] = f.url("url")
    return out


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
_LANG_META_OPTIONAL = ("locale", "translator", "title", "short_title", "subtitle")


def load_language(project: Project, lang: str, doc: Document, problems: Problems) -> LanguageMeta:
    """A target language's own metadata of one document, and its whole-section overrides."""
    path = project.language_dir(lang) / doc.name / "document.yaml"
    meta = LanguageMeta()
    if path.exists():
        f = Fields(load_yaml(path, project.root), f"{lang}/{doc.name}/document.yaml", Location(path, 1), ("output",),
                   _LANG_META_OPTIONAL, problems)
        meta.output = f.plain("output", _OUTPUT, " (letters, digits, '_', '-')")
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
    if not path.resolve().is_relative_to(project.root.resolve()):
        raise CatalogError(f"refusing to read {path.name}: it resolves to {path.resolve()}, outside the project "
                           "(a symlink leaving the project); copy the catalog into locales/ instead", Location(path))
    return read_po(path)


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
