"""The command line: each command parses its options and calls one library function."""
from __future__ import annotations

import functools
import sys
import traceback
from pathlib import Path

import click

from . import __version__
from .config import PDF_VARIANTS, Project, find_root, load_project
from .errors import BriefgenError, environment_error


class Context:
    def __init__(self, project_dir: str | None, verbose: bool, quiet: bool):
        self.project_dir = project_dir
        self.verbose = verbose
        self.quiet = quiet

    def project(self) -> Project:
        root = Path(self.project_dir) if self.project_dir else find_root(Path.cwd())
        return load_project(root)

    def locked(self, project: Project):
        from .lock import project_lock

        return project_lock(project, say=self.say)

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)


def _root(ctx: Context) -> Path:
    return Path(ctx.project_dir).resolve() if ctx.project_dir else Path.cwd()


def _users_problem(exc: Exception) -> BriefgenError | None:
    """The error to show for a problem of the input or the machine; None for a bug in briefgen."""
    if isinstance(exc, BriefgenError):
        return exc
    if isinstance(exc, OSError):
        return environment_error(exc)
    if isinstance(exc, ModuleNotFoundError) and exc.name and not exc.name.startswith("briefgen"):
        return BriefgenError(f"the library '{exc.name}' is missing from this Python ({sys.executable}); install "
                             "briefgen as the README says: `./dev build` (then run `.venv/bin/briefgen`)")
    return None


def handled(func):
    """Print BriefgenErrors as `path:line:col: error: ...` and exit with their code, the machine's
    refusals (permissions, a full disk) the same way with exit 2; no traceback."""

    @click.option("-v", "--verbose", "verbose_here", is_flag=True, help="Show tracebacks for errors.")
    @click.option("-q", "--quiet", "quiet_here", is_flag=True, help="Print errors only.")
    @functools.wraps(func)
    @click.pass_obj
    def wrapper(ctx: Context, *args, verbose_here=False, quiet_here=False, **kwargs):
        ctx.verbose, ctx.quiet = ctx.verbose or verbose_here, ctx.quiet or quiet_here  # before or after the command
        try:
            return func(ctx, *args, **kwargs)
        except KeyboardInterrupt:
            click.echo("interrupted; dist/ and the catalogs are unchanged", err=True)
            sys.exit(130)
        except Exception as exc:
            if ctx.verbose:
                traceback.print_exc()
            error = _users_problem(exc)
            if error is None:  # a bug in briefgen, not in the user's input or machine
                click.echo(f"internal error: {type(exc).__name__}: {exc} (run with -v for a traceback and report it)",
                           err=True)
                sys.exit(3)
            click.echo(error.format(_root(ctx)), err=True)
            sys.exit(error.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefgen")
@click.option("--project", "project_dir", type=click.Path(file_okay=False), help="Project folder (default: found from the current folder).")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.pass_context
def main(click_ctx, project_dir, verbose, quiet):
    """briefgen: build the English and translated editions of a briefing as HTML and PDF."""
    click_ctx.obj = Context(project_dir, verbose, quiet)


@main.command()
@click.option("--strict", is_flag=True, help="Fail (exit 1) if any unit lacks a usable translation.")
@click.option("--no-pdf", is_flag=True, help="Build HTML only (keeps the previous PDFs).")
@click.option("--pdf-variant", type=click.Choice(PDF_VARIANTS), help="PDF flavour (default from configuration).")
@click.option("--no-cache", is_flag=True, help="Render every PDF again, ignoring .briefgen-cache/.")
@click.option("--explain", is_flag=True, help="Say for each PDF why it was rebuilt or reused.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="PDF worker processes (default: CPU count).")
@handled
def build(ctx: Context, strict, no_pdf, pdf_variant, no_cache, explain, jobs):
    """Build HTML and PDF for every document and language into dist/."""
    from .pipeline import build as run_build

    from .progress import Progress

    project = ctx.project()
    progress = Progress(quiet=ctx.quiet)
    try:
        with ctx.locked(project):
            result = run_build(project, strict=strict, pdf=not no_pdf, pdf_variant=pdf_variant, progress=progress,
                               use_cache=not no_cache, workers=jobs)
    finally:
        progress.end()
    if explain:
        for rel, why in result.explain:
            click.echo(f"{rel}: {why}")
    for warning in result.warnings:
        ctx.say(f"warning: {warning}")
    ctx.say("nothing changed; dist/ is up to date" if result.noop else f"built {len(result.editions)} editions into dist/")


@main.command()
@handled
def extract(ctx: Context):
    """Write locales/content.pot and locales/messages.pot from the sources and templates."""
    from .cache import CatalogsDone

    project = ctx.project()
    done = CatalogsDone(project, "extract")
    if done.unchanged():
        return ctx.say("extract: 0 POT file(s) changed (nothing changed since the last extract)")
    from .catalog import extract as run_extract
    from .content import load_documents

    library, docs = load_documents(project)
    with ctx.locked(project):
        changed = run_extract(project, library, docs)
        done.remember()
    ctx.say(f"extract: {len(changed)} POT file(s) changed")


@main.command()
@handled
def update(ctx: Context):
    """Merge the POT files into every language's catalogs (translations are never dropped)."""
    from .cache import CatalogsDone
    from .catalog import update as run_update

    project = ctx.project()
    done = CatalogsDone(project, "update")
    if done.unchanged():
        return ctx.say("update: 0 catalog(s) changed (nothing changed since the last update)")
    with ctx.locked(project):
        changed = run_update(project)
        done.remember()
    for path in changed:
        ctx.say(f"updated {path}")
    ctx.say(f"update: {len(changed)} catalog(s) changed")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Report format.")
@click.option("--review", is_flag=True, help="Also write dist/review/<lang>.html.")
@click.option("--no-rendered", is_flag=True, help="Skip the comparison of built HTML and PDF.")
@handled
def check(ctx: Context, fmt, review, no_rendered):
    """Check that every language is complete and in sync; exit 1 on any error."""
    from .check import run_checks
    from .content import load_sources

    project = ctx.project()
    sources = load_sources(project)
    report = run_checks(project, rendered=not no_rendered, sources=sources)
    click.echo(report.json() if fmt == "json" else report.text())
    if review:
        from .review import write_review_pages

        for rel in write_review_pages(project, report, sources):
            ctx.say(f"wrote dist/{rel}")
    sys.exit(report.exit_code)


@main.command()
@click.option("--verify", "bag", type=click.Path(exists=True, file_okay=False), help="Re-validate an existing package instead.")
@handled
def publish(ctx: Context, bag):
    """Check, build archival PDFs and write a validated deposit package into dist/deposit/."""
    from .publish import publish as run_publish, verify

    if bag:
        problems = verify(Path(bag))
        for problem in problems:
            click.echo(f"{bag}: error: {problem}")
        click.echo(f"verify: {len(problems)} problem(s)")
        sys.exit(1 if problems else 0)
    project = ctx.project()
    from .progress import Progress

    progress = Progress(quiet=ctx.quiet)
    try:
        with ctx.locked(project):
            target = run_publish(project, progress)
    finally:
        progress.end()
    ctx.say(f"published {target.relative_to(project.root)}")


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@click.option("--pdf/--no-pdf", default=False, show_default=True, help="Also rebuild the PDFs on every change.")
@handled
def serve(ctx: Context, port, pdf):
    """Build, serve dist/site on 127.0.0.1 and rebuild and reload on every change."""
    from .serve import serve as run_serve

    project = ctx.project()
    try:
        run_serve(project.root, port, pdf, lambda message: click.echo(message, err=True))
    except OSError as exc:
        raise BriefgenError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; choose another --port") from None


def run(args: list[str] | None = None) -> None:
    """The `briefgen` command (and `python -m briefgen`, `python build.py`).

    When the command is done, everything it made is moved out of the garbage collector's sight
    (gc.freeze): Python's exit then skips examining it in its final collections, the only part of
    the exit that grows with the heap (a cold build's exit 0.04 -> 0.01 s, measured with bench/;
    exit handlers, thread joins and stream flushes still run as usual). What it gives up: objects
    caught in reference cycles are not finalised at exit (no __del__); nothing in this process
    needs that (WeasyPrint's font folders live in the workers, which clean up themselves)."""
    import gc

    try:
        main(args, prog_name="briefgen")
    finally:
        gc.freeze()


if __name__ == "__main__":
    run()
