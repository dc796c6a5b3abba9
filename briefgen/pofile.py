"""Gettext PO files: the entries, a lossless reader, and (from powrap) a writer that formats
exactly as gettext's msgcat does.

Babel's PO reader turns `#|` previous-msgid lines into translator comments, so briefgen keeps
its own small reader/writer; every field a translator or a tool may set survives a round trip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CatalogError, Location
from .powrap import format_entry, format_po  # noqa: F401  (the writer, re-exported)


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
    previous_msgid_plural: str | None = None
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

    def copy(self) -> Entry:
        """A copy whose lists and forms can change without changing this entry (what deepcopy
        gives, for the fields entries hold, at a twentieth of its cost: a merge copies each)."""
        twin = object.__new__(Entry)
        twin.__dict__.update(self.__dict__)
        for name in ("translator_comments", "extracted_comments", "references", "flags"):
            setattr(twin, name, list(getattr(self, name)))
        twin.msgstr_plural = dict(self.msgstr_plural)
        return twin

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


def _unquote(s: str, where) -> str:
    """The text of a quoted PO string; `where()` gives the Location an error names."""
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise CatalogError(f"expected a quoted string, got {s[:40]!r}; strings must be in double quotes", where())
    body = s[1:-1]
    if "\\" not in body and '"' not in body:
        return body  # the common case: nothing escaped
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 >= len(body):
                raise CatalogError("string ends with a lone backslash; write \\\\ for a backslash", where())
            n = body[i + 1]
            if n not in _ESCAPES:
                raise CatalogError(f"unknown escape sequence '\\{n}'; write \\\\ for a backslash", where())
            out.append(_ESCAPES[n])
            i += 2
        elif c == '"':
            raise CatalogError('unescaped double quote inside a string; write \\" instead', where())
        else:
            out.append(c)
            i += 1
    return "".join(out)


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*)$")
_PREVIOUS = re.compile(r"^(msgctxt|msgid_plural|msgid)\s+(\".*)$")
_PREVIOUS_FIELDS = {"msgctxt": "previous_msgctxt", "msgid": "previous_msgid", "msgid_plural": "previous_msgid_plural"}


class _Parser:
    """Reads PO text line by line into entries; each malformed line is a located CatalogError."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: list[Entry] = []
        self.cur: Entry | None = None
        self.comments = self._fresh()
        self.target: tuple | None = None  # (field, plural index) a string continuation line extends
        self.previous: str | None = None  # the previous-msgid field a `#| "..."` line extends
        self.seen: dict = {}
        self.number = 0  # the line being read

    def loc(self) -> Location:
        return Location(self.path, self.number)

    @staticmethod
    def _fresh() -> dict:
        return {"translator_comments": [], "extracted_comments": [], "references": [], "flags": [],
                "previous_msgctxt": None, "previous_msgid": None, "previous_msgid_plural": None}

    def feed(self, raw: str, number: int) -> None:
        self.number = number
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                line = "#" + line
        if not line:
            return
        if line.startswith("#"):
            self.comment(line, raw)
        elif line.startswith('"'):
            self.continuation(line)
        else:
            self.keyword(line, raw, obsolete, number)

    def comment(self, line: str, raw: str) -> None:
        if self.cur is not None and self.cur.msgstr is not None:
            self.finish()
        kind = line[1:2]
        rest = line[2:].strip()
        if kind == ".":
            self.comments["extracted_comments"].append(line[3:] if line[2:3] == " " else line[2:])
        elif kind == ":":
            self.comments["references"].extend(rest.split())
        elif kind == ",":
            self.comments["flags"].extend(f.strip() for f in rest.split(",") if f.strip())
        elif kind == "|":
            self.previous_line(rest, raw)
        else:
            self.comments["translator_comments"].append(line[2:] if line[1:2] == " " else line[1:])

    def previous_line(self, rest: str, raw: str) -> None:
        m = _PREVIOUS.match(rest)
        if m:
            self.previous = _PREVIOUS_FIELDS[m.group(1)]
            self.comments[self.previous] = _unquote(m.group(2), self.loc)
        elif rest.startswith('"') and self.previous:
            self.comments[self.previous] += _unquote(rest, self.loc)
        else:
            raise CatalogError(f"cannot read previous-msgid line {raw.strip()[:40]!r}", self.loc())

    def continuation(self, line: str) -> None:
        if self.target is None or self.cur is None:
            raise CatalogError("a string continuation line outside any entry; remove it or add msgid/msgstr", self.loc())
        value = _unquote(line, self.loc)
        name, idx = self.target
        if name == "msgstr_plural":
            self.cur.msgstr_plural[idx] += value
        else:
            setattr(self.cur, name, getattr(self.cur, name) + value)

    def keyword(self, line: str, raw: str, obsolete: bool, number: int) -> None:
        m = _KEYWORD.match(line)
        if not m:
            raise CatalogError(f"unknown or misformatted keyword in {raw.strip()[:40]!r}; "
                               "expected msgctxt, msgid, msgid_plural or msgstr", self.loc())
        keyword, idx, value = m.group(1), m.group(2), _unquote(m.group(3), self.loc)
        if keyword in ("msgctxt", "msgid"):
            self.start(keyword, value, obsolete, number)
        elif keyword == "msgid_plural":
            if self.cur is None or self.cur.msgid is None:
                raise CatalogError("msgid_plural without a msgid before it", self.loc())
            self.cur.msgid_plural = value
            self.target = ("msgid_plural", None)
        else:
            self.msgstr(idx, value)

    def start(self, keyword: str, value: str, obsolete: bool, number: int) -> None:
        """A msgctxt or msgid line: it begins an entry, or continues one that has no msgid yet."""
        cur = self.cur
        if cur is not None and cur.msgstr is not None:
            self.finish()
        elif cur is not None and (cur.msgid is not None or keyword == "msgctxt"):
            raise CatalogError("entry has no msgstr; add msgstr \"\" before the next entry",
                               Location(self.path, cur.line or number))
        if self.cur is None:
            self.cur = Entry(msgid=None, msgstr=None, obsolete=obsolete, **self.comments)
            self.previous = None
        if keyword == "msgctxt":
            self.cur.msgctxt = value
        else:
            self.cur.msgid, self.cur.line = value, number
        self.target = (keyword, None)

    def msgstr(self, idx: str | None, value: str) -> None:
        cur = self.cur
        if cur is None or cur.msgid is None:
            raise CatalogError("msgstr without a msgid before it; add the msgid line", self.loc())
        if idx is not None:
            if cur.msgid_plural is None:
                raise CatalogError("msgstr[N] in an entry without msgid_plural", self.loc())
            cur.msgstr_plural[int(idx)] = value
            cur.msgstr = ""
            self.target = ("msgstr_plural", int(idx))
        else:
            if cur.msgid_plural is not None:
                raise CatalogError("an entry with msgid_plural needs msgstr[0], msgstr[1], ...", self.loc())
            cur.msgstr = value
            self.target = ("msgstr", None)

    def finish(self) -> None:
        cur, self.cur = self.cur, None
        self.comments, self.target = self._fresh(), None
        if cur is None:
            return
        if cur.msgstr is None:
            raise CatalogError("entry has a msgid but no msgstr; add msgstr \"\"", Location(self.path, cur.line))
        key = (cur.obsolete, cur.key)
        if key in self.seen:
            raise CatalogError(
                f"duplicate entry for msgid {cur.msgid[:50]!r} (first at line {self.seen[key]}); "
                "merge the two entries into one (msguniq can help)",
                Location(self.path, cur.line),
            )
        self.seen[key] = cur.line
        self.entries.append(cur)


def parse_po(text: str, path: Path) -> PoFile:
    """Parse PO text; raises a located CatalogError on any malformed line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    parser = _Parser(path)
    for number, raw in enumerate(text.split("\n"), 1):
        parser.feed(raw, number)
    parser.finish()
    header = None
    body = []
    for e in parser.entries:
        if e.msgid == "" and e.msgctxt is None and not e.obsolete and header is None:
            header = e
        else:
            body.append(e)
    if header is None:
        header = Entry(msgid="", msgstr="Content-Type: text/plain; charset=UTF-8\n")
    charset = re.search(r"charset=([^\s;]+)", header.msgstr or "")
    if charset and charset.group(1).lower().replace("_", "-") not in ("utf-8", "utf8", "charset"):
        raise CatalogError(
            f"{_kind(path)} declares charset {charset.group(1)}; briefgen reads UTF-8 only: convert it "
            "(msgconv --to-code=UTF-8) and set 'charset=UTF-8' in the header",
            Location(path, header.line or 1),
        )
    return PoFile(header, body, path)


def _kind(path: Path | None) -> str:
    """What a message calls the file: a POT file (the English strings) or a catalog."""
    return "POT file" if path is not None and Path(path).suffix == ".pot" else "catalog"


def read_po(path: Path, inside: Path | None = None) -> PoFile:
    """Read a PO/POT file as UTF-8 (BOM and CRLF tolerated); with `inside` (a project's root), refuse
    one that a symlink places outside that folder."""
    if inside is not None and not path.resolve().is_relative_to(inside.resolve()):
        raise CatalogError(f"refusing to read {path.name}: it resolves to {path.resolve()}, outside the project "
                           "(a symlink leaving the project); copy the catalog into locales/ instead", Location(path))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        remedy = "`briefgen extract`" if _kind(path) == "POT file" else "`briefgen extract`, then `briefgen update`"
        raise CatalogError(f"{_kind(path)} not found; run {remedy}", Location(path)) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(
            f"{_kind(path)} is not valid UTF-8; convert it with msgconv --to-code=UTF-8", Location(path, line)
        ) from None
    return parse_po(text.replace("\r\n", "\n").replace("\r", "\n"), path)
