"""`briefgen publish`: a validated, reproducible deposit package, refused when the languages drift."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import bagit
import pypdf
import pytest
from datacite import schema45

from briefgen.pofile import format_po, read_po
from briefgen.publish import validate_mods
from conftest import REPO, cli, copy_sources

SLUG = "unu-9487"


def tree_hash(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = copy_sources(tmp_path_factory.mktemp("publish") / "project")
    result = cli(root, "publish")
    assert result.exit_code == 0, result.output
    return root


def test_package_validates(published):
    bag_dir = published / "dist/deposit" / SLUG
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # full: every checksum recomputed
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["External-Identifier"] == "UNU:9487" and bag.info["Bagging-Date"] == "2024-03-14"
    data = bag_dir / "data"
    assert {p.name for p in data.glob("*.pdf")} == {"financial_inclusion_mexico.pdf", "financial_inclusion_mexico_spanish.pdf"}
    mods = (data / "metadata/mods.xml").read_bytes()
    assert validate_mods(mods) == []
    assert validate_mods(mods.replace(b"<typeOfResource>", b"<notMods/><typeOfResource>")) != []  # the validation can fail
    dc = json.loads((data / "metadata/datacite.json").read_text(encoding="utf-8"))
    assert schema45.validate(dc)
    assert dc["relatedIdentifiers"][0]["relationType"] == "IsOriginalFormOf"
    assert {t.get("titleType") for t in dc["titles"]} == {None, "TranslatedTitle"}
    record = json.loads((data / "metadata/record.json").read_text(encoding="utf-8"))
    for f in record["files"]:
        pdf = data / f["name"]
        assert f["pages"] == len(pypdf.PdfReader(pdf).pages) == record["pages"][f["language"]]
        assert f["size"] == pdf.stat().st_size and f["mime_type"] == "application/pdf"
        assert f"<extent>{f['pages']} pages</extent>" in mods.decode()
    assert record["document_type"] == "Report" and record["sub_type"] == "Research brief"
    assert record["languages"] == ["eng", "spa"] and record["copyright_year"] == 2024
    assert '<titleInfo lang="spa" type="translated">' in mods.decode()
    assert "@techreport{briefing-en," in (data / "citations/citation.bib").read_text(encoding="utf-8")
    assert (data / "citations/citation.ris").read_text(encoding="utf-8").startswith("TY  - RPRT")
    apa = (data / "citations/citation-apa.txt").read_text(encoding="utf-8").splitlines()
    assert apa[0].startswith("Pescinski, J., & Vaughn, L. (2024). Developing a Public Private Partnership")
    site = (published / "dist/site/en/briefing/index.html").read_text(encoding="utf-8")
    assert "Pescinski, J., &amp; Vaughn, L. (2024). <i>Developing a Public Private Partnership" in site  # same source
    import pikepdf

    with pikepdf.open(data / "financial_inclusion_mexico.pdf") as pdf:  # the archival variant
        assert pdf.open_metadata().get("pdfaid:part") == "3" and "/StructTreeRoot" in pdf.Root


def test_publish_twice_is_byte_identical(published, run):
    before = tree_hash(published / "dist/deposit")
    (published / f"dist/deposit/.{SLUG}.staging-0badc0de").mkdir()  # as a publish killed half-way leaves it
    assert run(published, "publish").exit_code == 0
    assert tree_hash(published / "dist/deposit") == before
    assert [p.name for p in (published / "dist/deposit").iterdir()] == [SLUG]  # nothing else, nothing left over


@pytest.mark.parametrize("domain, msgid", [("content", "Conclusion"), ("messages", "Key insights")])
def test_fuzzy_entry_refuses_and_leaves_deposit_untouched(published, run, tmp_path, domain, msgid):
    root = tmp_path / "p"
    shutil.copytree(published, root)
    before = tree_hash(root / "dist/deposit")
    po_path = root / f"locales/es/LC_MESSAGES/{domain}.po"
    po = read_po(po_path)
    entry = next(e for e in po.entries if e.msgid == msgid)
    entry.set_fuzzy(True)
    po_path.write_text(format_po(po), encoding="utf-8")
    line = next(e.line for e in read_po(po_path).entries if e.msgid == msgid)
    result = run(root, "publish")
    assert result.exit_code == 1
    assert f"publish refused: the languages are out of sync; nothing was written:\nlocales/es/LC_MESSAGES/{domain}.po:{line}: error: [es] fuzzy" in result.output
    assert tree_hash(root / "dist/deposit") == before


def test_verify_catches_tampering_and_inconsistent_metadata(published, run, tmp_path):
    bag_dir = tmp_path / "bag"
    shutil.copytree(published / "dist/deposit" / SLUG, bag_dir)
    assert run(published, "publish", "--verify", str(bag_dir)).exit_code == 0
    pdf = bag_dir / "data/financial_inclusion_mexico_spanish.pdf"
    data = bytearray(pdf.read_bytes())
    data[-10] ^= 0x01  # same size, different bytes
    pdf.write_bytes(bytes(data))
    result = run(published, "publish", "--verify", str(bag_dir))
    assert result.exit_code == 1 and "bag does not validate" in result.output
    data[-10] ^= 0x01
    pdf.write_bytes(bytes(data))
    record = bag_dir / "data/metadata/record.json"
    fields = json.loads(record.read_text(encoding="utf-8"))
    fields["files"][1]["pages"] += 1
    record.write_text(json.dumps(fields), encoding="utf-8")
    bagit.Bag(str(bag_dir)).save(manifests=True)  # checksums consistent again; the content is not
    result = run(published, "publish", "--verify", str(bag_dir))
    assert result.exit_code == 1
    assert "financial_inclusion_mexico_spanish.pdf: metadata says" in result.output


def damaged_copy(published, tmp_path, rel: str, data: bytes | None, rehash: bool = True) -> Path:
    """A copy of the deposit with one file replaced (or removed), its manifests re-hashed to match."""
    bag_dir = tmp_path / "bag"
    shutil.copytree(published / "dist/deposit" / SLUG, bag_dir)
    if data is None:
        (bag_dir / rel).unlink()
    else:
        (bag_dir / rel).write_bytes(data)
    if rehash:
        bagit.Bag(str(bag_dir)).save(manifests=True)
    return bag_dir


@pytest.mark.parametrize("rel, data, expected", [
    ("data/financial_inclusion_mexico_spanish.pdf", b"garbage, not a PDF", "financial_inclusion_mexico_spanish.pdf: "),
    ("data/financial_inclusion_mexico.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
     "financial_inclusion_mexico.pdf: "),
    ("data/metadata/mods.xml", b"<mods", "mods.xml: "),
    ("data/metadata/record.json", b"[1, 2]", "record.json: "),
    ("data/metadata/record.json", b'{"files": [{"name": 3}], "pages": 1}', "record.json: "),
    ("data/metadata/datacite.json", b"{", "datacite.json: "),
    ("data/metadata/datacite.xml", b"\xff\xfe\x00", "datacite.xml"),
])
def test_verify_reports_an_unreadable_file_as_a_problem(published, run, tmp_path, rel, data, expected):
    bag_dir = damaged_copy(published, tmp_path, rel, data)
    result = run(published, "publish", "--verify", str(bag_dir))
    assert result.exit_code == 1, result.output
    assert f"{bag_dir}: error: " in result.output and expected in result.output, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("rel", ["manifest-sha512.txt", "manifest-sha256.txt", "tagmanifest-sha512.txt",
                                 "tagmanifest-sha256.txt", "bag-info.txt", "bagit.txt"])
def test_verify_requires_every_manifest(published, run, tmp_path, rel):
    bag_dir = damaged_copy(published, tmp_path, rel, None, rehash=False)
    result = run(published, "publish", "--verify", str(bag_dir))
    assert result.exit_code == 1, result.output
    assert f"{bag_dir}: error: " in result.output and rel in result.output, result.output


def test_verify_reports_a_garbage_manifest(published, run, tmp_path):
    bag_dir = damaged_copy(published, tmp_path, "manifest-sha512.txt", b"\xff\xfe nonsense\n\x00\n", rehash=False)
    result = run(published, "publish", "--verify", str(bag_dir))
    assert result.exit_code == 1 and f"{bag_dir}: error: " in result.output, result.output
    assert "internal error" not in result.output


def test_ordinary_build_keeps_the_deposit(published, run, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(published, root)
    before = tree_hash(root / "dist/deposit")
    assert run(root, "build", "--no-pdf").exit_code == 0
    assert tree_hash(root / "dist/deposit") == before


def test_workflow_is_valid_and_uses_the_readme_commands():
    workflow = REPO / ".github/workflows/publish.yml"
    text = workflow.read_text(encoding="utf-8")
    assert "./dev test" in text and ".venv/bin/briefgen publish" in text and ".venv/bin/briefgen check" in text
    import sys

    beside = Path(sys.executable).parent / "actionlint"  # installed into the same virtual environment
    actionlint = str(beside) if beside.exists() else shutil.which("actionlint")
    if actionlint is None:
        pytest.fail("actionlint missing: `./dev test` installs it (test extra)", pytrace=False)
    import subprocess

    result = subprocess.run([actionlint, str(workflow)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
