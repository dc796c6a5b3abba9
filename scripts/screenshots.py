#!/usr/bin/env python3
"""Regenerate the README pictures from a fresh build: web pages (headless Chromium) and PDF covers (pdftoppm).

    python scripts/screenshots.py              # builds first, writes docs/img/*.png
    python scripts/screenshots.py --languages  # the Arabic and Chinese pages of the six-language test sample
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs/img"
SHOTS = [
    ("site-en.png", "dist/site/en/briefing/index.html", "1280,900"),
    ("site-es.png", "dist/site/es/briefing/index.html", "1280,900"),
    ("site-es-phone.png", "dist/site/es/briefing/index.html", "390,844"),
]
# PDF pages: the page number, or the text of the page to show (the first page that has it)
COVERS = [
    ("pdf-cover-en.png", "dist/pdf/financial_inclusion_mexico.pdf", 1),
    ("pdf-cover-es.png", "dist/pdf/financial_inclusion_mexico_spanish.pdf", 1),
    ("pdf-page-es.png", "dist/pdf/financial_inclusion_mexico_spanish.pdf", "CUADRO 1"),
    ("pdf-chart-es.png", "dist/pdf/financial_inclusion_mexico_concept_note_spanish.pdf", "FIGURA 1"),
]


def page_with(pdf: Path, text: str) -> int:
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for number, page in enumerate(pages.split("\f"), 1):
        if text in page:
            return number
    sys.exit(f"no page of {pdf.name} has {text!r}")


LANGUAGE_SHOTS = [("site-ar.png", "dist/site/ar/brief/index.html", "1280,900"),
                  ("site-zh.png", "dist/site/zh/brief/index.html", "1280,900")]
LANGUAGE_PAGES = [("pdf-page-ar.png", "dist/pdf/sample_brief_ar.pdf", 3), ("pdf-page-zh.png", "dist/pdf/sample_brief_zh.pdf", 3)]


def shoot(chromium: str, root: Path, shots, pages) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, page, size in shots:
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--disable-background-networking", "--no-first-run", f"--user-data-dir={profile}",
                            f"--window-size={size}", f"--screenshot={OUT / name}", (root / page).as_uri()],
                           check=True, capture_output=True)
    for name, pdf, page in pages:
        stem = OUT / name.removesuffix(".png")
        page = page if isinstance(page, int) else page_with(root / pdf, page)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile",
                        str(root / pdf), str(stem)], check=True)


def languages(chromium: str) -> None:
    """The six-language sample of the tests (tests/six.py), built in a temporary folder."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import cli
    from six import make_six

    with tempfile.TemporaryDirectory() as folder:
        root = make_six(Path(folder) / "six")
        assert cli(root, "build").exit_code == 0
        shoot(chromium, root, LANGUAGE_SHOTS, LANGUAGE_PAGES)


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium or not shutil.which("pdftoppm"):
        sys.exit("needs Debian's chromium and poppler-utils (./dev test installs both)")
    if "--languages" in sys.argv[1:]:
        languages(chromium)
        print("\n".join(sorted(str(p.relative_to(REPO)) for p in OUT.glob("*.png"))))
        return
    subprocess.run([sys.executable, "-m", "briefgen.cli", "--project", str(REPO), "-q", "build"], check=True)
    shoot(chromium, REPO, SHOTS, COVERS)
    print("\n".join(sorted(str(p.relative_to(REPO)) for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
