"""The build, top to bottom: gather (load and translate everything), render (HTML here, PDFs in
the worker pool meanwhile), write (one swap into dist/). Nothing is written before all of it
succeeded."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import Cache, code_version, config_digest, digest, inputs_digest
from .config import Project, build_time
from .errors import BuildError, Location
from .writer import Staging

if TYPE_CHECKING:
    from .content import Sources
    from .translate import Edition
    from .workers import PdfPool

# The stages' modules (content, translate, render) are imported where they are first used: a no-op
# rebuild needs none of them, and importing them would be most of its time (about 0.08 s).


class StrictError(BuildError):
    """`--strict` found units without a usable translation (exit 1, like a failed check)."""

    exit_code = 1


@dataclass
class BuildResult:
    editions: list[Edition]
    warnings: list[str] = field(default_factory=list)
    explain: list[tuple[str, str]] = field(default_factory=list)  # (output, why it was rebuilt or reused)
    noop: bool = False  # nothing changed since the last build; nothing was rendered


@dataclass
class Gathered:
    """Everything read, and every edition translated."""

    sources: Sources
    editions: list[Edition]
    messages: dict  # language -> the templates' catalog (None in the source language)

    def warnings(self, root: Path) -> list[str]:
        lines = [f"{loc.display(root)}: {message}" for loc, message in self.sources.warnings]
        for ed in self.editions:
            if ed.report and ed.report.gaps:
                lines.append(_fallback_warning(ed, self.editions[0].lang, root))
            for override, english in ed.report.stale_overrides if ed.report else ():
                lines.append(f"{Location(override).display(root)}: override is stale: "
                             f"{Location(english).display(root)} changed since it was translated")
        return lines


SHOWN_GAPS = 5  # per edition; `briefgen check` lists every one


def _fallback_warning(ed: Edition, source: str, root: Path) -> str:
    """Which texts an edition shows in the source language, where they are and why: a new or changed
    text is 'absent' from the catalog until `extract` and `update`, then 'untranslated' or 'fuzzy'."""
    from .translate import shorten

    gaps = list({(gap.unit.location, gap.unit.msgid): gap for gap in ed.report.gaps}.values())  # a text shown twice: once
    lines = [f"{ed.lang}/{ed.doc.name}: {len(gaps)} unit(s) fell back to {source}:"]
    lines += [f"  {gap.unit.location.display(root)}: {gap.state}: {shorten(gap.unit.msgid)!r}" for gap in gaps[:SHOWN_GAPS]]
    if len(gaps) > SHOWN_GAPS:
        lines.append(f"  ... and {len(gaps) - SHOWN_GAPS} more (`briefgen check` lists them all)")
    return "\n".join(lines)


@dataclass
class Outputs:
    """Everything a build writes into dist/, by path relative to it."""

    files: dict[str, bytes] = field(default_factory=dict)
    media: dict[str, Path] = field(default_factory=dict)  # copied from the sources as they are
    explain: list[tuple[str, str]] = field(default_factory=list)


def build(project: Project, strict: bool = False, pdf: bool = True, pdf_variant: str | None = None,
          progress=None, use_cache: bool = True, workers: int | None = None, pool: PdfPool | None = None) -> BuildResult:
    """Build every document in every language, HTML and PDF, into dist/.

    `pool`: PDF workers kept by the caller across builds (`serve`); by default the build starts
    its own (its workers import WeasyPrint while the content loads) and stops it at the end."""
    progress = progress or (lambda message: None)
    variant = pdf_variant or project.pdf_variant
    cache = Cache(project, enabled=use_cache)
    fingerprint = inputs_digest(project, strict=strict, pdf=pdf, variant=variant)
    if cache.unchanged(fingerprint, project.dist_dir):  # dist/ is what these inputs give
        return BuildResult([], explain=[(rel, "reused: inputs unchanged") for rel in cache.pdfs()],
                           warnings=cache.warnings(), noop=True)
    own = pool is None and pdf
    if own:
        from .workers import PdfPool, worker_count

        pool = PdfPool(worker_count(workers, len(project.documents) * len(project.languages)))
    try:
        gathered = gather(project, strict)
        outputs = render(project, gathered, cache, pool if pdf else None, variant, progress)
        progress("write dist/")
        write(project, outputs, pdf)
    finally:
        if own:
            pool.close()
        elif pool is not None:
            pool.discard()  # whatever this build left uncollected (it failed part-way)
    result = BuildResult(gathered.editions, gathered.warnings(project.root), outputs.explain)
    cache.save(fingerprint, project.dist_dir, result.warnings, pdf=pdf)
    return result


def gather(project: Project, strict: bool) -> Gathered:
    """Every source read and every edition translated; with `strict`, refused when a target
    language would show anything in the source language."""
    from .content import load_sources
    from .translate import translate_all

    sources = load_sources(project)
    editions = translate_all(project, sources)
    _refuse_shared_outputs(editions, project.root)
    messages = {lang: sources.catalogs.get((lang, "messages")) for lang in project.languages}
    if strict:
        from .check import strict_problems

        problems = strict_problems(project, editions, messages)
        if problems:
            raise StrictError(
                f"--strict: {len(problems)} unit(s) or label(s) have no usable translation; translate them (and clear "
                "fuzzy marks) in the catalogs:\n" + "\n".join(problems))
    return Gathered(sources, editions, messages)


def _refuse_shared_outputs(editions: list[Edition], root: Path) -> None:
    """Two editions with one output name would overwrite each other's PDF in dist/pdf/."""
    seen: dict[str, Edition] = {}
    for ed in editions:
        other = seen.setdefault(ed.doc.meta.output.lower(), ed)  # lower: as case-insensitive disks see them
        if other is not ed:
            where = other.doc.meta.output_location
            raise BuildError(
                f"output '{ed.doc.meta.output}' of {ed.lang}/{ed.doc.name} is already the output of "
                f"{other.lang}/{other.doc.name}" + (f" ({where.display(root)})" if where and where.path else "")
                + "; give each edition its own output name", ed.doc.meta.output_location)


def render(project: Project, gathered: Gathered, cache: Cache, pool: PdfPool | None, variant: str, progress) -> Outputs:
    """Every output in memory: PDFs render in the pool while this process renders the HTML."""
    from .render import environment
    from .site import Site

    envs = {lang: environment(project, gathered.messages.get(lang), project.locale(lang)) for lang in project.languages}
    out = Outputs()
    jobs, parts = _pdf_jobs(project, gathered.editions, envs, cache, variant, out) if pool is not None else ([], {})
    if jobs:  # all at once, when every print HTML exists: the first jobs wait for the workers' WeasyPrint anyway
        pool.submit(jobs)
    if hasattr(progress, "begin"):
        progress.begin(len(gathered.editions) + len(jobs) + 1)
    site = Site(project, gathered.editions, envs, out.files, out.media, progress)
    site.pages(waiting={job.rel for job in jobs})
    from .pdf import MissingGlyphs

    try:
        for rel, data in pool.results(progress) if jobs else ():
            out.files[rel] = data
            cache.store(rel, parts[rel], data)
            site.with_pdf(rel, data)
    except MissingGlyphs as exc:  # say where the text is, when a source has it
        ed = next(e for e in gathered.editions if exc.message.startswith(f"{e.lang}/{e.doc.name}:"))
        raise MissingGlyphs(exc.message, _locate(exc.text, ed, gathered.messages.get(ed.lang)) or exc.location) from None
    site.index()
    return out


def _locate(chars: str, ed: Edition, messages) -> Location | None:
    """The catalog entry, or the source text, that shows one of `chars` in an edition."""
    from .segments import walk_texts

    for text in walk_texts(ed.doc):
        for found in (text.translations or {}).values():
            if any(c in found.msgstr for c in chars):
                return found.location
        if any(c in text.source for c in chars):
            return text.location
    for e in messages.active() if messages is not None else ():
        if any(c in form for form in (e.msgstr, *e.msgstr_plural.values()) for c in chars):
            return Location(messages.path, e.line)
    return None


def _pdf_jobs(project: Project, editions: list[Edition], envs: dict, cache: Cache, variant: str,
              out: Outputs) -> tuple[list, dict]:
    """The print HTML of every edition; a PdfJob for each PDF the cache does not hold, and the cache
    key of each."""
    from .fonts import script_faces
    from .render import document_view, render_template
    from .workers import PdfJob

    jobs, keys = [], {}
    for ed in editions:
        rel = f"pdf/{ed.doc.meta.output}.pdf"
        stamp = build_time(ed.doc.meta.date)
        view, renderer = document_view(project, ed.doc, "print", envs[ed.lang])
        view.created = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        html = render_template(envs[ed.lang], "print.html", doc=view)
        keys[rel] = {"html": digest(html), "assets": cache.assets_key([res.path for res in renderer.resources]),
                     "config": config_digest(project, variant), "version": code_version()}
        data, why = cache.lookup(rel, keys[rel])
        out.explain.append((rel, why))
        if data is not None:
            out.files[rel] = data
        else:
            jobs.append(PdfJob(rel, html, project.templates_dir, (project.templates_dir, project.content_dir),
                               variant, int(stamp.timestamp()), f"{ed.lang}/{ed.doc.name}", ed.lang,
                               tuple(script_faces(project, ed.lang).items())))
    return jobs, keys


def write(project: Project, outputs: Outputs, pdf: bool) -> None:
    """Swap the new dist/ in at once; the previous one stays whole if anything fails."""
    staging = Staging(project.dist_dir)
    try:
        for rel, data in outputs.files.items():
            staging.write(rel, data)
        for rel, path in outputs.media.items():
            staging.copy(rel, path)
        for asset in ("screen.css", "fonts.css"):  # the fonts they use are in outputs.media (Site)
            staging.copy(f"site/{asset}", project.templates_dir / asset)
        if not pdf:
            staging.keep("pdf")
            staging.keep("site/pdf")
        staging.keep("deposit")  # written by `publish`, kept by ordinary builds
        staging.commit()
    except BaseException:
        staging.abort()
        raise
