#!/usr/bin/env python3
"""Benchmark: briefgen against the floor of bare WeasyPrint, as ratios (medians of repeats).

    python bench/run.py [--repeats N] [--quick]

Everything runs on a copy of this repository's project in a temporary folder; nothing here is
written. Figures: the floor (bare WeasyPrint rendering the same final print HTML serially in one
process), a cold full build, no-op / one-msgstr / one-English-paragraph rebuilds (one-shot, in
and in `briefgen serve`), `check` on a
generated 10,000-unit catalog, `extract` + `update` on this project and on the 10,000-unit one
(nothing changed, 1% of the English changed) beside GNU msgmerge, peak RSS of a full build, and
cost per page for 2, 8 and 32 documents x 3 languages.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


def briefgen(root: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([PY, "-m", "briefgen.cli", "--project", str(root), "-q", *args], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def copy_project(dest: Path) -> Path:
    shutil.copytree(REPO, dest, symlinks=True, ignore=shutil.ignore_patterns(".git", "dist", ".briefgen-cache", ".venv",
                                                             "node_modules", "__pycache__", "*.egg-info"))
    return dest


FLOOR = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    start = time.perf_counter()
    import weasyprint
    for html in sys.argv[2:]:
        weasyprint.HTML(filename=html, base_url=sys.argv[1] + "/").write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    print(time.perf_counter() - start)
""")


def print_html(root: Path, out: Path) -> list[Path]:
    """The final print HTML of every edition, written as files for bare WeasyPrint."""
    code = textwrap.dedent(f"""
        from pathlib import Path
        from briefgen.config import load_project
        from briefgen.config import build_time
        from briefgen.pipeline import gather
        from briefgen.render import document_view, environment, render_template
        p = load_project(Path({str(root)!r}))
        gathered = gather(p, strict=False)
        for i, ed in enumerate(gathered.editions):
            env = environment(p, gathered.messages.get(ed.lang))
            view, _ = document_view(p, ed.doc, "print", env)
            view.created = build_time(ed.doc.meta.date).strftime("%Y-%m-%dT%H:%M:%SZ")
            Path({str(out)!r}, f"{{i}}.html").write_text(render_template(env, "print.html", doc=view), encoding="utf-8")
    """)
    subprocess.run([PY, "-c", code], check=True)
    return sorted(out.glob("*.html"))


def floor(root: Path, repeats: int) -> float:
    html_dir = Path(tempfile.mkdtemp())
    files = print_html(root, html_dir)
    samples = []
    for _ in range(repeats):
        out = subprocess.run([PY, "-c", FLOOR, str(root / "templates"), *map(str, files)], check=True,
                             capture_output=True, text=True).stdout
        samples.append(float(out.strip().splitlines()[-1]))
    return median(samples)


def cold(root: Path, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        shutil.rmtree(root / "dist", ignore_errors=True)
        shutil.rmtree(root / ".briefgen-cache", ignore_errors=True)
        samples.append(briefgen(root, "build"))
    return median(samples)


def first_translated(po: Path) -> tuple[str, str]:
    from briefgen.pofile import read_po

    for e in read_po(po).entries:
        if e.translated and not e.obsolete and len(e.msgstr) > 40:
            return e.msgid, e.msgstr
    raise SystemExit("no translated entry to change")


def _word() -> str:
    """Letters that differ from call to call (a msgstr must keep its numbers: check compares them)."""
    return "".join(chr(ord("a") + int(d)) for d in str(time.perf_counter_ns())[-8:])


def change_msgstr(root: Path, n: int = 0) -> None:
    """Change one translated msgstr: a real edit every call, and a text never seen before (the PDF
    cache keeps earlier versions, so toggling between two texts would measure cache hits)."""
    from briefgen.pofile import format_po, read_po

    path = root / "locales/es/LC_MESSAGES/content.po"
    po = read_po(path)
    entry = next(e for e in po.entries if e.translated and not e.obsolete and len(e.msgstr) > 40)
    text = re.sub(r" \(rev [a-z]+\)\.$", ".", entry.msgstr).rstrip(".")
    entry.msgstr = f"{text} (rev {_word()})."
    path.write_text(format_po(po), encoding="utf-8")


def english_outputs(root: Path) -> dict:
    files = [p for p in (root / "dist").rglob("*") if p.is_file() and ("/en/" in str(p) or p.name.endswith("mexico.pdf"))]
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def msgstr_rebuilds(root: Path, repeats: int, build) -> tuple[float, bool]:
    """(median seconds of `build()` after each of `repeats` msgstr changes, English outputs untouched
    by all of them)."""
    samples, untouched = [], True
    for i in range(repeats):
        before = english_outputs(root)
        change_msgstr(root, i)
        samples.append(build())
        untouched &= english_outputs(root) == before
    return median(samples), untouched


def incremental(root: Path, repeats: int) -> dict:
    briefgen(root, "build")
    noop = median([briefgen(root, "build") for _ in range(repeats)])
    msgstr, untouched = msgstr_rebuilds(root, repeats, lambda: briefgen(root, "build"))
    para = []
    section = root / "content/en/briefing/conclusion.md"
    for _ in range(repeats):
        lines = section.read_text(encoding="utf-8").split("\n")
        i = next(n for n, line in enumerate(lines) if line[:1].isalpha() and line.endswith("."))
        # a real change of one paragraph, undone by the next round
        lines[i] = lines[i][:-len(", indeed.")] + "." if lines[i].endswith(", indeed.") else lines[i][:-1] + ", indeed."
        section.write_text("\n".join(lines), encoding="utf-8")
        para.append(briefgen(root, "build"))
    return {"noop": noop, "msgstr": msgstr, "untouched": untouched, "paragraph": median(para)}


SERVE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    from briefgen.serve import Preview
    import run as bench
    root = Path(sys.argv[1])
    preview = Preview(root, True, lambda message: None)
    preview.build()  # the first build of `briefgen serve` starts the forkserver (WeasyPrint imported)
    samples = []
    for i in range(int(sys.argv[3])):
        bench.change_msgstr(root, i)
        start = time.perf_counter()
        preview.build()  # what the watcher does after a save
        samples.append(time.perf_counter() - start)
        assert preview.error is None, preview.error
    print(sorted(samples)[len(samples) // 2])
""")


def live_msgstr(root: Path, repeats: int) -> float:
    """One msgstr changed while `briefgen serve` runs: its rebuilds fork workers from a warm forkserver."""
    out = subprocess.run([PY, "-c", SERVE, str(root), str(REPO / "bench"), str(repeats)], check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}).stdout
    return float(out.strip().splitlines()[-1])


LARGEST = textwrap.dedent("""
    import sys, time
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    fonts = FontConfiguration()
    html, base = sys.argv[1], sys.argv[2] + "/"
    weasyprint.HTML(filename=html, base_url=base).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True, font_config=fonts)
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        weasyprint.HTML(filename=html, base_url=base).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True, font_config=fonts)
        samples.append(time.perf_counter() - start)
    print(min(samples))
""")


def largest_spanish_pdf(root: Path) -> float:
    """Bare WeasyPrint, already warm, rendering the largest Spanish PDF once: no build that re-renders
    that PDF can be faster, however little of it changed."""
    html_dir = Path(tempfile.mkdtemp())
    files = print_html(root, html_dir)
    spanish = [f for f in files if 'lang="es"' in f.read_text(encoding="utf-8")[:300]]
    biggest = max(spanish, key=lambda f: f.stat().st_size)
    out = subprocess.run([PY, "-c", LARGEST, str(biggest), str(root / "templates")], check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def generated_project(root: Path, documents: int, paragraphs: int, languages=("es", "fr")) -> Path:
    """A project of `documents` small briefings (or one big one), fully translated."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import make_project  # the same sample the tests build
    from briefgen.pofile import format_po, read_po

    make_project(root, targets=languages)
    doc = (root / "content/en/brief/document.yaml").read_text(encoding="utf-8")
    intro = (root / "content/en/brief/intro.md").read_text(encoding="utf-8")
    if paragraphs:
        extra = "\n".join(f"Paragraph {i} about survivors and account number {i}." for i in range(paragraphs))
        (root / "content/en/brief/intro.md").write_text(intro + "\n" + extra.replace("\n", "\n\n") + "\n", encoding="utf-8")
    names = ["brief"]
    for d in range(1, documents):
        name = f"brief{d}"
        names.append(name)
        folder = root / "content/en" / name
        shutil.copytree(root / "content/en/brief", folder)
        (folder / "document.yaml").write_text(doc.replace("output: sample_brief", f"output: sample_{name}"), encoding="utf-8")
        (folder / "intro.md").write_text(intro.replace("# Introduction", f"# Introduction {d}"), encoding="utf-8")
        for lang in languages:
            target = root / "content" / lang / name
            target.mkdir(parents=True, exist_ok=True)
            (target / "document.yaml").write_text(f"output: sample_{name}_{lang}\n", encoding="utf-8")
    cfg = root / "pyproject.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('documents = ["brief"]', f"documents = {names!r}".replace("'", '"')), encoding="utf-8")
    briefgen(root, "extract")
    briefgen(root, "update")
    for lang in languages:
        for domain in ("content", "messages"):
            path = root / f"locales/{lang}/LC_MESSAGES/{domain}.po"
            po = read_po(path)
            for e in po.entries:
                if e.msgid_plural is None:
                    e.msgstr = e.msgid
                else:
                    e.msgstr_plural = {0: e.msgid, 1: e.msgid_plural}
            path.write_text(format_po(po), encoding="utf-8")
    return root


def check_10k(repeats: int) -> tuple[float, int]:
    root = generated_project(Path(tempfile.mkdtemp()) / "big", 1, 10_000, languages=("es",))
    from briefgen.pofile import read_po

    units = len(read_po(root / "locales/content.pot").entries)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([PY, "-m", "briefgen.cli", "--project", str(root), "check", "--no-rendered"],
                       stdout=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - start)
    return median(samples), units


def change_english(root: Path, fraction: float) -> int:
    """Change `fraction` of the English units (at least one): toggle "Indeed, " before the first
    line of that many paragraphs spread over the sections; each call is a real edit."""
    from briefgen.pofile import read_po

    lines = [(path, i) for path in sorted((root / "content/en").rglob("*.md"))
             for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"))
             if line[:1].isupper() and line[1:2].islower() or line.startswith("Indeed, ")]
    count = max(1, round(len(read_po(root / "locales/content.pot").entries) * fraction))
    chosen = lines[::max(1, len(lines) // count)][:count]
    for path in sorted({p for p, _ in chosen}):
        text = path.read_text(encoding="utf-8").split("\n")
        for _, i in (c for c in chosen if c[0] == path):
            text[i] = text[i][len("Indeed, "):] if text[i].startswith("Indeed, ") else "Indeed, " + text[i]
        path.write_text("\n".join(text), encoding="utf-8")
    return count


def msgmerge(root: Path, catalogs: dict[str, bytes] | None = None) -> float:
    """GNU msgmerge -U --previous merging the POT files into the Spanish catalogs, as `update` does
    (into copies of `catalogs`, the catalogs before that update, when given)."""
    scratch = Path(tempfile.mkdtemp())
    total = 0.0
    for domain in ("content", "messages"):
        po = root / f"locales/es/LC_MESSAGES/{domain}.po"
        if catalogs is not None:
            po = scratch / f"{domain}.po"
            po.write_bytes(catalogs[domain])
        begin = time.perf_counter()
        subprocess.run(["msgmerge", "-q", "-U", "--backup=none", "--previous", str(po), str(root / f"locales/{domain}.pot")],
                       check=True)
        total += time.perf_counter() - begin
    return total


def translators(root: Path, repeats: int) -> dict:
    """`extract` then `update` (two commands, as a translator or CI runs them), medians: with
    nothing to change, and after 1% of the English units changed; msgmerge on the same files."""
    from briefgen.pofile import read_po

    briefgen(root, "extract")
    briefgen(root, "update")
    out = {"units": len(read_po(root / "locales/content.pot").entries)}
    noop = [(briefgen(root, "extract"), briefgen(root, "update"), msgmerge(root)) for _ in range(repeats)]
    changed = []
    for _ in range(repeats):
        change_english(root, 0.01)
        before = {d: (root / f"locales/es/LC_MESSAGES/{d}.po").read_bytes() for d in ("content", "messages")}
        x, u = briefgen(root, "extract"), briefgen(root, "update")
        changed.append((x, u, msgmerge(root, before)))
    for name, runs in (("noop", noop), ("changed", changed)):
        out[name] = tuple(median([r[k] for r in runs]) for k in range(3))
    return out


def print_translators(what: str, t: dict, goal: str) -> None:
    for name, label in (("noop", "nothing changed"), ("changed", "1% of the English changed")):
        x, u, m = t[name]
        print(f"extract + update, {what}, {label}: {x + u:5.2f} s ({x:.2f} + {u:.2f}) = {(x + u) / m:4.1f} x "
              f"msgmerge ({m:.2f} s; update alone {u / m:.1f} x){goal if name == 'noop' else ''}")


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (workers, forkserver), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def peak_rss(root: Path) -> float:
    """Peak of the summed RSS of the build and every process it starts (sampled every 20 ms)."""
    shutil.rmtree(root / ".briefgen-cache", ignore_errors=True)
    proc = subprocess.Popen([PY, "-m", "briefgen.cli", "--project", str(root), "-q", "build", "--no-cache"])
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.02)
    return peak / 1024


def pages(root: Path) -> int:
    import pypdf

    return sum(len(pypdf.PdfReader(p).pages) for p in (root / "dist/pdf").glob("*.pdf"))


def scaling() -> list[tuple[int, int, float, float, float]]:
    """(documents, pages, cold build, per page, cold / floor) for generated projects of 2, 8, 32
    documents x 3 languages; the floor is measured once, on the 8-document project."""
    rows = []
    for n in (2, 8, 32):
        root = generated_project(Path(tempfile.mkdtemp()) / f"scale{n}", n, 0)
        t = briefgen(root, "build", "--no-cache")
        p = pages(root)
        rows.append((n, p, t, t / p, t / floor(root, 1) if n == 8 else 0.0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the scaling runs")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    # briefgen's bytecode, as an installed briefgen has it (pip writes it; `./dev` compiles the editable
    # install's): where PYTHONDONTWRITEBYTECODE is set, a checkout without it would time every command
    # compiling some 40 modules (measured here: 0.01-0.02 s of a no-op rebuild, more of a cold build)
    import compileall

    compileall.compile_dir(REPO / "briefgen", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="briefgen-bench-"))
    # every temporary folder of this run and of the processes it starts goes in `work`, removed at the end
    tempfile.tempdir = os.environ["TMPDIR"] = str(work)
    try:
        measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, work: Path) -> None:
    root = copy_project(work / "project")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    f = floor(root, args.repeats)
    c = cold(root, args.repeats)
    n = pages(root)
    print(f"floor (bare WeasyPrint, serial, same HTML): {f:6.2f} s  ({n} pages)")
    print(f"cold full build:                            {c:6.2f} s  = {c / f:.2f} x floor   (goal <= 0.65)")
    inc = incremental(root, args.repeats)
    print(f"no-op rebuild:                              {inc['noop']:6.2f} s  = {inc['noop'] / c:.2f} x cold   (goal <= 0.1 s)")
    print(f"one Spanish msgstr changed:                 {inc['msgstr']:6.2f} s  = {inc['msgstr'] / c:.2f} x cold   (goal <= 0.6 x cold); "
          f"English outputs untouched: {'yes' if inc['untouched'] else 'NO'}")
    print(f"one English paragraph changed:              {inc['paragraph']:6.2f} s  = {inc['paragraph'] / c:.2f} x cold")
    bound = largest_spanish_pdf(root)
    print(f"  lower bound for a msgstr change: the largest Spanish PDF alone, warm bare WeasyPrint: "
          f"{bound:.2f} s = {bound / c:.2f} x cold")
    live = live_msgstr(root, args.repeats)
    print(f"one Spanish msgstr changed, live preview:   {live:6.2f} s  = {live / c:.2f} x cold   "
          "(goal <= 0.55 x cold; briefgen serve: workers forked from its warm forkserver)")
    t, units = check_10k(args.repeats)
    print(f"check on {units} units:                     {t:6.2f} s   (goal < 2 s)")
    real = translators(root, args.repeats)
    print_translators(f"this project ({real['units']} units)", real, "   (goal <= 0.3 s)")
    big = translators(generated_project(Path(tempfile.mkdtemp()) / "big", 1, 10_000, languages=("es",)), args.repeats)
    print_translators(f"{big['units']} units", big, "   (goal <= 2 s and <= 5 x msgmerge)")
    rss = peak_rss(root)
    print(f"peak RSS of a full build (all processes):   {rss:6.0f} MB  (goal < 300 MB)")
    if not args.quick:
        for docs, p, t, per, ratio in scaling():
            print(f"scaling: {docs:2d} documents x 3 languages: {t:6.2f} s for {p:4d} pages = {per * 1000:5.1f} ms/page"
                  + (f"  (= {ratio:.2f} x its floor)" if ratio else ""))


if __name__ == "__main__":
    main()
