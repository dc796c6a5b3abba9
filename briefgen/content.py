"""Content stage: YAML + Markdown sources -> Document dataclasses that keep source locations."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .config import Project
from .errors import ContentError, ErrorList, Location, did_you_mean
from .source import YamlList, YamlMap, is_date, load_yaml, read_text, split_front_matter


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


@dataclass
class Licence:
    name: Text
    url: str


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
    licence: Licence
    copyright: Text
    abstract: Text
    output: str
    subtitle: Text | None = None
    record: dict = field(default_factory=dict)  # repository record: identifier, url, type, subtype
    output_location: Location | None = None  # where `output` is set (a language's own file, if any)


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


# ----- schema -------------------------------------------------------------------------------

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class Fields:
    """Validates one YAML mapping against a declared set of keys; collects errors."""

    def __init__(self, data, what: str, location: Location, required: tuple, optional: tuple = ()):
        self.what = what
        if not isinstance(data, YamlMap):
            raise ContentError(f"{what} must be a mapping of keys to values, got {_kind(data)}", location)
        self.data = data
        for key in data:
            if key not in required and key not in optional:
                raise ContentError(
                    f"unknown key '{key}' in {what}{did_you_mean(str(key), required + optional)}; "
                    f"allowed keys: {', '.join(required + optional)}",
                    data.key_where(key),
                )
        for key in required:
            if key not in data:
                raise ContentError(f"{what} is missing the required key '{key}'; add it", data.location)

    def has(self, key) -> bool:
        return key in self.data and self.data[key] is not None

    def where(self, key) -> Location:
        return self.data.where(key)

    def _typed(self, key, types, expected: str):
        value = self.data.get(key)
        if not isinstance(value, types) or isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise ContentError(f"'{key}' in {self.what} must be {expected}, got {_kind(value)}", self.where(key))
        return value

    def text(self, key, where: str, block: bool = False) -> Text:
        value = self._typed(key, str, "text")
        loc = self.where(key)
        if not value.strip():
            raise ContentError(f"'{key}' in {self.what} is empty; write the text or remove the key", loc)
        return Text(value.strip() if not block else value, loc, block=block, where=where)

    def msgctxt(self) -> str | None:
        """The gettext context (`msgctxt`) of these texts: it tells apart equal English texts
        that translate differently; their catalog entries carry it."""
        if not self.has("msgctxt"):
            return None
        value = self.plain("msgctxt")
        if not value.strip() or any(c in value for c in "\n\x04"):
            raise ContentError("'msgctxt' must be a short text on one line, e.g. 'chart label'", self.where("msgctxt"))
        return value

    def plain(self, key, pattern: re.Pattern | None = None, hint: str = "") -> str:
        value = self._typed(key, str, "a string")
        if pattern is not None and not pattern.match(value):
            raise ContentError(f"'{key}' value '{value}' is not valid{hint}", self.where(key))
        return value

    def url(self, key) -> str:
        value = self._typed(key, str, "a URL")
        if not re.match(r"^https?://[^\s]+$", value):
            raise ContentError(f"'{key}' must be an http(s) URL, got '{value}'", self.where(key))
        return value

    def date(self, key) -> _dt.date:
        value = self.data.get(key)
        if not is_date(value):
            raise ContentError(f"'{key}' must be a date written as YYYY-MM-DD, got {_kind(value)}", self.where(key))
        return value

    def number(self, key) -> float:
        return float(self._typed(key, (int, float), "a number"))

    def items(self, key, kind: str = "a list") -> YamlList:
        value = self.data.get(key)
        if not isinstance(value, YamlList):
            raise ContentError(f"'{key}' in {self.what} must be {kind}, got {_kind(value)}", self.where(key))
        return value

    def ids(self, key) -> list[tuple[str, Location]]:
        items = self.items(key, "a list of ids like [F1, F2]")
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, str) or not _ID.match(item):
                raise ContentError(f"'{key}' entry {i + 1} must be an id like F1, got {_kind(item)}", items.where(i))
            out.append((item, items.where(i)))
        return out


def _kind(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, YamlMap):
        return "a mapping"
    if isinstance(value, YamlList):
        return "a list"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    if isinstance(value, _dt.date):
        return "a date"
    return f"the {type(value).__name__} {value!r}"


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
    root = project.root
    findings: dict[str, Finding] = {}
    recommendations: dict[str, Recommendation] = {}
    figures: dict[str, Figure] = {}
    sources = []

    path = base / "findings.yaml"
    if path.exists():
        sources.append(path)
        items = _load_list_file(path, root, "findings")
        for i, item in enumerate(items):
            f = Fields(item, f"finding {i + 1}", items.where(i), ("id", "title", "body"), ("sources", "msgctxt"))
            fid = f.plain("id", _ID, " (use letters and digits, e.g. F1)")
            _unique("finding", fid, f.where("id"), findings)
            where = f"Finding {fid}"
            srcs = []
            if f.has("sources"):
                lst = f.items("sources")
                for j, s in enumerate(lst):
                    sf = Fields(s, f"source {j + 1} of finding {fid}", lst.where(j), ("text",), ("url",))
                    srcs.append(Source(sf.text("text", f"{where} › source {j + 1}"), sf.url("url") if sf.has("url") else None))
            findings[fid] = Finding(
                fid, f.text("title", f"{where} › title"), f.text("body", f"{where} › body", block=True), srcs, item.location
            )
            context = f.msgctxt()
            for text in (findings[fid].title, findings[fid].body, *(src.text for src in srcs)):
                text.context = context

    path = base / "recommendations.yaml"
    if path.exists():
        sources.append(path)
        items = _load_list_file(path, root, "recommendations")
        for i, item in enumerate(items):
            f = Fields(item, f"recommendation {i + 1}", items.where(i), ("id", "title", "body"), ("audience",))
            rid = f.plain("id", _ID, " (use letters and digits, e.g. R1)")
            _unique("recommendation", rid, f.where("id"), recommendations)
            where = f"Recommendation {rid}"
            audience = f.text("audience", f"{where} › audience") if f.has("audience") else None
            recommendations[rid] = Recommendation(
                rid, audience, f.text("title", f"{where} › title"), f.text("body", f"{where} › body", block=True), item.location
            )

    path = base / "figures.yaml"
    if path.exists():
        sources.append(path)
        items = _load_list_file(path, root, "figures")
        for i, item in enumerate(items):
            f = Fields(item, f"figure {i + 1}", items.where(i), ("id", "title", "alt", "groups"), ("source", "unit"))
            gid = f.plain("id", _ID, " (use letters, digits and '-', e.g. enif-2021)")
            _unique("figure", gid, f.where("id"), figures)
            where = f"Figure {gid}"
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
                    label = b.get("label")
                    if isinstance(label, (int, float)) and not isinstance(label, bool):
                        b["label"] = str(label)
                    bars.append(Bar(bf.text("label", f"{where} › bar label"), bf.number("value")))
                groups.append(BarGroup(gf.text("label", f"{where} › group label"), bars))
            figures[gid] = Figure(
                gid,
                f.text("title", f"{where} › title"),
                f.text("alt", f"{where} › alt text"),
                f.text("source", f"{where} › source") if f.has("source") else None,
                unit,
                groups,
                item.location,
            )
    return Library(findings, recommendations, figures, sources)


_META_REQUIRED = ("title", "authors", "date", "publisher", "place", "series", "abstract", "output", "layout")
_META_OPTIONAL = ("subtitle", "short_title", "keywords", "licence", "copyright", "highlights", "record")
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
    authors = []
    alist = f.items("authors", "a list of authors")
    for i, a in enumerate(alist):
        af = Fields(a, f"author {i + 1}", alist.where(i), ("name",), ("affiliation",))
        authors.append(Author(af.plain("name"), af.text("affiliation", f"{label} › author affiliation") if af.has("affiliation") else None))
    if not authors:
        raise ContentError("'authors' is empty; list at least one author", f.where("authors"))
    keywords = []
    if f.has("keywords"):
        klist = f.items("keywords")
        for i, k in enumerate(klist):
            if not isinstance(k, str):
                raise ContentError(f"keyword {i + 1} must be text, got {_kind(k)}", klist.where(i))
            keywords.append(Text(k, klist.where(i), where=f"{label} › keyword"))
    if f.has("licence"):
        lf = Fields(data["licence"], "licence", f.where("licence"), ("name", "url"))
        licence = Licence(lf.text("name", f"{label} › licence"), lf.url("url"))
    else:
        licence = None
    title = f.text("title", f"{label} › title")
    meta = Meta(
        title=title,
        short_title=f.text("short_title", f"{label} › short title") if f.has("short_title") else title,
        series=f.text("series", f"{label} › series"),
        authors=authors,
        date=f.date("date"),
        publisher=f.text("publisher", f"{label} › publisher"),
        place=f.text("place", f"{label} › place"),
        keywords=keywords,
        licence=licence,
        copyright=f.text("copyright", f"{label} › copyright holder") if f.has("copyright") else f.text("publisher", label),
        abstract=f.text("abstract", f"{label} › abstract", block=True),
        output=f.plain("output", _OUTPUT, " (use letters, digits, '_', '-', no extension)"),
        subtitle=f.text("subtitle", f"{label} › subtitle") if f.has("subtitle") else None,
        record=_record(data["record"], f.where("record")) if f.has("record") else {},
        output_location=f.where("output"),
    )
    highlights = []
    if f.has("highlights"):
        for ref, loc in f.ids("highlights"):
            table = library.recommendations if ref in library.recommendations else library.findings
            if ref not in table:  # name both kinds' ids, not only the findings'
                table = {**library.findings, **library.recommendations}
            highlights.append(_lookup("recommendation or finding", table, ref, loc))

    sections: list[Section] = []
    sources = [*library.sources, path]
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
                    ef.where("section"),
                )
            section = _load_section(project, md_path, sname, label)
            if ef.has("findings"):
                section.findings = [_lookup("finding", library.findings, r, loc) for r, loc in ef.ids("findings")]
            if ef.has("recommendations"):
                section.recommendations = [
                    _lookup("recommendation", library.recommendations, r, loc) for r, loc in ef.ids("recommendations")
                ]
            if ef.has("figures"):
                section.figures = [_lookup("figure", library.figures, r, loc) for r, loc in ef.ids("figures")]
            sections.append(section)
            sources.append(md_path)
        except ContentError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorList(errors)
    return Document(
        name=name,
        lang=project.source_language,
        locale=project.locale(project.source_language),
        meta=meta,
        highlights=highlights,
        sections=sections,
        sources=sources,
    )


def _record(data, where: Location) -> dict:
    f = Fields(data, "record", where, ("identifier", "type", "subtype"), ("url",))
    out = {k: f.plain(k) for k in ("identifier", "type", "subtype")}
    if f.has("url"):
        out["url"] = f.url("url")
    return out


def _load_section(project: Project, path: Path, name: str, label: str) -> Section:
    fm = split_front_matter(read_text(path, project.root), path)
    f = Fields(fm.data, f"front matter of {path.name}", Location(path, 1), (), ("notes", "msgctxt"))
    body = Text(fm.body, Location(path, fm.body_line), block=True, where=f"{label} › {name}", context=f.msgctxt())
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
