"""The loader: the only reader of a project's sources. YAML + Markdown -> Documents that keep
their source locations; each target language's own metadata and overrides; the catalogs (read
through the symlink guard). Every stage after this one reads nothing from the project."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .config import Project
from .errors import CatalogError, ContentError, ErrorList, Location, did_you_mean
from .model import (
    About, Author, Bar, BarGroup, Document, Figure, Finding, LanguageMeta, Library, Licence, Meta, Override, Recommendation,
    Section, Source, Text,
)
from .pofile import PoFile, read_po
from .source import ID, Fields, YamlList, value_kind, load_yaml, read_text, split_front_matter


# ----- loading ------------------------------------------------------------------------------


def _load_list_file(path: Path, root: Path, key: str) -> YamlList:
    data = load_yaml(path, root)
    f = Fields(data, path.name, Location(path, 1), (key,))
    return f.items(key, f"a list of {key}")


def _unique(kind: str, item_id: str, loc: Location, seen: dict):
    if item_id in seen:
        raise ContentError(
            f"{kind} id '{item_id}' is used twice (first at line {seen[item_id].location.line}); ids must be unique",
            loc,
        )


def load_library(project: Project) -> Library:
    """Load the shared findings, recommendations and figures of the source language."""
    base = project.language_dir(project.source_language)
    library = Library({}, {}, {}, [])
    for name, load, table in (("findings", _finding, library.findings),
                              ("recommendations", _recommendation, library.recommendations),
                              ("figures", _figure, library.figures)):
        path = base / f"{name}.yaml"
        if path.exists():
            library.sources.append(path)
            items = _load_list_file(path, project.root, name)
            for i, item in enumerate(items):
                obj = load(item, i, items.where(i))
                _unique(name[:-1], obj.id, item.where("id"), table)
                table[obj.id] = obj
    return library


def _finding(item, i: int, where: Location) -> Finding:
    f = Fields(item, f"finding {i + 1}", where, ("id", "title", "body"), ("sources", "msgctxt"))
    fid = f.plain("id", ID, " (use letters and digits, e.g. F1)")
    label = f"Finding {fid}"
    srcs = []
    if f.has("sources"):
        lst = f.items("sources")
        for j, s in enumerate(lst):
            sf = Fields(s, f"source {j + 1} of finding {fid}", lst.where(j), ("text",), ("url",))
            srcs.append(Source(sf.text("text", f"{label} › source {j + 1}"), sf.url("url") if sf.has("url") else None))
    return Finding(fid, f.text("title", f"{label} › title"), f.text("body", f"{label} › body", block=True), srcs,
                   item.location)


def _recommendation(item, i: int, where: Location) -> Recommendation:
    f = Fields(item, f"recommendation {i + 1}", where, ("id", "title", "body"), ("audience",))
    rid = f.plain("id", ID, " (use letters and digits, e.g. R1)")
    label = f"Recommendation {rid}"
    audience = f.text("audience", f"{label} › audience") if f.has("audience") else None
    return Recommendation(rid, audience, f.text("title", f"{label} › title"), f.text("body", f"{label} › body", block=True),
                          item.location)


def _figure(item, i: int, where: Location) -> Figure:
    f = Fields(item, f"figure {i + 1}", where, ("id", "title", "alt", "groups"), ("source", "unit"))
    gid = f.plain("id", ID, " (use letters, digits and '-', e.g. enif-2021)")
    label = f"Figure {gid}"
    unit = f.plain("unit") if f.has("unit") else "percent"
    if unit not in ("percent", "number"):
        raise ContentError(f"'unit' must be 'percent' or 'number'{did_you_mean(unit, ('percent', 'number'))}", f.where("unit"))
    groups = []
    glist = f.items("groups")
    for j, g in enumerate(glist):
        gf = Fields(g, f"group {j + 1} of figure {gid}", glist.where(j), ("label", "bars"))
        bars = []
        blist = gf.items("bars")
        for k, b in enumerate(blist):
            bf = Fields(b, f"bar {k + 1} of figure {gid}", blist.where(k), ("label", "value"))
            if isinstance(b.get("label"), (int, float)) and not isinstance(b.get("label"), bool):
                b["label"] = str(b["label"])
            bars.append(Bar(bf.text("label", f"{label} › bar label"), bf.number("value")))
        groups.append(BarGroup(gf.text("label", f"{label} › group label"), bars))
    return Figure(gid, f.text("title", f"{label} › title"), f.text("alt", f"{label} › alt text"),
                  f.text("source", f"{label} › source") if f.has("source") else None, unit, groups, item.location)


_META_REQUIRED = ("title", "authors", "date", "publisher", "place", "series", "abstract", "output", "layout")
_META_OPTIONAL = ("subtitle", "short_title", "keywords", "licence", "copyright", "highlights", "record", "edition_note",
                  "disclaimer", "acknowledgements", "about")
_OUTPUT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _lookup(kind: str, table: dict, ref: str, loc: Location):
    if ref not in table:
        known = ", ".join(sorted(table)) or "none defined"
        raise ContentError(
            f"{kind} '{ref}' does not exist{did_you_mean(ref, table)}; known {kind} ids: {known}", loc
        )
    return table[ref]


def load_document(project: Project, name: str, library: Library) -> Document:
    """Load one source-language document: metadata, layout and its Markdown sections."""
    folder = project.language_dir(project.source_language) / name
    path = folder / "document.yaml"
    data = load_yaml(path, project.root)
    f = Fields(data, "document.yaml", Location(path, 1), _META_REQUIRED, _META_OPTIONAL)
    label = name.replace("-", " ").capitalize()
    meta = _meta(f, label)
    highlights = []
    if f.has("highlights"):
        for ref, loc in f.ids("highlights"):
            table = library.recommendations if ref in library.recommendations else library.findings
            if ref not in table:  # name both kinds' ids, not only the findings'
                table = {**library.findings, **library.recommendations}
            highlights.append(_lookup("recommendation or finding", table, ref, loc))
    sections = _layout(project, f, folder, label, library)
    return Document(name=name, lang=project.source_language, locale=project.locale(project.source_language),
                    meta=meta, highlights=highlights, sections=sections,
                    sources=[*library.sources, path, *(s.path for s in sections)])


def _authors(f: Fields, label: str) -> list[Author]:
    authors = []
    alist = f.items("authors", "a list of authors")
    for i, a in enumerate(alist):
        af = Fields(a, f"author {i + 1}", alist.where(i), ("name",), ("affiliation", "bio"))
        authors.append(Author(af.plain("name"),
                              af.text("affiliation", f"{label} › author affiliation") if af.has("affiliation") else None,
                              af.text("bio", f"{label} › author bio", block=True) if af.has("bio") else None))
    if not authors:
        raise ContentError("'authors' is empty; list at least one author", f.where("authors"))
    return authors


def _licence(f: Fields, label: str) -> Licence | None:
    """The licence, or None when there is none or it is marked `confirmed: false` (kept in the YAML
    for the editors, printed nowhere: not in the editions, their metadata or the deposit)."""
    if not f.has("licence"):
        return None
    lf = Fields(f.data["licence"], "licence", f.where("licence"), ("name",), ("url", "confirmed"))
    confirmed = lf.data.get("confirmed", True)
    if not isinstance(confirmed, bool):
        raise ContentError(f"'confirmed' in licence must be true or false, got {value_kind(confirmed)}", lf.where("confirmed"))
    name = lf.text("name", f"{label} › licence")
    if not confirmed:
        return None
    if not lf.has("url"):
        raise ContentError("a confirmed licence needs its 'url'; add it, or mark the licence 'confirmed: false'",
                           f.where("licence"))
    return Licence(name, lf.url("url"))


def _about(f: Fields, label: str) -> list[About]:
    out = []
    if f.has("about"):
        alist = f.items("about", "a list of notes, each with an id, a title and a text")
        for i, a in enumerate(alist):
            af = Fields(a, f"about note {i + 1}", alist.where(i), ("id", "title", "text"))
            out.append(About(af.plain("id", ID, " (letters, digits and '-', e.g. about-fast)"),
                             af.text("title", f"{label} › about › title"), af.text("text", f"{label} › about › text", block=True)))
    return out


def _meta(f: Fields, label: str) -> Meta:
    authors = _authors(f, label)
    keywords = []
    if f.has("keywords"):
        klist = f.items("keywords")
        for i, k in enumerate(klist):
            if not isinstance(k, str):
                raise ContentError(f"keyword {i + 1} must be text, got {value_kind(k)}", klist.where(i))
            keywords.append(Text(k, klist.where(i), where=f"{label} › keyword"))
    licence = _licence(f, label)
    title = f.text("title", f"{label} › title")
    optional = lambda key, where: f.text(key, f"{label} › {where}") if f.has(key) else None  # noqa: E731
    block = lambda key, where: f.text(key, f"{label} › {where}", block=True) if f.has(key) else None  # noqa: E731
    return Meta(
        title=title, short_title=optional("short_title", "short title") or title,
        series=f.text("series", f"{label} › series"), authors=authors, date=f.date("date"),
        publisher=f.text("publisher", f"{label} › publisher"), place=f.text("place", f"{label} › place"),
        keywords=keywords, licence=licence,
        copyright=optional("copyright", "copyright holder") or f.text("publisher", label),
        abstract=f.text("abstract", f"{label} › abstract", block=True),
        output=f.plain("output", _OUTPUT, " (use letters, digits, '_', '-', no extension)"),
        subtitle=optional("subtitle", "subtitle"),
        record=_record(f.data["record"], f.where("record")) if f.has("record") else {},
        output_location=f.where("output"),
        edition_note=block("edition_note", "edition note"), disclaimer=block("disclaimer", "disclaimer"),
        acknowledgements=block("acknowledgements", "acknowledgements"), about=_about(f, label),
    )


def _layout(project: Project, f: Fields, folder: Path, label: str, library: Library) -> list[Section]:
    """The document's sections in layout order, with the findings, recommendations and figures
    each one shows; every mistake in the layout is reported, not only the first."""
    sections: list[Section] = []
    layout = f.items("layout", "a list of sections")
    errors: list[ContentError] = []
    seen = set()
    for i, entry in enumerate(layout):
        try:
            ef = Fields(entry, f"layout entry {i + 1}", layout.where(i), ("section",), ("findings", "recommendations", "figures"))
            sname = ef.plain("section", re.compile(r"^[a-z0-9][a-z0-9-]*$"), " (a Markdown file name without .md)")
            if sname in seen:
                raise ContentError(f"section '{sname}' appears twice in the layout", ef.where("section"))
            seen.add(sname)
            md_path = folder / f"{sname}.md"
            if not md_path.exists():
                raise ContentError(
                    f"layout names section '{sname}' but {md_path.relative_to(project.root)} does not exist; "
                    "create it or fix the name" + did_you_mean(sname, [p.stem for p in folder.glob("*.md")]),
                    ef.where("section"))
            section = _load_section(project, md_path, sname, label)
            for key, kind, table in (("findings", "finding", library.findings),
                                     ("recommendations", "recommendation", library.recommendations),
                                     ("figures", "figure", library.figures)):
                if ef.has(key):
                    setattr(section, key, [_lookup(kind, table, r, loc) for r, loc in ef.ids(key)])
            sections.append(section)
        except ContentError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorList(errors)
    return sections


def _record(data, where: Location) -> dict:
    f = Fields(data, "record", where, ("identifier", "type", "subtype"), ("url",))
    out = {k: f.plain(k) for k in ("identifier", "type", "subtype")}
    if f.has("url"):
        out["url"] = f.url("url")
    return out


def _load_section(project: Project, path: Path, name: str, label: str) -> Section:
    fm = split_front_matter(read_text(path, project.root), path)
    Fields(fm.data, f"front matter of {path.name}", Location(path, 1), (), ("notes", "msgctxt"))
    body = Text(fm.body, Location(path, fm.body_line), block=True, where=f"{label} › {name}")
    if not re.search(r"^# \S", fm.body, re.M):
        raise ContentError(
            "a section must start with a level-1 heading ('# Title'); add one as the first line",
            Location(path, fm.body_line),
        )
    return Section(name=name, path=path, body=body)


def load_documents(project: Project) -> tuple[Library, list[Document]]:
    """Load the shared library and every configured source-language document."""
    library = load_library(project)
    docs, errors = [], []
    for name in project.documents:
        try:
            docs.append(load_document(project, name, library))
        except ErrorList as exc:
            errors.extend(exc.errors)
        except ContentError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorList(errors)
    return library, docs


# ----- target languages: own metadata, overrides, catalogs ----------------------------------

_HEX = re.compile(r"^[0-9a-f]{64}$")
_LANG_META_OPTIONAL = ("locale", "translator", "title", "short_title", "subtitle")


def load_language(project: Project, lang: str, doc: Document) -> LanguageMeta:
    """A target language's own metadata of one document, and its whole-section overrides."""
    path = project.language_dir(lang) / doc.name / "document.yaml"
    meta = LanguageMeta()
    if path.exists():
        f = Fields(load_yaml(path, project.root), f"{lang}/{doc.name}/document.yaml", Location(path, 1), ("output",),
                   _LANG_META_OPTIONAL)
        meta.output = f.plain("output", _OUTPUT, " (letters, digits, '_', '-')")
        meta.output_location = f.where("output")
        if f.has("locale"):
            meta.locale = f.plain("locale", re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$"), " (a Babel locale like es_MX)")
            _known_locale(meta.locale, f.where("locale"))
        meta.translator = f.plain("translator") if f.has("translator") else None
        meta.texts = {key: f.text(key, f"{doc.name} › {key}") for key in ("title", "short_title", "subtitle") if f.has(key)}
    for section in doc.sections:
        override = project.language_dir(lang) / doc.name / f"{section.name}.md"
        if override.exists():
            meta.overrides[section.name] = _override(project, override, section)
    return meta


def _known_locale(locale: str, where: Location) -> None:
    from babel import Locale

    try:
        Locale.parse(locale)
    except Exception:
        raise ContentError(f"unknown locale '{locale}'; use one Babel knows, e.g. es_MX", where) from None


def _override(project: Project, path: Path, section: Section) -> Override:
    fm = split_front_matter(read_text(path, project.root), path)
    Fields(fm.data, f"front matter of {path.name}", Location(path, 1), ("translation-of",), ("notes", "translator"))
    digest = fm.data["translation-of"]
    if not isinstance(digest, str) or not _HEX.match(digest):
        raise ContentError(
            "'translation-of' must be the SHA-256 (64 hex digits) of the English file it translates; "
            f"run `sha256sum {section.path.relative_to(project.root)}`", fm.data.where("translation-of"))
    current = hashlib.sha256(section.path.read_bytes()).hexdigest()
    body = Text(fm.body, Location(path, fm.body_line), block=True, where=section.body.where)
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


def load_sources(project: Project) -> Sources:
    """Load every source: documents, each target language's catalogs, metadata and overrides."""
    library, documents = load_documents(project)
    sources = Sources(library, documents)
    for lang in project.target_languages:
        for domain in ("content", "messages"):
            sources.catalogs[(lang, domain)] = load_catalog(project, lang, domain)
        for doc in documents:
            sources.languages[(lang, doc.name)] = load_language(project, lang, doc)
    return sources
