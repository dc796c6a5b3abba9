"""Gettext PO files: a lossless reader and a writer that formats exactly as gettext's msgcat does.

Babel's PO reader turns `#|` previous-msgid lines into translator comments, so briefgen keeps
its own small reader/writer; every field a translator or a tool may set survives a round trip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CatalogError, Location

WIDTH = 79


@dataclass
class Entry:
    """One PO entry (message)."""

    msgid: str
    msgstr: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    translator_comments: list[str] = field(default_factory=list)
    extracted_comments: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    previous_msgctxt: str | None = None
    previous_msgid: str | None = None
    obsolete: bool = False
    line: int = 0  # line of the msgid keyword, 1-based

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        if self.msgid_plural is not None:
            return bool(self.msgstr_plural) and all(self.msgstr_plural.values()) and not self.fuzzy
        return bool(self.msgstr) and not self.fuzzy

    def usable(self, nplurals: int) -> bool:
        """Translated, not fuzzy and, for a plural, with every form its catalog's rule has."""
        if self.msgid_plural is not None:
            return not self.fuzzy and all(self.msgstr_plural.get(i) for i in range(nplurals))
        return self.translated

    def set_fuzzy(self, on: bool) -> None:
        if on and "fuzzy" not in self.flags:
            self.flags.insert(0, "fuzzy")
        elif not on and "fuzzy" in self.flags:
            self.flags.remove("fuzzy")


@dataclass
class PoFile:
    """A catalog: the header entry, the header comment and the messages in file order."""

    header: Entry
    entries: list[Entry]
    path: Path | None = None

    def header_fields(self) -> dict[str, str]:
        out = {}
        for line in self.header.msgstr.split("\n"):
            if ":" in line:
                k, _, v = line.partition(":")
                out[k.strip()] = v.strip()
        return out

    def set_header_field(self, key: str, value: str) -> None:
        lines = [ln for ln in self.header.msgstr.split("\n") if ln]
        for i, ln in enumerate(lines):
            if ln.split(":", 1)[0].strip() == key:
                lines[i] = f"{key}: {value}"
                break
        else:
            lines.append(f"{key}: {value}")
        self.header.msgstr = "\n".join(lines) + "\n"

    def active(self) -> list[Entry]:
        return [e for e in self.entries if not e.obsolete]

    def header_line(self, key: str) -> int:
        """The file line of a header field (the header's msgid line when it cannot be found)."""
        if self.path is not None:
            field_line = re.compile(rf'^\s*"\s*{re.escape(key)}\s*:')
            msgids = 0
            try:
                with open(self.path, encoding="utf-8", errors="replace") as f:
                    for number, text in enumerate(f, 1):
                        if field_line.match(text):
                            return number
                        msgids += text.lstrip().startswith("msgid ")
                        if msgids > 1:  # past the header entry
                            break
            except OSError:
                pass
        return self.header.line or 1

    def plural_rule(self):
        """The catalog's plural rule (its Plural-Forms header; gettext's n != 1 when it has none)."""
        from .plurals import GERMANIC, parse_plural_forms

        value = self.header_fields().get("Plural-Forms")
        if value is None:
            return GERMANIC
        try:
            return parse_plural_forms(value)
        except ValueError as exc:
            raise CatalogError(f"{exc}; correct the header (in Poedit: Translation > Properties > Plural forms)",
                               Location(self.path, self.header_line("Plural-Forms"))) from None

    def obsolete(self) -> list[Entry]:
        return [e for e in self.entries if e.obsolete]

    def index(self) -> dict:
        return {e.key: e for e in self.entries if not e.obsolete}


# ----- reading ------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(s: str, loc: Location) -> str:
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise CatalogError(f"expected a quoted string, got {s[:40]!r}; strings must be in double quotes", loc)
    body = s[1:-1]
    if "\\" not in body and '"' not in body:
        return body  # the common case: nothing escaped
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 >= len(body):
                raise CatalogError("string ends with a lone backslash; write \\\\ for a backslash", loc)
            n = body[i + 1]
            if n not in _ESCAPES:
                raise CatalogError(f"unknown escape sequence '\\{n}'; write \\\\ for a backslash", loc)
            out.append(_ESCAPES[n])
            i += 2
        elif c == '"':
            raise CatalogError('unescaped double quote inside a string; write \\" instead', loc)
        else:
            out.append(c)
            i += 1
    return "".join(out)


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*)$")


def parse_po(text: str, path: Path) -> PoFile:
    """Parse PO text; raises a located CatalogError on any malformed line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    entries: list[Entry] = []
    cur: Entry | None = None
    comments: dict = {}
    target: tuple | None = None  # (field name, plural index) a continuation line extends
    seen_keys: dict = {}

    def fresh():
        return {"tc": [], "ec": [], "refs": [], "flags": [], "pctx": None, "pid": None, "obsolete": False}

    comments = fresh()
    prev_target = None

    def finish():
        nonlocal cur
        if cur is not None:
            if cur.msgstr is None:
                raise CatalogError("entry has a msgid but no msgstr; add msgstr \"\"", Location(path, cur.line))
            key = (cur.obsolete, cur.key)
            if key in seen_keys:
                raise CatalogError(
                    f"duplicate entry for msgid {cur.msgid[:50]!r} (first at line {seen_keys[key]}); "
                    "merge the two entries into one (msguniq can help)",
                    Location(path, cur.line),
                )
            seen_keys[key] = cur.line
            entries.append(cur)
        cur = None

    for number, raw in enumerate(text.split("\n"), 1):
        loc = Location(path, number)
        line = raw.strip()
        if not line:
            continue
        obsolete = False
        if line.startswith("#~"):
            obsolete = True
            line = line[2:].strip()
            if line.startswith("|"):
                line = "#" + line
            elif not line:
                continue
        if line.startswith("#"):
            if cur is not None and cur.msgstr is not None:
                finish()
                comments = fresh()
                target = None
            kind = line[1:2]
            rest = line[2:].strip() if kind in ".:,|" else line[1:].strip()
            if kind == ".":
                comments["ec"].append(line[3:] if line[2:3] == " " else line[2:])
            elif kind == ":":
                comments["refs"].extend(rest.split())
            elif kind == ",":
                comments["flags"].extend(f.strip() for f in rest.split(",") if f.strip())
            elif kind == "|":
                m = re.match(r"^(msgctxt|msgid)\s+(\".*)$", rest)
                if m:
                    name = "pctx" if m.group(1) == "msgctxt" else "pid"
                    comments[name] = _unquote(m.group(2), loc)
                    prev_target = name
                elif rest.startswith('"') and prev_target:
                    comments[prev_target] += _unquote(rest, loc)
                else:
                    raise CatalogError(f"cannot read previous-msgid line {raw.strip()[:40]!r}", loc)
            else:
                comments["tc"].append(line[2:] if line[1:2] == " " else line[1:])
            continue
        if line.startswith('"'):
            if target is None or cur is None:
                raise CatalogError("a string continuation line outside any entry; remove it or add msgid/msgstr", loc)
            value = _unquote(line, loc)
            name, idx = target
            if name == "msgstr_plural":
                cur.msgstr_plural[idx] += value
            else:
                setattr(cur, name, getattr(cur, name) + value)
            continue
        m = _KEYWORD.match(line)
        if not m:
            raise CatalogError(
                f"unknown or misformatted keyword in {raw.strip()[:40]!r}; expected msgctxt, msgid, msgid_plural or msgstr",
                loc,
            )
        keyword, idx, value = m.group(1), m.group(2), _unquote(m.group(3), loc)
        if keyword in ("msgctxt", "msgid"):
            if cur is not None and cur.msgstr is not None:
                finish()
                comments = fresh()
            elif cur is not None and (cur.msgid is not None or keyword == "msgctxt"):
                raise CatalogError("entry has no msgstr; add msgstr \"\" before the next entry", Location(path, cur.line or number))
            if cur is None:
                cur = Entry(
                    msgid=None, msgstr=None,
                    translator_comments=comments["tc"], extracted_comments=comments["ec"],
                    references=comments["refs"], flags=comments["flags"],
                    previous_msgctxt=comments["pctx"], previous_msgid=comments["pid"], obsolete=obsolete,
                )
                prev_target = None
            if keyword == "msgctxt":
                cur.msgctxt = value
                target = ("msgctxt", None)
            else:
                cur.msgid = value
                cur.line = number
                target = ("msgid", None)
        elif keyword == "msgid_plural":
            if cur is None or cur.msgid is None:
                raise CatalogError("msgid_plural without a msgid before it", loc)
            cur.msgid_plural = value
            target = ("msgid_plural", None)
        else:
            if cur is None or cur.msgid is None:
                raise CatalogError("msgstr without a msgid before it; add the msgid line", loc)
            if idx is not None:
                if cur.msgid_plural is None:
                    raise CatalogError("msgstr[N] in an entry without msgid_plural", loc)
                cur.msgstr_plural[int(idx)] = value
                cur.msgstr = ""
                target = ("msgstr_plural", int(idx))
            else:
                if cur.msgid_plural is not None:
                    raise CatalogError("an entry with msgid_plural needs msgstr[0], msgstr[1], ...", loc)
                cur.msgstr = value
                target = ("msgstr", None)
    if cur is not None:
        if cur.msgstr is None:
            raise CatalogError("entry has a msgid but no msgstr; add msgstr \"\"", Location(path, cur.line))
        finish()
    header = None
    body = []
    for e in entries:
        if e.msgid == "" and e.msgctxt is None and not e.obsolete and header is None:
            header = e
        else:
            body.append(e)
    if header is None:
        header = Entry(msgid="", msgstr="Content-Type: text/plain; charset=UTF-8\n")
    charset = re.search(r"charset=([^\s;]+)", header.msgstr or "")
    if charset and charset.group(1).lower().replace("_", "-") not in ("utf-8", "utf8", "charset"):
        raise CatalogError(
            f"catalog declares charset {charset.group(1)}; briefgen reads UTF-8 only: convert it "
            "(msgconv --to-code=UTF-8) and set 'charset=UTF-8' in the header",
            Location(path, header.line or 1),
        )
    return PoFile(header, body, path)


def read_po(path: Path) -> PoFile:
    """Read a PO/POT file as UTF-8 (BOM and CRLF tolerated)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError("catalog not found; run `briefgen extract` then `briefgen update`", Location(path)) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(
            "catalog is not valid UTF-8; convert it with msgconv --to-code=UTF-8", Location(path, line)
        ) from None
    return parse_po(text.replace("\r\n", "\n").replace("\r", "\n"), path)


# ----- writing ------------------------------------------------------------------------------


def _escape(s: str) -> str:
    return (
        s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
        .replace("\a", "\\a").replace("\b", "\\b").replace("\f", "\\f").replace("\v", "\\v").replace("\n", "\\n")
    )


def _segments(piece: str) -> list[str]:
    """Split text at UAX #14 break opportunities, plus those libunistring (gettext) adds:
    after '.', ',', ':', ';', '!' or '?' directly followed by a letter ("globalfindex.|worldbank")."""
    from uniseg.linebreak import line_break_boundaries  # only when writing: 9 ms of import

    bounds = set(line_break_boundaries(piece))
    for m in re.finditer(r"[.,:;!?](?=[A-Za-z])", piece):
        bounds.add(m.end())
    segs, prev = [], 0
    for b in sorted(bounds):
        if b > prev:
            segs.append(piece[prev:b])
            prev = b
    if prev < len(piece):
        segs.append(piece[prev:])
    return segs


def _fill(piece: str, width: int) -> list[str]:
    lines, cur = [], ""
    for seg in _segments(piece):
        if cur and len(_escape(cur + seg)) + 2 > width:
            lines.append(cur)
            cur = seg
        else:
            cur += seg
    if cur or not lines:
        lines.append(cur)
    return lines


def _wrap(keyword: str, value: str, prefix: str = "") -> list[str]:
    width = WIDTH - len(prefix)
    head = f"{keyword} "
    if "\n" not in value[:-1]:
        single = f'{head}"{_escape(value)}"'
        if len(single) <= width:
            return [prefix + single]
        lines = _fill(value, width)
        if len(lines) == 1 and len(_escape(lines[0])) + 2 > width:
            return [prefix + single]  # unbreakable and too long anyway: gettext leaves it in place
    else:
        lines = []
        for piece in re.split(r"(?<=\n)", value):
            if piece:
                lines.extend(_fill(piece, width))
    return [f'{prefix}{head}""'] + [f'{prefix}"{_escape(ln)}"' for ln in lines]


def _references(refs: list[str]) -> list[str]:
    out, cur = [], "#:"
    for ref in refs:
        if cur != "#:" and len(cur) + 1 + len(ref) > WIDTH:
            out.append(cur)
            cur = "#:"
        cur += " " + ref
    if cur != "#:":
        out.append(cur)
    return out


def format_entry(e: Entry) -> list[str]:
    # a comment holding a line break would end the comment line mid-way: one line each
    out = [f"# {line}" if line else "#" for c in e.translator_comments for line in c.split("\n")]
    out += [f"#. {line}" for c in e.extracted_comments for line in c.split("\n")]
    if not e.obsolete:
        out += _references(e.references)
    if e.flags:
        out.append("#, " + ", ".join(e.flags))
    pre = "#~ " if e.obsolete else ""
    if e.previous_msgctxt is not None:
        out += _wrap("msgctxt", e.previous_msgctxt, pre + "#| ")
    if e.previous_msgid is not None:
        out += _wrap("msgid", e.previous_msgid, pre + "#| ")
    if e.msgctxt is not None:
        out += _wrap("msgctxt", e.msgctxt, pre)
    out += _wrap("msgid", e.msgid, pre)
    if e.msgid_plural is not None:
        out += _wrap("msgid_plural", e.msgid_plural, pre)
        for i in sorted(e.msgstr_plural):
            out += _wrap(f"msgstr[{i}]", e.msgstr_plural[i], pre)
    else:
        out += _wrap("msgstr", e.msgstr, pre)
    return out


def format_po(po: PoFile) -> str:
    """The whole file as gettext writes it: header, active entries, then obsolete ones."""
    blocks = [format_entry(po.header)]
    blocks += [format_entry(e) for e in po.entries if not e.obsolete]
    blocks += [format_entry(e) for e in po.entries if e.obsolete]
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"
