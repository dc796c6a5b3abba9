"""Spanish through gettext: extract, update (fuzzy, previous, obsolete), translate, strict, overrides."""
from __future__ import annotations

import hashlib
import re
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


def plural(po_path: Path):
    """The templates' one plural entry (the finding's sources label)."""
    return next(e for e in read_po(po_path).entries if e.msgid_plural and not e.obsolete)


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
    key = next(e for e in msgs.entries if e.msgid == "Key insights")
    assert key.references[0].startswith("templates/")
    # a label's context comes from the `{# Translators: ... #}` comment before it, or from briefgen's code
    assert key.extracted_comments == ["Heading of the box with the main findings at the start of a publication."]
    notes = next(e for e in msgs.entries if e.msgid == "Notes")
    assert notes.extracted_comments == ["Heading of the footnotes at the end of a section (read aloud by screen readers)."]


def test_extract_is_byte_stable(project, run):
    run(project, "extract")
    first = (project / "locales/content.pot").read_bytes()
    result = run(project, "extract")
    assert "0 POT file(s) changed" in result.output
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
    assert not [li for li in page.findall("li") if "ni una lista" in li.text()]  # no list made of it
    assert not [h for h in page.findall("h1") + page.findall("h2") if "no es un título" in h.text()]


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
    """A changed template is extracted again, and callers never share entries (a cache of the
    extraction, should one come back, must keep both true)."""
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


@pytest.mark.skipif(shutil.which("msginit") is None, reason="gettext tools not installed")
def test_new_catalogs_get_the_plural_rule_msginit_gives(tmp_path):
    """The rule of a new catalog is gettext's, whatever CLDR version Babel carries (Babel 2.17+
    gives Spanish and French a third form that msginit, PO editors and existing catalogs lack)."""
    from briefgen.plurals import GETTEXT_RULES, default_plural_forms

    pot = tmp_path / "x.pot"
    pot.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n', encoding="utf-8")
    for lang in sorted(GETTEXT_RULES):
        out = tmp_path / f"{lang}.po"
        subprocess.run(["msginit", "--no-translator", "-l", lang, "-i", str(pot), "-o", str(out)],
                       check=True, capture_output=True, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        assert read_po(out).header_fields()["Plural-Forms"] == default_plural_forms(lang), lang
    assert default_plural_forms("es_MX") == default_plural_forms("es-MX") == "nplurals=2; plural=(n != 1);"
    assert default_plural_forms("pt-BR") == "nplurals=2; plural=(n > 1);"
    for lang in ("es", "fr", "it", "pt", "ca"):  # CLDR 46 (Babel 2.17+) gives these a third form for millions
        assert default_plural_forms(lang).startswith("nplurals=2;"), lang
    assert default_plural_forms("pt-br") == default_plural_forms("pt_BR")
    assert default_plural_forms("ar").startswith("nplurals=6;")  # not in msginit's table: Babel's CLDR rule
    assert default_plural_forms("xx-unknown") == "nplurals=2; plural=(n != 1);"


def _set_plural_forms(po_path: Path, value: str) -> None:
    po = read_po(po_path)
    po.set_header_field("Plural-Forms", value)
    po_path.write_text(format_po(po), encoding="utf-8")


def test_plural_forms_follow_the_catalog_header(translated, run):
    """A translator who sets a three-form rule gets a third form from `update` (nothing else
    changes), `check` asks for it until then, and the build picks the form the rule names."""
    findings = translated / "content/en/findings.yaml"
    findings.write_text(findings.read_text(encoding="utf-8") + "      - text: Walk Free, *Global Slavery Index*\n"
                        "      - text: World Bank, *Global Findex 2021*\n", encoding="utf-8")
    assert run(translated, "extract").exit_code == 0 and run(translated, "update").exit_code == 0
    translate_all(translated / "locales/es/LC_MESSAGES/content.po", es)
    messages = translated / "locales/es/LC_MESSAGES/messages.po"
    _set_plural_forms(messages, "nplurals=3; plural=n==1 ? 0 : n==2 ? 1 : 2;")
    source = plural(messages)
    assert source.msgstr_plural == {0: "ES Source:", 1: "ES Sources:"}

    result = run(translated, "check", "--no-rendered")
    assert result.exit_code == 1
    assert (f"locales/es/LC_MESSAGES/messages.po:{source.line}: error BG107: plural entry 'Source:': the header's "
            "Plural-Forms says nplurals=3; the entry lacks msgstr[2] (run `briefgen update` to add the missing forms)") in result.output
    assert run(translated, "build", "--no-pdf").exit_code == 0  # until then, the two forms are not used: English
    assert '<span class="label">Sources:</span>' in (translated / "dist/site/es/brief/index.html").read_text(encoding="utf-8")

    before = messages.read_text(encoding="utf-8")
    assert run(translated, "update").exit_code == 0
    assert plural(messages).msgstr_plural == {0: "ES Source:", 1: "ES Sources:", 2: ""}
    assert before.replace('msgstr[1] "ES Sources:"\n', 'msgstr[1] "ES Sources:"\nmsgstr[2] ""\n') == messages.read_text(encoding="utf-8")

    po = read_po(messages)
    next(e for e in po.entries if e.msgid_plural).msgstr_plural[2] = "Fuentes, tres o más:"
    messages.write_text(format_po(po), encoding="utf-8")
    assert "BG107" not in run(translated, "check", "--no-rendered").output
    assert run(translated, "build", "--no-pdf").exit_code == 0
    page = (translated / "dist/site/es/brief/index.html").read_text(encoding="utf-8")
    assert '<span class="label">Fuentes, tres o más:</span>' in page  # 3 sources: form 2 (n != 1 would give form 1)


def test_a_surplus_plural_form_is_kept_and_reported(translated, run):
    messages = translated / "locales/es/LC_MESSAGES/messages.po"
    po = read_po(messages)
    next(e for e in po.entries if e.msgid_plural).msgstr_plural[2] = "Fuentes (un millón)"
    messages.write_text(format_po(po), encoding="utf-8")
    assert run(translated, "update").exit_code == 0
    assert plural(messages).msgstr_plural[2] == "Fuentes (un millón)"  # a translator's text is never dropped
    result = run(translated, "check", "--no-rendered")
    assert ("BG107: plural entry 'Source:': the header's Plural-Forms says nplurals=2; the entry has msgstr[2] beyond them "
            "(delete it, or correct the Plural-Forms header)") in result.output


@pytest.mark.parametrize("value", ["nplurals=two; plural=(n != 1);", "nplurals=2; plural=(n !=);", "nplurals=2;",
                                   "nplurals=2; plural=n%3;"])
def test_an_unusable_plural_forms_header_is_a_located_error(translated, run, value):
    messages = translated / "locales/es/LC_MESSAGES/messages.po"
    _set_plural_forms(messages, value)
    line = next(i for i, t in enumerate(messages.read_text(encoding="utf-8").splitlines(), 1) if t.startswith('"Plural-Forms:'))
    before = messages.read_bytes()
    result = run(translated, "check", "--no-rendered")
    assert result.exit_code == 1 and f"locales/es/LC_MESSAGES/messages.po:{line}: error BG107: Plural-Forms" in result.output
    for command in (("update",), ("build", "--no-pdf")):
        result = run(translated, *command)
        assert result.exit_code == 2, result.output
        assert f"messages.po:{line}" in result.output and "Plural forms" in result.output
        assert "Traceback" not in result.output
    assert messages.read_bytes() == before


def test_a_one_form_language_and_plurals_with_context(tmp_path, run):
    """Japanese has one form: `update` gives its plural entries msgstr[0] only, and the build uses it
    for every count. npgettext's context keeps two entries with the same English apart."""
    root = make_project(tmp_path / "proj", targets=("es", "ja"))
    base = root / "templates/base.html"
    text = base.read_text(encoding="utf-8")
    assert "</body>" in text
    base.write_text(text.replace("</body>", '<p id="tally">{{ npgettext("tally", "Source:", "Sources:", 3) }}</p>\n</body>', 1),
                    encoding="utf-8")
    assert run(root, "extract").exit_code == 0 and run(root, "update").exit_code == 0
    messages = root / "locales/ja/LC_MESSAGES/messages.po"
    po = read_po(messages)
    assert po.header_fields()["Plural-Forms"] == "nplurals=1; plural=0;"
    finding = next(e for e in po.entries if e.msgid == "Source:" and e.msgctxt == "finding")
    tally = next(e for e in po.entries if e.msgid == "Source:" and e.msgctxt == "tally")
    assert finding.msgstr_plural == tally.msgstr_plural == {0: ""}
    finding.msgstr_plural[0], tally.msgstr_plural[0] = "出典：", "件の出典："
    messages.write_text(format_po(po), encoding="utf-8")
    assert run(root, "build", "--no-pdf").exit_code == 0
    page = (root / "dist/site/ja/brief/index.html").read_text(encoding="utf-8")
    assert '<span class="label">出典：</span>' in page  # one source: form 0
    assert '<p id="tally">件の出典：</p>' in page  # three, with the context's own translation
    english = (root / "dist/site/en/brief/index.html").read_text(encoding="utf-8")
    assert '<p id="tally">Sources:</p>' in english and '<span class="label">Source:</span>' in english


def test_a_plural_count_that_is_no_whole_number_is_a_located_error(translated, run):
    macros = translated / "templates/_macros.html"
    text = macros.read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if 'npgettext("finding", "Source:", "Sources:", f.sources|length)' in t)
    macros.write_text(text.replace("f.sources|length)", "f.sources|length / 2)"), encoding="utf-8")
    result = run(translated, "build", "--no-pdf")
    assert result.exit_code == 2
    assert f"templates/_macros.html:{line}: error: a plural needs a whole number as its count, not 0.5" in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_plural_rule_of_a_header(tmp_path):
    from briefgen.plurals import parse_plural_forms

    french = parse_plural_forms("nplurals=2; plural=(n > 1);")
    assert [french.form(n) for n in (0, 1, 2, 1_000_000)] == [0, 0, 1, 1]
    polish = parse_plural_forms("nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);")
    assert [polish.form(n) for n in (1, 2, 5, 12, 22, 25)] == [0, 1, 2, 2, 1, 2]
    assert polish.form(3.0) == 1
    with pytest.raises(TypeError):
        polish.form(2.5)
    po = tmp_path / "x.po"
    po.write_text('# a comment\n' * 70 + 'msgid ""\nmsgstr ""\n"Language: fr\\n"\n  "Plural-Forms : nplurals=2; plural=n>1;\\n"\n',
                  encoding="utf-8")
    assert read_po(po).header_line("Plural-Forms") == 74
    assert read_po(po).plural_rule().form(0) == 0
    po.write_text('msgid ""\nmsgstr ""\n"Language: de\\n"\n', encoding="utf-8")
    assert [read_po(po).plural_rule().form(n) for n in (0, 1, 2)] == [1, 0, 1]  # no header: gettext's n != 1


def test_strict_also_refuses_untranslated_template_labels(translated, run):
    """--strict fails wherever a page would show English: the templates' labels too."""
    messages = translated / "locales/es/LC_MESSAGES/messages.po"
    po = read_po(messages)
    key = next(e for e in po.entries if e.msgid == "Key insights")
    key.msgstr = ""
    source = next(e for e in po.entries if e.msgid_plural)
    source.set_fuzzy(True)
    messages.write_text(format_po(po), encoding="utf-8")
    key, source = entry(messages, "Key insights"), plural(messages)  # their lines, as written
    result = run(translated, "build", "--strict")
    assert result.exit_code == 1
    assert f"\nlocales/es/LC_MESSAGES/messages.po:{key.line}: error: [es] untranslated (template label): 'Key insights'" in result.output
    assert f"messages.po:{source.line}: error: [es] fuzzy (template label): 'Source:'" in result.output
    assert not (translated / "dist").exists()
    page = translated / "templates/base.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>{{ _('A new label') }}</p>\n</body>", 1), encoding="utf-8")
    line = next(i for i, t in enumerate(page.read_text(encoding="utf-8").splitlines(), 1) if "A new label" in t)
    result = run(translated, "build", "--strict")
    assert (f"\ntemplates/base.html:{line}: error: [es] absent (run `briefgen extract`, then `briefgen update`) "
            "(template label): 'A new label'") in result.output
    messages.unlink()
    result = run(translated, "build", "--strict")
    assert "\nlocales/es/LC_MESSAGES/messages.po: error: [es] no catalog for the templates' labels; run `briefgen update`" in result.output


def test_a_label_translation_is_text_never_markup(translated, run):
    """Jinja2's newstyle gettext treats a msgstr as markup; briefgen escapes it, so HTML a
    translator writes in messages.po is shown as written and cannot reach the page as code."""
    messages = translated / "locales/es/LC_MESSAGES/messages.po"
    po = read_po(messages)
    next(e for e in po.entries if e.msgid == "Key insights").msgstr = 'Ideas <script>alert("x")</script> & <b>clave</b>'
    size = next(e for e in po.entries if e.msgid == "Download the PDF (%(size)s)")
    size.msgstr = "Descargar <i>PDF</i> (%(size)s)"
    messages.write_text(format_po(po), encoding="utf-8")
    assert run(translated, "build").exit_code == 0  # with the PDF, whose link carries the label with %(size)s
    html = (translated / "dist/site/es/brief/index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<b>clave" not in html and "<i>PDF" not in html
    assert re.search(r"Descargar &lt;i&gt;PDF&lt;/i&gt; \(\d+(,\d)? KB\)</a>", html), html[html.find("Descargar"):][:80]
    page = parse_html(html)
    assert page.find("h2", id="key-insights").text() == 'Ideas <script>alert("x")</script> & <b>clave</b>'
    assert "Ideas &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;clave&lt;/b&gt;" in html


def test_a_translator_comment_over_several_lines(project, run):
    page = project / "templates/document.html"
    text = page.read_text(encoding="utf-8")
    old = '<h2 id="contents">{{ _("Contents") }}</h2>'
    assert old in text
    page.write_text(text.replace(old, '{# Translators: Heading of the table of contents;\n   keep it short. #}' + old), encoding="utf-8")
    assert run(project, "extract").exit_code == 0 and run(project, "update").exit_code == 0
    contents = next(e for e in read_po(project / "locales/messages.pot").entries if e.msgid == "Contents")
    assert "Heading of the table of contents;" in contents.extracted_comments  # (print.html adds its own comment)
    i = contents.extracted_comments.index("Heading of the table of contents;")
    assert contents.extracted_comments[i + 1] == "keep it short."
    assert "BG101" not in run(project, "check", "--no-rendered").output  # the POT matches a fresh extraction
    assert run(project, "build", "--no-pdf").exit_code == 0


def test_strict_passes_over_labels_no_translated_page_shows(translated, run):
    """The site's 404 page and index are in the source language only: their labels need no Spanish
    for --strict (check still lists them as untranslated entries)."""
    messages = translated / "locales/es/LC_MESSAGES/messages.po"
    po = read_po(messages)
    for e in po.entries:
        if e.msgid in ("Page not found", "Publications"):
            e.msgstr = ""
    messages.write_text(format_po(po), encoding="utf-8")
    result = run(translated, "build", "--strict", "--no-pdf")
    assert result.exit_code == 0, result.output
    assert "BG103" in run(translated, "check", "--no-rendered").output


def test_extract_and_update_skip_only_when_nothing_changed(project, run):
    """A run that finds its inputs and outputs as the last one left them does nothing; any change
    to a source or a catalog makes it do the work again."""
    assert run(project, "extract").exit_code == 0 and run(project, "update").exit_code == 0
    assert "nothing changed since the last extract" in run(project, "extract").output
    assert "nothing changed since the last update" in run(project, "update").output
    recs = project / "content/en/brief/recs.md"
    recs.write_text(recs.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    assert "extract: 1 POT file(s) changed" in run(project, "extract").output
    assert 'msgid "A new paragraph."' in (project / "locales/content.pot").read_text(encoding="utf-8")
    assert "update: 1 catalog(s) changed" in run(project, "update").output
    po = project / "locales/es/LC_MESSAGES/content.po"
    assert 'msgid "A new paragraph."' in po.read_text(encoding="utf-8")
    po.write_text(po.read_text(encoding="utf-8").replace('msgid "A new paragraph."\nmsgstr ""',
                                                         'msgid "A new paragraph."\nmsgstr "Un párrafo nuevo."'),
                  encoding="utf-8")  # a translator's edit: update runs again (and keeps it)
    assert "nothing changed" not in run(project, "update").output
    assert 'msgstr "Un párrafo nuevo."' in po.read_text(encoding="utf-8")
