"""`publish --verify`: every problem of a deposit package as a line, never an exception.

A package is checked as a whole: BagIt's own files and both manifests (sha256 and sha512) present,
every checksum recomputed, the metadata valid against its schemas, and the metadata agreeing with
the PDFs. A file that cannot be read (garbage bytes with re-hashed manifests, say) is a problem line.
"""
from __future__ import annotations

import json
from pathlib import Path

from .errors import BuildError

SCHEMAS = Path(__file__).with_name("deposit") / "schemas"
ALGORITHMS = ("sha256", "sha512")
REQUIRED = ("bagit.txt", "bag-info.txt", *(f"{kind}-{alg}.txt" for kind in ("manifest", "tagmanifest") for alg in ALGORITHMS))


def validate_mods(data: bytes) -> list[str]:
    from lxml import etree

    class Local(etree.Resolver):
        MAP = {"http://www.loc.gov/mods/xml.xsd": "xml.xsd", "http://www.w3.org/2001/xml.xsd": "xml.xsd",
               "http://www.loc.gov/standards/xlink/xlink.xsd": "xlink.xsd"}

        def resolve(self, url, pubid, context):
            name = self.MAP.get(url) or Path(url).name
            path = SCHEMAS / name
            if path.is_file():
                return self.resolve_filename(str(path), context)
            raise BuildError(f"schema {url} is not vendored under briefgen/deposit/schemas/")

    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(Local())
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "mods-3-4.xsd"), parser))
    doc = etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))
    if schema.validate(doc):
        return []
    return [f"mods.xml:{e.line}: {e.message}" for e in schema.error_log]


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _bag_problems(bag_dir: Path) -> list[str]:
    import bagit

    missing = [name for name in REQUIRED if not (bag_dir / name).is_file()]
    if missing:
        return [f"{name} missing: a deposit bag carries bagit.txt, bag-info.txt and sha256 and sha512 manifests "
                "and tag manifests" for name in missing]
    try:
        bag = bagit.Bag(str(bag_dir))
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        details = "; ".join(str(d) for d in getattr(exc, "details", [])[:5])
        return [f"bag does not validate: {exc.message}" + (f" ({details})" if details else "")]
    except bagit.BagError as exc:
        return [f"not a valid bag: {exc}"]
    except Exception as exc:  # a manifest bagit cannot even parse
        return [f"not a valid bag: a manifest or bag-info.txt cannot be read ({_why(exc)})"]
    return []


def _metadata(meta: Path, problems: list[str]) -> tuple[dict | None, str | None]:
    """record.json's fields and mods.xml's text, each None (with a problem line) when unreadable."""
    from datacite import schema45

    def attempt(name: str, check):
        try:
            return check(meta / name)
        except Exception as exc:  # garbage of any kind in a file that was hashed as it is
            problems.append(f"{name}: cannot be read: {_why(exc)}")
            return None

    def datacite(path: Path) -> dict | None:
        data = json.loads(path.read_text(encoding="utf-8"))
        if schema45.validate(data):
            return data
        problems.extend(f"datacite.json: {e.message}" for e in schema45.validator.iter_errors(data))
        return None

    def datacite_xml(path: Path) -> None:
        if path.read_text(encoding="utf-8") != schema45.tostring(dc):
            problems.append("datacite.xml does not match datacite.json")

    def mods_text(path: Path) -> str:
        data = path.read_bytes()
        problems.extend(validate_mods(data))
        return data.decode("utf-8")

    mods = attempt("mods.xml", mods_text)
    dc = attempt("datacite.json", datacite)
    if dc is not None:
        attempt("datacite.xml", datacite_xml)
    fields = attempt("record.json", lambda p: json.loads(p.read_text(encoding="utf-8")))
    return fields, mods


def _pdf_pages(pdf: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(pdf).pages)


def _record_problems(data: Path, fields: dict, mods: str | None) -> list[str]:
    """record.json against the PDFs and mods.xml: languages, page counts, sizes, extents."""
    problems = []
    langs = {f["language"] for f in fields["files"]}
    if len(langs) < 2:
        problems.append(f"only {sorted(langs)} present; every language's edition must be in the package")
    for f in fields["files"]:
        pdf = data / f["name"]
        if not pdf.is_file():
            problems.append(f"{f['name']} listed in record.json but missing")
            continue
        try:
            pages = _pdf_pages(pdf)
        except Exception as exc:
            problems.append(f"{f['name']}: not a readable PDF: {_why(exc)}")
            continue
        if pages != f["pages"] or fields["pages"].get(f["language"]) != pages:
            problems.append(f"{f['name']}: metadata says {f['pages']} pages, the PDF has {pages}")
        if pdf.stat().st_size != f["size"]:
            problems.append(f"{f['name']}: metadata says {f['size']} bytes, the file has {pdf.stat().st_size}")
        if mods is not None and (f"<extent>{f['pages']} pages</extent>" not in mods or f"<total>{f['pages']}</total>" not in mods):
            problems.append(f"mods.xml: no extent of {f['pages']} pages for {f['name']}")
    return problems


def verify(bag_dir: Path) -> list[str]:
    """Every problem of a package: manifests, checksums, schemas, and metadata that disagrees with the PDFs."""
    problems = _bag_problems(bag_dir)
    if problems:
        return problems
    data = bag_dir / "data"
    fields, mods = _metadata(data / "metadata", problems)
    if fields is None:
        return problems
    try:
        problems += _record_problems(data, fields, mods)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        problems.append(f"record.json: a field is missing or malformed ({_why(exc)}); expected files[] with "
                        "name, language, pages and size, and pages by language")
    return problems
