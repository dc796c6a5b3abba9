"""The build, top to bottom: load and translate everything, render everything, then write once."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from .cache import Cache, assets_digest, code_version, config_digest, digest, inputs_digest
from .config import Project
from .errors import BuildError, Location
from .writer import Staging

if TYPE_CHECKING:
    from .content import Document
    from .translate import Report

# Rendering modules (Jinja2, Babel, markdown-it) are imported inside the functions that use them:
# a build first starts the PDF workers, which import WeasyPrint meanwhile, then imports them.


class StrictError(BuildError):
    """`--strict` found units without a usable translation (exit 1, like a failed check)."""

    exit_code = 1


@dataclass
class Edition:
    """One document in one language, ready to render."""

    doc: Document
    report: Report | None = None

    @property
    def lang(self) -> str:
        return self.doc.lang


@dataclass
class BuildResult:
    editions: list[Edition]
    warnings: list[str] = field(default_factory=list)
    explain: list[tuple[str, str]] = field(default_factory=list)  # (output, why it was rebuilt or reused)
    noop: bool = False  # nothing changed since the last build; nothing was rendered


def load_editions(project: Project, loaded=None) -> tuple[list[Edition], dict]:
    """Every document in every language, plus the template catalogs per language. `loaded`:
    load_documents(project), when the caller has it already."""
    from .catalog import load_catalog
    from .content import load_documents
    from .translate import translate

    _, docs = loaded or load_documents(project)
    messages = {project.source_language: None}
    content = {}
    for lang in project.target_languages:
        content[lang] = load_catalog(project, lang, "content")
        messages[lang] = load_catalog(project, lang, "messages")
    editions = []
    for doc in docs:
        editions.append(Edition(doc))
        for lang in project.target_languages:
            tdoc, report = translate(project, doc, lang, content[lang])
            editions.append(Edition(tdoc, report))
    _refuse_shared_outputs(editions, project.root)
    return editions, messages


def _refuse_shared_outputs(editions: list[Edition], root: Path) -> None:
    """Two editions with one output name would overwrite each other's PDF in dist/pdf/."""
    seen: dict[str, Edition] = {}
    for ed in editions:
        other = seen.setdefault(ed.doc.meta.output.lower(), ed)  # lower: as case-insensitive disks see them
        if other is not ed:
            where = other.doc.meta.output_location
            raise BuildError(
                f"output '{ed.doc.meta.output}' of {ed.lang}/{ed.doc.name} is already the output of "
                f"{other.lang}/{other.doc.name}"
                + (f" ({where.display(root)})" if where and where.path else "")
                + "; give each edition its own output name", ed.doc.meta.output_location)


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
    from .catalog import message_entries
    from .translate import shorten

    lines = []
    shown = _edition_templates(project)
    labels = [e for e in message_entries(project)
              if any(ref.rpartition(":")[0] in shown or ref.startswith("briefgen/") for ref in e.references)]
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
EDITION_TEMPLATES = ("document.html", "print.html")


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
    """Where a template uses a label (its first `#:` reference); for a label of briefgen's own
    code, the catalog that lacks it."""
    ref = entry.references[0] if entry.references else ""
    path, _, line = ref.rpartition(":")
    if line.isdigit():
        return Location(project.root / path, int(line))
    return Location(po.path)


def page_path(lang: str, doc: str) -> str:
    return f"{lang}/{doc}/index.html"


def build(project: Project, strict: bool = False, pdf: bool = True, pdf_variant: str | None = None,
          progress=None, use_cache: bool = True, workers: int | None = None, renderer=None) -> BuildResult:
    """Build both languages of every document: site HTML and PDFs, swapped into dist/ at the end.

    `renderer`: a PdfRenderer kept by the caller across builds (`serve`), whose workers are warm;
    by default each build starts its own and closes it."""
    progress = progress or (lambda message: None)
    variant = pdf_variant or project.pdf_variant
    cache = Cache(project, enabled=use_cache)
    fingerprint = inputs_digest(project, strict=strict, pdf=pdf, variant=variant)
    if cache.unchanged(fingerprint, project.dist_dir):
        # nothing that goes into dist/ changed and dist/ is as the last build left it
        return BuildResult([], explain=[(rel, "reused: inputs unchanged") for rel in cache.pdfs()],
                           warnings=cache.warnings(), noop=True)
    pool = renderer if pdf else None
    if pdf and pool is None:
        from . import zygote
        from .pdf import PdfRenderer

        count = worker_count(project, workers)
        # Workers start importing WeasyPrint now, while this process loads and renders the content.
        # Even one worker does (--jobs 1 renders in this process, after the HTML).
        pool = None
        if (count > 1 or workers is None) and zygote.usable():
            try:
                pool = zygote.ForkRenderer(count)
            except OSError:  # no fork now (process limit, memory): the pool below spawns instead
                pool = None
        pool = pool or PdfRenderer(count)
    try:
        return _build(project, strict, pdf, variant, progress, cache, pool, fingerprint)
    finally:
        if pool is not None and pool is not renderer:
            pool.close()
        elif pool is not None:
            pool.discard()  # whatever this build left uncollected (it failed part-way)


def worker_count(project: Project, requested: int | None = None) -> int:
    """PDF workers for a build: as requested (--jobs), else one per CPU this process may use, and
    never more than the PDFs a build may render (one per edition)."""
    return max(1, min(requested or _usable_cpus(), len(project.documents) * len(project.languages)))


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _build(project, strict, pdf, variant, progress, cache, pool, fingerprint) -> BuildResult:
    from .render import (
        Alternate, DocumentView, PdfLink, document_view, environment, json_ld, language_name, render_template,
        size_text,
    )
    from .site import DocumentEntry, EditionEntry, media_name, sitemap

    from .content import load_documents

    loaded = load_documents(project)  # once: the review pages' checks need the documents too
    editions, messages = load_editions(project, loaded)
    result = BuildResult(editions)
    if strict:
        problems = strict_problems(project, editions, messages)
        if problems:
            raise StrictError(
                f"--strict: {len(problems)} unit(s) or label(s) have no usable translation; translate them (and clear "
                "fuzzy marks) in the catalogs:\n" + "\n".join(problems)
            )
    for ed in editions:
        if ed.report and ed.report.gaps:
            result.warnings.append(
                f"{ed.lang}/{ed.doc.name}: {len(ed.report.gaps)} unit(s) fell back to {project.source_language}"
            )
        if ed.report:
            for override, english in ed.report.stale_overrides:
                result.warnings.append(
                    f"{Location(override).display(project.root)}: override is stale: "
                    f"{Location(english).display(project.root)} changed since it was translated"
                )
    envs = {lang: environment(project, messages.get(lang)) for lang in project.languages}

    # Render everything in memory first; nothing touches dist/ until all of it succeeded.
    # PDFs render in worker processes while this process renders the HTML.
    outputs: dict[str, bytes] = {}
    pdf_names: dict[tuple[str, str], str] = {}
    pdf_parts: dict[str, dict] = {}
    jobs = []
    for ed in editions if pdf else ():
        from .pdf import PdfJob, creation_stamp

        name = f"{ed.doc.meta.output}.pdf"
        rel = f"pdf/{name}"
        pdf_names[(ed.lang, ed.doc.name)] = name
        view, renderer = document_view(project, ed.doc, "print", envs[ed.lang])
        view.created = creation_stamp(ed.doc.meta.date)
        html = render_template(envs[ed.lang], "print.html", doc=view)
        pdf_parts[rel] = parts = {
            "html": digest(html),
            "assets": assets_digest(project, [res.path for res in renderer.resources]),
            "config": config_digest(project, variant),
            "version": code_version(),
        }
        data, why = cache.lookup(rel, parts)
        result.explain.append((rel, why))
        if data is None:
            job = PdfJob(rel, html, project.templates_dir, (project.templates_dir, project.content_dir),
                         variant, ed.doc.meta.date, f"{ed.lang}/{ed.doc.name}", ed.lang)
            jobs.append(job)
            if pool is not None:
                pool.submit(job)  # rendering starts while the next edition is prepared
        else:
            outputs[rel] = data
    if hasattr(progress, "begin"):
        progress.begin(len(editions) + len(jobs) + 1)

    views: dict[tuple[str, str], DocumentView] = {}
    media: dict[str, Path] = {}
    for ed in editions:
        progress(f"HTML {ed.lang}/{ed.doc.name}")
        view, renderer = document_view(project, ed.doc, "screen", envs[ed.lang])
        for res in renderer.resources:
            media[f"site/{ed.lang}/{ed.doc.name}/media/{media_name(res.path, project.root)}"] = res.path
        view.canonical = project.site_url + f"{ed.lang}/{ed.doc.name}/"
        view.root_href = "../../"
        view.alternates = [
            Alternate(lang, language_name(lang), f"../../{lang}/{ed.doc.name}/", project.site_url + f"{lang}/{ed.doc.name}/")
            for lang in project.languages
        ]
        views[(ed.lang, ed.doc.name)] = view

    def document_page(lang: str, name: str) -> None:
        view = views[(lang, name)]
        source = views[(project.source_language, name)]
        if lang == project.source_language:
            others = [(v.lang, v.canonical, v.title_text) for (l2, n2), v in views.items() if n2 == name and l2 != lang]
        else:
            others = [(source.lang, source.canonical, source.title_text)]
        view.json_ld = json_ld(view, others)
        outputs[f"site/{page_path(lang, name)}"] = render_template(envs[lang], "document.html", doc=view).encode("utf-8")

    edition_of = {f"pdf/{pdf_name}": key for key, pdf_name in pdf_names.items()}

    def with_pdf(rel: str, data: bytes) -> None:
        """A PDF is ready: publish it on the site and render its edition's page, which links it."""
        lang, name = edition_of[rel]
        outputs[f"site/{rel}"] = data
        views[(lang, name)].pdf = PdfLink(
            f"../../{rel}", project.site_url + rel, len(data), size_text(len(data), views[(lang, name)].locale),
        )
        document_page(lang, name)

    # Everything that does not wait for a PDF is rendered while the workers render them.
    for key in views:
        if key not in pdf_names:
            document_page(*key)
    for rel in edition_of:
        if rel in outputs:  # from the cache
            with_pdf(rel, outputs[rel])
    src_env = envs[project.source_language]
    generator = views[(project.source_language, project.documents[0])].generator
    outputs["site/404.html"] = render_template(
        src_env, "404.html", lang=project.source_language, root_href=project.site_url, generator=generator,
    ).encode("utf-8")
    pages = [(project.site_url, {project.source_language: project.site_url})]
    for name in project.documents:
        alts = {lang: project.site_url + f"{lang}/{name}/" for lang in project.languages}
        for lang in project.languages:
            pages.append((alts[lang], alts))
    outputs["site/sitemap.xml"] = sitemap(pages, project.source_language).encode("utf-8")
    from .review import review_pages

    outputs.update(review_pages(project, loaded=loaded))
    if pool is not None:
        for rel, data in pool.results(progress):
            outputs[rel] = data
            cache.store(rel, pdf_parts[rel], data)
            with_pdf(rel, data)

    entries = []
    for name in project.documents:
        eds = []
        for lang in project.languages:
            v = views[(lang, name)]
            eds.append(EditionEntry(
                lang, language_name(lang), v.title, v.abstract, ", ".join(a.name for a in v.authors), v.date_text,
                v.date_iso, f"{lang}/{name}/", f"pdf/{v.output}.pdf" if v.pdf else None,
                v.pdf.size_text if v.pdf else None,
            ))
        entries.append(DocumentEntry(name, eds))
    outputs["site/index.html"] = render_template(
        src_env, "index.html", documents=entries, site_url=project.site_url, languages=project.languages,
        lang=project.source_language, generator=generator,
    ).encode("utf-8")
    progress("write dist/")
    staging = Staging(project.dist_dir)
    try:
        for rel, data in outputs.items():
            staging.write(rel, data)
        for rel, path in media.items():
            staging.copy(rel, path)
        for asset in ("screen.css", "fonts.css"):
            staging.copy(f"site/{asset}", project.templates_dir / asset)
        fonts = project.templates_dir / "fonts"
        for font in sorted(fonts.iterdir()) if fonts.is_dir() else ():
            if font.is_file():  # not fonts/print/: TrueType copies for the PDFs only
                staging.copy(f"site/fonts/{font.name}", font)
        if not pdf:
            staging.keep("pdf")
            staging.keep("site/pdf")
        staging.keep("deposit")  # written by `publish`, kept by ordinary builds
        staging.commit()
    except BaseException:
        staging.abort()
        raise
    cache.save(fingerprint, project.dist_dir, result.warnings, pdf=pdf)
    return result
