"""Markdown handling: one parser whose unit hook feeds both extraction and translation.

Every translatable unit is one markdown-it `inline` token (heading, paragraph, list item,
table cell, footnote paragraph). A hook that runs after block parsing and before inline
parsing either collects the units or swaps each unit's source for its translation, so a
translation is always parsed as inline Markdown inside the English block structure.
"""
from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .errors import ContentError, Location

_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")


def normalize(text: str) -> str:
    """The msgid form of a unit: whitespace runs collapsed, ends trimmed."""
    return _SPACE.sub(" ", text).strip()


def slugify(text: str) -> str:
    """A stable ASCII id fragment for a heading."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


@dataclass(frozen=True)
class Translation:
    """One msgstr and the catalog line it came from."""

    msgstr: str
    location: Location


@dataclass(frozen=True)
class RawUnit:
    msgid: str
    kind: str
    line: int  # 0-based line within the parsed text


@dataclass
class Resource:
    """A local file a document refers to (an image), resolved inside the project."""

    url: str
    path: Path


@dataclass
class Pass:
    """What one parse should do with units; lives in the markdown-it env."""

    collect: list | None = None
    translations: dict | None = None
    fallback_lang: str | None = None
    id_prefix: str = ""
    base: Location | None = None
    text_dir: Path | None = None
    project_root: Path | None = None
    allowed_roots: tuple = ()
    resources: list = field(default_factory=list)
    media_prefix: str | None = None  # None: link images by file URI (print); else copy under this prefix
    first_id: str | None = None  # id for the first heading (a section's own heading)


def _kind(stack: list[str]) -> str:
    for t in reversed(stack):
        if t == "footnote_reference_open":
            return "footnote"
    for t in reversed(stack):
        if t in ("th_open", "td_open"):
            return "table cell"
        if t == "list_item_open":
            return "list item"
        if t == "heading_open":
            return "heading"
        if t == "blockquote_open":
            return "quotation"
    return "paragraph"


_CAPTION = re.compile(r"^\s*Table:\s*")


def _is_caption(tokens, i: int) -> bool:
    return (
        i >= 1 and tokens[i - 1].type == "paragraph_open" and i + 2 < len(tokens)
        and tokens[i + 2].type == "table_open" and bool(_CAPTION.match(tokens[i].content))
    )


def _number_footnotes(env: dict) -> None:
    """Give every defined footnote its number up front, in definition order.

    Then a footnote belongs to the block structure: a translation that drops or repeats a
    reference cannot remove, add or renumber footnotes (check reports the reference as BG203).
    """
    notes = env.get("footnotes")
    if not notes:
        return
    refs, items = notes.setdefault("refs", {}), notes.setdefault("list", {})
    for key, value in refs.items():
        if value == -1:
            refs[key] = len(items)
            items[len(items)] = {"label": key[1:], "count": 0}


def _units_rule(state) -> None:
    p: Pass | None = state.env.get("briefgen")
    _number_footnotes(state.env)
    if p is None:
        return
    stack: list[str] = []
    last_line = 0
    for i, tok in enumerate(state.tokens):
        if tok.map:
            last_line = tok.map[0]
        if tok.nesting == 1:
            stack.append(tok.type)
        elif tok.nesting == -1:
            if stack:
                stack.pop()
        if tok.type == "heading_open" and i + 1 < len(state.tokens):
            # ids come from the source text so every language shares them
            if p.first_id:
                tok.attrSet("id", p.first_id)
                p.first_id = None
            else:
                tok.attrSet("id", p.id_prefix + slugify(normalize(state.tokens[i + 1].content)))
        if tok.type != "inline":
            continue
        caption = _is_caption(state.tokens, i)
        if caption:
            # "Table: ..." right before a table is the table's caption (pandoc's convention)
            tok.content = _CAPTION.sub("", tok.content, count=1)
            state.tokens[i - 1].meta["caption"] = True
        msgid = normalize(tok.content)
        if not _LETTER.search(msgid):
            continue  # numbers and punctuation alone ("47.1%", "—") need no translation
        if p.collect is not None:
            p.collect.append(RawUnit(msgid, "table caption" if caption else _kind(stack), last_line))
        if p.translations is not None:
            found = p.translations.get(msgid)
            if found is not None:
                tok.content = found.msgstr
                tok.meta["translation"] = found
            else:
                tok.meta["fallback"] = True


def _links_rule(state) -> None:
    p: Pass | None = state.env.get("briefgen")
    if p is None or p.collect is not None:
        return  # collecting units only; links and images are checked when rendering
    for tok in state.tokens:
        if tok.type != "inline" or not tok.children:
            continue
        for child in tok.children:
            if child.type == "link_open":
                _check_link(child, tok, p)
            elif child.type == "image":
                _check_image(child, tok, p)
        if tok.meta.get("fallback") and p.fallback_lang:
            open_ = Token("html_inline", "", 0)
            open_.content = f'<span lang="{p.fallback_lang}">'
            close = Token("html_inline", "", 0)
            close.content = "</span>"
            tok.children = [open_, *tok.children, close]


_SAFE_LINK = re.compile(r"^(https?://|mailto:|#)", re.I)


def _where(tok: Token, p: Pass | None) -> Location | None:
    found = tok.meta.get("translation")
    if found is not None:
        return found.location
    if p is None or p.base is None:
        return None
    line = (tok.map[0] if tok.map else 0) + p.base.line
    return Location(p.base.path, line)


def _check_link(link: Token, tok: Token, p: Pass | None) -> None:
    href = link.attrGet("href") or ""
    if _SAFE_LINK.match(href):
        return
    raise ContentError(
        f"link target '{href}' is not allowed; links must be http(s):, mailto: or #anchors "
        "(javascript:, data:, file: and local paths are refused)",
        _where(tok, p),
    )


def _check_image(img: Token, tok: Token, p: Pass | None) -> None:
    src = img.attrGet("src") or ""
    loc = _where(tok, p)
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith("/") or p is None or p.text_dir is None:
        raise ContentError(
            f"image '{src}' is outside the project: only relative paths to files under content/ "
            "or templates/ are allowed (nothing is fetched from the network or read from elsewhere)",
            loc,
        )
    path = (p.text_dir / unquote(parts.path)).resolve()
    if not any(path.is_relative_to(r.resolve()) for r in p.allowed_roots):
        raise ContentError(
            f"image '{src}' resolves to {path}, which is outside the project's content/ and templates/ folders",
            loc,
        )
    if not path.is_file():
        raise ContentError(f"image '{src}' does not exist ({path}); add the file or fix the path", loc)
    p.resources.append(Resource(src, path))
    if p.media_prefix is None:
        img.attrSet("src", path.as_uri())
    else:
        img.attrSet("src", f"{p.media_prefix}{path.name}")


@functools.cache
def parser() -> MarkdownIt:
    """The one CommonMark parser (tables, footnotes, briefgen's unit and link rules), made once."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable("table")
    md.use(footnote_plugin, inline=False)
    # Links are validated by _links_rule with located messages, not silently dropped.
    md.validateLink = lambda url: True
    md.core.ruler.after("block", "briefgen_units", _units_rule)
    md.core.ruler.after("inline", "briefgen_links", _links_rule)
    return md


def parse(source: str, block: bool, p: Pass) -> tuple[list[Token], dict]:
    """Parse a text with a unit pass; returns tokens and the env (footnotes live there)."""
    env: dict = {"briefgen": p}
    md = parser()
    tokens = md.parse(source, env) if block else md.parseInline(source, env)
    return tokens, env


def collect_units(source: str, block: bool) -> list[RawUnit]:
    """Every translatable unit of a text, in order. Remembered per text: a build asks for the
    same texts' units for every language it translates and again for its checks."""
    return list(_collect_units(source, block))


@functools.lru_cache(maxsize=8192)
def _collect_units(source: str, block: bool) -> tuple[RawUnit, ...]:
    p = Pass(collect=[])
    parse(source, block, p)
    return tuple(p.collect)


# ----- rendering ---------------------------------------------------------------------------


@dataclass
class Style:
    """How rendered Markdown should look: screen (endnotes per section) or print (float footnotes)."""

    mode: str = "screen"
    heading_shift: int = 1
    notes_label: str = "Notes"
    back_label: str = "Back to text"
    footnote_counter: list = field(default_factory=lambda: [0])  # shared across a document


def render(tokens: list[Token], env: dict, style: Style, block: bool) -> str:
    """HTML for parsed tokens (block or inline)."""
    md = parser()
    if not block:
        return md.renderer.renderInline(tokens[0].children or [], md.options, env)
    offset = style.footnote_counter[0]
    notes = len(env.get("footnotes", {}).get("list", {}))
    contents = _footnote_contents(tokens, env) if style.mode == "print" else {}
    out: list[str] = []
    caption = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "paragraph_open" and tok.meta.get("caption"):
            caption = _render_inline(tokens[i + 1].children or [], env, style, offset, contents)
            i += 3  # the caption paragraph moves into the table
            continue
        if tok.type == "table_open" and caption is not None:
            out.append(f"<table>\n<caption>{caption}</caption>\n")
            caption = None
            i += 1
            continue
        if tok.type == "footnote_block_open" and style.mode == "print":
            break  # print footnotes float at their references instead
        if tok.type in ("heading_open", "heading_close"):
            level = min(6, int(tok.tag[1]) + style.heading_shift)
            tok.tag = f"h{level}"
        if tok.type == "inline":
            out.append(_render_inline(tok.children or [], env, style, offset, contents))
        elif tok.type == "footnote_block_open":
            out.append(
                f'<section class="footnotes" aria-label="{html.escape(style.notes_label)}">'
                f'<ol class="footnote-list" start="{offset + 1}">\n'
            )
        elif tok.type == "footnote_block_close":
            out.append("</ol></section>\n")
        elif tok.type == "footnote_open":
            n = offset + tok.meta["id"] + 1
            out.append(f'<li id="fn-{n}" class="footnote-item">')
        elif tok.type == "footnote_close":
            out.append("</li>\n")
        elif tok.type == "footnote_anchor":
            n = offset + tok.meta["id"] + 1
            sub = f"-{tok.meta['subId']}" if tok.meta["subId"] > 0 else ""
            out.append(
                f' <a href="#fnref-{n}{sub}" class="footnote-back" aria-label="{html.escape(style.back_label)} {n}">↑</a>'
            )
        elif tok.type == "th_open":
            out.append(md.renderer.renderToken(tokens, i, md.options, env).replace("<th", '<th scope="col"', 1))
        else:
            out.append(md.renderer.renderToken(tokens, i, md.options, env))
        i += 1
    style.footnote_counter[0] = offset + notes
    return "".join(out)


def _render_inline(children: list[Token], env: dict, style: Style, offset: int, contents: dict) -> str:
    md = parser()
    out = []
    for idx, child in enumerate(children):
        if child.type == "footnote_ref":
            n = offset + child.meta["id"] + 1
            if style.mode == "print":
                out.append(f'<span class="footnote">{contents.get(child.meta["id"], "")}</span>')
            else:
                sub = f"-{child.meta['subId']}" if child.meta["subId"] > 0 else ""
                out.append(
                    f'<sup class="footnote-ref"><a href="#fn-{n}" id="fnref-{n}{sub}">{n}</a></sup>'
                )
        else:
            out.append(md.renderer.renderInline([child], md.options, env))
    return "".join(out)


def _footnote_contents(tokens: list[Token], env: dict) -> dict[int, str]:
    contents: dict[int, list[str]] = {}
    current = None
    style = Style(mode="screen")
    for tok in tokens:
        if tok.type == "footnote_open":
            current = tok.meta["id"]
            contents[current] = []
        elif tok.type == "footnote_close":
            current = None
        elif current is not None and tok.type == "inline":
            contents[current].append(_render_inline(tok.children or [], env, style, 0, {}))
    return {k: " ".join(v) for k, v in contents.items()}


def plain_text(tokens: list[Token]) -> str:
    """The visible text of parsed inline tokens (for <title>, metadata, SVG labels)."""
    parts = []

    def walk(toks):
        for t in toks:
            if t.type in ("text", "code_inline"):
                parts.append(t.content)
            elif t.type in ("softbreak", "hardbreak"):
                parts.append(" ")
            elif t.type == "image":
                parts.append(t.content)
            if t.children:
                walk(t.children)

    for t in tokens:
        walk(t.children or [])
    return normalize("".join(parts))
