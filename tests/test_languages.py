"""All six UN languages by configuration: a sample project in English, Spanish, French, Russian,
Arabic (right to left) and Chinese, its catalogs filled from the SAMPLE translations in
tests/samples/six/ (tests/six.py), built and checked like the real one."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from html import unescape
from pathlib import Path

import pikepdf
import pytest

from conftest import cli
from htmltree import parse_html
from six import LANGUAGES, make_six
from test_site import VNU, axe, require

ALL = ("en", *LANGUAGES)
NATIVE = {"en": "English", "es": "Español", "fr": "Français", "ru": "Русский", "ar": "العربية", "zh": "中文"}
DATES = {"en": "March 14, 2024", "es": "14 de marzo de 2024", "fr": "14 mars 2024", "ru": "14 марта 2024\u202fг.",
         "ar": "14 مارس 2024", "zh": "2024年3月14日"}
TITLES = {"es": "Un informe de ejemplo sobre inclusión financiera", "fr": "Une note d’exemple sur l’inclusion financière",
          "ru": "Пример аналитической записки", "ar": "الشمول", "zh": "关于普惠金融的示例简报"}
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u200e\u200f"))


@pytest.fixture(scope="module")
def six(tmp_path_factory) -> Path:
    """The six-language sample, built (not --strict: a template label the samples lack falls back
    to English; test_check_is_clean lists it)."""
    root = make_six(tmp_path_factory.mktemp("six") / "proj")
    result = cli(root, "build")
    assert result.exit_code == 0, result.output
    return root


def page(root: Path, lang: str):
    return parse_html((root / f"dist/site/{lang}/brief/index.html").read_text(encoding="utf-8"))


def pdf(root: Path, lang: str) -> Path:
    return root / "dist/pdf" / ("sample_brief.pdf" if lang == "en" else f"sample_brief_{lang}.pdf")


def test_pages_have_language_direction_and_native_names(six):
    for lang in ALL:
        tree = page(six, lang)
        html = tree.find("html")
        assert html.attrs["lang"] == lang and html.attrs["dir"] == ("rtl" if lang == "ar" else "ltr")
        assert DATES[lang] in tree.find("time").text()
        links = {a.attrs["lang"]: a for a in tree.find("nav", class_="language-switcher").findall("a")}
        assert {k: a.text() for k, a in links.items()} == NATIVE
        assert {k: a.attrs["dir"] for k, a in links.items()} == {k: "rtl" if k == "ar" else "ltr" for k in ALL}
        hreflangs = {link.attrs["hreflang"] for link in tree.findall("link", rel="alternate")}
        assert hreflangs == {*ALL, "x-default"}
        stylesheets = [link.attrs["href"] for link in tree.findall("link", rel="stylesheet")]
        assert stylesheets == ["../../screen.css", f"../../fonts-{lang}.css"]
    index = parse_html((six / "dist/site/index.html").read_text(encoding="utf-8"))
    editions = {a.attrs["lang"]: a.attrs["dir"] for a in index.findall("article", class_="edition")}
    assert editions == {k: "rtl" if k == "ar" else "ltr" for k in ALL}


def test_names_urls_and_lists_are_isolated_in_right_to_left_text(six):
    html = (six / "dist/site/ar/brief/index.html").read_text(encoding="utf-8")
    assert '<p class="authors"><bdi dir="ltr">Janina Pescinski</bdi> و<bdi dir="ltr">Leona Vaughn</bdi></p>' in html
    assert '<bdi dir="ltr">https://creativecommons.org/licenses/by/4.0/</bdi>' in html  # the licence's address
    assert re.search(r'<a href="https://www\.walkfree\.org/global-slavery-index/" dir="ltr">', html)  # an autolink
    assert '<bdi dir="ltr">Briefgen test suite (sample)</bdi>' in html
    zh = (six / "dist/site/zh/brief/index.html").read_text(encoding="utf-8")
    assert "现代奴役、金融" in zh  # keywords joined as CLDR joins a Chinese list


def test_each_language_gets_its_scripts_fonts_and_typography(six):
    site = six / "dist/site"
    ar, zh, en = ((site / f"fonts-{lang}.css").read_text(encoding="utf-8") for lang in ("ar", "zh", "en"))
    assert '"Script Serif"' in ar and "fonts/amiri/amiri-arabic-400-normal.woff2" in ar and "unicode-range" in ar
    assert ":lang(ar) { letter-spacing: normal !important; }" in ar and ":lang(ar) { hyphens: none; }" in ar
    assert '"Script Sans"' in zh and zh.count("fonts/noto-sans-sc/") == 2 * 97  # two script faces, 97 slices
    assert ":lang(zh) { line-break: strict;" in zh
    assert "Script" not in en and ':lang(ar) { font-family: "Amiri", "IBM Plex Sans Arabic"' in en  # names in the switcher
    for css in (ar, zh, en, (site / "fonts.css").read_text(encoding="utf-8")):
        for url in re.findall(r'url\("([^"]+)"\)', css):
            assert (site / url).is_file(), url
    assert not list((site / "fonts").glob("*/*.ttf")) and not (site / "fonts/print").exists()


def test_an_english_and_spanish_project_loads_no_other_script(real_project):
    """The real project configures fonts for Arabic and Chinese but publishes English and Spanish:
    its pages declare and its site copies no font of another script."""
    site = real_project / "dist/site"
    for lang in ("en", "es"):
        assert "@font-face" not in (site / f"fonts-{lang}.css").read_text(encoding="utf-8")
    assert sorted(p.name for p in (site / "fonts").iterdir() if p.is_dir()) == []


def test_web_pages_show_no_character_their_fonts_lack(six):
    """Every character a page shows is in a font its stylesheets load: a browser never reaches for
    a font of the machine (the PDFs are checked by the build itself)."""
    from fontTools.ttLib import TTFont

    from briefgen.fonts import parse_faces

    site = six / "dist/site"
    cmaps: dict = {}

    def drawn(face) -> set[int]:  # what a browser draws with a face: its font's characters in its range
        if face.src not in cmaps:
            cmap = set(TTFont(site / face.src, lazy=True).getBestCmap())
            cmaps[face.src] = cmap & face.codepoints() if face.ranges else cmap
        return cmaps[face.src]

    base = parse_faces((site / "fonts.css").read_text(encoding="utf-8"))
    for path in sorted(site.rglob("*.html")):
        lang = parse_html(path.read_text(encoding="utf-8")).find("html").attrs["lang"]
        faces = parse_faces((site / f"fonts-{lang}.css").read_text(encoding="utf-8"))
        fonts = set().union(*(drawn(face) for face in [*base, *faces]))
        html = path.read_text(encoding="utf-8").split("<body", 1)[1]
        text = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S)))
        missing = {c for c in text if not c.isspace() and c.isprintable() and ord(c) not in fonts
                   and unicodedata.category(c) != "Cf" and not 0xFE00 <= ord(c) <= 0xFE0F}  # not drawn
        assert not missing, (path.relative_to(site), sorted(missing))


def test_pdfs_have_language_extractable_text_and_only_shipped_fonts(six):
    from io import BytesIO

    from fontTools.ttLib import TTFont

    shipped = {"Source Serif 4", "Source Sans 3", "Amiri", "IBM Plex Sans Arabic", "Noto Sans SC"}
    for lang in ALL:
        with pikepdf.open(pdf(six, lang)) as doc:
            assert str(doc.Root.Lang) == lang and "/StructTreeRoot" in doc.Root
            families = set()
            for p in doc.pages:
                for font in p.Resources.Font.values():
                    descriptor = font.DescendantFonts[0].FontDescriptor
                    name = TTFont(BytesIO(descriptor.FontFile2.read_bytes()))["name"].getDebugName(1)
                    families.add(next((f for f in shipped if name.startswith(f)), name))
            assert families <= shipped, (lang, families)  # the embedded programs are the vendored fonts
        fonts = subprocess.run(["pdffonts", str(pdf(six, lang))], capture_output=True, text=True, check=True).stdout
        rows = [line.split() for line in fonts.splitlines()[2:]]
        assert rows and all(re.match(r"[A-Z]{6}\+(Source-Serif-4|Source-Sans-3|Script-Serif|Script-Sans)", r[0]) for r in rows), fonts
        assert all("yes" == r[-5] for r in rows)  # embedded
        text = subprocess.run(["pdftotext", str(pdf(six, lang)), "-"], capture_output=True, text=True,
                              check=True).stdout.translate(BIDI_CONTROLS)
        assert "Janina Pescinski" in text and DATES[lang].split()[0] in text
        if lang != "en":
            assert TITLES[lang] in text
    assert "١" in subprocess.run(["pdftotext", str(pdf(six, "ar")), "-"], capture_output=True, text=True).stdout


def test_arabic_pdf_text_extracts_as_arabic(six):
    """The Arabic fonts draw each letter form as one glyph (the Noto Arabic fonts draw dots as marks
    shared by several letters, which a PDF's text layer cannot map back): body words come back."""
    text = subprocess.run(["pdftotext", str(pdf(six, "ar")), "-"], capture_output=True, text=True,
                          check=True).stdout.translate(BIDI_CONTROLS)
    words = "كثيرًا ما يفتقر الناجون من العبودية الحديثة إلى حساب مصرفي".split()
    found = [w for w in words if w in text.split()]
    assert len(found) >= len(words) - 2, found


def test_independent_pdfua_checker_finds_no_error_in_any_language(six):
    """pdfua (PyPI) on every edition: no error in any script, and a script adds no warning to what
    the design gives English."""
    exe = str(Path(sys.executable).parent / "pdfua")
    findings = {}
    for lang in ALL:
        out = subprocess.run([exe, "check", "--format", "json", str(pdf(six, lang))], capture_output=True, text=True)
        assert out.returncode in (0, 1, 2, 3), out.stderr
        findings[lang] = {(f["rule_id"], f["severity"]) for f in json.loads(out.stdout)["findings"]}
    for lang in ALL:
        assert not {rule for rule, severity in findings[lang] if severity == "error"}, (lang, findings[lang])
    for lang in LANGUAGES:
        assert findings[lang] <= findings["en"], (lang, findings[lang] - findings["en"])


def test_check_is_clean(six):
    """Every unit and label translated, numbers equal whatever digits a script writes them in
    (the Arabic sample writes ٤٩٫١٪ for 49.1%), the same outline, tables and notes in every page
    and PDF."""
    result = cli(six, "check")
    assert result.exit_code == 0, result.output
    assert "BG5" not in result.output and "BG201" not in result.output


def test_axe_finds_no_violations_in_any_language(six, tmp_path):
    reports = axe([(six / f"dist/site/{lang}/brief/index.html").as_uri() for lang in ALL], tmp_path)
    assert {r["url"]: [v["id"] for v in r["violations"]] for r in reports if r["violations"]} == {}
    assert all(r["passes"] for r in reports)


def test_nu_html_checker_finds_no_errors_in_any_language(six):
    require(VNU, "java")
    pages = [str(p) for p in sorted((six / "dist/site").rglob("*.html"))]
    result = subprocess.run(["java", "-XX:-UsePerfData", "-jar", str(VNU), "--errors-only", "--format", "json", *pages],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr)["messages"]
    assert [m for m in messages if m["type"] == "error"] == [], messages[:5]


def test_arabic_plural_forms_come_from_the_catalog_header(six):
    """Arabic has six plural forms; the templates' plural label picks the one the header's rule gives."""
    from briefgen.pofile import read_po
    from briefgen.render import CatalogTranslations

    po = read_po(six / "locales/ar/LC_MESSAGES/messages.po")
    assert po.plural_rule().nplurals == 6
    t = CatalogTranslations(po)
    assert [t.npgettext("finding", "Source:", "Sources:", n) for n in (0, 1, 2, 3, 11, 100)] == [
        "المصادر:", "المصدر:", "المصدران:", "المصادر:", "المصادر:", "المصادر:"]
    assert '<span class="label">المصدر:</span>' in (six / "dist/site/ar/brief/index.html").read_text(encoding="utf-8")
    zh = read_po(six / "locales/zh/LC_MESSAGES/messages.po")
    assert zh.plural_rule().nplurals == 1 and CatalogTranslations(zh).npgettext("finding", "Source:", "Sources:", 5) == "来源："


def test_a_label_is_punctuated_as_its_language_does_everywhere(six):
    """The finding's sources label carries its own punctuation, as the tables' does: French puts a
    narrow no-break space before the colon, Chinese a full-width colon (a template that added ":"
    gave "Source:" beside "Source :" in one French edition)."""
    for lang, label in (("fr", "Source\u202f:"), ("zh", "来源："), ("en", "Source:")):
        tree = page(six, lang)
        finding = tree.find("p", class_="finding-sources").find("span", class_="label").text()
        figure = tree.find("p", class_="figure-source").find("span", class_="label").text()
        assert finding == figure == label, (lang, finding, figure)


def test_the_arabic_chart_in_the_pdf_is_joined_text_in_logical_order(six):
    """WeasyPrint draws SVG text one letter at a time, left to right: the group label حساب came out as
    four separate letters, reversed. The print chart is HTML, shaped like the rest of the text."""
    text = subprocess.run(["pdftotext", str(pdf(six, "ar")), "-"], capture_output=True, text=True, check=True).stdout
    lines = [re.sub("[\u202a-\u202e\u2066-\u2069]", "", line).strip() for line in text.splitlines()]
    assert "حساب" in lines  # the chart's group, a line of its own, then its bars' labels and values
    after = [line for line in lines[lines.index("حساب") + 1:] if line]
    assert after[:4] == ["2018", "47.1%", "2021", "49.1%"]


def test_the_chart_is_mirrored_right_to_left(six):
    """Inline SVG (wide layout): in Arabic the group titles sit on the right, the labels' column is
    on the right and every bar ends at the axis, growing leftwards."""
    def svg(lang: str) -> str:
        html = (six / f"dist/site/{lang}/brief/index.html").read_text(encoding="utf-8")
        return re.search(r'<svg[^>]*class="chart-wide".*?</svg>', html, re.S).group(0)

    ar, en = svg("ar"), svg("en")
    assert re.search(r'<text x="640.0" y="[\d.]+" text-anchor="end" font-weight="700">', ar)
    assert re.search(r'<text x="0.0" y="[\d.]+" font-weight="700">', en)
    axis = float(re.search(r'<line x1="([\d.]+)"', ar).group(1))
    assert axis == 640 - 210 and float(re.search(r'<line x1="([\d.]+)"', en).group(1)) == 210
    bars = re.findall(r'<rect x="([\d.]+)" y="\d+" width="([\d.]+)"', ar)
    assert bars and all(abs(float(x) + float(w) - axis) < 0.2 for x, w in bars)  # bars end at the axis


def test_a_character_no_shipped_font_draws_is_a_located_build_error(six, tmp_path):
    """No fallback to the machine's fonts: text in a script no configured font covers (here Japanese
    kana in the Arabic catalog) stops the build, naming the text, the character and the font."""
    from briefgen.pofile import format_po, read_po

    root = tmp_path / "proj"
    shutil.copytree(six, root, ignore=shutil.ignore_patterns("dist", ".briefgen-cache"))
    config = root / "pyproject.toml"
    text = re.sub(r"target-languages = \[.*\]", 'target-languages = ["ar"]', config.read_text(encoding="utf-8"))
    config.write_text(re.sub(r'(?m)^(es|fr|ru|zh) = ".*"\n', "", text), encoding="utf-8")  # Arabic alone: faster
    catalog = root / "locales/ar/LC_MESSAGES/content.po"
    po = read_po(catalog)
    entry = next(e for e in po.entries if e.msgid == "No permanent address")
    entry.msgstr = "لا عنوان دائم (カナ)"
    catalog.write_text(format_po(po), encoding="utf-8")
    entry = next(e for e in read_po(catalog).entries if e.msgid == "No permanent address")
    result = cli(root, "build")
    assert result.exit_code == 2
    assert f"locales/ar/LC_MESSAGES/content.po:{entry.line}: error: ar/brief:" in result.output
    assert "'カ' (U+30AB KATAKANA LETTER KA)" in result.output and "لا عنوان دائم (カナ)" in result.output
    assert not (root / "dist").exists()


def test_script_and_direction_come_from_locale_data_not_code():
    """A new language needs configuration and a catalog: its script and direction are CLDR's."""
    from briefgen.fonts import direction, script

    assert [script(x) for x in ("ar", "fa", "ur", "he", "zh", "zh_Hant_TW", "ja", "ru", "uk", "fr", "es_MX")] == [
        "Arab", "Arab", "Arab", "Hebr", "Hans", "Hant", "Jpan", "Cyrl", "Cyrl", "Latn", "Latn"]
    assert [direction(x) for x in ("ar", "fa", "he", "ur", "en", "zh_Hans_CN", "ru")] == ["rtl"] * 4 + ["ltr"] * 3


@pytest.mark.parametrize("fonts, message", [
    ('Arab = { "Script Serif" = "Noto Naskh" }', "[tool.briefgen.fonts] Arab: 'Noto Naskh' is not a vendored family"),
    ('Arabic = { "Script Serif" = "Amiri" }', "'Arabic' is neither a script code like 'Arab'"),
    ('Arab = { "Script Serif" = "</style>" }', "expected a table of script face = family"),
])
def test_fonts_configuration_errors_are_located(tmp_path, fonts, message):
    from conftest import make_project

    root = make_project(tmp_path / "proj", targets=("es", "ar"))
    assert cli(root, "extract").exit_code == 0 and cli(root, "update").exit_code == 0
    with (root / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write(f"ar = \"ar\"\n\n[tool.briefgen.fonts]\n{fonts}\n")
    line = (root / "pyproject.toml").read_text(encoding="utf-8").splitlines().index(fonts) + 1
    result = cli(root, "build", "--no-pdf")
    assert result.exit_code == 2 and f"pyproject.toml:{line}:1: error: " in result.output and message in result.output


@pytest.mark.parametrize("source, translation", [
    ("In 2021, 49.1% of adults held an account.", "في عام ٢٠٢١، كان لدى ٤٩٫١٪ من البالغين حساب."),  # Arabic-Indic
    ("850,000 survivors in 2021", "۸۵۰٬۰۰۰ نفر در ۲۰۲۱"),  # Eastern Arabic-Indic (Persian, Urdu)
    ("In 2021, 49.1% of adults", "２０２１年，４９.１%的成年人"),  # full-width digits and comma
    ("2018, 2021 and 47.1%", "2018年、2021年和47.1%"),  # an ideographic comma between numbers
    ("49.1% in 2021", "49,1 % en 2021"),  # French, with a narrow no-break space
])
def test_parity_reads_numbers_in_every_script(source, translation):
    from briefgen.parity import numbers, parity

    assert numbers(source) == numbers(translation)
    assert not [code for code, _ in parity(source, translation) if code == "BG201"]
    assert parity("49.1% in 2021", "٤٩٫٢٪ في ٢٠٢١")[0][0] == "BG201"  # a changed digit is still caught


def test_text_a_stylesheet_sends_to_a_machine_font_is_refused(tmp_path):
    """A font-family naming no shipped family (here the browser default for <code>, monospace)
    would embed one of the machine's fonts: the build says which stylesheet to fix."""
    from conftest import make_project

    root = make_project(tmp_path / "proj")
    with (root / "content/en/brief/recs.md").open("a", encoding="utf-8") as f:
        f.write("\nRun `briefgen build` first.\n")
    result = cli(root, "build")
    assert result.exit_code == 2
    assert "templates/print.css: error: en/brief:" in result.output and "were drawn with this machine's font" in result.output
