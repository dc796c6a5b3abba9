"""Repository records of a deposit: MODS, oai_dc, DataCite and the repository form's fields, made
from the editions' metadata (their schema checks: briefgen.verify)."""
from __future__ import annotations

import functools
from dataclasses import dataclass


MODS_NS = "http://www.loc.gov/mods/v3"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: ISO 639-2/B codes (MODS, DataCite) of ISO 639-1 ones: standard data, not the project's
ISO639_2 = {"en": "eng", "es": "spa", "fr": "fra", "pt": "por", "de": "ger", "ar": "ara", "zh": "chi", "ru": "rus", "it": "ita",
            "ja": "jpn", "ko": "kor", "nl": "dut", "sw": "swa", "tr": "tur", "uk": "ukr", "hi": "hin", "id": "ind"}


@functools.cache
def language_name(lang: str) -> str:
    """A language's English name (Babel's CLDR data), e.g. es -> Spanish."""
    from babel import Locale

    base = lang.split("-")[0].split("_")[0]
    return Locale("en").languages.get(base, lang)


@dataclass
class EditionRecord:
    """What the repository needs to know about one language's file."""

    lang: str
    title: str
    subtitle: str
    abstract: str
    keywords: list[str]
    licence: str
    licence_url: str | None
    series: str
    publisher: str
    place: str
    file: str
    pages: int
    size: int
    sha256: str
    csl: dict


# ----- metadata -----------------------------------------------------------------------------


def mods_xml(source, record: dict, records: list[EditionRecord]) -> bytes:
    from lxml import etree

    E = lambda tag, text=None, **attrs: _el(etree, f"{{{MODS_NS}}}{tag}", text, attrs)
    root = etree.Element(f"{{{MODS_NS}}}mods", nsmap={None: MODS_NS, "xlink": XLINK_NS}, version="3.4")
    for i, ed in enumerate(records):
        ti = E("titleInfo", lang=ISO639_2.get(ed.lang, ed.lang), **({"type": "translated"} if i else {}))
        ti.append(E("title", ed.title))
        if ed.subtitle:
            ti.append(E("subTitle", ed.subtitle))
        root.append(ti)
    for a in source.meta.authors:
        name = E("name", type="personal")
        parts = a.name.split()
        name.append(E("namePart", parts[-1], type="family"))
        name.append(E("namePart", " ".join(parts[:-1]), type="given"))
        role = E("role")
        role.append(E("roleTerm", "author", type="text", authority="marcrelator"))
        role.append(E("roleTerm", "aut", type="code", authority="marcrelator"))
        name.append(role)
        root.append(name)
    root.append(E("typeOfResource", "text"))
    root.append(E("genre", record["type"], authority="local", type="documentType"))
    root.append(E("genre", record["subtype"], authority="local", type="subType"))
    origin = E("originInfo")
    place = E("place")
    place.append(E("placeTerm", records[0].place, type="text"))
    origin.append(place)
    origin.append(E("publisher", records[0].publisher))
    origin.append(E("dateIssued", source.meta.date.isoformat(), encoding="w3cdtf", keyDate="yes"))
    root.append(origin)
    _mods_editions(E, root, records)
    series = E("relatedItem", type="series")
    sti = E("titleInfo")
    sti.append(E("title", records[0].series))
    series.append(sti)
    root.append(series)
    root.append(E("identifier", record["identifier"], type="local"))
    if record.get("url"):
        loc = E("location")
        loc.append(E("url", record["url"], usage="primary display"))
        root.append(loc)
    cond = E("accessCondition", f"{records[0].licence}" + (f" ({records[0].licence_url})" if records[0].licence_url else ""),
             type="use and reproduction")
    if records[0].licence_url:
        cond.set(f"{{{XLINK_NS}}}href", records[0].licence_url)
    root.append(cond)
    root.append(E("accessCondition", f"© {records[0].publisher} {source.meta.date.year}", type="copyright"))
    info = E("recordInfo")
    info.append(E("recordContentSource", record["source-organization"]))
    info.append(E("recordIdentifier", record["identifier"]))
    root.append(info)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _mods_editions(E, root, records: list[EditionRecord]) -> None:
    """Each language's file in MODS: language, physical description, abstract, subjects, part."""
    for ed in records:
        lang = E("language")
        lang.append(E("languageTerm", ISO639_2.get(ed.lang, ed.lang), type="code", authority="iso639-2b"))
        root.append(lang)
    for ed in records:
        phys = E("physicalDescription", lang=ISO639_2.get(ed.lang, ed.lang))
        phys.append(E("form", "electronic", authority="marcform"))
        phys.append(E("internetMediaType", "application/pdf"))
        phys.append(E("extent", f"{ed.pages} pages"))
        root.append(phys)
    for ed in records:
        root.append(E("abstract", ed.abstract, lang=ISO639_2.get(ed.lang, ed.lang)))
    for ed in records:
        subject = E("subject", lang=ISO639_2.get(ed.lang, ed.lang))
        for k in ed.keywords:
            subject.append(E("topic", k))
        root.append(subject)
    for ed in records:
        part = E("part", type=f"{language_name(ed.lang)} edition: {ed.file}")
        extent = E("extent", unit="pages")
        extent.append(E("total", str(ed.pages)))
        part.append(extent)
        root.append(part)


def _el(etree, tag, text, attrs):
    el = etree.Element(tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = str(text)
    return el


def dc_xml(source, record: dict, records: list[EditionRecord]) -> bytes:
    from lxml import etree

    OAI = "http://www.openarchives.org/OAI/2.0/oai_dc/"
    DC = "http://purl.org/dc/elements/1.1/"
    XML = "http://www.w3.org/XML/1998/namespace"
    root = etree.Element(f"{{{OAI}}}dc", nsmap={"oai_dc": OAI, "dc": DC})

    def add(tag, text, lang=None):
        el = etree.SubElement(root, f"{{{DC}}}{tag}")
        el.text = text
        if lang:
            el.set(f"{{{XML}}}lang", lang)

    for ed in records:
        add("title", ed.title, ed.lang)
    for a in source.meta.authors:
        parts = a.name.split()
        add("creator", f"{parts[-1]}, {' '.join(parts[:-1])}")
    for ed in records:
        for k in ed.keywords:
            add("subject", k, ed.lang)
    for ed in records:
        add("description", ed.abstract, ed.lang)
    add("publisher", records[0].publisher)
    add("date", source.meta.date.isoformat())
    add("type", "Text")
    add("type", f"{record['type']}: {record['subtype']}")
    add("format", "application/pdf")
    add("identifier", record["identifier"])
    if record.get("url"):
        add("identifier", record["url"])
    for ed in records:
        add("language", ISO639_2.get(ed.lang, ed.lang))
    if records[0].licence_url:
        add("rights", records[0].licence_url)
    add("rights", f"© {records[0].publisher} {source.meta.date.year}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def datacite_dict(source, record: dict, records: list[EditionRecord]) -> dict:
    """DataCite kernel 4.5. The other editions are related with IsOriginalFormOf (4.5 has no
    HasTranslation; that arrived in 4.6) and their titles are TranslatedTitle."""
    main = records[0]
    data = {
        "alternateIdentifiers": [{"alternateIdentifier": record["identifier"], "alternateIdentifierType": f"{record['repository']} record"}],
        "creators": [
            {"name": f"{a.name.split()[-1]}, {' '.join(a.name.split()[:-1])}", "nameType": "Personal",
             "givenName": " ".join(a.name.split()[:-1]), "familyName": a.name.split()[-1]}
            for a in source.meta.authors
        ],
        "titles": [{"title": main.title, "lang": main.lang}]
        + [{"title": ed.title, "lang": ed.lang, "titleType": "TranslatedTitle"} for ed in records[1:]],
        "publisher": {"name": main.publisher},
        "publicationYear": str(source.meta.date.year),
        "types": {"resourceTypeGeneral": "Report", "resourceType": record["subtype"]},
        "subjects": [{"subject": k, "lang": ed.lang} for ed in records for k in ed.keywords],
        "dates": [{"date": source.meta.date.isoformat(), "dateType": "Issued"}],
        "language": main.lang,
        "sizes": [f"{ed.pages} pages ({language_name(ed.lang)})" for ed in records],
        "formats": ["application/pdf"],
        "descriptions": [{"description": ed.abstract, "descriptionType": "Abstract", "lang": ed.lang} for ed in records],
        "schemaVersion": "http://datacite.org/schema/kernel-4",
    }
    if record.get("url"):
        data["relatedIdentifiers"] = [
            {"relatedIdentifier": f"{record['url']}#{ed.file}", "relatedIdentifierType": "URL",
             "relationType": "IsOriginalFormOf", "resourceTypeGeneral": "Report"}
            for ed in records[1:]
        ]
    if main.licence_url:
        data["rightsList"] = [{"rights": main.licence, "rightsUri": main.licence_url}]
    return data


def record_fields(source, record: dict, records: list[EditionRecord]) -> dict:
    """Every field of the repository's deposit form, in the form's words."""
    main = records[0]
    return {
        "record": record["identifier"],
        "document_type": record["type"],
        "sub_type": record["subtype"],
        "authors": [a.name for a in source.meta.authors],
        "title": main.title,
        "titles": {ed.lang: ed.title for ed in records},
        "date": source.meta.date.isoformat(),
        "place": main.place,
        "publisher": main.publisher,
        "series": main.series,
        "pages": {ed.lang: ed.pages for ed in records},
        "languages": [ISO639_2.get(ed.lang, ed.lang) for ed in records],
        "abstract": {ed.lang: ed.abstract for ed in records},
        "keywords": {ed.lang: ed.keywords for ed in records},
        "copyright_holder": main.publisher,
        "copyright_year": source.meta.date.year,
        "copyright_type": f"Creative Commons: {main.licence}" if main.licence else "",
        "licence_url": main.licence_url,
        "files": [
            {"name": ed.file, "description": f"{language_name(ed.lang)} edition (PDF/A-3u, tagged)",
             "mime_type": "application/pdf", "size": ed.size, "pages": ed.pages, "language": ed.lang, "sha256": ed.sha256}
            for ed in records
        ],
    }


def record_markdown(fields: dict, citations: dict[str, str]) -> str:
    lines = [f"# Deposit record {fields['record']}", "", "Copy these values into the repository's form.", "",
             "| field | value |", "|---|---|"]
    simple = [("Document type", fields["document_type"]), ("Sub-type", fields["sub_type"]),
              ("Authors", "; ".join(fields["authors"]))]
    simple += [(f"Title ({lang})", t) for lang, t in fields["titles"].items()]
    simple += [("Date", fields["date"]), ("Place", fields["place"]), ("Publisher", fields["publisher"]),
               ("Series", fields["series"]), ("Languages", ", ".join(fields["languages"]))]
    simple += [(f"Pages ({lang})", str(n)) for lang, n in fields["pages"].items()]
    simple += [(f"Keywords ({lang})", "; ".join(k)) for lang, k in fields["keywords"].items()]
    simple += [("Copyright holder", fields["copyright_holder"]), ("Copyright year", str(fields["copyright_year"])),
               ("Copyright type", fields["copyright_type"]), ("Licence URL", fields["licence_url"] or "")]
    pipe = "\\|"
    lines += [f"| {k} | {v.replace('|', pipe)} |" for k, v in simple]
    for lang, text in fields["abstract"].items():
        lines += ["", f"## Abstract ({lang})", "", text]
    lines += ["", "## Files", "", "| name | description | MIME type | size (bytes) | pages |", "|---|---|---|---|---|"]
    lines += [f"| {f['name']} | {f['description']} | {f['mime_type']} | {f['size']} | {f['pages']} |" for f in fields["files"]]
    lines += ["", "## Suggested citation (APA)", ""]
    lines += [f"- {lang}: {text}" for lang, text in citations.items()]
    return "\n".join(lines) + "\n"
