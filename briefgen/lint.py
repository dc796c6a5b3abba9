"""What markdown-it forgives without a word, reported as an author's mistake: a footnote reference
with no definition (published as the literal "[^label]"), a definition nothing refers to, a table
row with more or fewer cells than its header (extra cells are dropped), a second level-1 heading
in a section file, and markup nested deeper than MAX_NESTING (which the PDF renderer cannot lay
out). Each is located at file:line:col; a msgstr is held to the same limits at its catalog line.
"""
from __future__ import annotations

import re

from markdown_it.token import Token

from .errors import ContentError, Location, Problems, did_you_mean
from .markdown import parser
from .model import Text

MAX_NESTING = 16  # emphasis, links, lists and quotations inside each other
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\]")
_MARKS = re.compile(r"[*_\[>~]")


def lint_text(text: Text, problems: Problems, section: bool = False) -> None:
    """Every mistake in one Markdown text (a section file's body when `section`)."""
    if not text.source.strip():
        return
    env: dict = {}
    md = parser()
    tokens = md.parse(text.source, env) if text.block else md.parseInline(text.source, env)
    lines = text.source.split("\n")
    at = _Locator(text, lines)
    _nesting(tokens, at, problems)
    if not text.block:
        return
    _footnotes(tokens, env, at, problems)
    _tables(tokens, at, problems)
    if section:
        _headings(tokens, at, problems)


class _Locator:
    """file:line:col of a place in a text (its lines are the file's from the text's location on;
    a YAML block scalar's lines are indented by its column)."""

    def __init__(self, text: Text, lines: list[str]):
        self.text, self.lines = text, lines

    def __call__(self, line: int, col: int = 1) -> Location:
        loc = self.text.location
        if not self.text.block:
            return loc  # inline YAML values: where the value starts
        return Location(loc.path, loc.line + line, max(loc.col, 1) - 1 + col)

    def find(self, needle: str, span: list[int] | None, start_of_line: bool = False) -> tuple[int, int]:
        """(line, col) of the first unescaped `needle` within the lines of `span` (else its first line)."""
        first, last = span if span else (0, len(self.lines))
        for i in range(first, min(last, len(self.lines))):
            col = self.lines[i].find(needle)
            while col >= 0 and (col > 0 and self.lines[i][col - 1] == "\\" or start_of_line and self.lines[i][:col].strip()):
                col = self.lines[i].find(needle, col + 1)
            if col >= 0:
                return i, col + 1
        return first, 1


def _depth(token: Token) -> int:
    depth = deepest = 0
    for child in token.children or ():
        depth += child.nesting
        deepest = max(deepest, depth)
    return deepest


def _nesting(tokens: list[Token], at: _Locator, problems: Problems) -> None:
    containers = 0
    for tok in tokens:
        if tok.type in ("blockquote_open", "bullet_list_open", "ordered_list_open"):
            containers += 1
        elif tok.type in ("blockquote_close", "bullet_list_close", "ordered_list_close"):
            containers -= 1
        elif tok.type == "inline" and containers + _depth(tok) > MAX_NESTING:
            line = tok.map[0] if tok.map else 0
            problems.error(ContentError(
                f"markup nested {containers + _depth(tok)} levels deep (emphasis, links, lists or quotations inside "
                f"each other); briefgen allows {MAX_NESTING}: remove the extra '*', '_' or '>' marks",
                at(line, len(at.lines[line]) - len(at.lines[line].lstrip()) + 1 if line < len(at.lines) else 1)))
            return  # one is enough: the rest of the text is usually the same mistake


def _footnotes(tokens: list[Token], env: dict, at: _Locator, problems: Problems) -> None:
    notes = env.get("footnotes", {})
    defined = [key[1:] for key in notes.get("refs", {})]
    for tok in tokens:
        if tok.type != "inline":
            continue
        for label in _literal_refs(tok):
            line, col = at.find(f"[^{label}]", tok.map)
            problems.error(ContentError(
                f"footnote reference [^{label}] has no definition{did_you_mean(label, defined)}; add a line "
                f"'[^{label}]: ...' after the paragraph, or correct the label", at(line, col)))
    for item in notes.get("list", {}).values():
        if item.get("count") == 0 and "label" in item:
            line, col = at.find(f"[^{item['label']}]:", None, start_of_line=True)
            problems.warn(at(line, col), f"footnote [^{item['label']}] is defined but never referenced; refer to it "
                                         f"with [^{item['label']}] in the text, or delete the definition")


def _literal_refs(tok: Token) -> list[str]:
    """The labels of footnote references markdown-it left as text (they have no definition)."""
    runs, current = [], []
    for child in tok.children or ():
        if child.type == "text":
            current.append(child.content)
        else:
            runs.append("".join(current))
            current = []
    runs.append("".join(current))
    return [m.group(1) for run in runs for m in _FOOTNOTE_REF.finditer(run)]


def _tables(tokens: list[Token], at: _Locator, problems: Problems) -> None:
    header = 0
    for i, tok in enumerate(tokens):
        if tok.type == "thead_open":
            header = 0
        elif tok.type == "th_open":
            header += 1
        elif tok.type == "tr_open" and tok.map and tokens[i - 1].type != "thead_open" and tok.map[0] < len(at.lines):
            line = tok.map[0]
            cells = _cells(at.lines[line])
            if len(cells) > header:
                problems.error(ContentError(
                    f"table row has {len(cells)} cells but the header has {header}: the cells past the header's "
                    "are dropped; add a column to the header (and to its '---' line) or remove the extra cell",
                    at(line, cells[header][0])))
            elif len(cells) < header:
                problems.error(ContentError(
                    f"table row has {len(cells)} cell(s) but the header has {header}; add the missing cell(s) "
                    "('| |' is an empty one), or leave a blank line after the table if this line is not part of it",
                    at(line, len(at.lines[line].rstrip()) + 1)))
            for col, cell in cells:
                _two_numbers(cell, at(line, col), problems)


_NUMBER = re.compile(r"^[-+−]?\d[\d,]*(\.\d+)?%?$")


def _two_numbers(cell: str, where: Location, problems: Problems) -> None:
    """A cell of bare figures side by side ('49.1% 9.9%') is two cells with the '|' between them lost."""
    words = cell.split()
    if len(words) > 1 and all(_NUMBER.match(w) for w in words) and sum("." in w or "%" in w for w in words) > 1:
        problems.error(ContentError(
            f"table cell '{cell.strip()}' holds {len(words)} figures side by side: is a '|' missing between them? "
            "Separate the cells with '|' (and give the header a column for each), or join the figures with words "
            "if they belong in one cell", where))


def _cells(line: str) -> list[tuple[int, str]]:
    """(1-based column, text) of each cell of a table row, split as markdown-it splits them."""
    prefix = re.match(r"^[ \t>]*", line).end()  # indentation and blockquote marks
    body = line.rstrip()
    end = len(body)
    if end > prefix and body[end - 1] == "|" and (end < 2 or body[end - 2] != "\\"):
        end -= 1
    pos = prefix + 1 if body[prefix:prefix + 1] == "|" else prefix
    cells, start, escaped = [], pos, False
    for j in range(pos, end):
        if body[j] == "|" and not escaped:
            cells.append((start, body[start:j]))
            start = j + 1
        escaped = body[j] == "\\"
    cells.append((start, body[start:end]))
    return [(start + 1 + len(text) - len(text.lstrip()), text) for start, text in cells]


def _headings(tokens: list[Token], at: _Locator, problems: Problems) -> None:
    seen = 0
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h1":
            seen += 1
            if seen > 1:
                title = tokens[i + 1].content
                problems.error(ContentError(
                    f"a second level-1 heading ('# {title}'): a section file has one, its title; make this one "
                    f"'## {title}' for a subsection, or move it into a new section file and add that to the layout "
                    "in document.yaml", at(tok.map[0] if tok.map else 0)))


def lint_msgstr(msgstr: str, location: Location, problems: Problems) -> None:
    """A translation is inline Markdown: held to the same nesting limit, at its catalog line."""
    if len(_MARKS.findall(msgstr)) <= MAX_NESTING:
        return  # too few marks to nest that deep
    tokens = parser().parseInline(msgstr, {})
    depth = max((_depth(t) for t in tokens), default=0)
    if depth > MAX_NESTING:
        problems.error(ContentError(
            f"translation nests markup {depth} levels deep (emphasis or links inside each other); briefgen allows "
            f"{MAX_NESTING}: remove the extra '*' or '_' marks", location))
