"""The build cache is correct, not just fast: incremental builds equal clean builds byte for byte."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from briefgen.pofile import format_po, read_po
from conftest import write


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted((root / "dist").rglob("*")) if p.is_file()}


def contents(snap: dict) -> dict:
    return {k: v[0] for k, v in snap.items()}


@pytest.fixture
def proj(translated_built, tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(translated_built, root, copy_function=shutil.copy2)
    return root


def edit(path: Path, old: str, new: str):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def msgstr(root: Path, msgid: str, value: str):
    path = root / "locales/es/LC_MESSAGES/content.po"
    po = read_po(path)
    for e in po.entries:
        if e.msgid == msgid:
            e.msgstr = value
    path.write_text(format_po(po), encoding="utf-8")


CHANGES = {
    "english paragraph": (lambda r: (edit(r / "content/en/brief/recs.md", "Three steps", "Four steps")), {"pdf/sample_brief.pdf", "pdf/sample_brief_es.pdf"}),
    "spanish msgstr": (lambda r: msgstr(r, "Bring banks, regulators and shelters together.", "Reunir a bancos y refugios."), {"pdf/sample_brief_es.pdf"}),
    "override": (lambda r: write(r / "content/es/brief/recs.md", "---\ntranslation-of: " + hashlib.sha256((r / "content/en/brief/recs.md").read_bytes()).hexdigest() + "\n---\n# Recomendaciones\n\nHecho a mano.\n"), {"pdf/sample_brief_es.pdf"}),
    "template": (lambda r: edit(r / "templates/print.html", '<p class="series">', '<p class="series" data-x="1">'), {"pdf/sample_brief.pdf", "pdf/sample_brief_es.pdf"}),
    "css": (lambda r: edit(r / "templates/print.css", "font-size: 10.5pt", "font-size: 10pt"), {"pdf/sample_brief.pdf", "pdf/sample_brief_es.pdf"}),
    # a font file replaced by a copy that keeps its source's time (cp -p): the no-op check compares
    # font files by size, time and inode, the PDF cache by their bytes
    "font": (lambda r: shutil.copy2(r / "templates/fonts/print/source-serif-4-600-normal.ttf",
                                    r / "templates/fonts/print/source-serif-4-700-normal.ttf"),
             {"pdf/sample_brief.pdf", "pdf/sample_brief_es.pdf"}),
    "config": (lambda r: edit(r / "pyproject.toml", 'site-url', 'pdf-variant = "pdf/a-3u"\nsite-url'), {"pdf/sample_brief.pdf", "pdf/sample_brief_es.pdf"}),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_incremental_build_equals_clean_build(proj, run, tmp_path, change):
    apply, rebuilt = CHANGES[change]
    apply(proj)
    before = snapshot(proj)
    result = run(proj, "build", "--explain")
    assert result.exit_code == 0, result.output
    said = dict(line.split(": ", 1) for line in result.output.splitlines() if line.startswith("pdf/") and ": re" in line)
    assert {k for k, v in said.items() if v.startswith("rebuilt")} == rebuilt, said
    incremental = snapshot(proj)
    clean = tmp_path / "clean"
    shutil.copytree(proj, clean, ignore=shutil.ignore_patterns("dist", ".briefgen-cache"))
    assert run(clean, "build", "--no-cache").exit_code == 0
    assert contents(incremental) == contents(snapshot(clean))
    if change in ("spanish msgstr", "override"):
        english = [k for k in incremental if "/en/" in k or k.endswith("sample_brief.pdf")]
        assert english and all(incremental[k] == before[k] for k in english)  # bytes and mtimes unchanged


def test_a_font_rewritten_in_place_at_its_size_and_time_is_not_a_noop(proj, run):
    """As `cp -p` or `rsync --inplace -t` would leave it: same inode, size and modification time."""
    font = proj / "templates/fonts/print/source-serif-4-400-normal.ttf"
    st = font.stat()
    data = bytearray(font.read_bytes())
    data[-1] ^= 0xFF
    with open(font, "r+b") as f:
        f.write(data)
    os.utime(font, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (font.stat().st_ino, font.stat().st_size, font.stat().st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
    result = run(proj, "build", "--explain")
    assert "nothing changed" not in result.output
    assert "pdf/sample_brief.pdf: rebuilt" in result.output, result.output


def test_noop_is_not_fooled_by_a_changed_dist(proj, run):
    (proj / "dist/site/en/brief/index.html").write_text("tampered", encoding="utf-8")
    result = run(proj, "build")
    assert "nothing changed" not in result.output
    assert "tampered" not in (proj / "dist/site/en/brief/index.html").read_text(encoding="utf-8")


def test_noop_rebuild_renders_nothing_and_never_imports_weasyprint(proj):
    probe = (
        "import sys; from briefgen.cli import main\n"
        "try:\n    main(['--project', sys.argv[1], '-q', 'build', '--explain'])\n"
        "except SystemExit: pass\n"
        "print('weasyprint' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(proj)], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "False"
    assert "pdf/sample_brief.pdf: reused: inputs unchanged" in out


@pytest.mark.parametrize("args", [("--help",), ("check",), ("extract",), ("update",), ("build", "--help")])
def test_commands_that_render_no_pdf_never_import_weasyprint(proj, args):
    """As the `briefgen` command runs them; -X importtime lists every import."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "briefgen", "--project", str(proj), *args],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert {"briefgen.cli", "click"} <= imported  # the probe sees the command's imports
    assert not {m for m in imported if m.split(".")[0] in ("weasyprint", "pydyf")}  # (pypdf, for check, brings fontTools)


@pytest.mark.parametrize("damage", ["corrupt", "old-format", "garbage-manifest"])
def test_damaged_cache_is_ignored(proj, run, damage):
    cache = proj / ".briefgen-cache"
    manifest = json.loads((cache / "manifest.json").read_text())
    if damage == "corrupt":
        for pdf in (cache / "pdf").glob("*.pdf"):
            pdf.write_bytes(b"%PDF-1.7 not really")
    elif damage == "old-format":
        manifest["format"] = 0
        (cache / "manifest.json").write_text(json.dumps(manifest))
    else:
        (cache / "manifest.json").write_text("{not json")
    before = contents(snapshot(proj))
    shutil.rmtree(proj / "dist")  # so the build has to consult the damaged cache
    result = run(proj, "build", "--explain")
    assert result.exit_code == 0
    assert "reused" not in result.output and "rebuilt" in result.output
    assert contents(snapshot(proj)) == before


def test_a_build_without_pdfs_keeps_the_cached_pdfs(proj, run):
    """`--no-pdf` (and `serve` without --pdf) render no PDF: the cache must still hold the PDFs
    for the next full build (it used to keep only what each build used: none)."""
    before = contents(snapshot(proj))
    edit(proj / "content/en/brief/recs.md", "Three steps", "Three careful steps")
    assert run(proj, "build", "--no-pdf").exit_code == 0
    assert len(list((proj / ".briefgen-cache/pdf").glob("*.pdf"))) == 2
    edit(proj / "content/en/brief/recs.md", "Three careful steps", "Three steps")
    result = run(proj, "build", "--explain")
    assert result.exit_code == 0
    assert "pdf/sample_brief.pdf: reused: inputs unchanged" in result.output
    assert "pdf/sample_brief_es.pdf: reused: inputs unchanged" in result.output
    assert contents(snapshot(proj)) == before


def test_a_malformed_kept_entry_is_ignored(proj, run):
    manifest_path = proj / ".briefgen-cache/manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["kept"] = {"pdf/gone.pdf": {"key": ["not", "a", "str"], "parts": {}, "sha256": 1}, "x": 3}
    manifest["outputs"]["pdf/sample_brief.pdf"]["key"] = {"nor": "this"}
    manifest_path.write_text(json.dumps(manifest))
    edit(proj / "content/en/brief/recs.md", "Three steps", "Three careful steps")
    result = run(proj, "build", "--no-pdf")
    assert result.exit_code == 0, result.output
    result = run(proj, "build", "--explain")
    assert result.exit_code == 0 and "pdf/sample_brief.pdf: rebuilt" in result.output


def test_other_code_reuses_nothing(proj, run, monkeypatch):
    """An edited briefgen (same version), another Python or an upgraded library would render other
    bytes: the build is no no-op, and no PDF is reused."""
    from briefgen import codekey

    result = run(proj, "build", "--explain")
    assert "pdf/sample_brief.pdf: reused: inputs unchanged" in result.output and "rebuilt" not in result.output
    monkeypatch.setattr(codekey, "code_key", lambda: "0" * 64)  # as a changed file or package would give
    result = run(proj, "build", "--explain")
    assert result.exit_code == 0
    assert "pdf/sample_brief.pdf: rebuilt: briefgen, Python or an installed library changed" in result.output
    assert "reused" not in result.output


def test_the_code_key_follows_briefgen_s_files(tmp_path):
    """Measured from disk in a fresh process: the same files give the same key, an edited one another."""
    copy = tmp_path / "lib"
    shutil.copytree(Path(__file__).resolve().parents[1] / "briefgen", copy / "briefgen",
                    ignore=shutil.ignore_patterns("__pycache__"))
    probe = [sys.executable, "-c", "from briefgen.codekey import code_key; print(code_key())"]
    env = {**os.environ, "PYTHONPATH": str(copy)}

    def key() -> str:
        return subprocess.run(probe, capture_output=True, text=True, check=True, env=env, cwd=tmp_path).stdout.strip()

    first = key()
    assert len(first) == 64 and key() == first
    render = copy / "briefgen/render.py"
    render.write_text(render.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    assert key() != first


def test_serial_and_parallel_builds_are_identical(proj, run, tmp_path):
    serial = tmp_path / "serial"
    shutil.copytree(proj, serial, ignore=shutil.ignore_patterns("dist", ".briefgen-cache"))
    assert run(serial, "build", "--no-cache", "--jobs", "1").exit_code == 0
    parallel = tmp_path / "parallel"
    shutil.copytree(proj, parallel, ignore=shutil.ignore_patterns("dist", ".briefgen-cache"))
    assert run(parallel, "build", "--no-cache", "--jobs", "2").exit_code == 0
    assert contents(snapshot(serial)) == contents(snapshot(parallel))


def test_a_renderer_kept_across_builds_gives_clean_build_outputs_and_survives_a_failure(proj, run, tmp_path):
    """`serve` keeps one PdfPool for all its rebuilds: a failed PDF must not leak into the next build."""
    from briefgen.config import load_project
    from briefgen.errors import BuildError
    from briefgen.pipeline import build
    from briefgen.workers import PdfPool

    renderer = PdfPool(2)
    css = proj / "templates/print.css"
    good = css.read_text(encoding="utf-8")
    try:
        css.write_text(good + '\nbody { background: url("missing.png"); }\n', encoding="utf-8")
        with pytest.raises(BuildError, match="missing.png"):
            build(load_project(proj), pool=renderer)
        css.write_text(good, encoding="utf-8")
        CHANGES["spanish msgstr"][0](proj)
        build(load_project(proj), pool=renderer)
        CHANGES["english paragraph"][0](proj)
        result = build(load_project(proj), pool=renderer)
        assert sorted(rel for rel, why in result.explain if why.startswith("rebuilt")) == [
            "pdf/sample_brief.pdf", "pdf/sample_brief_es.pdf"]
    finally:
        renderer.close()
    clean = tmp_path / "clean"
    shutil.copytree(proj, clean, ignore=shutil.ignore_patterns("dist", ".briefgen-cache"))
    result = run(clean, "build", "--no-cache")
    assert result.exit_code == 0, result.output
    assert contents(snapshot(proj)) == contents(snapshot(clean))


def explained(result) -> dict:
    return dict(line.split(": ", 1) for line in result.output.splitlines() if line.startswith("pdf/") and ": re" in line)


def test_going_back_and_forth_renders_nothing_again(proj, run):
    """Alternating PDF/UA and PDF/A builds (`build` and `publish`), or undoing an edit, reuse the
    PDFs rendered before: the cache keeps several versions of each PDF."""
    pyproject = proj / "pyproject.toml"
    ua = pyproject.read_text(encoding="utf-8")
    archival = ua.replace("site-url", 'pdf-variant = "pdf/a-3u"\nsite-url')
    pyproject.write_text(archival, encoding="utf-8")
    assert set(explained(run(proj, "build", "--explain")).values()) == {"rebuilt: the configuration or PDF variant changed"}
    for text in (ua, archival, ua):
        pyproject.write_text(text, encoding="utf-8")
        said = explained(run(proj, "build", "--explain"))
        assert len(said) == 2 and all(v.startswith("reused") for v in said.values()), said
    edit(proj / "content/en/brief/recs.md", "Three steps", "Four steps")
    assert "rebuilt" in explained(run(proj, "build", "--explain"))["pdf/sample_brief.pdf"]
    edit(proj / "content/en/brief/recs.md", "Four steps", "Three steps")  # undone
    said = explained(run(proj, "build", "--explain"))
    assert all(v.startswith("reused") for v in said.values()), said
    clean = proj.parent / "clean"
    shutil.copytree(proj, clean, ignore=shutil.ignore_patterns("dist", ".briefgen-cache"))
    assert run(clean, "build", "--no-cache").exit_code == 0
    assert contents(snapshot(proj)) == contents(snapshot(clean))


def test_the_cache_is_bounded_least_recently_used_out(proj, run, monkeypatch):
    from briefgen import cache

    monkeypatch.setattr(cache, "MAX_VERSIONS", 2)
    recs = proj / "content/en/brief/recs.md"
    original = recs.read_text(encoding="utf-8")
    versions = {name: original.replace("Three steps", f"{name} steps") for name in ("Three", "Four", "Five")}

    def build_with(name: str) -> str:
        recs.write_text(versions[name], encoding="utf-8")
        result = run(proj, "build", "--explain")
        assert result.exit_code == 0, result.output
        return explained(result)["pdf/sample_brief.pdf"]

    assert build_with("Four").startswith("rebuilt")
    assert build_with("Three").startswith("reused")  # Three is now the most recently used, Four the least
    assert build_with("Five").startswith("rebuilt")  # a third version: Four goes
    assert build_with("Three").startswith("reused")
    assert build_with("Four").startswith("rebuilt")
    english = [e for e in json.loads((proj / ".briefgen-cache/manifest.json").read_text())["kept"]["pdf/sample_brief.pdf"]]
    assert len(english) == 2
    stored = {p.stem for p in (proj / ".briefgen-cache/pdf").glob("*.pdf")}
    kept = {e["key"] for versions in json.loads((proj / ".briefgen-cache/manifest.json").read_text())["kept"].values()
            for e in versions}
    assert stored == kept

    monkeypatch.setattr(cache, "MAX_BYTES", 1)  # over budget: only what the last build used stays
    build_with("Three")
    assert len(list((proj / ".briefgen-cache/pdf").glob("*.pdf"))) == 2


def test_a_cache_of_the_one_version_format_is_still_used(proj, run):
    path = proj / ".briefgen-cache/manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format"] = 1
    manifest["kept"] = {rel: versions[0] for rel, versions in manifest["kept"].items()}
    manifest.pop("generation")
    path.write_text(json.dumps(manifest))
    shutil.rmtree(proj / "dist")
    said = explained(run(proj, "build", "--explain"))
    assert len(said) == 2 and all(v.startswith("reused") for v in said.values()), said
