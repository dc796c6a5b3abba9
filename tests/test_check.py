"""`briefgen check`: one test per code, each on a sample project that triggers exactly that code."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pypdf
import pytest

from briefgen.pofile import format_po, read_po
from conftest import cli, write


@pytest.fixture
def clean(translated_built, tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(translated_built, root)
    return root


def codes(root: Path, *args) -> tuple[set, dict]:
    result = cli(root, "check", "--format", "json", *args)
    data = json.loads(result.output)
    assert result.exit_code == (1 if data["summary"]["errors"] else 0)
    return {p["code"] for p in data["problems"]}, data


def edit_entry(root: Path, msgid: str, domain="content", **changes):
    path = root / f"locales/es/LC_MESSAGES/{domain}.po"
    po = read_po(path)
    for e in po.entries:
        if e.msgid == msgid:
            for k, v in changes.items():
                if k == "fuzzy":
                    e.set_fuzzy(v)
                else:
                    setattr(e, k, v)
    path.write_text(format_po(po), encoding="utf-8")
    return next(e.line for e in read_po(path).entries if e.msgid == msgid)


def replace_in(path: Path, old: str, new: str):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_clean_project_has_no_problems(clean):
    found, data = codes(clean)
    assert found == set(), data
    result = cli(clean, "check")
    assert result.exit_code == 0
    assert result.output.strip().endswith("check: 0 error(s), 0 warning(s), 0 info")


def test_number_changed_in_msgstr_is_located(clean):
    line = edit_entry(clean, "In 2021, 49.1% of adults held an account, up from 47.1% in 2018.",
                      msgstr="En 2021, el 999 % de las personas adultas tenía una cuenta, frente al 47,1 % en 2018.")
    result = cli(clean, "check")
    assert result.exit_code == 1
    assert f"locales/es/LC_MESSAGES/content.po:{line}: error BG201: numbers differ: source has 2018, 2021, 47.1, 49.1; translation has 2018, 2021, 47.1, 999" in result.output
    assert codes(clean)[0] == {"BG201"}


def test_locale_number_formats_are_equal(clean):
    edit_entry(clean, "In 2021, 49.1% of adults held an account, up from 47.1% in 2018.",
               msgstr="En 2021, el 49,1 % de las personas adultas tenía una cuenta, frente al 47,1 % en 2018.")
    assert codes(clean)[0] == set()


CASES = {
    "BG202": lambda r: edit_entry(r, "CNBV and INEGI, *ENIF 2021*", msgstr="ES CNBV e INEGI, [*ENIF 2021*](https://example.org/)"),
    "BG203": lambda r: edit_entry(r, "Survivors of modern slavery often lack a bank account.[^gsi]", msgstr="Sin cuenta."),
    "BG204": lambda r: edit_entry(r, "A short abstract about *financial inclusion* for survivors.", msgstr="Un resumen sobre inclusión financiera."),
    "BG205": lambda r: edit_entry(r, "Download the PDF (%(size)s)", domain="messages", msgstr="Descargar el PDF (%(tam)s)"),
    "BG103": lambda r: edit_entry(r, "Bring banks, regulators and shelters together.", msgstr=""),
    "BG104": lambda r: edit_entry(r, "Bring banks, regulators and shelters together.", fuzzy=True),
    "BG106": lambda r: (r / "locales/es/LC_MESSAGES/messages.po").unlink(),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_catalog_codes(clean, code):
    CASES[code](clean)
    found, data = codes(clean, "--no-rendered")
    assert found == {code}, data


def test_bg210_translator_may_allow_a_difference(clean):
    edit_entry(clean, "In 2021, 49.1% of adults held an account, up from 47.1% in 2018.",
               msgstr="En 2021, casi la mitad de las personas adultas tenía una cuenta, frente al 47,1 % en 2018.",
               translator_comments=["briefgen: allow numbers"])
    found, data = codes(clean, "--no-rendered")
    assert found == {"BG210"} and data["summary"]["errors"] == 0


def test_bg101_template_stale(clean):
    replace_in(clean / "content/en/brief/recs.md", "Three steps", "Four steps")
    assert codes(clean, "--no-rendered")[0] == {"BG101"}


def test_bg101_names_each_changed_text_where_the_author_wrote_it(clean):
    replace_in(clean / "content/en/brief/recs.md", "Three steps", "Four steps")
    out = cli(clean, "check", "--no-rendered").output
    assert ("content/en/brief/recs.md:3: error BG101: new or changed text, not yet in content.pot: "
            "'Four steps are needed, in this order.'; run `briefgen extract` then `briefgen update` "
            "(translators will see it as untranslated or fuzzy)") in out
    line = next(e.line for e in read_po(clean / "locales/content.pot").entries
                if e.msgid == "Three steps are needed, in this order.")
    assert (f"locales/content.pot:{line}: error BG101: text no longer in the sources (changed or removed): "
            "'Three steps are needed, in this order.'") in out
    assert "is stale against the sources" not in out  # the texts say it


def test_build_names_the_texts_that_fell_back(clean):
    replace_in(clean / "content/en/brief/recs.md", "Three steps", "Four steps")
    result = cli(clean, "build", "--no-pdf")
    assert result.exit_code == 0
    assert ("warning: es/brief: 1 unit(s) fell back to en:\n"
            "  content/en/brief/recs.md:3: absent: 'Four steps are needed, in this order.'") in result.output


def test_bg102_catalog_not_updated(clean):
    replace_in(clean / "content/en/brief/recs.md", "Three steps", "Four steps")
    assert cli(clean, "extract").exit_code == 0
    assert codes(clean, "--no-rendered")[0] == {"BG102"}


def test_bg105_obsolete(clean):
    replace_in(clean / "content/en/brief/intro.md", "- No permanent address\n", "")
    cli(clean, "extract"), cli(clean, "update")
    found, data = codes(clean, "--no-rendered")
    assert found == {"BG105"} and data["summary"]["errors"] == 0


def test_bg301_glossary(clean):
    write(clean / "locales/es/glossary.csv", "source,target,note\nsurvivor,sobreviviente,persona sobreviviente\n")
    edit_entry(clean, "A short abstract about *financial inclusion* for survivors.",
               msgstr="Un resumen sobre *inclusión financiera* para víctimas.")
    found, data = codes(clean, "--no-rendered")
    assert found == {"BG301"}
    assert "glossary.csv:2" in data["problems"][0]["message"]


def _override(root: Path, body: str, digest: str | None = None):
    english = root / "content/en/brief/recs.md"
    digest = digest or hashlib.sha256(english.read_bytes()).hexdigest()
    write(root / "content/es/brief/recs.md", f"---\ntranslation-of: '{digest}'\n---\n{body}")


def test_bg401_override_stale(clean):
    _override(clean, "# Recomendaciones\n\nTexto.\n", digest="0" * 64)
    found, data = codes(clean, "--no-rendered")
    assert found == {"BG401"}
    assert "content/en/brief/recs.md" in data["problems"][0]["message"]
    assert data["problems"][0]["file"] == "content/es/brief/recs.md"


def test_bg402_override_outline(clean):
    _override(clean, "# Recomendaciones\n\n## Una sección de más\n\nTexto.\n")
    assert codes(clean, "--no-rendered")[0] == {"BG402"}


def test_bg501_rendered_html(clean):
    page = clean / "dist/site/es/brief/index.html"
    text = page.read_text(encoding="utf-8")
    start = text.index("<tr>", text.index("<tbody>"))
    page.write_text(text[:start] + text[text.index("</tr>", start) + 5:], encoding="utf-8")
    found, data = codes(clean)
    assert found == {"BG501"}
    assert "table rows differ" in data["problems"][0]["message"]


def _rewrite_pdf(path: Path, extra_pages: int = 0, extra_bookmark: bool = False):
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(path))
    for _ in range(extra_pages):
        writer.add_blank_page()
    if extra_bookmark:
        writer.add_outline_item(title="Extra", page_number=0)
    with open(path, "wb") as fh:
        writer.write(fh)


def test_bg502_pdf_bookmarks(clean):
    _rewrite_pdf(clean / "dist/pdf/sample_brief_es.pdf", extra_bookmark=True)
    assert codes(clean)[0] == {"BG502"}


def test_bg503_pdf_pages(clean):
    _rewrite_pdf(clean / "dist/pdf/sample_brief_es.pdf", extra_pages=6)
    found, data = codes(clean)
    assert found == {"BG503"} and data["summary"]["errors"] == 0


def test_bg504_no_build(clean):
    shutil.rmtree(clean / "dist")
    found, data = codes(clean)
    assert found == {"BG504"} and data["summary"]["errors"] == 0


def test_review_page(clean):
    edit_entry(clean, "Bring banks, regulators and shelters together.", fuzzy=True,
               previous_msgid="Bring banks and shelters together.")
    result = cli(clean, "check", "--review", "--no-rendered")
    assert result.exit_code == 1
    from htmltree import parse_html

    page = parse_html((clean / "dist/review/es.html").read_text(encoding="utf-8"))
    rows = page.find("tbody").findall("tr")
    assert rows[0].find("td").text().strip() == "ok"
    fuzzy = page.find("tr", class_="fuzzy")
    assert "regulators" in fuzzy.find("ins").text() and "banks" in fuzzy.find("del").text()
    assert "locales/es/LC_MESSAGES/content.po:" in fuzzy.find("code").text()
    assert page.find("input", id="show-fuzzy") is not None and page.find("script") is None


def test_bad_input_exits_2(clean):
    (clean / "locales/es/LC_MESSAGES/content.po").write_text('msgid "x"\nmsgstr "y"\nmsgid oops\n', encoding="utf-8")
    result = cli(clean, "check")
    assert result.exit_code == 2
    assert "content.po:3: error: unknown or misformatted keyword" in result.output


def test_bg504_pdfs_not_compared_after_a_build_without_them(clean):
    shutil.rmtree(clean / "dist")
    assert cli(clean, "build", "--no-pdf").exit_code == 0
    found, data = codes(clean)
    assert found == {"BG504"} and data["summary"]["errors"] == 0
    [problem] = data["problems"]
    assert problem["message"] == ("PDFs not compared (es/brief): the built pages link no PDF (a build with --no-pdf?); "
                                  "run `briefgen build` to check their bookmark trees and page counts")
    assert cli(clean, "build").exit_code == 0
    assert codes(clean)[0] == set()


def test_bg504_a_missing_pdf_is_named(clean):
    (clean / "dist/pdf/sample_brief_es.pdf").unlink()
    found, data = codes(clean)
    assert found == {"BG504"}
    assert data["problems"][0]["message"].startswith("PDFs not compared (es/brief): sample_brief_es.pdf missing from dist/pdf;")
