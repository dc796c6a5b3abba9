"""The bilingual review page: every unit in document order, source beside translation, with status."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from .check import Report
from .content import Sources
from .config import Project
from .errors import Location
from .pofile import PoFile
from .segments import units

STATUSES = ("ok", "fuzzy", "missing", "problem")


@dataclass
class Row:
    document: str
    where: str
    source: str
    translation: str
    status: str
    diff: Markup | None
    location: str
    codes: list[str]


def word_diff(old: str, new: str) -> Markup:
    """The previous msgid against the current one, word by word, as <del>/<ins>."""
    out = []
    a, b = old.split(), new.split()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op == "equal":
            out.append(escape(" ".join(a[i1:i2])))
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(' '.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(' '.join(b[j1:j2]))}</ins>")
    return Markup(" ".join(out))


def review_rows(project: Project, documents, po: PoFile | None, report: Report) -> list[Row]:
    index = po.index() if po is not None else {}
    po_file = Location(po.path).display(project.root) if po is not None else ""
    problems: dict = {}
    for p in report.problems:
        if p.file == po_file and p.msgid is not None and p.code not in ("BG103", "BG104", "BG105"):
            problems.setdefault(p.msgid, []).append(p.code)
    rows = []
    for doc in documents:
        seen = set()
        for u in units(doc):
            key = (u.context, u.msgid)
            if key in seen:
                continue
            seen.add(key)
            e = index.get(key)
            codes = sorted(set(problems.get(u.msgid, [])))
            loc = f"{po_file}:{e.line}" if e is not None else Location(u.location.path, u.location.line).display(project.root)
            if e is None or not e.msgstr:
                status, diff = "missing", None
            elif e.fuzzy:
                status = "fuzzy"
                diff = word_diff(e.previous_msgid, u.msgid) if e.previous_msgid else None
            elif codes:
                status, diff = "problem", None
            else:
                status, diff = "ok", None
            rows.append(Row(doc.name, u.where, u.msgid, e.msgstr if e is not None else "", status, diff, loc, codes))
    return rows


def render_review(project: Project, env, lang: str, rows: list[Row]) -> str:
    from .render import language_name, render_template

    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUSES}
    return render_template(
        env, "review.html", lang=lang, language=language_name(lang), source=language_name(project.source_language),
        source_lang=project.source_language, rows=rows, counts=counts, statuses=STATUSES,
    )


def review_pages(project: Project, report: Report, sources: Sources) -> dict[str, bytes]:
    """dist-relative path -> bytes of review/<lang>.html for every target language."""
    from .render import environment

    env = environment(project, None)
    pages = {}
    for lang in project.target_languages:
        rows = review_rows(project, sources.documents, sources.catalogs.get((lang, "content")), report)
        pages[f"review/{lang}.html"] = render_review(project, env, lang, rows).encode("utf-8")
    return pages


def write_review_pages(project: Project, report: Report, sources: Sources) -> list[str]:
    """Write dist/review/<lang>.html for `check --review`, each replaced at once and with the mode
    an ordinary write gives (writer.write_bytes: a colleague or the CI artifact can read it)."""
    from .writer import write_bytes

    pages = review_pages(project, report, sources)
    for rel, data in pages.items():
        write_bytes(project.dist_dir / rel, data)
    return list(pages)
