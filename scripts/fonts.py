#!/usr/bin/env python3
"""Make the print fonts: the vendored WOFF2 files (templates/fonts/) decompressed to TrueType
(templates/fonts/print/), and templates/fonts-print.css, which is templates/fonts.css pointing at them.

    python scripts/fonts.py          # write them
    python scripts/fonts.py --check  # exit 1 if a print font is missing or differs

WeasyPrint decompresses WOFF2 in pure Python (fontTools) each time a process first meets a font:
about 0.15 s of every PDF worker's start-up for the seven faces. The PDFs therefore load these
TrueType files, which hold exactly the bytes WeasyPrint would have decompressed, so the PDFs are
identical either way; the site keeps the smaller WOFF2 files. Run this after changing a WOFF2 file.
"""
from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

from fontTools.ttLib import woff2

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FONTS = TEMPLATES / "fonts"


def print_css(screen_css: str) -> str:
    """fonts.css with each WOFF2 source replaced by its TrueType copy."""
    import re

    body = re.sub(r'url\("fonts/([^"/]+)\.woff2"\) format\("woff2"\)', r'url("fonts/print/\1.ttf") format("truetype")',
                  screen_css.split("\n", 1)[1])
    return ("/* The vendored fonts as TrueType, for the PDFs. Made by scripts/fonts.py from fonts.css: "
            "edit that, then run the script. */\n" + body)


def truetype(source: Path) -> bytes:
    out = BytesIO()
    woff2.decompress(BytesIO(source.read_bytes()), out)
    return out.getvalue()


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for source in sorted(FONTS.glob("*.woff2")):
        target = FONTS / "print" / source.with_suffix(".ttf").name
        data = truetype(source)
        if target.is_file() and target.read_bytes() == data:
            continue
        stale.append(target)
        if not check:
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(data)
    css = TEMPLATES / "fonts-print.css"
    wanted = print_css((TEMPLATES / "fonts.css").read_text(encoding="utf-8"))
    if not css.is_file() or css.read_text(encoding="utf-8") != wanted:
        stale.append(css)
        if not check:
            css.write_text(wanted, encoding="utf-8")
    for target in stale:
        print(f"{target.relative_to(TEMPLATES.parent)}: {'out of date' if check else 'written'}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
