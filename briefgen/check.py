"""Check stage: every way the languages can drift apart, as located problems with stable codes."""
from __future__ import annotations

import csv
import functools
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from .catalog import DOMAINS, content_entries, message_entries
from .config import Project
from .content import load_documents
from .errors import CatalogError, ContentError, Location
from .markdown import parser
from .pofile import Entry, PoFile, read_po
from .source import read_text, split_front_matter
from .translate import sha256_file

# code -> (severity, short name); the codes are stable: tools and CI annotations rely on them
CODES = {
    "BG101": ("error", "template stale"),
    "BG102": ("error", "catalog not updated"),
    "BG103": ("error", "untranslated"),
    "BG104": ("error", "fuzzy"),
    "BG105": ("warning", "obsolete"),
    "BG106": ("error", "catalog missing"),
    "BG107": ("error", "plural forms"),
    "BG201": ("error", "numbers differ"),
    "BG202": ("error", "links differ"),
    "BG203": ("error", "footnote references differ"),
    "BG204": ("error", "inline markup differs"),
    "BG205": ("error", "placeholders differ"),
    "BG210": ("info", "difference allowed by translator"),
    "BG301": ("warning", "glossary term missing"),
    "BG401": ("error", "override stale"),
    "BG402": ("error", "override outline differs"),
    "BG501": ("error", "rendered HTML differs"),
    "BG502": ("error", "PDF bookmarks differ"),
    "BG503": ("warning", "PDF page count differs"),
    "BG504": ("info", "rendered output not checked"),
}
ALLOW = re.compile(r"^briefgen:\s*allow\s+(.+)$")
CATEGORIES = {"BG201": "numbers", "BG202": "links", "BG203": "footnotes", "BG204": "markup", "BG205": "placeholders"}
PAGE_TOLERANCE = 0.25  # translations run longer: up to 25% (at least 2 pages) more or fewer pages


@dataclass
class Problem:
    code: str
    severity: str
    file: str
    line: int
    message: str
    msgid: str | None = None

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity} {self.code}: {self.message}"


class Report:
    def __init__(self, project: Project):
        self.project = project
        self.problems: list[Problem] = []

    def add(self, code: str, loc: Location | Path | str, message: str, msgid: str | None = None, severity: str | None = None):
        if isinstance(loc, Location):
            path, line = loc.path, loc.line
        else:
            path, line = loc, 0
        rel = Location(path).display(self.project.root)
        self.problems.append(Problem(code, severity or CODES[code][0], rel, line, message, msgid))

    def count(self, severity: str) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

    @property
    def exit_code(self) -> int:
        return 1 if self.count("error") else 0

    def summary(self) -> str:
        e, w, i = self.count("error"), self.count("warning"), self.count("info")
        return f"check: {e} error(s), {w} warning(s), {i} info"

    def text(self) -> str:
        return "\n".join([p.format() for p in self.problems] + [self.summary()])

    def json(self) -> str:
        return json.dumps(
            {"problems": [asdict(p) for p in self.problems],
             "summary": {"errors": self.count("error"), "warnings": self.count("warning"), "info": self.count("info")}},
            ensure_ascii=False, indent=2,
        )


# ----- per-unit parity ----------------------------------------------------------------------

_URL_TEXT = re.compile(r"<[^>\s]+>|\]\([^)]*\)|https?://\S+")
_FOOTREF = re.compile(r"\[\^([^\]\s]+)\]")
_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d+)*")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}|\{\w+\}")


def numbers(text: str) -> Counter:
    """Numbers as values, whatever the locale writes: 49.1 = 49,1; 850,000 = 850 000 = 850.000."""
    text = _FOOTREF.sub(" ", _URL_TEXT.sub(" ", text))
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


# ----- the checks ---------------------------------------------------------------------------


def _signature(e: Entry) -> tuple:
    """What `extract` writes for an entry (the POT's header date aside)."""
    return (e.msgctxt, e.msgid, e.msgid_plural, tuple(e.references), tuple(e.extracted_comments), tuple(e.flags))


def check_catalogs(project: Project, report: Report, library, documents) -> dict[str, PoFile]:
    """Template staleness, catalog state and per-entry parity; returns the parsed content catalogs."""
    fresh = {"content": content_entries(project, library, documents), "messages": message_entries(project)}
    pots = {}
    for domain in DOMAINS:
        path = project.pot_path(domain)
        if not path.exists():
            report.add("BG101", Location(path), f"{path.name} does not exist; run `briefgen extract`")
            pots[domain] = PoFile(Entry(msgid=""), fresh[domain], path)
            continue
        pot = read_po(path)
        if [_signature(e) for e in fresh[domain]] != [_signature(e) for e in pot.entries]:
            report.add("BG101", Location(path, 1), f"{path.name} is stale against the sources; run `briefgen extract` then `briefgen update`")
        pots[domain] = pot  # the catalogs are compared with what `update` would merge
    catalogs = {}
    for lang in project.target_languages:
        terms = load_glossary(project.glossary_path(lang))
        for domain in DOMAINS:
            path = project.po_path(lang, domain)
            if not path.exists():
                report.add("BG106", Location(path), f"no {lang} catalog for '{domain}'; run `briefgen update`")
                continue
            po = read_po(path)
            if domain == "content":
                catalogs[lang] = po
            try:
                nplurals = po.plural_rule().nplurals
            except CatalogError as exc:
                report.add("BG107", exc.location, exc.message)
                nplurals = None
            index = po.index()
            for t in pots[domain].entries:
                if t.key not in index:
                    report.add("BG102", Location(path), f"missing entry for {t.msgid[:60]!r}; run `briefgen update`", t.msgid)
            for e in po.entries:
                loc = Location(path, e.line)
                if nplurals and not e.obsolete and e.msgid_plural is not None and sorted(e.msgstr_plural) != list(range(nplurals)):
                    report.add("BG107", loc, _plural_mismatch(e, nplurals), e.msgid)
                if e.obsolete:
                    report.add("BG105", loc, f"obsolete entry {e.msgid[:50]!r}: delete it once its translation is no longer needed", e.msgid)
                    continue
                if e.fuzzy:
                    report.add("BG104", loc, f"fuzzy entry {e.msgid[:50]!r}: review the translation and remove the fuzzy mark", e.msgid)
                    continue
                if not e.translated:
                    report.add("BG103", loc, f"untranslated: {e.msgid[:60]!r}", e.msgid)
                    continue
                if e.msgid_plural is not None:
                    continue
                ok = allowed(e)
                for code, message in parity(e.msgid, e.msgstr):
                    if CATEGORIES[code] in ok:
                        report.add("BG210", loc, f"{message} (allowed: '# briefgen: allow {CATEGORIES[code]}')", e.msgid)
                    else:
                        report.add(code, loc, f"{message}; fix the translation or add '# briefgen: allow {CATEGORIES[code]}'", e.msgid)
                for term in glossary_misses(terms, e.msgid, e.msgstr):
                    message = (f"glossary: '{term.source}' should be translated as '{' or '.join(term.targets)}' "
                               f"({project.glossary_path(lang).name}:{term.line})")
                    if "glossary" in ok:
                        report.add("BG210", loc, f"{message} (allowed: '# briefgen: allow glossary')", e.msgid)
                    else:
                        report.add("BG301", loc, message + "; or add '# briefgen: allow glossary' for a proper name", e.msgid)
    return catalogs


def _plural_mismatch(e: Entry, nplurals: int) -> str:
    missing = [f"msgstr[{i}]" for i in range(nplurals) if i not in e.msgstr_plural]
    surplus = [f"msgstr[{i}]" for i in sorted(e.msgstr_plural) if not 0 <= i < nplurals]
    parts = []
    if missing:
        parts.append(f"lacks {', '.join(missing)} (run `briefgen update` to add the missing forms)")
    if surplus:
        parts.append(f"has {', '.join(surplus)} beyond them (delete it, or correct the Plural-Forms header)")
    return f"plural entry {e.msgid[:40]!r}: the header's Plural-Forms says nplurals={nplurals}; the entry " + " and ".join(parts)


def _outline(text: str) -> list[int]:
    tokens = parser().parse(text, {})
    return [int(t.tag[1]) for t in tokens if t.type == "heading_open"]


def check_overrides(project: Project, report: Report, documents) -> None:
    for lang in project.target_languages:
        for doc in documents:
            for section in doc.sections:
                path = project.language_dir(lang) / doc.name / f"{section.name}.md"
                if not path.exists():
                    continue
                fm = split_front_matter(read_text(path, project.root), path)
                english = section.path
                if fm.data.get("translation-of") != sha256_file(english):
                    report.add("BG401", fm.data.where("translation-of") if "translation-of" in fm.data else Location(path, 1),
                               f"override translates an older {Location(english).display(project.root)}: update the translation, "
                               f"then set translation-of to its new SHA-256")
                en_fm = split_front_matter(read_text(english, project.root), english)
                a, b = _outline(en_fm.body), _outline(fm.body)
                if a != b:
                    report.add("BG402", Location(path, fm.body_line),
                               f"heading outline {b} differs from {Location(english).display(project.root)} {a}; keep the same headings")


def check_rendered(project: Project, report: Report) -> None:
    """Compare the built English and translated outputs (when a build exists)."""
    from .parity import html_shape

    site = project.dist_dir / "site"
    if not site.is_dir():
        report.add("BG504", Location(project.dist_dir), "no build found: rendered HTML/PDF parity not checked; run `briefgen build` first")
        return
    src = project.source_language
    not_compared: dict[str, list[str]] = {}  # why -> editions: one line per reason, not per edition
    for name in project.documents:
        en_page = site / src / name / "index.html"
        if not en_page.exists():
            report.add("BG504", Location(en_page), "page missing; run `briefgen build`")
            continue
        en = html_shape(en_page.read_text(encoding="utf-8"))
        for lang in project.target_languages:
            page = site / lang / name / "index.html"
            if not page.exists():
                report.add("BG501", Location(page), "translated page missing; run `briefgen build`")
                continue
            other = html_shape(page.read_text(encoding="utf-8"))
            for key in en:
                if key != "pdf" and en[key] != other[key]:
                    report.add("BG501", Location(page), f"{key} differ from the {src} page: {_diff(en[key], other[key])}")
            why = _compare_pdfs(project, report, en, other)
            if why:
                not_compared.setdefault(why, []).append(f"{lang}/{name}")
    for why, editions in not_compared.items():
        report.add("BG504", Location(project.dist_dir / "pdf"), f"PDFs not compared ({', '.join(editions)}): {why}; "
                   "run `briefgen build` to check their bookmark trees and page counts")


def _compare_pdfs(project: Project, report: Report, en: dict, other: dict) -> str | None:
    """Compare the PDFs of two editions; why they could not be compared, if so."""
    from .parity import pdf_shape

    pdf_dir = project.dist_dir / "pdf"
    a_path, b_path = pdf_dir / en["pdf"], pdf_dir / other["pdf"]
    if not (en["pdf"] and other["pdf"]):
        return "the built pages link no PDF (a build with --no-pdf?)"
    if not (a_path.exists() and b_path.exists()):
        return ", ".join(p.name for p in (a_path, b_path) if not p.exists()) + " missing from dist/pdf"
    a, b = pdf_shape(a_path), pdf_shape(b_path)
    if a["bookmarks"] != b["bookmarks"]:
        report.add("BG502", Location(b_path), f"bookmark tree differs from {a_path.name}: {_diff(a['bookmarks'], b['bookmarks'])}")
    allowed_pages = max(2, round(a["pages"] * PAGE_TOLERANCE))
    if abs(a["pages"] - b["pages"]) > allowed_pages:
        report.add("BG503", Location(b_path), f"{b['pages']} pages against {a['pages']} in {a_path.name} "
                   f"(tolerance ±{allowed_pages}); check for missing or duplicated content")
    return None


def _diff(a, b) -> str:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if isinstance(a, list) and a and isinstance(a[0], str) and len(a) < 2000:
            missing = sorted(set(a) - set(b))[:5]
            extra = sorted(set(b) - set(a))[:5]
            if missing or extra:
                return f"missing {missing}, extra {extra}"
        return f"{len(a)} vs {len(b)} items"
    return f"{a} vs {b}"


def run_checks(project: Project, rendered: bool = True, loaded=None) -> Report:
    """Every check on a project; raises BriefgenError only for unreadable input. `loaded`:
    load_documents(project), when the caller has it already."""
    report = Report(project)
    library, documents = loaded or load_documents(project)
    check_catalogs(project, report, library, documents)
    check_overrides(project, report, documents)
    if rendered:
        check_rendered(project, report)
    return report
