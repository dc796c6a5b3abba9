"""Markdown handling: one parser whose unit hook feeds both extraction and translation.

Every translatable unit is one markdown-it `inline` token (heading, paragraph, list item,
table cell, footnote paragraph). A hook that runs after block parsing and before inline
parsing either collects the units or swaps each unit's source for its translation, so a
translation is always parsed as inline Markdown inside the English block structure.
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

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


_TABLE_SOURCE = re.compile(r"^\s*(Sources?):\s*")


def _is_caption(tokens, i: int) -> bool:
    return (
        i >= 1 and tokens[i - 1].type == "paragraph_open" and i + 2 < len(tokens)
        and tokens[i + 2].type == "table_open" and bool(_CAPTION.match(tokens[i].content))
    )


def _table_source(tokens, i: int) -> str | None:
    """'Source(s)' when token i is a paragraph right after a table that starts so: its source line."""
    m = i >= 2 and tokens[i - 2].type == "table_close" and _TABLE_SOURCE.match(tokens[i].content)
    return m.group(1) if m else None


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
        caption, source = _is_caption(state.tokens, i), _table_source(state.tokens, i)
        if caption:
            # "Table: ..." right before a table is the table's caption (pandoc's convention)
            tok.content = _CAPTION.sub("", tok.content, count=1)
            state.tokens[i - 1].meta["caption"] = True
        elif source:
            # "Source: ..." right after a table is its source line; the label comes from the templates
            tok.content = _TABLE_SOURCE.sub("", tok.content, count=1)
            state.tokens[i - 1].meta["table_source"] = source.lower()
        msgid = normalize(tok.content)
        if not _LETTER.search(msgid):
            continue  # numbers and punctuation alone ("47.1%", "—") need no translation
        if p.collect is not None:
            kind = "table caption" if caption else "table source" if source else _kind(stack)
            p.collect.append(RawUnit(msgid, kind, last_line))
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
        img.attrSet("src", p.media_prefix + quote(media_name(path, p.project_root)))


def media_name(path: Path, root: Path | None) -> str:
    """The web edition's file name for an image: its own name plus a short hash of where it lives in
    the project, so a/pic.svg and b/pic.svg never share media/pic.svg, and the name stays the same
    from build to build (and is the same wherever the project is checked out)."""
    try:
        where = path.relative_to(root.resolve()).as_posix() if root is not None else path.as_posix()
    except ValueError:
        where = path.as_posix()
    tag = hashlib.sha256(where.encode("utf-8")).hexdigest()[:10]
    return f"{path.stem}-{tag}{path.suffix}"


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
