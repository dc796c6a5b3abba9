"""What must match across languages: per-unit parity (numbers, links, footnote references, inline
markup, placeholders, glossary terms) and the shape of the rendered outputs (HTML and PDF)."""
from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .errors import ContentError, Location
from .markdown import parser
from .pofile import Entry
from .source import read_text

ALLOW = re.compile(r"^briefgen:\s*allow\s+(.+)$")
CATEGORIES = {"BG201": "numbers", "BG202": "links", "BG203": "footnotes", "BG204": "markup", "BG205": "placeholders"}


# ----- per-unit parity ----------------------------------------------------------------------

_URL_TEXT = re.compile(r"<[^>\s]+>|\]\([^)]*\)|https?://\S+")
_FOOTREF = re.compile(r"\[\^([^\]\s]+)\]")
_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f\u2009 ]\d+)*")
# Arabic-Indic and Eastern Arabic-Indic digits, full-width digits (any Unicode decimal digit) and
# the Arabic decimal and thousands separators (٫ ٬) read as the ASCII ones; a full-width comma or
# an ideographic one (，、) separates numbers in CJK text, as a comma and a space do in English.
_ARABIC_SEPARATORS = str.maketrans({"\u066b": ".", "\u066c": ","})
_CJK_COMMAS = re.compile(r"[\uff0c\u3001](?=\d)")


def _ascii_digits(text: str) -> str:
    if text.isascii():
        return text
    text = _CJK_COMMAS.sub(", ", text.translate(_ARABIC_SEPARATORS))
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}|\{\w+\}")


def numbers(text: str) -> Counter:
    """Numbers as values, whatever the locale and script write: 49.1 = 49,1 = ٤٩٫١ = ４９.１;
    850,000 = 850 000 = 850.000 = ٨٥٠٬٠٠٠."""
    text = _ascii_digits(_FOOTREF.sub(" ", _URL_TEXT.sub(" ", text)))
    out = Counter()
    for token in _NUMBER.findall(text):
        parts = re.split(r"([.,\u00a0\u202f ])", token)
        digits, decimal = parts[0], None
        for sep, group in zip(parts[1::2], parts[2::2]):
            if decimal is None and len(group) == 3:
                digits += group  # a thousands group, whichever separator the locale uses
            elif decimal is None and sep in ".,":
                decimal = group
            else:  # two numbers side by side ("2018 47.1"): count both
                out[_canon(digits, decimal)] += 1
                digits, decimal = group, None
        out[_canon(digits, decimal)] += 1
    return out


def _canon(digits: str, decimal: str | None) -> str:
    digits = digits.lstrip("0") or "0"
    decimal = (decimal or "").rstrip("0")
    return f"{digits}.{decimal}" if decimal else digits


_MARKUP_CHARS = re.compile(r"[\[*_`<!]")


@functools.lru_cache(maxsize=8192)
def _inline_tokens(text: str) -> tuple:
    if not _MARKUP_CHARS.search(text):
        return ()  # plain text: nothing for the inline parser to find
    tokens = parser().parseInline(text, {})
    return tuple(tokens[0].children or [])


def links(text: str) -> Counter:
    out = Counter()
    for t in _inline_tokens(text):
        if t.type == "link_open":
            out[t.attrGet("href")] += 1
        elif t.type == "image":
            out[t.attrGet("src")] += 1
    return out


def markup(text: str) -> Counter:
    kinds = {"em_open": "emphasis", "strong_open": "strong", "code_inline": "code"}  # links: BG202
    return Counter(kinds[t.type] for t in _inline_tokens(text) if t.type in kinds)


def _describe(c: Counter) -> str:
    return ", ".join(f"{k}×{v}" if v > 1 else k for k, v in sorted(c.items())) or "none"


def parity(msgid: str, msgstr: str) -> list[tuple[str, str]]:
    """(code, message) for every way a translation loses or adds a number, link, note or markup."""
    out = []
    for code, name, func in (
        ("BG201", "numbers", numbers),
        ("BG202", "link targets", links),
        ("BG203", "footnote references", lambda s: Counter(_FOOTREF.findall(s))),
        ("BG204", "inline markup", markup),
        ("BG205", "placeholders", lambda s: Counter(_PLACEHOLDER.findall(s))),
    ):
        a, b = func(msgid), func(msgstr)
        if a != b:
            out.append((code, f"{name} differ: source has {_describe(a)}; translation has {_describe(b)}"))
    return out


def allowed(entry: Entry) -> set[str]:
    out = set()
    for c in entry.translator_comments:
        m = ALLOW.match(c.strip())
        if m:
            out |= {w.strip() for w in re.split(r"[,\s]+", m.group(1)) if w.strip()}
    return out


# ----- glossary -----------------------------------------------------------------------------


@dataclass
class Term:
    source: str
    targets: list[str]
    note: str
    line: int


def load_glossary(path: Path) -> list[Term]:
    if not path.exists():
        return []
    terms = []
    rows = csv.reader(read_text(path).splitlines())
    for number, row in enumerate(rows, 1):
        if number == 1 and row and row[0].strip().lower() in ("source", "english", "en", "term"):
            continue
        if not row or not row[0].strip():
            continue
        if len(row) < 2:
            raise ContentError("glossary row needs at least two columns: source term, target term", Location(path, number))
        terms.append(Term(row[0].strip(), [t.strip() for t in row[1].split("|") if t.strip()], row[2].strip() if len(row) > 2 else "", number))
    return terms


def glossary_misses(terms: list[Term], msgid: str, msgstr: str) -> list[Term]:
    low = msgstr.lower()
    return [t for t in terms if re.search(rf"\b{re.escape(t.source.lower())}", msgid.lower())
            and not any(x.lower() in low for x in t.targets)]


# ----- the shape of rendered outputs ---------------------------------------------------------


class _Shape(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.outline: list[int] = []
        self.counts = {"tables": 0, "table rows": 0, "list items": 0, "footnotes": 0, "figures": 0, "links to notes": 0}
        self.pdf = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.outline.append(int(tag[1]))
        cls = (a.get("class") or "").split()
        if tag == "table":
            self.counts["tables"] += 1
        elif tag == "tr":
            self.counts["table rows"] += 1
        elif tag == "li":
            self.counts["footnotes" if "footnote-item" in cls else "list items"] += 1
        elif tag == "figure":
            self.counts["figures"] += 1
        elif tag == "a" and (a.get("href") or "").startswith("#fn-"):
            self.counts["links to notes"] += 1
        if tag == "a" and "download" in a and (a.get("href") or "").endswith(".pdf"):
            self.pdf = Path(a["href"]).name


def html_shape(text: str) -> dict:
    """Element ids, heading outline and structural counts of a page."""
    p = _Shape()
    p.feed(text)
    p.close()
    return {"element ids": p.ids, "heading outline": p.outline, **p.counts, "pdf": p.pdf}


def pdf_shape(path: Path) -> dict:
    """Bookmark tree (as depths in order) and page count of a PDF."""
    import pypdf

    reader = pypdf.PdfReader(path)
    depths: list[int] = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                depths.append(depth)

    walk(reader.outline, 0)
    return {"bookmarks": depths, "pages": len(reader.pages)}
