"""Check stage: every way the languages can drift apart, as located problems with stable codes."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import DOMAINS, content_entries, message_entries
from .config import Project
from .content import Sources, load_sources, read_catalog
from .errors import CatalogError, Location
from .markdown import parser
from .parity import CATEGORIES, allowed, glossary_misses, load_glossary, parity
from .pofile import Entry, PoFile

if TYPE_CHECKING:
    from .translate import Edition

# code -> (severity, short name); the codes are stable: tools and CI annotations rely on them
CODES = {
    "BG101": ("error", "POT file stale"),
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


# ----- the checks ---------------------------------------------------------------------------


def _signature(e: Entry) -> tuple:
    """What `extract` writes for an entry (the POT's header date aside)."""
    return (e.msgctxt, e.msgid, e.msgid_plural, tuple(e.references), tuple(e.extracted_comments), tuple(e.flags))


def check_templates(project: Project, report: Report, sources: Sources) -> dict[str, PoFile]:
    """Each POT file against what `extract` would write now; returns them (or what they would
    be), since the catalogs are compared with what `update` would merge."""
    fresh = {"content": content_entries(project, sources.library, sources.documents), "messages": message_entries(project)}
    pots = {}
    for domain in DOMAINS:
        path = project.pot_path(domain)
        if not path.exists():
            report.add("BG101", Location(path), f"{path.name} does not exist; run `briefgen extract`")
            pots[domain] = PoFile(Entry(msgid=""), fresh[domain], path)
            continue
        pot = pots[domain] = read_catalog(project, path)
        if [_signature(e) for e in fresh[domain]] != [_signature(e) for e in pot.entries]:
            if not _changed_texts(project, report, path, fresh[domain], pot):  # only places or comments moved
                report.add("BG101", Location(path, 1), f"{path.name} is stale against the sources; run `briefgen extract` then `briefgen update`")
    return pots


def _changed_texts(project: Project, report: Report, path: Path, fresh: list[Entry], pot: PoFile) -> bool:
    """One BG101 per text the template lacks (at its source line) or has no more (at its line in the
    template): what the translators will see as new, or lose, after `extract` and `update`."""
    from .translate import shorten

    old, new = pot.index(), {e.key for e in fresh}
    todo = "run `briefgen extract` then `briefgen update`"
    added = [e for e in fresh if e.key not in old]
    for e in added:
        ref, _, line = (e.references[0] if e.references else "").rpartition(":")
        where = Location(project.root / ref, int(line)) if line.isdigit() else Location(path)
        report.add("BG101", where, f"new or changed text, not yet in {path.name}: {shorten(e.msgid)!r}; {todo} "
                   "(translators will see it as untranslated or fuzzy)", e.msgid)
    removed = [e for e in pot.entries if e.msgid and e.key not in new]
    for e in removed:
        report.add("BG101", Location(path, e.line), f"text no longer in the sources (changed or removed): "
                   f"{shorten(e.msgid)!r}; {todo}", e.msgid)
    return bool(added or removed)


def check_catalogs(project: Project, report: Report, sources: Sources) -> None:
    """Template staleness, each catalog's state and per-entry parity."""
    pots = check_templates(project, report, sources)
    for lang in project.target_languages:
        terms = load_glossary(project.glossary_path(lang))
        for domain in DOMAINS:
            path, po = project.po_path(lang, domain), sources.catalogs.get((lang, domain))
            if po is None:
                report.add("BG106", Location(path), f"no {lang} catalog for '{domain}'; run `briefgen update`")
                continue
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
                _check_entry(project, report, lang, Location(path, e.line), e, nplurals, terms)


def _check_entry(project: Project, report: Report, lang: str, loc: Location, e: Entry, nplurals, terms) -> None:
    if nplurals and not e.obsolete and e.msgid_plural is not None and sorted(e.msgstr_plural) != list(range(nplurals)):
        report.add("BG107", loc, _plural_mismatch(e, nplurals), e.msgid)
    if e.obsolete:
        report.add("BG105", loc, f"obsolete entry {e.msgid[:50]!r}: delete it once its translation is no longer needed", e.msgid)
        return
    if e.fuzzy:
        report.add("BG104", loc, f"fuzzy entry {e.msgid[:50]!r}: review the translation and remove the fuzzy mark", e.msgid)
        return
    if not e.translated:
        report.add("BG103", loc, f"untranslated: {e.msgid[:60]!r}", e.msgid)
        return
    if e.msgid_plural is not None:
        return
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


def check_overrides(project: Project, report: Report, sources: Sources) -> None:
    """Hand-written sections of a target language: stale against the English, or with another outline."""
    for (lang, name), meta in sources.languages.items():
        doc = next(d for d in sources.documents if d.name == name)
        for section in doc.sections:
            override = meta.overrides.get(section.name)
            if override is None:
                continue
            english = Location(section.path).display(project.root)
            if override.stale:
                report.add("BG401", override.translation_of_location,
                           f"override translates an older {english}: update the translation, then set translation-of "
                           "to its new SHA-256")
            a, b = _outline(section.body.source), _outline(override.body.source)
            if a != b:
                report.add("BG402", override.body.location,
                           f"heading outline {b} differs from {english} {a}; keep the same headings")


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


# ----- --strict: what a target language would show in the source language ------------------


def strict_problems(project: Project, editions: list[Edition], messages: dict) -> list[str]:
    """Everything a target language would show in English: units of its documents, and labels of
    the templates (`messages`: the template catalogs per language, as load_editions gives them)."""
    return _unit_problems(editions, project.root) + _label_problems(project, messages)


def _unit_problems(editions: list[Edition], root: Path) -> list[str]:
    lines = []
    seen = set()
    for ed in editions:
        if ed.report is None:
            continue
        for gap in ed.report.gaps:
            key = (ed.lang, gap.unit.context, gap.unit.msgid)
            if key in seen:
                continue
            seen.add(key)
            loc = gap.location if gap.location and gap.location.line else gap.unit.location
            lines.append(f"{loc.display(root)}: error: [{ed.lang}] {gap.describe()}")
    return lines


def _label_problems(project: Project, messages: dict) -> list[str]:
    """Labels missing from a language's messages.po, untranslated, fuzzy, or short of the forms
    its Plural-Forms header asks for."""
    from .translate import shorten

    lines = []
    shown = _edition_templates(project)
    labels = [e for e in message_entries(project)
              if any(ref.rpartition(":")[0] in shown for ref in e.references)]
    for lang in project.target_languages:
        po = messages.get(lang)
        if po is None:
            if labels:
                path = project.po_path(lang, "messages")
                lines.append(f"{Location(path).display(project.root)}: error: [{lang}] no catalog for the templates' labels; run `briefgen update`")
            continue
        index, nplurals = po.index(), po.plural_rule().nplurals
        for label in labels:
            e = index.get(label.key)
            if e is None:
                state, loc = "absent (run `briefgen extract`, then `briefgen update`)", _reference(project, label, po)
            elif e.fuzzy:
                state, loc = "fuzzy", Location(po.path, e.line)
            elif not e.usable(nplurals):
                state, loc = "untranslated", Location(po.path, e.line)
            else:
                continue
            lines.append(f"{loc.display(project.root)}: error: [{lang}] {state} (template label): {shorten(label.msgid)!r}")
    return lines


#: the templates every language's editions are rendered from (the site's 404 page and index are
#: rendered in the source language only), with what they extend, include and import
EDITION_TEMPLATES = ("document.html", "print.html", "labels.html")


def _edition_templates(project: Project) -> set[str]:
    """`templates/<name>` of every template a translated edition is rendered with."""
    import jinja2
    import jinja2.meta

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(project.templates_dir)), extensions=["jinja2.ext.i18n"])
    todo, seen = list(EDITION_TEMPLATES), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            tree = env.parse(env.loader.get_source(env, name)[0])
        except jinja2.TemplateError:  # the build itself reports it, located
            continue
        todo += [ref for ref in jinja2.meta.find_referenced_templates(tree) if ref]
    return {f"templates/{name}" for name in seen}


def _reference(project: Project, entry, po) -> Location:
    """Where a template uses a label (its first `#:` reference), else the catalog that lacks it."""
    ref = entry.references[0] if entry.references else ""
    path, _, line = ref.rpartition(":")
    if line.isdigit():
        return Location(project.root / path, int(line))
    return Location(po.path)


def run_checks(project: Project, rendered: bool = True, sources: Sources | None = None) -> Report:
    """Every check on a project; raises BriefgenError only for unreadable input. `sources`:
    load_sources(project), when the caller has them already."""
    report = Report(project)
    sources = sources or load_sources(project)
    check_catalogs(project, report, sources)
    check_overrides(project, report, sources)
    if rendered:
        check_rendered(project, report)
    return report
