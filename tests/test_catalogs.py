"""Spanish through gettext: extract, update (fuzzy, previous, obsolete), translate, strict, overrides."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from briefgen.pofile import format_po, read_po
from conftest import es, make_project, translate_all, write
from htmltree import parse_html
from test_build import pdf_text

HAVE_MSGFMT = shutil.which("msgfmt") is not None


@pytest.fixture
def translated(project, run):
    assert run(project, "extract").exit_code == 0
    assert run(project, "update").exit_code == 0
    for domain in ("content", "messages"):
        translate_all(project / f"locales/es/LC_MESSAGES/{domain}.po", es)
    return project


def entry(po_path: Path, msgid: str):
    return next(e for e in read_po(po_path).entries if e.msgid == msgid)


def test_extract_writes_references_comments_and_no_format_flags(project, run):
    assert run(project, "extract").exit_code == 0
    pot = read_po(project / "locales/content.pot")
    e = next(e for e in pot.entries if e.msgid.startswith("In 2021, 49.1%"))
    assert e.references == ["content/en/findings.yaml:5"]
    assert e.extracted_comments == ["Finding F1 › body › paragraph"]
    assert "python-format" not in e.flags
    cell = next(e for e in pot.entries if e.msgid == "Adults with an account")
    assert cell.extracted_comments == ["Brief › intro › table cell"]
    note = next(e for e in pot.entries if e.msgid.startswith("Walk Free"))
    assert note.extracted_comments == ["Brief › intro › footnote"]
    msgs = read_po(project / "locales/messages.pot")
    assert any(e.msgid == "Key insights" and e.references[0].startswith("templates/") for e in msgs.entries)


def test_extract_is_byte_stable(project, run):
    run(project, "extract")
    first = (project / "locales/content.pot").read_bytes()
    result = run(project, "extract")
    assert "0 template(s) changed" in result.output
    assert (project / "locales/content.pot").read_bytes() == first


@pytest.mark.skipif(not HAVE_MSGFMT, reason="gettext tools not installed")
def test_catalogs_are_gettext_clean(translated):
    for domain in ("content", "messages"):
        po = translated / f"locales/es/LC_MESSAGES/{domain}.po"
        check = subprocess.run(["msgfmt", "-c", "--check-format", "--statistics", "-o", "/dev/null", str(po)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        assert "untranslated" not in check.stderr and "fuzzy" not in check.stderr
        assert subprocess.run(["msgcat", str(po)], capture_output=True, text=True).stdout == po.read_text(encoding="utf-8")


def test_strict_spanish_build(translated, run):
    result = run(translated, "build", "--strict")
    assert result.exit_code == 0, result.output
    page = parse_html((translated / "dist/site/es/brief/index.html").read_text(encoding="utf-8"))
    assert page.find("html").attrs["lang"] == "es"
    assert page.find("h1").text() == "Un informe de ejemplo sobre inclusión financiera"
    assert page.find("h2", id="intro").text() == "Introducción"
    assert page.find("h2", id="key-insights").text() == "Ideas clave"
    assert page.find("td").text() == "Personas adultas con una cuenta"
    assert "ES Walk Free" in page.find("li", id="fn-1").text()
    assert "14 de marzo de 2024" in page.find("time").text()
    assert page.find("span", lang="en") is None
    text = pdf_text(translated / "dist/pdf/sample_brief_es.pdf")
    assert "Un informe de ejemplo sobre inclusión financiera" in text
    assert "Personas adultas con una cuenta" in text


def test_untranslated_falls_back_marked_and_strict_fails(translated, run):
    po = translated / "locales/es/LC_MESSAGES/content.po"
    text = po.read_text(encoding="utf-8").replace('msgstr "Personas adultas con una cuenta"', 'msgstr ""')
    po.write_text(text, encoding="utf-8")
    line = entry(po, "Adults with an account").line
    result = run(translated, "build", "--strict")
    assert result.exit_code == 1
    assert f"content.po:{line}: error: [es] untranslated" in result.output
    assert not (translated / "dist").exists()
    assert run(translated, "build", "--no-pdf").exit_code == 0
    page = parse_html((translated / "dist/site/es/brief/index.html").read_text(encoding="utf-8"))
    span = page.find("td").find("span")
    assert span.attrs["lang"] == "en" and span.text() == "Adults with an account"


def test_translator_work_survives_english_changes(translated, run):
    po = translated / "locales/es/LC_MESSAGES/content.po"
    old = "Bring banks, regulators and shelters together."
    po.write_text(po.read_text(encoding="utf-8").replace(f'msgstr "ES {old}"', 'msgstr "Reunir bancos, reguladores y refugios."'), encoding="utf-8")
    recs = translated / "content/en/recommendations.yaml"
    recs.write_text(recs.read_text(encoding="utf-8").replace(old, "Bring banks, regulators and shelters together early."), encoding="utf-8")
    intro = translated / "content/en/brief/intro.md"
    intro.write_text(intro.read_text(encoding="utf-8").replace("- No permanent address\n", ""), encoding="utf-8")
    assert run(translated, "extract").exit_code == 0
    assert run(translated, "update").exit_code == 0
    e = entry(po, "Bring banks, regulators and shelters together early.")
    assert e.fuzzy and e.previous_msgid == old and e.msgstr == "Reunir bancos, reguladores y refugios."
    gone = next(x for x in read_po(po).entries if x.msgid == "No permanent address")
    assert gone.obsolete and gone.msgstr == "ES No permanent address"
    text = po.read_text(encoding="utf-8")
    assert f'#| msgid "{old}"' in text and '#~ msgid "No permanent address"' in text
    before = po.read_bytes()
    result = run(translated, "update")
    assert "0 catalog(s) changed" in result.output
    assert po.read_bytes() == before
    # fuzzy entries are never used: the build falls back, strict refuses
    assert run(translated, "build", "--strict").exit_code == 1


def test_obsolete_entry_is_revived_when_english_returns(translated, run):
    po = translated / "locales/es/LC_MESSAGES/content.po"
    intro = translated / "content/en/brief/intro.md"
    original = intro.read_text(encoding="utf-8")
    intro.write_text(original.replace("- No permanent address\n", ""), encoding="utf-8")
    run(translated, "extract"), run(translated, "update")
    intro.write_text(original, encoding="utf-8")
    run(translated, "extract"), run(translated, "update")
    e = entry(po, "No permanent address")
    assert not e.obsolete and not e.fuzzy and e.msgstr == "ES No permanent address"


@pytest.mark.parametrize("msgstr, visible", [
    ("<script>alert(1)</script> hola", "<script>alert(1)</script> hola"),
    ("<b>negrita</b>", "<b>negrita</b>"),
    ("{{ 7 * 7 }} {% raw %}", "{{ 7 * 7 }} {% raw %}"),
    ("# no es un título\n\n- ni una lista", "# no es un título - ni una lista"),
])
def test_msgstr_cannot_inject_markup_or_structure(translated, run, msgstr, visible):
    po = translated / "locales/es/LC_MESSAGES/content.po"
    p = read_po(po)
    for e in p.entries:
        if e.msgid == "Three steps are needed, in this order.":
            e.msgstr = msgstr
    po.write_text(format_po(p), encoding="utf-8")
    assert run(translated, "build", "--no-pdf").exit_code == 0
    html = (translated / "dist/site/es/brief/index.html").read_text(encoding="utf-8")
    page = parse_html(html)
    para = page.findall("section", class_="doc-section")[1].find("p")
    assert " ".join(para.text().split()) == visible
    assert "<script>" not in html and "<b>" not in html
    assert page.find("ul", class_=None) is None or "ni una lista" not in page.find("ul").text()


def test_javascript_link_in_msgstr_is_refused_with_po_location(translated, run):
    po = translated / "locales/es/LC_MESSAGES/content.po"
    p = read_po(po)
    target = next(e for e in p.entries if e.msgid == "Three steps are needed, in this order.")
    target.msgstr = "Haga [clic](javascript:alert(1)) aquí."
    po.write_text(format_po(p), encoding="utf-8")
    line = entry(po, "Three steps are needed, in this order.").line
    result = run(translated, "build", "--no-pdf")
    assert result.exit_code == 2
    assert f"content.po:{line}: error: link target 'javascript:alert(1)' is not allowed" in result.output


def test_whole_file_override_is_used_and_staleness_warned(translated, run):
    english = translated / "content/en/brief/recs.md"
    digest = hashlib.sha256(english.read_bytes()).hexdigest()
    write(translated / "content/es/brief/recs.md", f"---\ntranslation-of: {digest}\n---\n# Recomendaciones escritas a mano\n\nTexto propio.\n")
    result = run(translated, "build", "--no-pdf", "--strict")
    assert result.exit_code == 0, result.output
    page = parse_html((translated / "dist/site/es/brief/index.html").read_text(encoding="utf-8"))
    assert page.find("h2", id="recs").text() == "Recomendaciones escritas a mano"
    assert "stale" not in result.output
    english.write_text(english.read_text(encoding="utf-8") + "\nA new English paragraph.\n", encoding="utf-8")
    run(translated, "extract"), run(translated, "update")
    result = run(translated, "build", "--no-pdf")
    assert "content/es/brief/recs.md: override is stale: content/en/brief/recs.md changed" in result.output


def test_third_language_is_configuration_plus_catalog(tmp_path, run):
    root = make_project(tmp_path / "proj", targets=("es", "fr"))
    assert run(root, "extract").exit_code == 0
    assert run(root, "update").exit_code == 0
    translate_all(root / "locales/fr/LC_MESSAGES/content.po", lambda s: "FR " + s)
    translate_all(root / "locales/es/LC_MESSAGES/content.po", es)
    assert run(root, "build", "--no-pdf").exit_code == 0
    page = parse_html((root / "dist/site/fr/brief/index.html").read_text(encoding="utf-8"))
    assert page.find("html").attrs["lang"] == "fr"
    assert page.find("h1").text() == "FR A sample briefing on financial inclusion"
    assert "14 mars 2024" in page.find("time").text()
    hreflangs = {l.attrs["hreflang"] for l in page.findall("link", rel="alternate")}
    assert hreflangs == {"en", "es", "fr", "x-default"}
    header = read_po(root / "locales/fr/LC_MESSAGES/content.po").header_fields()
    assert header["Language"] == "fr" and header["Plural-Forms"].startswith("nplurals=2")


def test_template_strings_are_extracted_again_when_a_template_changes(project):
    """message_entries remembers the extraction per set of templates (every build's review pages
    check them): a changed template is extracted again, and callers never share entries."""
    from briefgen.catalog import message_entries
    from briefgen.config import load_project

    p = load_project(project)
    first = message_entries(p)
    first[0].msgid = "tampered with by a caller"
    second = message_entries(p)
    assert "tampered with by a caller" not in [e.msgid for e in second]
    page = project / "templates/404.html"
    page.write_text(page.read_text(encoding="utf-8") + "{% trans %}A label added later{% endtrans %}\n", encoding="utf-8")
    third = message_entries(p)
    assert "A label added later" in [e.msgid for e in third]
    assert "A label added later" not in [e.msgid for e in second]
