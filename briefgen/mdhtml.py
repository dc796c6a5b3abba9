"""Parsed Markdown (briefgen.markdown) to HTML: the screen's notes lists and the print's page
footnotes, numbered tables with their source lines, headings shifted under the document's title."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Callable

from markdown_it.token import Token

from .markdown import parser


@dataclass
class Style:
    """How rendered Markdown should look: screen (endnotes per section) or print (float footnotes)."""

    mode: str = "screen"
    heading_shift: int = 1
    notes_label: str = "Notes"
    back_label: str = "Back to text"
    footnote_counter: list = field(default_factory=lambda: [0])  # shared across a document
    table_counter: list = field(default_factory=lambda: [0])  # tables are numbered across a document
    table_label: Callable[[int], str] = lambda n: f"Table {n}"  # noqa: E731 (the templates' label)
    source_labels: dict = field(default_factory=lambda: {"source": "Source:", "sources": "Sources:"})


def _notes_token(tok: Token, style: Style, offset: int) -> str | None:
    """The HTML of a screen notes list's own tokens; None for any other token."""
    if tok.type == "footnote_block_open":
        return (f'<section class="footnotes" aria-label="{html.escape(style.notes_label)}">'
                f'<ol class="footnote-list" start="{offset + 1}">\n')
    if tok.type == "footnote_block_close":
        return "</ol></section>\n"
    if tok.type == "footnote_open":
        return f'<li id="fn-{offset + tok.meta["id"] + 1}" class="footnote-item">'
    if tok.type == "footnote_close":
        return "</li>\n"
    if tok.type == "footnote_anchor":
        n = offset + tok.meta["id"] + 1
        sub = f"-{tok.meta['subId']}" if tok.meta["subId"] > 0 else ""
        return f' <a href="#fnref-{n}{sub}" class="footnote-back" aria-label="{html.escape(style.back_label)} {n}">↑</a>'
    return None


def render(tokens: list[Token], env: dict, style: Style, block: bool, notes_out: list | None = None) -> str:
    """HTML for parsed tokens (block or inline). With `notes_out`, a screen text's footnote list
    goes there instead (the page places it after the section's figures and boxes)."""
    md = parser()
    if not block:
        return md.renderer.renderInline(tokens[0].children or [], md.options, env)
    offset = style.footnote_counter[0]
    notes = len(env.get("footnotes", {}).get("list", {}))
    contents = _footnote_contents(tokens, env) if style.mode == "print" else {}
    out: list[str] = []
    text, caption, i = out, None, 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "paragraph_open" and tok.meta.get("caption"):
            caption = _render_inline(tokens[i + 1].children or [], env, style, offset, contents)
            i += 3  # the caption paragraph moves into the table
            continue
        if tok.type == "table_open" and caption is not None:
            style.table_counter[0] += 1
            label = html.escape(style.table_label(style.table_counter[0]))
            out.append(f'<table>\n<caption><span class="caption-label">{label}</span> {caption}</caption>\n')
            caption = None
            i += 1
            continue
        if tok.type == "paragraph_open" and tok.meta.get("table_source"):
            label = html.escape(style.source_labels[tok.meta["table_source"]])
            src = _render_inline(tokens[i + 1].children or [], env, style, offset, contents)
            out.append(f'<p class="table-source"><span class="label">{label}</span> {src}</p>\n')
            i += 3
            continue
        if tok.type == "footnote_block_open" and style.mode == "print":
            break  # print footnotes float at their references instead
        if tok.type == "footnote_block_open" and notes_out is not None:
            text, out = out, notes_out  # what follows is the notes list, kept apart
        if tok.type in ("heading_open", "heading_close"):
            level = min(6, int(tok.tag[1]) + style.heading_shift)
            tok.tag = f"h{level}"
        if tok.type == "inline":
            out.append(_render_inline(tok.children or [], env, style, offset, contents))
        elif (note := _notes_token(tok, style, offset)) is not None:
            out.append(note)
        elif tok.type == "th_open":
            out.append(md.renderer.renderToken(tokens, i, md.options, env).replace("<th", '<th scope="col"', 1))
        else:
            out.append(md.renderer.renderToken(tokens, i, md.options, env))
        i += 1
    style.footnote_counter[0] = offset + notes
    return "".join(text if out is notes_out else out)


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
