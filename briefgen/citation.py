"""Citations from one source of truth (document.yaml): CSL-JSON, APA text, BibTeX and RIS."""
from __future__ import annotations

import functools
import json
from pathlib import Path

STYLE = Path(__file__).with_name("deposit") / "apa.csl"


def csl_item(key: str, *, title: str, authors: list[str], date, publisher: str, place: str, series: str,
             lang: str, url: str | None = None, pages: int | None = None, subtype: str | None = None) -> dict:
    """One CSL-JSON item (the input of every other format)."""
    item = {
        "id": key,
        "type": "report",
        "title": title,
        "author": [{"family": n.split()[-1], "given": " ".join(n.split()[:-1])} for n in authors],
        "issued": {"date-parts": [[date.year, date.month, date.day]]},
        "publisher": publisher,
        "publisher-place": place,
        "collection-title": series,
        "language": lang,
    }
    if subtype:
        item["genre"] = subtype
    if url:
        item["URL"] = url
    if pages:
        item["number-of-pages"] = str(pages)
    return item


def apa(item: dict, locale: str, html: bool = False) -> str:
    """The suggested citation in APA 7 (citeproc-py with the vendored style).

    With html=True the text is escaped here and only the title is set in italics: citeproc's
    HTML formatter does not escape the data, and titles come from translators."""
    from html import escape

    key = (json.dumps(item, sort_keys=True, default=str), locale)
    text = _APA.get(key)
    if text is None:
        if len(_APA) > 1000:  # a long `serve` session
            _APA.clear()
        text = _APA[key] = _apa_text(item, locale)
    if not html:
        return text
    title = escape(item["title"])
    return escape(text).replace(title, f"<i>{title}</i>", 1)


_APA: dict = {}  # (item, locale) -> text: each edition cites itself in its print and screen pages


@functools.lru_cache(maxsize=16)
def _style(locale: str):
    """The parsed APA style with its locale (two XML files): one per language, not per citation."""
    from citeproc import CitationStylesStyle

    return CitationStylesStyle(str(STYLE), locale=locale.replace("_", "-"), validate=False)


def _apa_text(item: dict, locale: str) -> str:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    bib = CitationStylesBibliography(_style(locale), CiteProcJSON([item]), formatter.plain)
    bib.register(Citation([CitationItem(item["id"])]))
    text = str(bib.bibliography()[0])
    # APA in Spanish joins the last author with "y" (no comma before it); citeproc-py always
    # writes "&" for the style's and="symbol". The authors come first, so the first ", & " is theirs.
    word = _AND.get(locale.split("_")[0])
    if word and len(item.get("author", [])) > 1:
        text = text.replace(", & ", f" {word} ", 1)
    return text


_AND = {"es": "y"}


def csl_json(items: list[dict]) -> str:
    return json.dumps(items, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def bibtex(items: list[dict]) -> str:
    """@techreport entries (bibtexparser)."""
    import bibtexparser
    from bibtexparser.model import Entry, Field

    library = bibtexparser.Library()
    for item in items:
        fields = [
            Field("author", " and ".join(f"{a['family']}, {a['given']}" for a in item["author"])),
            Field("title", "{" + item["title"] + "}"),
            Field("institution", item["publisher"]),
            Field("address", item["publisher-place"]),
            Field("type", item.get("genre", "Report")),
            Field("series", item["collection-title"]),
            Field("year", str(item["issued"]["date-parts"][0][0])),
            Field("month", str(item["issued"]["date-parts"][0][1])),
            Field("language", item["language"]),
        ]
        if "URL" in item:
            fields.append(Field("url", item["URL"]))
        library.add(Entry("techreport", item["id"], fields))
    return bibtexparser.write_string(library)


def ris(items: list[dict]) -> str:
    """RIS records of type RPRT (rispy)."""
    import rispy

    entries = []
    for item in items:
        y, m, d = item["issued"]["date-parts"][0]
        entry = {
            "type_of_reference": "RPRT",
            "authors": [f"{a['family']}, {a['given']}" for a in item["author"]],
            "title": item["title"],
            "year": str(y),
            "date": f"{y:04d}/{m:02d}/{d:02d}",
            "publisher": item["publisher"],
            "place_published": item["publisher-place"],
            "secondary_title": item["collection-title"],
            "language": item["language"],
        }
        if "URL" in item:
            entry["urls"] = [item["URL"]]
        entries.append(entry)

    class PlainRis(rispy.RisWriter):
        def set_header(self, count: int) -> str:
            return ""  # rispy numbers references ("1."), which RIS readers do not expect

    return rispy.dumps(entries, implementation=PlainRis)
