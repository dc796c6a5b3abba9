"""Web resources are confined like print ones: stylesheets, templates and content SVGs may load only
files under content/ or templates/ and data:, and run no scripts; each refusal names its file and line."""
from __future__ import annotations

import re

import pytest

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">\n{}\n</svg>\n'


def build(run, root):
    result = run(root, "build", "--no-pdf")
    return result.exit_code, result.output


def append(path, text):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize("rule", [
    "body{background:url(http://127.0.0.1:9/x.png)}",
    "body{background:url( 'https://cdn.example/x.png' )}",
    "body{background:url(//cdn.example/x.png)}",
    '@import "https://fonts.example/css";',
    "@import url(https://fonts.example/css);",
    "body{background:url(/etc/hosts)}",
    "body{background:url(../../../../../../etc/hosts)}",
])
def test_screen_css_reaching_out_is_a_located_error(project, run, rule):
    css = project / "templates/screen.css"
    append(css, "\n/* a comment with url(http://ignored.example/) */\n" + rule + "\n")
    line = css.read_text(encoding="utf-8").count("\n")
    code, output = build(run, project)
    assert code == 2, output
    assert re.search(rf"templates/screen\.css:{line}: error: stylesheet reference '.*' (is|resolves)", output), output
    assert "Traceback" not in output and not (project / "dist").exists()


def test_screen_css_may_use_project_files_and_data(project, run):
    (project / "templates/bg.svg").write_text(SVG.format(""), encoding="utf-8")
    append(project / "templates/screen.css",
           '\n/* url(https://x.example/) */ body{background:url("bg.svg")} i{background:url(data:image/png;base64,AA==)}\n')
    code, output = build(run, project)
    assert code == 0, output


@pytest.mark.parametrize("markup, what", [
    ('<script src="https://cdn.example/a.js"></script>', "<script>"),
    ('<script>alert(1)</script>', "<script>"),
    ('<script src="{{ root_href }}app.js"></script>', "<script>"),
    ('<p onclick="alert(1)">x</p>', "onclick="),
    ('<img src="https://tracker.example/p.gif" alt="">', "is outside the project"),
    ('<link rel="stylesheet" href="https://cdn.example/x.css">', "is outside the project"),
    ('<iframe src="//evil.example/"></iframe>', "is outside the project"),
    ('<a href="javascript:alert(1)">x</a>', "runs no scripts"),
    ('<p style="background:url(https://x.example/a.png)">x</p>', "is outside the project"),
])
def test_template_loading_or_running_something_is_a_located_error(project, run, markup, what):
    base = project / "templates/base.html"
    lines = base.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("<footer"))
    lines.insert(at, markup)
    base.write_text("\n".join(lines), encoding="utf-8")
    code, output = build(run, project)
    assert code == 2, output
    assert f"templates/base.html:{at + 1}: error: " in output and what in output, output
    assert not (project / "dist").exists()


def test_template_data_blocks_links_and_comments_are_fine(project, run):
    base = project / "templates/base.html"
    append(base, '{# <script src="https://x.example/a.js"></script> #}\n'
                 '<a href="https://example.org/">x</a><link rel="canonical" href="https://example.org/">\n'
                 '<script type="application/ld+json">{"a": 1}</script>\n')
    code, output = build(run, project)
    assert code == 0, output


@pytest.mark.parametrize("body, what", [
    ('<script>alert(1)</script>', "<script> in an SVG image"),
    ('<script xlink:href="https://x.example/a.js"/>', "<script> in an SVG image"),
    ('<rect width="10" height="10" onload="alert(1)"/>', "onload="),
    ('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>', "<foreignObject>"),
    ('<image href="https://x.example/a.png" width="10" height="10"/>', "is outside the project"),
    ('<image xlink:href="../../../../../../etc/hosts" width="1" height="1"/>', "outside the project"),
    ('<rect style="fill:url(https://x.example/a.svg#g)" width="1" height="1"/>', "is outside the project"),
    ('<style>rect{fill:url(//x.example/g.svg)}</style>', "is outside the project"),
])
def test_content_svg_with_a_script_or_outside_reference_is_a_located_error(project, run, body, what):
    svg = project / "content/en/brief/pic.svg"
    svg.write_text(SVG.format(body), encoding="utf-8")
    append(project / "content/en/brief/recs.md", "\n![A picture](pic.svg)\n")
    code, output = build(run, project)
    assert code == 2, output
    assert "content/en/brief/pic.svg:2: error: " in output and what in output, output
    assert not (project / "dist").exists()


def test_content_svg_with_fragments_and_data_is_fine(project, run):
    body = ('<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>'
            '<rect style="fill:url(#g)" width="10" height="10"/><use href="#g"/>'
            '<a href="https://example.org/"><image href="data:image/png;base64,AA==" width="1" height="1"/></a>')
    (project / "content/en/brief/pic.svg").write_text(SVG.format(body), encoding="utf-8")
    append(project / "content/en/brief/recs.md", "\n![A picture](pic.svg)\n")
    code, output = build(run, project)
    assert code == 0, output


def test_malformed_svg_is_a_located_error(project, run):
    (project / "content/en/brief/pic.svg").write_text("<svg><rect></svg>", encoding="utf-8")
    append(project / "content/en/brief/recs.md", "\n![A picture](pic.svg)\n")
    code, output = build(run, project)
    assert code == 2 and "content/en/brief/pic.svg" in output and "not a well-formed SVG" in output, output
