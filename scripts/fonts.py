#!/usr/bin/env python3
"""The vendored fonts and their print copies.

    python scripts/fonts.py            # make the print fonts (one TrueType per face) and fonts-print.css
    python scripts/fonts.py --check    # exit 1 if a print font or fonts-print.css is out of date
    python scripts/fonts.py vendor PACKAGE_DIR --subsets arabic --weights 400,700 [--styles normal,italic]
        # copy a fontsource package's faces (`npm pack @fontsource/noto-naskh-arabic`, unpacked) into
        # templates/fonts/<family>/ with its licence and a faces.css ("slices" = the numbered CJK slices)

The web loads the WOFF2 files, each slice of a face only when a page has a character of its
unicode-range. The PDFs load, for each face (family, weight, style), its slices decompressed and
merged into one TrueType, templates/fonts/print/<family>-<weight>-<style>.ttf: WeasyPrint would
otherwise decompress WOFF2 in pure Python in every worker (the 97 slices of Noto Sans SC take
about 16 s) and embed one font per slice. templates/fonts-print.css is templates/fonts.css pointing
at them; briefgen points the other families' faces there itself. print/manifest.json records the
sources and digest of each print font, so --check is fast and notices a changed slice or copy.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
from io import BytesIO
from pathlib import Path

from fontTools.merge import Merger, Options
from fontTools.ttLib import TTFont, woff2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from briefgen.fonts import Face, catalogue, parse_faces, slug  # noqa: E402

TEMPLATES = ROOT / "templates"
PRINT = TEMPLATES / "fonts" / "print"
MANIFEST = PRINT / "manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def truetype(source: Path) -> bytes:
    out = BytesIO()
    woff2.decompress(BytesIO(source.read_bytes()), out)
    return out.getvalue()


def merged(sources: list[Path]) -> bytes:
    """One TrueType from the slices of a face (the first slice's names and metrics), reproducibly."""
    if len(sources) == 1:
        return truetype(sources[0])
    slices = [truetype(p) for p in sources]
    font = Merger(options=Options(drop_tables=["vhea", "vmtx"])).merge([BytesIO(s) for s in slices])
    first = TTFont(BytesIO(slices[0]))["head"]
    font["head"].created, font["head"].modified = first.created, first.modified  # the merger stamps the time
    font.recalcTimestamp = False
    out = BytesIO()
    font.save(out, reorderTables=True)
    return out.getvalue()


def faces_by_print_file() -> dict[str, list[Face]]:
    groups: dict[str, list[Face]] = {}
    for faces in catalogue(TEMPLATES).values():
        for face in faces:
            groups.setdefault(face.print_src, []).append(face)
    return groups


def print_css() -> str:
    """fonts.css with one rule per face, pointing at its merged TrueType."""
    faces = parse_faces((TEMPLATES / "fonts.css").read_text(encoding="utf-8"))
    rules = dict.fromkeys(
        f'@font-face {{ font-family: "{f.family}"; font-style: {f.style}; font-weight: {f.weight}; '
        f'src: url("{f.print_src}") format("truetype"); }}' for f in faces)
    return ("/* The vendored fonts as TrueType, one file per face, for the PDFs. Made by scripts/fonts.py from "
            "fonts.css: edit that, then run the script. */\n" + "\n".join(rules) + "\n")


def make(check: bool) -> int:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.is_file() else {}
    wanted, stale = {}, []
    for rel, faces in sorted(faces_by_print_file().items()):
        name = Path(rel).name
        sources = {f.src: sha256((TEMPLATES / f.src).read_bytes()) for f in faces}
        target = TEMPLATES / rel
        entry = manifest.get(name, {})
        current = target.is_file() and entry.get("sources") == sources and entry.get("sha256") == sha256(target.read_bytes())
        if current:
            wanted[name] = entry
            continue
        stale.append(target)
        if not check:
            data = merged([TEMPLATES / f.src for f in faces])
            PRINT.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            wanted[name] = {"sources": sources, "sha256": sha256(data)}
    for extra in sorted(set(p.name for p in PRINT.glob("*.ttf")) - set(wanted) - {Path(r).name for r in faces_by_print_file()}):
        stale.append(PRINT / extra)
        if not check:
            (PRINT / extra).unlink()
    css = TEMPLATES / "fonts-print.css"
    if not css.is_file() or css.read_text(encoding="utf-8") != print_css():
        stale.append(css)
        if not check:
            css.write_text(print_css(), encoding="utf-8")
    if not check and (stale or manifest != wanted):
        MANIFEST.write_text(json.dumps(wanted, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for target in stale:
        print(f"{target.relative_to(ROOT)}: {'out of date' if check else 'written'}")
    return 1 if check and stale else 0


def vendor(package: Path, subsets: list[str], weights: list[str], styles: list[str], into: Path | None) -> int:
    """Copy a fontsource package's chosen faces, with its licence and a faces.css."""
    meta = json.loads((package / "metadata.json").read_text(encoding="utf-8"))
    family = meta["family"]
    into = into or TEMPLATES / "fonts" / slug(family)
    into.mkdir(parents=True, exist_ok=True)
    rules = []
    for weight in weights:
        for style in styles:
            css = package / f"{weight}{'-italic' if style == 'italic' else ''}.css"
            for face, block in zip(parse_faces(css.read_text(encoding="utf-8")), re.findall(r"@font-face\s*\{.*?\}", css.read_text(encoding="utf-8"), re.S)):
                subset = re.match(rf"{re.escape(meta['id'])}-(.+)-{weight}-{style}\.woff2$", Path(face.src).name).group(1)
                if subset in subsets or ("slices" in subsets and subset.isdigit()):
                    shutil.copy2(package / face.src, into / Path(face.src).name)
                    rules.append(f'@font-face {{ font-family: "{family}"; font-style: {style}; font-weight: {weight}; '
                                 f'src: url("{Path(face.src).name}") format("woff2"); unicode-range: {face.ranges}; }}')
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    header = (f"/* {family} ({meta['license']['type']}, {meta['license'].get('attribution', '')}): npm @fontsource/{meta['id']} "
              f"{version}; subsets {', '.join(subsets)}; made by scripts/fonts.py vendor */\n")
    (into / "faces.css").write_text(header + "\n".join(rules) + "\n", encoding="utf-8")
    shutil.copy2(package / "LICENSE", into / "OFL.txt")
    print(f"{into.relative_to(ROOT)}: {len(rules)} faces of {family}; now run python scripts/fonts.py")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["vendor"]:
        parser = argparse.ArgumentParser(prog="scripts/fonts.py vendor")
        parser.add_argument("package", type=Path)
        parser.add_argument("--subsets", required=True)
        parser.add_argument("--weights", default="400")
        parser.add_argument("--styles", default="normal")
        parser.add_argument("--into", type=Path)
        a = parser.parse_args(argv[1:])
        return vendor(a.package, a.subsets.split(","), a.weights.split(","), a.styles.split(","), a.into)
    return make(check="--check" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
