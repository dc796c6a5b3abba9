"""Property tests: random Markdown and random msgstr text never crash the build with anything
but a located error, and always give well-formed HTML whose structure equals the English one."""
from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from briefgen.config import load_project
from briefgen.content import load_documents
from briefgen.errors import BriefgenError
from briefgen.markdown import Translation
from briefgen.parity import html_shape
from briefgen.render import document_view, environment, render_template
from briefgen.views import Alternate
from briefgen.segments import text_units, walk_texts
from briefgen.model import LanguageMeta
from briefgen.translate import translate
from briefgen.errors import Location
from conftest import make_project
from htmltree import parse_html

MARKDOWN_BITS = st.sampled_from([
    "*", "**", "_", "`", "[", "]", "(", ")", "![", "[^gsi]", "[^nope]", "<", ">", "&", "#", "- ", "1. ", "|", "\n",
    "\n\n", "    ", "> ", "---", "{{ x }}", "{% if %}", "<script>", "javascript:", "http://x.org/", "\\", '"', "'",
    "ñ", "é", "–", "49,1 %", "\u00a0", "\u202e",
])
TEXT = st.lists(st.one_of(MARKDOWN_BITS, st.text(alphabet=string.ascii_letters + " .,;:", max_size=8)), max_size=12).map("".join)
STRUCTURE = ("heading outline", "tables", "table rows", "list items", "footnotes", "figures")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("prop") / "proj")
    project = load_project(root)
    _, docs = load_documents(project)
    env = environment(project, None)
    return project, docs[0], env, html_shape(page(project, docs[0], env))


def page(project, doc, env) -> str:
    view, _ = document_view(project, doc, "screen", env)
    view.alternates = [Alternate(lang, lang, f"../../{lang}/brief/", f"https://example.org/{lang}/brief/") for lang in ("en", "es")]
    return render_template(env, "document.html", doc=view)


def located(exc: BriefgenError) -> bool:
    return exc.location is not None and bool(exc.location.path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(msgstrs=st.lists(TEXT, min_size=1, max_size=40))
def test_random_msgstr_keeps_the_english_structure(sample, msgstrs):
    project, doc, env, english = sample
    spanish, _ = translate(project, doc, "es", None, LanguageMeta())
    i = 0
    for text in walk_texts(spanish):
        table = {}
        for unit in text_units(text):
            table[unit.msgid] = Translation(msgstrs[i % len(msgstrs)], Location(Path("content.po"), i + 1))
            i += 1
        text.translations = table
    try:
        html = page(project, spanish, env)
    except BriefgenError as exc:
        assert located(exc), exc.format()
        return
    parse_html(html)  # well-formed
    shape = html_shape(html)
    assert {k: shape[k] for k in STRUCTURE} == {k: english[k] for k in STRUCTURE}
    ids = [x for x in shape["element ids"] if not x.startswith("fnref-")]
    assert ids == [x for x in english["element ids"] if not x.startswith("fnref-")]
    assert "<script>" not in html.split("</head>", 1)[1].replace('<script type="application/ld+json">', "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=TEXT)
def test_random_markdown_builds_or_fails_located(sample, body):
    project, doc, env, _ = sample
    path = project.content_dir / "en/brief/recs.md"
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text("# Recommendations\n\n" + body + "\n", encoding="utf-8")
        try:
            _, docs = load_documents(project)
            html = page(project, docs[0], env)
        except BriefgenError as exc:
            assert located(exc), exc.format()
            return
        parse_html(html)
    finally:
        path.write_text(original, encoding="utf-8")
