"""The real briefing in this repository: complete, in sync, gettext-clean and stable."""
from __future__ import annotations

import shutil
import subprocess

import pypdf
import pytest

from briefgen.pofile import format_po, read_po
from conftest import REPO, copy_sources
from htmltree import parse_html

CATALOGS = sorted((REPO / "locales").rglob("*.po")) + sorted((REPO / "locales").glob("*.pot"))


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    return copy_sources(tmp_path_factory.mktemp("real-sources") / "project")


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_catalogs_are_written_as_gettext_writes_them(path):
    text = path.read_text(encoding="utf-8")
    assert format_po(read_po(path)) == text
    assert shutil.which("msgcat") and shutil.which("msgfmt"), "GNU gettext is missing (./dev test installs it)"
    assert subprocess.run(["msgcat", str(path)], capture_output=True, text=True, check=True).stdout == text
    if path.suffix == ".po":
        result = subprocess.run(["msgfmt", "-c", "--check-format", "--statistics", "-o", "/dev/null", str(path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr


def test_extract_and_update_change_nothing(real, run):
    before = {p: p.read_bytes() for p in (real / "locales").rglob("*") if p.is_file()}
    assert run(real, "extract").exit_code == 0
    assert run(real, "update").exit_code == 0
    after = {p: p.read_bytes() for p in (real / "locales").rglob("*") if p.is_file()}
    assert after == before


def test_strict_build_and_clean_check(real_project, run):
    real = real_project
    result = run(real, "check")
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    pdfs = {p.name: len(pypdf.PdfReader(p).pages) for p in (real / "dist/pdf").glob("*.pdf")}
    assert set(pdfs) == {"financial_inclusion_mexico.pdf", "financial_inclusion_mexico_spanish.pdf",
                         "financial_inclusion_mexico_concept_note.pdf", "financial_inclusion_mexico_concept_note_spanish.pdf"}
    # The published briefing has 16 pages; this edition, written from the public record with each fact
    # once (issue #16) and with chapters that run on (issue #15), has 7. The bounds catch a truncated
    # or runaway rendering, not a page target.
    assert 6 <= pdfs["financial_inclusion_mexico.pdf"] <= 16
    es = parse_html((real / "dist/site/es/briefing/index.html").read_text(encoding="utf-8"))
    assert es.find("h1").text().startswith("Desarrollo de un enfoque de alianza público-privada")
    assert es.find("span", lang="en") is None  # nothing fell back to English
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(real / "dist/pdf/financial_inclusion_mexico_spanish.pdf").pages)
    assert "14 de marzo de 2024" in text and "Aprendizajes clave" in text and "Indicador" in text
