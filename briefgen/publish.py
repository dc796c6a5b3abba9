"""Publish stage: a validated, reproducible deposit package for the repository record (BagIt).

Gate first (nothing is written when the languages are out of sync), then a strict archival
build, then the package: both PDFs under their record file names, MODS, oai_dc and DataCite
metadata, the repository form's fields (record.json, RECORD.md) and citations, all inside a
BagIt bag whose bytes depend only on the sources and SOURCE_DATE_EPOCH.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .check import run_checks
from .citation import apa, bibtex, csl_item, csl_json, ris
from .config import Project
from .errors import BuildError, ContentError, Location
from .verify import validate_mods, verify  # noqa: F401  (validate_mods: the tests' and callers' name)
from .writer import Staging

MODS_NS = "http://www.loc.gov/mods/v3"
XLINK_NS = "http://www.w3.org/1999/xlink"
ISO639_2 = {"en": "eng", "es": "spa", "fr": "fra", "pt": "por", "de": "ger", "ar": "ara", "zh": "chi", "ru": "rus"}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "pt": "Portuguese"}
SOURCE_ORGANIZATION = "United Nations University Centre for Policy Research (UNU-CPR)"


class PublishRefused(BuildError):
    """The languages are out of sync or a check failed: nothing is published (exit 1)."""

    exit_code = 1


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


def _stamp(date: _dt.date) -> _dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc)
    return _dt.datetime(date.year, date.month, date.day, tzinfo=_dt.timezone.utc)


def _record_document(project: Project, editions):
    for ed in editions:
        if ed.lang == project.source_language and ed.doc.meta.record:
            return ed.doc.name
    raise ContentError("no document has a `record:` block (identifier, type, subtype) in its document.yaml; "
                       "add one to the document that is deposited", Location(project.language_dir(project.source_language)))


def gate(project: Project, rendered: bool) -> None:
    """Refuse (exit 1) when any unit lacks a translation or any check reports an error."""
    from .pipeline import load_editions, strict_problems

    if not rendered:
        editions, messages = load_editions(project)
        problems = strict_problems(project, editions, messages)
        if problems:
            raise PublishRefused("publish refused: the languages are out of sync; nothing was written:\n" + "\n".join(problems))
    report = run_checks(project, rendered=rendered)
    if report.exit_code:
        errors = [p.format() for p in report.problems if p.severity == "error"]
        raise PublishRefused("publish refused: `briefgen check` found errors; nothing was written:\n" + "\n".join(errors))


def publish(project: Project, progress=lambda m: None) -> Path:
    """Check, build the archival PDFs, and write dist/deposit/<slug>/ as a validated bag."""
    from .pipeline import build, load_editions

    gate(project, rendered=False)
    progress("build (strict, pdf/a-3u)")
    build(project, strict=True, pdf_variant="pdf/a-3u", progress=progress)
    gate(project, rendered=True)
    editions, _ = load_editions(project)
    name = _record_document(project, editions)
    chosen = [ed for ed in editions if ed.doc.name == name]
    source = chosen[0].doc
    record = dict(source.meta.record)
    slug = record["identifier"].lower().replace(":", "-")
    records = [_edition_record(project, ed.doc) for ed in chosen]
    progress(f"package dist/deposit/{slug}")
    target = project.dist_dir / "deposit" / slug
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Staging(target)
    try:
        payload = Path(tempfile.mkdtemp(prefix="payload-", dir=staging.dir.parent))
        try:
            _write_payload(project, payload, source, record, records)
            for item in sorted(payload.iterdir()):
                shutil.move(str(item), staging.dir / item.name)
        finally:
            shutil.rmtree(payload, ignore_errors=True)
        _make_bag(staging.dir, record, records, source.meta.date)
        problems = verify(staging.dir)
        if problems:
            raise BuildError("the new package does not validate:\n" + "\n".join(problems), Location(target))
        staging.commit()
    except BaseException:
        staging.abort()
        raise
    return target


def _edition_record(project: Project, doc) -> EditionRecord:
    import hashlib

    import pypdf

    from .render import TextRenderer

    r = TextRenderer(project, "print", "", "")
    meta = doc.meta
    pdf = project.dist_dir / "pdf" / f"{meta.output}.pdf"
    data = pdf.read_bytes()
    pages = len(pypdf.PdfReader(pdf).pages)
    title = r.plain(meta.title)
    item = csl_item(f"{doc.name}-{doc.lang}", title=title, authors=[a.name for a in meta.authors], date=meta.date,
                    publisher=r.plain(meta.publisher), place=r.plain(meta.place), series=r.plain(meta.series),
                    lang=doc.lang, url=meta.record.get("url"), pages=pages)
    return EditionRecord(
        lang=doc.lang, title=title, subtitle=r.plain(meta.subtitle), abstract=r.plain(meta.abstract),
        keywords=[r.plain(k) for k in meta.keywords], licence=r.plain(meta.licence.name) if meta.licence else "",
        licence_url=meta.licence.url if meta.licence else None, series=r.plain(meta.series),
        publisher=r.plain(meta.publisher), place=r.plain(meta.place), file=pdf.name,
        pages=pages, size=len(data), sha256=hashlib.sha256(data).hexdigest(), csl=item,
    )


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
        part = E("part", type=f"{LANGUAGE_NAMES.get(ed.lang, ed.lang)} edition: {ed.file}")
        extent = E("extent", unit="pages")
        extent.append(E("total", str(ed.pages)))
        part.append(extent)
        root.append(part)
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
    info.append(E("recordContentSource", SOURCE_ORGANIZATION))
    info.append(E("recordIdentifier", record["identifier"]))
    root.append(info)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


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
        "alternateIdentifiers": [{"alternateIdentifier": record["identifier"], "alternateIdentifierType": "UNU Collections record"}],
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
        "sizes": [f"{ed.pages} pages ({LANGUAGE_NAMES.get(ed.lang, ed.lang)})" for ed in records],
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
            {"name": ed.file, "description": f"{LANGUAGE_NAMES.get(ed.lang, ed.lang)} edition (PDF/A-3u, tagged)",
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


def _write_payload(project: Project, out: Path, source, record: dict, records: list[EditionRecord]) -> None:
    from datacite import schema45

    for ed in records:
        shutil.copyfile(project.dist_dir / "pdf" / ed.file, out / ed.file)
    meta = out / "metadata"
    meta.mkdir()
    (meta / "mods.xml").write_bytes(mods_xml(source, record, records))
    (meta / "dc.xml").write_bytes(dc_xml(source, record, records))
    data = datacite_dict(source, record, records)
    if not schema45.validate(data):
        errors = "; ".join(e.message for e in schema45.validator.iter_errors(data))
        raise BuildError(f"DataCite metadata does not validate: {errors}", Location(project.config_file or project.root))
    (meta / "datacite.json").write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (meta / "datacite.xml").write_text(schema45.tostring(data), encoding="utf-8")
    fields = record_fields(source, record, records)
    (meta / "record.json").write_text(json.dumps(fields, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    cite = out / "citations"
    cite.mkdir()
    items = [ed.csl for ed in records]
    citations = {ed.lang: apa(ed.csl, ed.lang) for ed in records}
    (cite / "citation.json").write_text(csl_json(items), encoding="utf-8")
    (cite / "citation.bib").write_text(bibtex(items), encoding="utf-8")
    (cite / "citation.ris").write_text(ris(items), encoding="utf-8")
    (cite / "citation-apa.txt").write_text("".join(f"{t}\n" for t in citations.values()), encoding="utf-8")
    (out / "RECORD.md").write_text(record_markdown(fields, citations), encoding="utf-8")


def _make_bag(folder: Path, record: dict, records: list[EditionRecord], date: _dt.date) -> None:
    import bagit

    info = {
        "Source-Organization": SOURCE_ORGANIZATION,
        "External-Identifier": record["identifier"],
        "External-Description": records[0].title,
        "Bagging-Date": _stamp(date).date().isoformat(),
        "Bag-Software-Agent": f"briefgen {__version__}",
    }
    bagit.make_bag(str(folder), bag_info=dict(info), checksums=["sha256", "sha512"])  # it mutates the dict
