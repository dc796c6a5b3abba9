"""What each YAML mapping of the content may hold: a checked mapping (`source.Fields`) in, a model
object out. Pure functions: the loader (`content`) reads the files and calls them."""
from __future__ import annotations

import re

from .errors import ContentError, Location, Problems, did_you_mean
from .model import About, Author, Bar, BarGroup, Figure, Finding, Licence, Meta, Recommendation, Source, Text
from .source import ID, Fields, YamlList, value_kind

META_REQUIRED = ("title", "authors", "date", "publisher", "place", "series", "abstract", "output", "layout")
META_OPTIONAL = ("subtitle", "short_title", "keywords", "licence", "copyright", "highlights", "record", "edition_note",
                  "disclaimer", "acknowledgements", "about")
OUTPUT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")



def finding(item, i: int, where: Location, problems: Problems) -> Finding:
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


def recommendation(item, i: int, where: Location, problems: Problems) -> Recommendation:
    f = Fields(item, f"recommendation {i + 1}", where, ("id", "title", "body"), ("audience",), problems)
    rid = f.plain("id", ID, " (use letters and digits, e.g. R1)")
    label = f"Recommendation {rid}"
    audience = f.text("audience", f"{label} › audience") if f.has("audience") else None
    return Recommendation(rid, audience, f.text("title", f"{label} › title"), f.text("body", f"{label} › body", block=True),
                          f.data.location)


def figure(item, i: int, where: Location, problems: Problems) -> Figure:
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


def _authors(f: Fields, label: str, problems: Problems) -> list[Author]:
    authors = []
    alist = f.items("authors", "a list of authors")
    for i, a in enumerate(alist):
        af = Fields(a, f"author {i + 1}", alist.where(i), ("name",), ("affiliation", "bio"), problems)
        authors.append(Author(af.plain("name"),
                              af.text("affiliation", f"{label} › author affiliation") if af.has("affiliation") else None,
                              af.text("bio", f"{label} › author bio", block=True) if af.has("bio") else None))
    if not authors and isinstance(f.data.get("authors"), YamlList):
        problems.error(ContentError("'authors' is empty; list at least one author", f.where("authors")))
    return authors


def _licence(f: Fields, label: str, problems: Problems) -> Licence | None:
    """The licence, or None when there is none or it is marked `confirmed: false` (kept in the YAML
    for the editors, printed nowhere: not in the editions, their metadata or the deposit)."""
    if not f.has("licence"):
        return None
    lf = Fields(f.data["licence"], "licence", f.where("licence"), ("name",), ("url", "confirmed"), problems)
    confirmed = lf.data.get("confirmed", True)
    if not isinstance(confirmed, bool):
        problems.error(ContentError(f"'confirmed' in licence must be true or false, got {value_kind(confirmed)}",
                                    lf.where("confirmed")))
        return None
    name = lf.text("name", f"{label} › licence")
    if not confirmed:
        return None
    if not lf.has("url"):
        problems.error(ContentError("a confirmed licence needs its 'url'; add it, or mark the licence 'confirmed: false'",
                                    f.where("licence")))
        return None
    return Licence(name, lf.url("url"))


def _about(f: Fields, label: str, problems: Problems) -> list[About]:
    out = []
    if f.has("about"):
        alist = f.items("about", "a list of notes, each with an id, a title and a text")
        for i, a in enumerate(alist):
            af = Fields(a, f"about note {i + 1}", alist.where(i), ("id", "title", "text"), problems=problems)
            out.append(About(af.plain("id", ID, " (letters, digits and '-', e.g. about-fast)"),
                             af.text("title", f"{label} › about › title"), af.text("text", f"{label} › about › text", block=True)))
    return out


def meta(f: Fields, label: str, problems: Problems) -> Meta:
    authors = _authors(f, label, problems)
    keywords = []
    if f.has("keywords"):
        klist = f.items("keywords")
        for i, k in enumerate(klist):
            if not isinstance(k, str):
                problems.error(ContentError(f"keyword {i + 1} must be text, got {value_kind(k)}", klist.where(i)))
            keywords.append(Text(str(k), klist.where(i), where=f"{label} › keyword"))
    licence = _licence(f, label, problems)
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
        output=f.plain("output", OUTPUT, " (use letters, digits, '_', '-', no extension)"),
        subtitle=optional("subtitle", "subtitle"),
        record=record(f.data["record"], f.where("record"), problems) if f.has("record") else {},
        output_location=f.where("output"),
        edition_note=block("edition_note", "edition note"), disclaimer=block("disclaimer", "disclaimer"),
        acknowledgements=block("acknowledgements", "acknowledgements"), about=_about(f, label, problems),
    )


def record(data, where: Location, problems: Problems) -> dict:
    f = Fields(data, "record", where, ("identifier", "type", "subtype"), ("url",), problems)
    out = {k: f.plain(k) for k in ("identifier", "type", "subtype")}
    if f.has("url"):
        out["url"] = f.url("url")
    return out
