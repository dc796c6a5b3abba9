"""Publication-grade editions (issue #15): the apparatus from YAML, house style as configuration,
numbered tables and figures, a nested table of contents, pages that are filled."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from briefgen.chart import PALETTE, PRINT_PLOT, ChartBar, ChartGroup, bar_chart, bar_rows, series_colours
from conftest import cli, make_project, translate_all
from htmltree import parse_html
from test_build import pdf_text

APPARATUS = """\
disclaimer: |
  The views expressed here are not necessarily those of the publisher.
acknowledgements: |
  The authors thank the working group.
about:
  - id: about-the-centre
    title: About the Centre
    text: |
      The Centre hosts the initiative.
"""

AUTHORS = """\
authors:
  - name: Janina Pescinski
    affiliation: A research centre
    bio: |
      Researcher on *financial inclusion*.
  - name: Leona Vaughn
"""


def apparatus_project(root, licence: str):
    root = make_project(root)
    doc = root / "content/en/brief/document.yaml"
    text = doc.read_text(encoding="utf-8")
    text = text.replace("authors:\n  - name: Janina Pescinski\n  - name: Leona Vaughn\n", AUTHORS)
    text = re.sub(r"licence:\n(  .*\n)+", licence, text) + APPARATUS
    doc.write_text(text, encoding="utf-8")
    with open(root / "content/en/brief/intro.md", "a", encoding="utf-8") as fh:
        fh.write("\n## A table\n\nTable: Accounts by year\n\n| Year | Share |\n| --- | --- |\n| 2021 | 49.1% |\n\n"
                 "Source: ENIF 2021.\n")
    return root


@pytest.fixture(scope="module")
def apparatus(tmp_path_factory):
    """The sample project with every apparatus field, an unconfirmed licence, translated and built."""
    root = apparatus_project(tmp_path_factory.mktemp("apparatus") / "proj",
                             "licence:\n  name: Creative Commons\n  confirmed: false\n")
    assert cli(root, "extract").exit_code == 0 and cli(root, "update").exit_code == 0
    for domain in ("content", "messages"):
        translate_all(root / f"locales/es/LC_MESSAGES/{domain}.po", lambda m: "ES " + m)
    result = cli(root, "build")
    assert result.exit_code == 0, result.output
    return root


def page(root, lang="en"):
    return parse_html((root / f"dist/site/{lang}/brief/index.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang, prefix", [("en", ""), ("es", "ES ")])
def test_apparatus_from_yaml_in_both_languages(apparatus, lang, prefix):
    back = page(apparatus, lang).find("section", id="about-this-publication")
    text = back.text()
    assert f"{prefix}The views expressed here are not necessarily those of the publisher." in text
    assert f"{prefix}The authors thank the working group." in text
    assert back.find("h3", id="about-the-centre").text() == f"{prefix}About the Centre"
    assert f"{prefix}The Centre hosts the initiative." in text
    assert back.find("h3", id="about-the-authors").text() == f"{prefix}About the authors"
    notes = back.findall("div", class_="author-note")
    assert len(notes) == 1  # only the author with an affiliation or a bio
    assert notes[0].text().startswith(f"Janina Pescinski, {prefix}A research centre")
    assert "financial inclusion" in notes[0].find("em").text()
    pdf = pdf_text(apparatus / f"dist/pdf/sample_brief{'_es' if lang == 'es' else ''}.pdf")
    assert f"{prefix}About the Centre" in pdf and "A research centre" in pdf


def test_an_unconfirmed_licence_is_printed_nowhere(apparatus):
    for lang in ("en", "es"):
        html = (apparatus / f"dist/site/{lang}/brief/index.html").read_text(encoding="utf-8")
        assert "Creative Commons" not in html and 'id="licence"' not in html
        data = json.loads(page(apparatus, lang).find("script", type="application/ld+json").text())
        assert "license" not in data
    assert "Creative Commons" not in pdf_text(apparatus / "dist/pdf/sample_brief.pdf")


def test_a_confirmed_licence_needs_its_url(tmp_path, run):
    root = apparatus_project(tmp_path / "proj", "licence:\n  name: Creative Commons Attribution 4.0\n")
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 2
    assert "a confirmed licence needs its 'url'" in result.output and "document.yaml" in result.output
    root = apparatus_project(tmp_path / "proj2", "licence:\n  name: CC\n  confirmed: maybe\n")
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 2 and "'confirmed' in licence must be true or false" in result.output


def test_tables_and_figures_are_numbered_with_source_lines(apparatus):
    for lang, table, source in (("en", "Table 1", "Source:"), ("es", "ES Table 1", "ES Source:")):
        p = page(apparatus, lang)
        caption = p.find("caption")
        assert caption.find("span", class_="caption-label").text() == table
        assert caption.text().endswith("Accounts by year")
        line = p.find("p", class_="table-source")
        assert line.text().startswith(source) and line.text().endswith("ENIF 2021.")
    assert "TABLE 1" in pdf_text(apparatus / "dist/pdf/sample_brief.pdf")  # set in capitals by print.css


def test_the_table_of_contents_nests_subsections(apparatus):
    for lang in ("en", "es"):
        toc = page(apparatus, lang).find("nav", class_="toc")
        top = toc.find("ol")
        items = [li for li in top.children if getattr(li, "tag", None) == "li"]
        assert [li.find("a").attrs["href"] for li in items] == ["#intro", "#recs", "#about-this-publication-title"]
        nested = items[0].find("ol")
        assert [a.attrs["href"] for a in nested.findall("a")] == ["#intro-the-numbers", "#intro-a-table"]


def test_the_footer_names_the_tool_only_when_configured(apparatus, tmp_path, run):
    assert "briefgen" not in page(apparatus).find("footer").text()
    root = make_project(tmp_path / "proj")
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace(
        'site-url =', 'credit = true\nsite-url ='), encoding="utf-8")
    assert run(root, "build", "--no-pdf").exit_code == 0
    assert "Published with briefgen" in page(root).find("footer").text()


@pytest.mark.parametrize("style, locale, expected", [
    ("", "en_US", "March 14, 2024"),  # Babel's long format
    ("", "en_GB", "14 March 2024"),  # UN English
    ('[tool.briefgen.house-style.en]\ndate-format = "d MMMM y"\n', "en_US", "14 March 2024"),
    ('[tool.briefgen.house-style.en]\ndate-format = "medium"\n', "en_GB", "14 Mar 2024"),
])
def test_date_style_is_configuration(tmp_path, run, style, locale, expected):
    root = make_project(tmp_path / "proj")
    config = root / "pyproject.toml"
    config.write_text(config.read_text().replace('en = "en_US"', f'en = "{locale}"') + style, encoding="utf-8")
    assert run(root, "build", "--no-pdf").exit_code == 0
    assert page(root).find("time").text() == expected


def test_a_wrong_house_style_is_a_located_error(tmp_path, run):
    root = make_project(tmp_path / "proj")
    config = root / "pyproject.toml"
    config.write_text(config.read_text() + '[tool.briefgen.house-style.fr]\ndate-format = "long"\n', encoding="utf-8")
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 2 and "'fr' is not one of the configured languages" in result.output
    config.write_text(config.read_text().replace("fr]\ndate-format", "en]\ndate-formatt"), encoding="utf-8")
    result = run(root, "build", "--no-pdf")
    assert result.exit_code == 2 and "takes text keys date-format" in result.output


def test_a_chart_of_zeros_or_over_a_hundred_percent_still_fits():
    zeros = [ChartGroup("Nothing yet", [ChartBar("2018", 0), ChartBar("2021", 0)])]
    assert bar_chart("None", zeros, "number", "en", "z").count("<rect") == 2
    assert bar_rows(zeros, "number", "en").count('class="bar"') == 2
    growth = [ChartGroup("Growth", [ChartBar("Loans", 150), ChartBar("Savings", 75)])]
    widths = [float(w) for w in re.findall(r"width: ([\d.]+)%", bar_rows(growth, "percent", "en"))]
    assert widths == [PRINT_PLOT, PRINT_PLOT / 2]  # the largest fills the column; the rest in proportion


def test_chart_series_have_distinct_colours():
    groups = [ChartGroup("Account", [ChartBar("2018", 47.1), ChartBar("2021", 49.1)]),
              ChartGroup("Product", [ChartBar("Women", 61.9), ChartBar("Men", 74.3), ChartBar("All adults", 67.8)])]
    colours = series_colours(groups)
    assert len(set(colours.values())) == 5 and set(colours.values()) <= set(PALETTE)
    # a series keeps its colour in every group
    assert series_colours([ChartGroup("a", [ChartBar("x", 1)]), ChartGroup("b", [ChartBar("x", 2)])]) == {"x": PALETTE[0]}


def near_empty_pages(path) -> list[int]:
    """Pages (cover and last excepted) whose text ends above 60% of the page, as pdftotext sees them."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', xml, re.S)
    out = []
    for n, (height, body) in enumerate(pages[1:-1], 2):
        h = float(height)
        bottoms = [float(b) for a, b in re.findall(r'<block xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', body)
                   if 0.08 * h < float(a) and float(b) < 0.93 * h]
        if max(bottoms, default=0) < 0.6 * h:
            out.append(n)
    return out


def test_the_real_editions_fill_their_pages(real_project):
    """Chapters run on and boxes split: at most one page per PDF ends above 60% (before the back matter)."""
    for path in sorted((real_project / "dist/pdf").glob("*.pdf")):
        assert len(near_empty_pages(path)) <= 1, (path.name, near_empty_pages(path))
