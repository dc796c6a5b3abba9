"""The command line: each command parses its options and calls one library function."""
from __future__ import annotations

import functools
import sys
import traceback
from pathlib import Path

import click

from . import __version__
from .config import PDF_VARIANTS, Project, find_root, load_project
from .errors import BriefgenError


_RENDERER = None  # PDF workers kept across commands by the build daemon (see invoke)


class Context:
    def __init__(self, project_dir: str | None, verbose: bool, quiet: bool):
        self.project_dir = project_dir
        self.verbose = verbose
        self.quiet = quiet
        self.renderer = _RENDERER

    def project(self) -> Project:
        root = Path(self.project_dir) if self.project_dir else find_root(Path.cwd())
        return load_project(root)

    def locked(self, project: Project):
        from .lock import project_lock

        return project_lock(project, say=self.say)

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)


def handled(func):
    """Print BriefgenErrors as `path:line:col: error: ...` and exit with their code; no traceback."""

    @functools.wraps(func)
    @click.pass_obj
    def wrapper(ctx: Context, *args, **kwargs):
        try:
            return func(ctx, *args, **kwargs)
        except BriefgenError as exc:
            if ctx.verbose:
                traceback.print_exc()
            root = Path(ctx.project_dir).resolve() if ctx.project_dir else Path.cwd()
            click.echo(exc.format(root), err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; dist/ and the catalogs are unchanged", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug in briefgen, not in the user's input
            if ctx.verbose:
                traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {exc} (run with -v for a traceback and report it)", err=True)
            sys.exit(3)

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
                               use_cache=not no_cache, workers=jobs, renderer=ctx.renderer)  # the daemon's: --jobs n/a
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
    from .catalog import extract as run_extract
    from .content import load_documents

    project = ctx.project()
    library, docs = load_documents(project)
    with ctx.locked(project):
        changed = run_extract(project, library, docs)
    ctx.say(f"extract: {len(changed)} template(s) changed")


@main.command()
@handled
def update(ctx: Context):
    """Merge the templates into every language's catalogs (translations are never dropped)."""
    from .catalog import update as run_update

    project = ctx.project()
    with ctx.locked(project):
        changed = run_update(project)
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

    project = ctx.project()
    report = run_checks(project, rendered=not no_rendered)
    click.echo(report.json() if fmt == "json" else report.text())
    if review:
        from .review import write_review_pages

        for rel in write_review_pages(project, report):
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


@main.group()
def daemon():
    """A build daemon, for rebuilding often: `build` then starts at once, with warm PDF workers."""


@daemon.command("start")
@click.option("--idle", type=click.IntRange(10, 7 * 24 * 3600), default=30 * 60, show_default=True,
              help="Seconds without a build before the daemon stops.")
@handled
def daemon_start(ctx: Context, idle):
    """Start the daemon (if not running). `briefgen build` then runs in it."""
    from . import daemon as build_daemon

    try:
        state = build_daemon.start(idle)
    except build_daemon.DaemonError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if state.get("silent"):
        click.echo(f"error: a build daemon runs (pid {state['pid']}) but does not answer; stop it with "
                   "`briefgen daemon stop`", err=True)
        sys.exit(2)
    ctx.say(f"build daemon ready (pid {state['pid']}); `briefgen build` runs in it until {_duration(state['idle'])} "
            "pass without a build, or `briefgen daemon stop`")


@daemon.command("stop")
@handled
def daemon_stop(ctx: Context):
    """Stop the daemon now (a build it runs is interrupted, as by Ctrl+C)."""
    from . import daemon as build_daemon

    stopped = build_daemon.stop()
    if stopped is None:
        ctx.say("no build daemon was running")
    else:
        pid, interrupted = stopped
        ctx.say(f"stopped the build daemon (pid {pid})" + {
            True: "; the build it was running was interrupted", False: "",
            None: "; it did not answer, so it was sent SIGTERM"}[interrupted])


@daemon.command("status")
@handled
def daemon_status(ctx: Context):
    """Say whether the daemon runs (exit 0) or not (exit 1)."""
    from . import daemon as build_daemon

    state = build_daemon.status()
    if state is None:
        click.echo("no build daemon is running (start one with `briefgen daemon start`)")
        sys.exit(1)
    if state.get("silent"):
        click.echo(f"build daemon pid {state['pid']}: runs but does not answer (stop it with `briefgen daemon stop`)")
        return
    click.echo(f"build daemon pid {state['pid']}: {state['builds']} build(s) so far"
               f"{', one running now' if state['building'] else ''}; it stops after "
               f"{_duration(state['idle'])} without one")


def _duration(seconds: float) -> str:
    value, unit = (seconds / 60, "minute") if seconds >= 60 else (seconds, "second")
    return f"{value:g} {unit}{'' if value == 1 else 's'}"


def invoke(args: list[str] | None = None, renderer=None) -> int:
    """Run one command; its exit code. `renderer`: PDF workers to build with (the daemon's)."""
    global _RENDERER

    _RENDERER = renderer
    try:
        main(args)
        return 0
    except SystemExit as exc:
        if isinstance(exc.code, int) or exc.code is None:
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    finally:
        _RENDERER = None


def run(args: list[str] | None = None) -> None:
    """The `briefgen` command: main(), then leave at once.

    After a build has written everything, Python's own shutdown (tearing down Jinja2, Babel,
    markdown-it and the rest, module by module) would add about 40 ms to every command; like mypy,
    the command skips it. The exit handlers still run and the output streams are flushed first."""
    import atexit
    import os

    code = invoke(args)
    from .progress import flush_streams

    atexit._run_exitfuncs()
    flush_streams()
    os._exit(code)


if __name__ == "__main__":
    run()
