"""The foundation: a sample project builds into HTML and PDF that read like the sources."""
from __future__ import annotations

import subprocess
import sys

import pikepdf
import pypdf

from conftest import REPO
from htmltree import parse_html


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def outline_titles(path) -> list[tuple[int, str]]:
    out = []
    with pikepdf.open(path) as pdf:
        with pdf.open_outline() as outline:
            def walk(items, depth):
                for item in items:
                    out.append((depth, item.title))
                    walk(item.children, depth + 1)
            walk(outline.root, 0)
    return out


def test_build_writes_english_html(project, run):
    result = run(project, "build")
    assert result.exit_code == 0, result.output
    page = parse_html((project / "dist/site/en/brief/index.html").read_text(encoding="utf-8"))
    html = page.find("html")
    assert html.attrs["lang"] == "en"
    assert [h.text() for h in page.findall("h1")] == ["A sample briefing on financial inclusion"]
    assert page.find("h2", id="intro").text() == "Introduction"
    assert page.find("h3", id="intro-the-numbers").text() == "The numbers"
    table = page.find("table")
    assert [th.text() for th in table.findall("th")] == ["Indicator", "2018", "2021"]
    assert all(th.attrs.get("scope") == "col" for th in table.findall("th"))
    assert [td.text() for td in table.findall("td")][:3] == ["Adults with an account", "47.1%", "49.1%"]
    ref = page.find("a", id="fnref-1")
    assert ref.attrs["href"] == "#fn-1"
    note = page.find("li", id="fn-1")
    assert "Global Slavery Index 2023" in note.text()
    assert note.find("a", href="#fnref-1") is not None
    finding = page.find("aside", id="finding-f1")
    assert "49.1% of adults held an account" in finding.text()
    # the chart is inline SVG (the page's fonts apply), named by its text alternative, in two layouts
    figure = page.find("figure", id="figure-enif")
    assert figure.find("img") is None
    charts = figure.findall("svg")
    assert [c.attrs["class"] for c in charts] == ["chart-wide", "chart-narrow"]
    assert all(c.attrs["role"] == "img" and c.find("title").text() == "Account ownership rose from 47.1% in 2018 to 49.1% in 2021."
               for c in charts)
    assert figure.find("figcaption").text() == "Figure 1 Account ownership"  # numbered; the chart does not repeat it
    assert figure.find("p", class_="figure-source").text() == "Source: ENIF 2018 and 2021."
    assert page.find("section", id="recommendation-r1") is not None
    # a section's notes list follows its figures and boxes
    html_text = (project / "dist/site/en/brief/index.html").read_text(encoding="utf-8")
    assert html_text.index('id="figure-enif"') < html_text.index('id="finding-f1"') < html_text.index('id="fn-1"')


def test_build_writes_pdf_with_text_outline_and_language(project, run):
    assert run(project, "build").exit_code == 0
    pdf = project / "dist/pdf/sample_brief.pdf"
    text = pdf_text(pdf)
    for expected in ("A sample briefing on financial inclusion", "Adults with an account", "Walk Free", "Bring banks"):
        assert expected in text
    # the footnote is printed in the text body's page, not collected at the end
    reader = pypdf.PdfReader(pdf)
    page_of = lambda s: next(i for i, p in enumerate(reader.pages) if s in p.extract_text())
    assert page_of("Walk Free") == page_of("often lack a bank account")
    titles = outline_titles(pdf)
    flat = [t for _, t in titles]
    assert "Introduction" in flat and "The numbers" in flat and "Recommendations" in flat
    depth = dict((t, d) for d, t in titles)
    assert depth["The numbers"] == depth["Introduction"] + 1
    with pikepdf.open(pdf) as p:
        assert str(p.Root.Lang) == "en"
        assert "/StructTreeRoot" in p.Root
        assert str(p.docinfo["/Title"]) == "A sample briefing on financial inclusion"


def test_build_py_is_briefgen_build():
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "Build HTML and PDF for every document" in result.stdout


def test_failed_build_keeps_previous_dist(project, run):
    assert run(project, "build", "--no-pdf").exit_code == 0
    before = (project / "dist/site/en/brief/index.html").read_bytes()
    with open(project / "content/en/findings.yaml", "a", encoding="utf-8") as fh:
        fh.write("findings: [\n  - {id: F1")
    result = run(project, "build")
    assert result.exit_code == 2
    assert "findings.yaml:" in result.output
    assert (project / "dist/site/en/brief/index.html").read_bytes() == before
    assert not list(project.glob(".dist.staging-*"))


def test_progress_bar_on_a_terminal_plain_lines_otherwise_nothing_when_quiet():
    import io

    from briefgen.progress import Progress

    tty = io.StringIO()
    bar = Progress(stream=tty, tty=True)
    bar.begin(3)
    bar("PDF  en/brief")
    bar("HTML en/brief")
    bar.say("warning: something")
    assert "\r\x1b[K[########................] 1/3 PDF  en/brief" in tty.getvalue()
    assert "] 2/3 HTML en/brief\nwarning: something\n" in tty.getvalue()
    plain = io.StringIO()
    lines = Progress(stream=plain, tty=False)
    lines("PDF  en/brief")
    assert plain.getvalue() == "PDF  en/brief\n"
    quiet = io.StringIO()
    Progress(quiet=True, stream=quiet)("PDF  en/brief")
    assert quiet.getvalue() == ""


def test_quiet_build_prints_nothing(project, run):
    result = run(project, "-q", "build", "--no-pdf")
    assert result.exit_code == 0 and result.output == ""
