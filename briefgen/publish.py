"""Publish stage: a validated, reproducible deposit package for the repository record (BagIt).

Gate first (nothing is written when the languages are out of sync), then a strict archival
build, then the package: both PDFs under their record file names, MODS, oai_dc and DataCite
metadata, the repository form's fields (record.json, RECORD.md) and citations, all inside a
BagIt bag whose bytes depend only on the sources and SOURCE_DATE_EPOCH.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import shutil
from pathlib import Path

from . import __version__
from .citation import apa, bibtex, csl_item, csl_json, ris
from .config import Project, build_time
from .errors import BuildError, ContentError, Location
from .records import EditionRecord, datacite_dict, dc_xml, mods_xml, record_fields, record_markdown
from .verify import validate_mods, verify  # noqa: F401  (validate_mods: the tests' and callers' name)
from .writer import Staging

class PublishRefused(BuildError):
    """The languages are out of sync or a check failed: nothing is published (exit 1)."""

    exit_code = 1


def _stamp(date: _dt.date) -> _dt.datetime:
    return build_time(date)


def _record_document(project: Project, editions):
    for ed in editions:
        if ed.lang == project.source_language and ed.doc.meta.record:
            return ed.doc.name
    raise ContentError("no document has a `record:` block (identifier, type, subtype) in its document.yaml; "
                       "add one to the document that is deposited", Location(project.language_dir(project.source_language)))


def gate(project: Project, rendered: bool) -> None:
    """Refuse (exit 1) when any unit lacks a translation or any check reports an error."""
    from .check import strict_problems
    from .pipeline import gather

    gathered = gather(project, strict=False)
    if not rendered:
        problems = strict_problems(project, gathered.editions, gathered.messages)
        if problems:
            raise PublishRefused("publish refused: the languages are out of sync; nothing was written:\n" + "\n".join(problems))
    from .check import run_checks

    report = run_checks(project, rendered=rendered, sources=gathered.sources)
    if report.exit_code:
        errors = [p.format() for p in report.problems if p.severity == "error"]
        raise PublishRefused("publish refused: `briefgen check` found errors; nothing was written:\n" + "\n".join(errors))


def publish(project: Project, progress=lambda m: None) -> Path:
    """Check, build the archival PDFs, and write dist/deposit/<slug>/ as a validated bag."""
    from .pipeline import build, gather

    gate(project, rendered=False)
    progress("build (strict, pdf/a-3u)")
    build(project, strict=True, pdf_variant="pdf/a-3u", progress=progress)
    gate(project, rendered=True)
    editions = gather(project, strict=False).editions
    name = _record_document(project, editions)
    chosen = [ed for ed in editions if ed.doc.name == name]
    source = chosen[0].doc
    record = dict(source.meta.record)
    # who deposits, and where (configuration: [tool.briefgen.deposit]); the document's publisher by default
    record["source-organization"] = project.deposit.get("source-organization", source.meta.publisher.source)
    record["repository"] = project.deposit.get("repository", "Repository")
    slug = record["identifier"].lower().replace(":", "-")
    records = [_edition_record(project, ed.doc) for ed in chosen]
    progress(f"package dist/deposit/{slug}")
    target = project.dist_dir / "deposit" / slug
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob("payload-*"):  # left by a killed publish of briefgen before 2026-12-02 (mkdtemp)
        if old != target and re.fullmatch(r"payload-[a-z0-9_]{8}", old.name):
            shutil.rmtree(old, ignore_errors=True)
    staging = Staging(target)
    try:
        _write_payload(project, staging.dir, source, record, records)  # an interrupted run's staging goes next time
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
        "Source-Organization": record["source-organization"],
        "External-Identifier": record["identifier"],
        "External-Description": records[0].title,
        "Bagging-Date": _stamp(date).date().isoformat(),
        "Bag-Software-Agent": f"briefgen {__version__}",
    }
    bagit.make_bag(str(folder), bag_info=dict(info), checksums=["sha256", "sha512"])  # it mutates the dict
