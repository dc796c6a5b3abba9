"""The PDFs: tagged, language set, bookmarks, fonts embedded, archival variant, reproducible, confined."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pikepdf
import pypdf
import pytest

from conftest import REPO, make_project
from test_build import outline_titles, pdf_text


@pytest.fixture
def built(translated_built):
    return translated_built  # read only


def struct_elements(pdf):
    out = []

    def walk(e):
        if isinstance(e, pikepdf.Dictionary) and "/S" in e:
            out.append((str(e.S), e))
        k = e.get("/K") if isinstance(e, pikepdf.Dictionary) else None
        for x in (k if isinstance(k, pikepdf.Array) else [k] if k is not None else []):
            if isinstance(x, pikepdf.Dictionary):
                walk(x)

    walk(pdf.Root.StructTreeRoot)
    return out


def test_the_chart_is_a_tagged_data_table_in_reading_order(built):
    """In print the chart is HTML (WeasyPrint draws SVG text letter by letter): a table per group,
    the group its caption, each bar's label a row header with its value beside it, as text in order
    after the figure's caption."""
    path = built / "dist/pdf/sample_brief.pdf"
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    assert "Account ownership\nAccount\n2018 47.1%\n2021 49.1%\nSource: ENIF 2018 and 2021." in text
    with pikepdf.open(path) as pdf:
        kinds = [k for k, _ in struct_elements(pdf)]
    assert kinds.count("/Table") == 2  # the Markdown table, and the chart's one group
    assert kinds.count("/TH") == 3 + 2  # the Markdown table's column headers, the chart's two row headers


@pytest.mark.parametrize("name, lang", [("sample_brief", "en"), ("sample_brief_es", "es")])
def test_tagged_with_language_title_and_metadata(built, name, lang):
    with pikepdf.open(built / f"dist/pdf/{name}.pdf") as pdf:
        assert str(pdf.Root.Lang) == lang
        assert pdf.Root.MarkInfo.Marked
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        elements = struct_elements(pdf)
        kinds = {k for k, _ in elements}
        assert {"/H1", "/H2", "/Table", "/TH", "/TD", "/Caption", "/L", "/LI", "/Link"} <= kinds
        meta = pdf.open_metadata()
        assert meta.get("dc:language") == {lang}
        assert meta.get("pdfuaid:part") == "1"
        assert str(pdf.docinfo["/Author"]) == "Janina Pescinski, Leona Vaughn"
        assert str(pdf.docinfo["/Keywords"]) == {"en": "modern slavery, finance",
                                                  "es": "ES modern slavery, ES finance"}[lang]  # translated too
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20240314")


def test_fonts_are_the_vendored_ones_and_embedded(built):
    with pikepdf.open(built / "dist/pdf/sample_brief_es.pdf") as pdf:
        names = set()
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                desc = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
                assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
                names.add(str(font.BaseFont).split("+", 1)[1])
        assert names and all(n.startswith(("Source-Serif-4", "Source-Sans-3")) for n in names), names


def test_bookmarks_mirror_headings_in_both_languages(built):
    en = outline_titles(built / "dist/pdf/sample_brief.pdf")
    es_ = outline_titles(built / "dist/pdf/sample_brief_es.pdf")
    assert [d for d, _ in en] == [d for d, _ in es_]
    assert (0, "A sample briefing on financial inclusion") == en[0]
    assert (1, "Introduction") in en and (2, "The numbers") in en
    assert (1, "Introducción") in es_ and (1, "Ideas clave") in es_


def test_text_order_and_translated_labels(built):
    text = pdf_text(built / "dist/pdf/sample_brief_es.pdf")
    order = [text.index(s) for s in ("Un informe de ejemplo", "Janina Pescinski", "14 de marzo de 2024", "Ideas clave", "Introducción")]
    assert order == sorted(order)
    assert "ES Contents" in text and "\nContents" not in text


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_check(built):
    for pdf in (built / "dist/pdf").glob("*.pdf"):
        result = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_reproducible_bytes(built, tmp_path, run):
    first = {p.name: p.read_bytes() for p in (built / "dist").rglob("*") if p.is_file()}
    copy = tmp_path / "again"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("dist"))
    assert run(copy, "build").exit_code == 0
    second = {p.name: p.read_bytes() for p in (copy / "dist").rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    changed = [n for n in first if first[n] != second[n]]
    assert changed == []


def test_source_date_epoch_is_honoured(built, tmp_path, run, monkeypatch):
    copy = tmp_path / "epoch"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("dist"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01
    assert run(copy, "build").exit_code == 0
    with pikepdf.open(copy / "dist/pdf/sample_brief.pdf") as pdf:
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20250101")


def test_archival_variant(built, tmp_path, run):
    copy = tmp_path / "archival"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("dist"))
    assert run(copy, "build", "--pdf-variant", "pdf/a-3u").exit_code == 0
    with pikepdf.open(copy / "dist/pdf/sample_brief_es.pdf") as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "U"
        assert "/StructTreeRoot" in pdf.Root and "/OutputIntents" in pdf.Root
        assert str(pdf.Root.Lang) == "es"


def test_configured_variant(tmp_path, run):
    root = make_project(tmp_path / "proj")
    cfg = root / "pyproject.toml"
    cfg.write_text(cfg.read_text().replace('site-url', 'pdf-variant = "pdf/a-3u"\nsite-url'), encoding="utf-8")
    assert run(root, "build").exit_code == 0
    with pikepdf.open(root / "dist/pdf/sample_brief.pdf") as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "3"


@pytest.mark.parametrize("css, message", [
    ('body { background: url("file:///etc/passwd"); }', "'file:///etc/passwd' is outside the project"),
    ('body { background: url("http://example.org/x.png"); }', "'http://example.org/x.png' is outside the project"),
    ('@import url("../../outside.css");', "outside.css' is outside the project"),
])
def test_css_resources_outside_the_project_are_refused(tmp_path, run, css, message):
    root = make_project(tmp_path / "proj")
    (tmp_path / "outside.css").write_text("p { color: red }")
    sheet = root / "templates/print.css"
    sheet.write_text(css + "\n" + sheet.read_text(encoding="utf-8"), encoding="utf-8")
    result = run(root, "build")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "print.css" in result.output
    assert not (root / "dist").exists()


def tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x1f\x5f\x8b" * 2 for _ in range(2))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_broken_image_is_a_located_error(tmp_path, run):
    root = make_project(tmp_path / "proj")
    (root / "content/en/brief/dot.png").write_bytes(tiny_png()[:30])
    with open(root / "content/en/brief/recs.md", "a", encoding="utf-8") as fh:
        fh.write("\n![A single dot](dot.png)\n")
    result = run(root, "build")
    assert result.exit_code == 2, result.output
    assert re.search(r"error: e[ns]/brief: cannot render the PDF: Failed to load image at '.*dot.png'", result.output)


def test_local_image_is_embedded(tmp_path, run):
    root = make_project(tmp_path / "proj")
    png = tiny_png()
    (root / "content/en/brief/dot.png").write_bytes(png)
    with open(root / "content/en/brief/recs.md", "a", encoding="utf-8") as fh:
        fh.write("\n![A single dot](dot.png)\n")
    result = run(root, "build")
    assert result.exit_code == 0, result.output
    [media] = (root / "dist/site/en/brief/media").glob("dot-*.png")
    assert media.read_bytes() == png
    with pikepdf.open(root / "dist/pdf/sample_brief.pdf") as pdf:
        figures = [e for k, e in struct_elements(pdf) if k == "/Figure"]
        assert any(str(f.get("/Alt", "")) == "A single dot" for f in figures)


def test_print_fonts_are_the_woff2_slices_merged(tmp_path):
    """The PDFs load one TrueType per face, its WOFF2 slices (the site's unicode-range files)
    decompressed and merged: every character of every slice is in it, fonts-print.css is fonts.css
    pointing at them, and scripts/fonts.py --check says they are up to date and notices a changed copy."""
    from io import BytesIO

    from fontTools.ttLib import TTFont, woff2

    from briefgen.fonts import catalogue

    script = [sys.executable, str(REPO / "scripts/fonts.py"), "--check"]
    out = subprocess.run(script, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    faces = [f for family in catalogue(REPO / "templates").values() for f in family]
    print_files = {f.print_src for f in faces}
    assert sorted(p.name for p in (REPO / "templates/fonts/print").glob("*.ttf")) == sorted(p.rsplit("/", 1)[1] for p in print_files)
    for rel in sorted(p for p in print_files if "/source-" in p):  # the templates' own families (the CJK one takes long)
        merged = set(TTFont(REPO / "templates" / rel).getBestCmap())
        for face in (f for f in faces if f.print_src == rel):
            decompressed = BytesIO()
            woff2.decompress(BytesIO((REPO / "templates" / face.src).read_bytes()), decompressed)
            assert set(TTFont(BytesIO(decompressed.getvalue())).getBestCmap()) <= merged, (rel, face.src)
    css = (REPO / "templates/fonts-print.css").read_text(encoding="utf-8")
    assert css.count('format("truetype")') == 7 and ".woff2" not in css
    copy = tmp_path / "repo"  # a stale copy is reported
    shutil.copytree(REPO / "templates", copy / "templates")
    shutil.copytree(REPO / "scripts", copy / "scripts")
    ttf = copy / "templates/fonts/print/source-serif-4-400-normal.ttf"
    data = bytearray(ttf.read_bytes())
    data[1000] ^= 0xFF
    ttf.write_bytes(bytes(data))
    out = subprocess.run([sys.executable, str(copy / "scripts/fonts.py"), "--check"], capture_output=True, text=True)
    assert out.returncode == 1 and f"templates/fonts/print/{ttf.name}: out of date" in out.stdout


def test_worker_pool_returns_each_pdf_under_its_own_name_in_job_order(tmp_path):
    """Jobs go to the workers longest first; results still come back in job order, each its own PDF."""
    from briefgen.workers import PdfJob, PdfPool

    pool = PdfPool(2)
    sizes = {"short": 1, "long": 400, "middle": 60}
    (tmp_path / "font.ttf").write_bytes((REPO / "templates/fonts/print/source-serif-4-400-normal.ttf").read_bytes())
    style = '@font-face { font-family: Vendored; src: url("font.ttf"); } body { font-family: Vendored; }'
    try:
        for name, n in sizes.items():
            body = "".join(f"<p>{name} paragraph {i}</p>" for i in range(n))
            html = f'<html lang="en"><head><title>{name}</title><style>{style}</style></head><body><h1>{name}</h1>{body}</body></html>'
            pool.submit([PdfJob(f"pdf/{name}.pdf", html, tmp_path, (tmp_path,), "pdf/ua-1", 1710374400, name, "en")])
        results = list(pool.results())
    finally:
        pool.close()
    assert [rel for rel, _ in results] == [f"pdf/{name}.pdf" for name in sizes]
    for rel, data in results:
        path = tmp_path / rel.split("/")[1]
        path.write_bytes(data)
        assert pdf_text(path).split()[0] == path.stem


def test_workers_do_not_rerun_the_main_module(tmp_path):
    """A build driven by a script read from stdin (no file): workers must not try to import it."""
    root = make_project(tmp_path / "proj")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from briefgen.config import load_project\n"
        "from briefgen.pipeline import build\n"
        "print('main module ran in', 'worker' if __name__ != '__main__' else 'main')\n"
        f"build(load_project(Path({str(root)!r})), workers=2)\n"
    )
    out = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("main module ran in") == 1
    assert (root / "dist/pdf/sample_brief.pdf").read_bytes().startswith(b"%PDF-")


_LOADED = """
import re, subprocess, sys
spawned = []
real_init = subprocess.Popen.__init__
def init(self, args, *a, **k):
    spawned.append(args[0] if isinstance(args, (list, tuple)) else args)
    real_init(self, args, *a, **k)
subprocess.Popen.__init__ = init
if sys.argv[1] == "quick":
    import briefgen.weasyload
else:
    import weasyprint.text.fonts
import ctypes.util
assert ctypes.util.find_library.__module__ == "ctypes.util"  # the real lookup is back
libraries = sorted(set(re.findall(r"[^/\\s]+\\.so[.0-9]*", open("/proc/self/maps").read())))
print(repr((libraries, spawned)))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the quick lookup is for Linux")
def test_the_workers_weasyprint_import_skips_compilers_and_loads_the_same_libraries():
    def loaded(how):
        out = subprocess.run([sys.executable, "-c", _LOADED, how], check=True, capture_output=True, text=True).stdout
        return eval(out)

    quick_libraries, quick_spawned = loaded("quick")
    plain_libraries, plain_spawned = loaded("plain")
    assert quick_libraries == plain_libraries
    assert any(name.startswith("libpango-1.0") for name in quick_libraries)
    assert quick_spawned == ["/sbin/ldconfig"]  # one reading of the linker cache, no gcc, no ld
    assert len(plain_spawned) > 5  # what it saves: a search per spelling WeasyPrint tries


def test_a_worker_kept_across_builds_sees_a_replaced_font_file(tmp_path):
    """serve renders many builds in the same workers; WeasyPrint only ever adds fonts to a
    configuration, so a replaced font file must get a fresh one."""
    from briefgen.workers import PdfJob, run_job

    fonts = REPO / "templates/fonts/print"
    font = tmp_path / "font.ttf"
    style = '@font-face { font-family: Vendored; src: url("font.ttf"); } body { font-family: Vendored; }'
    html = f'<html lang="en"><head><title>t</title><style>{style}</style></head><body><p>Accounts for all.</p></body></html>'

    def embedded(source: str) -> str:
        font.write_bytes((fonts / source).read_bytes())
        job = PdfJob("pdf/t.pdf", html, tmp_path, (tmp_path,), "pdf/ua-1", 1710374400, "t", "en")
        pdf = tmp_path / "t.pdf"
        pdf.write_bytes(run_job(job))
        with pikepdf.open(pdf) as doc:  # the glyph widths tell the two families apart
            return [str(f.get("/DescendantFonts", [f])[0].get("/W")) for page in doc.pages
                    for f in page.Resources.get("/Font", {}).values()]

    sans = embedded("source-sans-3-400-normal.ttf")
    serif = embedded("source-serif-4-400-normal.ttf")
    assert sans == embedded("source-sans-3-400-normal.ttf")  # the same font, the same widths
    assert serif != sans


def pdfua_findings(paths) -> dict[str, list[str]]:
    """What the independent PDF/UA-1 checker (PyPI `pdfua`, not briefgen's code) reports: errors and
    warnings (a rule it cannot evaluate is a 'skip', not counted)."""
    from pdfua import validate

    out = {}
    for path in paths:
        report = validate(str(path))
        out[path.name] = [f"{f.rule_id} {f.severity.name} p.{f.location.page}: {f.message}" for f in report.findings
                          if f.severity.name in ("ERROR", "WARNING")]
    return out


def test_an_independent_pdfua_checker_finds_no_errors(built, real_project):
    """Every painted object tagged or an artifact (the cover too), table headers with /Scope."""
    paths = sorted((built / "dist/pdf").glob("*.pdf")) + sorted((real_project / "dist/pdf").glob("*.pdf"))
    assert len(paths) == 6
    assert pdfua_findings(paths) == {p.name: [] for p in paths}
    for path in paths:
        with pikepdf.open(path) as pdf:
            headers = [e for k, e in struct_elements(pdf) if k == "/TH"]
            assert all(str(h.A.Scope) in ("/Column", "/Row") for h in headers)
    assert any(k == "/TH" for k, _ in struct_elements(pikepdf.open(paths[0])))
