"""Writing PO files byte for byte as GNU gettext's tools (msgcat, msgmerge) write them.

gettext (write-po.c, wrap()) cuts a string after each '\\n', escapes each portion, finds the
portion's line-break opportunities with GNU libunistring (UAX #14 as libunistring applies it: its
pair table, its class of each character, its column widths, so that a CJK character counts two
columns and a combining mark none) and fills lines greedily up to 79 columns. A break is never
made inside an escape sequence, before a portion's final "\\n" or inside a python-format
directive; a `no-wrap` entry is not wrapped. This module does the same from linebreak.txt, the
data scripts/linebreak_data.py reads from libunistring. Tests compare it with msgcat on the real
catalogs and on generated text.

What it costs: a string that fits on its line (most) is only measured; one that must wrap takes
one pass over its characters, with their classes and widths looked up by str.translate.
"""
from __future__ import annotations

import bisect
import functools
import itertools
import re
from pathlib import Path

PAGE_WIDTH = 79  # gettext's default --width
_NO_WRAP_WIDTH = 2 ** 31 - 1  # gettext's INT_MAX for a no-wrap entry

# libunistring's line-break classes (lbrktables.h): 0-32 index the pair table
WJ, GL, B2, BA, BB, HY, CL, CP1, CP2, EX, IN, NS, OP1, OP2, QU, IS, NU, PO, PR, SY, AL = range(21)
H2, H3, ID1, ID2, JL, JV, JT, HL, RI, ZWJ, EB, EM, BK, CR, LF, CM, ZW, SP, CB, AI, SA, XX = range(21, 43)
HL_BA = 100  # Hebrew letter followed by a hyphen or break-after character (LB21a)
# classes whose behaviour is not fixed, resolved as libunistring does outside CJK encodings
_RESOLVE = bytes(AL if c in (AI, SA, XX) else ID1 if c == CB else c for c in range(256))
_DIRECT, _INDIRECT = 1, 2  # the pair table's values; 3 prohibits
_POSSIBLE, _MANDATORY = 1, 2  # break opportunity kinds
# A letter after a letter, or a space after a space, changes neither the state nor the answer
# (no break): the loop below visits only the other characters, a third of a Spanish text's
# (formatting this project's Spanish catalog: 37 -> 22 ms).
_VISITED = re.compile(b"(?<!%c)%c|(?<!%c)%c|[^%c%c]" % (AL, AL, SP, SP, AL, SP))


class _Runs(dict):
    """code point -> value from sorted runs; remembers each answer, so str.translate maps a
    string through it at C speed after the first time a character is seen."""

    def __init__(self, starts: list[int], values: list[int]):
        super().__init__()
        self.starts, self.values = starts, values

    def __missing__(self, code: int) -> int:
        value = self[code] = self.values[bisect.bisect_right(self.starts, code) - 1]
        return value


@functools.cache
def _tables() -> tuple[list[bytes], _Runs, _Runs]:
    """The pair table, the class of each code point and its width (uc_width, -1 counted as 0)."""
    sections: dict[str, list[str]] = {}
    name = ""
    for line in Path(__file__).with_name("linebreak.txt").read_text(encoding="ascii").splitlines():
        if line.startswith("["):
            name = line.strip("[]")
        elif line and not line.startswith("#"):
            sections.setdefault(name, []).extend(line.split())

    def runs(items: list[str], fix=lambda v: v) -> _Runs:
        pairs = [item.split(":") for item in items]
        return _Runs([int(start, 16) for start, _ in pairs], [fix(int(value)) for _, value in pairs])

    pairs = [bytes(int(c) for c in row) for row in sections["pairs"]]
    return pairs, runs(sections["classes"]), runs(sections["widths"], lambda w: max(w, 0))


def _opportunities(text: str) -> list[tuple[int, int]]:
    """(index, kind) of each break opportunity before a character of `text`, as libunistring's
    u8_possible_linebreaks finds them."""
    pairs, classes, _ = _tables()
    props = text.translate(classes).encode("latin-1").translate(_RESOLVE)
    out = []
    prev = last = BK
    space = False
    ri = 0
    for m in _VISITED.finditer(props):
        i = m.start()
        prop = props[i]
        if prop == BK or prop == LF or prop == CR:
            out.append((i, _MANDATORY))
            prev, last, space = prop, BK, False
        else:
            if prop == SP:
                space = True
            elif prop == ZW:
                last, space = ZW, False
            elif prop == CM or prop == ZWJ:  # a mark goes with what it follows (LB9, LB10)
                if last == BK:
                    last, space = AL, False
                elif last == ZW or space:
                    out.append((i, _POSSIBLE))
                    last, space = AL, False
            else:
                if last == BK:
                    pass
                elif last == ZW:
                    out.append((i, _POSSIBLE))
                elif prev == ZWJ:
                    pass
                elif last == RI and prop == RI:
                    if space or ri % 2 == 0:
                        out.append((i, _POSSIBLE))
                elif prev != HL_BA:
                    kind = pairs[last][prop]
                    if kind == _DIRECT or (kind == _INDIRECT and space):
                        out.append((i, _POSSIBLE))
                last, space = prop, False
            prev = HL_BA if prev == HL and (prop == HY or prop == BA) else prop
        ri = ri + 1 if prop == RI else 0  # a skipped character is no RI and follows a visited one
    return out


def _fill(columns, opportunities: list[tuple[int, int]], width: int, start: int) -> list[int]:
    """Where lines break: each piece between opportunities goes on the current line while it
    fits, else on a new one (libunistring's u8_width_linebreaks). columns[i]: the columns of
    the first i characters."""
    breaks: list[int] = []
    last = -1
    column, piece_start = start, 0
    for i, kind in opportunities:
        piece = columns[i] - columns[piece_start]
        if last >= 0 and column + piece > width:
            breaks.append(last)
            column = 0
        if kind == _MANDATORY:  # gettext does not break there, but counts columns from 0 again
            last, column, piece_start = -1, 0, i + 1
        else:
            last, column, piece_start = i, column + piece, i
    if last >= 0 and column + columns[-1] - columns[piece_start] > width:
        breaks.append(last)
    return breaks


def _escape(s: str) -> str:
    return (
        s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
        .replace("\a", "\\a").replace("\b", "\\b").replace("\f", "\\f").replace("\v", "\\v").replace("\n", "\\n")
    )


_ESCAPED = re.compile(r"\\.", re.S)
_DIGITS = "0123456789"


def _directive_interiors(s: str) -> set[int]:
    """Indices inside python-format directives, their '%' excepted: gettext breaks no line there.
    As gettext's parser (format-python.c), it stops at the first invalid directive."""
    inside: set[int] = set()
    named = unnamed = 0
    i = s.find("%")
    while i >= 0:
        j, name = i + 1, False
        if s.startswith("(", j):
            depth, j = 0, j + 1
            while j < len(s) and not (s[j] == ")" and depth == 0):
                depth += {"(": 1, ")": -1}.get(s[j], 0)
                j += 1
            if j == len(s):
                break
            j, name = j + 1, True
        while j < len(s) and s[j] in "-+ #0":
            j += 1
        for dot in (False, True):  # width, then precision
            if dot:
                if not s.startswith(".", j):
                    break
                j += 1
            if s.startswith("*", j):
                if named:
                    return inside
                j, unnamed = j + 1, unnamed + 1
            else:
                while j < len(s) and s[j] in _DIGITS:
                    j += 1
        j += s.startswith(("h", "l", "L"), j)
        if j >= len(s) or s[j] not in "%csriduoxXeEfgG" or (name and unnamed) or (
                not name and s[j] != "%" and named):
            break
        named, unnamed = named + name, unnamed + (not name and s[j] != "%")
        inside.update(range(i + 1, j + 1))
        i = s.find("%", j + 1)
    return inside


def _portions(value: str) -> list[str]:
    """The string cut after each '\\n', as gettext writes each piece from a line of its own."""
    parts = value.split("\n")
    out = [part + "\n" for part in parts[:-1]]
    if parts[-1] or not out:
        out.append(parts[-1])
    return out


def _protected(escaped: str, portion: str, offset: int, interiors: set[int] | None) -> list[int]:
    """Positions in an escaped portion where no line may break: inside an escape sequence, before
    the portion's final "\\n", inside a format directive (`interiors`: indices in the string)."""
    out = [m.start() + 1 for m in _ESCAPED.finditer(escaped)] if "\\" in escaped else []
    if portion.endswith("\n"):
        out.append(len(escaped) - 2)
    if interiors:
        j = 0
        for k, char in enumerate(portion, offset):
            if k in interiors:
                out.append(j)
            j += 1 + (escaped[j] == "\\")
    return out


class _Portion:
    """One escaped portion: its columns, and its breaks once it has to be broken."""

    def __init__(self, escaped: str, protected: list[int]):
        self.escaped, self.protected = escaped, protected
        if escaped.isascii() and escaped.isprintable():
            self.columns = range(len(escaped) + 1)  # one column each
        else:
            widths = escaped.translate(_tables()[2]).encode("latin-1")
            self.columns = list(itertools.accumulate(widths, initial=0))
        self.opportunities: list[tuple[int, int]] | None = None

    def breaks(self, width: int, start: int) -> list[int]:
        if start + self.columns[-1] <= width:
            return []  # fits: no break (the case of most strings)
        if self.opportunities is None:
            protected = set(self.protected)
            self.opportunities = [(i, kind) for i, kind in _opportunities(self.escaped) if i not in protected]
        return _fill(self.columns, self.opportunities, width, start)


def wrap(keyword: str, value: str, prefix: str = "", *, directives: bool = False, no_wrap: bool = False) -> list[str]:
    """`keyword "value"` as gettext writes it: lines of at most 79 columns where it can break."""
    if "\n" not in value:  # one line that surely fits (each character is at most 2 columns wide):
        escaped = _escape(value)  # most strings; this return halves the time of a 10,000-entry file
        # (246 -> 117 ms) and of this project's Spanish catalog (43 -> 24 ms)
        room = PAGE_WIDTH - 3 - len(prefix) - len(keyword)
        if len(escaped) <= room and (escaped.isascii() or 2 * len(escaped) <= room):
            return [f'{prefix}{keyword} "{escaped}"']
    width = (_NO_WRAP_WIDTH if no_wrap else PAGE_WIDTH) - 1 - (len(prefix) + 1)
    interiors = _directive_interiors(value) if directives and "%" in value else None
    portions = _portions(value)
    lines, first, offset = [], True, 0
    for n, portion in enumerate(portions, 1):
        escaped = _escape(portion)
        piece = _Portion(escaped, _protected(escaped, portion, offset, interiors))
        offset += len(portion)
        start = len(keyword) + 1 if first else 0
        breaks = piece.breaks(width, start)
        if first and escaped and (n < len(portions) or start > width or breaks):
            lines.append(f'{prefix}{keyword} ""')
            first, breaks = False, piece.breaks(width, 0)
        head = f"{prefix}{keyword} " if first else prefix
        first = False
        for a, b in zip([0, *breaks], [*breaks, len(escaped)]):
            lines.append(f'{head}"{escaped[a:b]}"')
            head = prefix
    return lines


def _references(refs: list[str]) -> list[str]:
    out, cur = [], "#:"
    for ref in refs:
        if cur != "#:" and len(cur) + 1 + len(ref) > PAGE_WIDTH:
            out.append(cur)
            cur = "#:"
        cur += " " + ref
    if cur != "#:":
        out.append(cur)
    return out


def _flags(e) -> list[str]:
    """The flags in gettext's order: fuzzy (on a translated entry only), format flags, range,
    wrapping. An obsolete entry keeps fuzzy, format and no-wrap; an active one also keeps flags
    gettext does not know (gettext would drop them), last."""
    translated = bool(e.msgstr_plural.get(0) if e.msgid_plural is not None else e.msgstr)

    def rank(flag: str) -> int | None:
        if flag == "fuzzy":
            return 0 if translated or e.obsolete else None
        if flag.endswith("-format"):
            return 1
        if flag.startswith("range:"):
            return None if e.obsolete else 2
        if flag in ("wrap", "no-wrap"):
            return None if e.obsolete and flag == "wrap" else 3
        return None if e.obsolete else 4

    ranked = [(r, i, flag) for i, flag in enumerate(e.flags) if (r := rank(flag)) is not None]
    return [flag for _, _, flag in sorted(ranked)]


def format_entry(e) -> list[str]:
    """One entry's lines (an `Entry` of briefgen.pofile)."""
    # a comment holding a line break would end the comment line mid-way: one line each
    out = [f"# {line}" if line else "#" for c in e.translator_comments for line in c.split("\n")]
    out += [f"#. {line}" if line else "#." for c in e.extracted_comments for line in c.split("\n")]
    if not e.obsolete:
        out += _references(e.references)
    flags = _flags(e)
    if flags:
        out.append("#, " + ", ".join(flags))
    options = {"directives": "python-format" in e.flags or "possible-python-format" in e.flags,
               "no_wrap": "no-wrap" in e.flags}
    pre = "#~ " if e.obsolete else ""
    for keyword, value in (("msgctxt", e.previous_msgctxt), ("msgid", e.previous_msgid),
                           ("msgid_plural", e.previous_msgid_plural)):
        if value is not None:
            out += wrap(keyword, value, "#~| " if e.obsolete else "#| ", **options)
    if e.msgctxt is not None:
        out += wrap("msgctxt", e.msgctxt, pre, **options)
    out += wrap("msgid", e.msgid, pre, **options)
    if e.msgid_plural is not None:
        out += wrap("msgid_plural", e.msgid_plural, pre, **options)
        for i in sorted(e.msgstr_plural):
            out += wrap(f"msgstr[{i}]", e.msgstr_plural[i], pre, **options)
    else:
        out += wrap("msgstr", e.msgstr, pre, **options)
    return out


def _written(e) -> bool:
    """gettext leaves out an obsolete entry without a translation."""
    return not e.obsolete or bool(e.msgstr_plural.get(0) if e.msgid_plural is not None else e.msgstr)


def format_po(po) -> str:
    """The whole file (a `PoFile`) as gettext writes it: header, active entries, then obsolete ones."""
    return format_header(po.header) + format_body(po.entries)


def format_header(header) -> str:
    return "\n".join(format_entry(header)) + "\n"


def format_body(entries) -> str:
    """The entries after the header, each after a blank line; the obsolete ones last."""
    ordered = [e for e in entries if not e.obsolete] + [e for e in entries if e.obsolete and _written(e)]
    return "".join("\n" + "\n".join(format_entry(e)) + "\n" for e in ordered)
