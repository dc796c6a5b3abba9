"""Fonts per script, typography per script, text direction: what each edition's pages and PDF load.

The vendored fonts are the catalogue (every face with its unicode-range, as npm's fontsource ships them):

    templates/fonts.css                  the families the templates name (Source Serif 4, Source Sans 3),
                                         for Latin and Cyrillic; imported by screen.css (print.css imports
                                         its TrueType twin fonts-print.css, made by scripts/fonts.py)
    templates/fonts/<family>/faces.css   a family for another script (Amiri, Noto Sans SC ...)

The templates' font stacks name a *script face* after their own family, e.g. `"Source Serif 4",
"Script Serif", serif`. `[tool.briefgen.fonts]` says, per script (ISO 15924 code, as Babel's likely
subtags give it for the edition's locale) or per language, which vendored family is each script
face; an edition's CSS (`web_css`, `print_css`) declares those families' faces under the script
face's name, so the first family that has a character draws it. The web loads only the slices
a page needs (unicode-range); the PDFs load one TrueType per face (fonts/print/) and embed subsets.
A character no shipped font draws is a build error (briefgen.pdf), never a font of the machine.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from .config import Project
from .errors import ConfigError, Location, did_you_mean

FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2", ".ttc")  # the font files a project may ship

# Scripts whose letters join (letter-spacing would break them), and scripts written without
# hyphenation; the CJK scripts break lines between characters and justify between them.
JOINING = frozenset({"Arab", "Syrc", "Mong", "Nkoo", "Adlm", "Rohg", "Mand", "Thaa"})
CJK = frozenset({"Hans", "Hant", "Hani", "Jpan"})
NO_HYPHENATION = JOINING | CJK | frozenset({"Hebr", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})


@dataclass(frozen=True)
class Face:
    """One @font-face of the catalogue."""

    family: str
    style: str  # normal | italic
    weight: int
    src: str  # relative to templates/, e.g. fonts/noto-sans-sc/noto-sans-sc-4-400-normal.woff2
    ranges: str = ""  # the unicode-range descriptor as written; "" = the whole font

    @property
    def print_src(self) -> str:
        """The TrueType file the PDFs load for this face (all its slices merged by scripts/fonts.py)."""
        return f"fonts/print/{slug(self.family)}-{self.weight}-{self.style}.ttf"

    def codepoints(self) -> frozenset[int]:
        return parse_ranges(self.ranges)


def slug(family: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", family.lower()).strip("-")


_RULE = re.compile(r"@font-face\s*\{(.*?)\}", re.S)
_DESCRIPTOR = re.compile(r"([a-z-]+)\s*:\s*([^;]+)")
_NAME = re.compile(r"[\w .-]+")
_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


def parse_faces(css: str, base: str = "") -> list[Face]:
    """The @font-face rules of a stylesheet; `base` is the stylesheet's folder relative to templates/."""
    faces = []
    for block in _RULE.findall(re.sub(r"/\*.*?\*/", "", css, flags=re.S)):
        d = {k.strip(): v.strip() for k, v in _DESCRIPTOR.findall(block)}
        urls = _URL.findall(d.get("src", ""))
        if "font-family" not in d or not urls or not _NAME.fullmatch(d["font-family"].strip("'\"")):
            continue  # a family name is letters, digits, spaces, dots and dashes (it goes into CSS)
        url = next((u for u in urls if u.endswith(".woff2")), urls[0])
        path = (Path(base) / url.removeprefix("./")).as_posix() if base else url.removeprefix("./")
        faces.append(Face(d["font-family"].strip("'\""), d.get("font-style", "normal"),
                          int(d.get("font-weight", "400").split()[0]), path, d.get("unicode-range", "")))
    return faces


def parse_ranges(ranges: str) -> frozenset[int]:
    """U+0000-00FF,U+0131 ... -> the code points; "" -> empty (the whole font)."""
    out: set[int] = set()
    for part in ranges.replace("u+", "U+").split(","):
        part = part.strip().removeprefix("U+")
        if not part:
            continue
        if "?" in part:  # U+4?? wildcards
            start, end = int(part.replace("?", "0"), 16), int(part.replace("?", "F"), 16)
        else:
            start, _, end = part.partition("-")
            start, end = int(start, 16), int(end or start, 16)
        out.update(range(start, end + 1))
    return frozenset(out)


def catalogue(templates: Path) -> dict[str, tuple[Face, ...]]:
    """Every vendored family and its faces: templates/fonts.css first, then fonts/*/faces.css."""
    files = [templates / "fonts.css", *sorted((templates / "fonts").glob("*/faces.css"))]
    stamps = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.is_file())
    return _catalogue(str(templates), stamps)


@functools.lru_cache(maxsize=16)
def _catalogue(templates: str, stamps: tuple) -> dict[str, tuple[Face, ...]]:
    families: dict[str, list[Face]] = {}
    for path, _mtime, _size in stamps:
        rel = Path(path).parent.relative_to(templates).as_posix()
        for face in parse_faces(Path(path).read_text(encoding="utf-8"), "" if rel == "." else rel):
            families.setdefault(face.family, []).append(face)
    return {k: tuple(v) for k, v in families.items()}


def template_families(templates: Path) -> list[str]:
    """The families of templates/fonts.css (the ones the templates name)."""
    path = templates / "fonts.css"
    css = path.read_text(encoding="utf-8") if path.is_file() else ""
    return list(dict.fromkeys(f.family for f in parse_faces(css)))


# ----- locale data (Babel / CLDR) -------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def script(locale: str) -> str:
    """The ISO 15924 script an edition is written in: the locale's own (zh_Hans_CN -> Hans), else
    CLDR's likely subtags (ar -> Arab, ru -> Cyrl, zh -> Hans), else Latn."""
    from babel import Locale
    from babel.core import get_global

    try:
        loc = Locale.parse(locale.replace("-", "_"))
    except Exception:  # a locale Babel does not know
        return "Latn"
    if loc.script:
        return loc.script
    likely = get_global("likely_subtags")
    for key in (f"{loc.language}_{loc.territory}" if loc.territory else None, loc.language):
        if key and key in likely:
            parts = likely[key].split("_")
            if len(parts) > 1 and len(parts[1]) == 4:
                return parts[1]
    return "Latn"


@functools.lru_cache(maxsize=64)
def direction(locale: str) -> str:
    """"rtl" for a locale CLDR writes right to left (ar, fa, he, ur ...), else "ltr"."""
    from babel import Locale

    try:
        order = Locale.parse(locale.replace("-", "_")).character_order
    except Exception:
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


# ----- which family draws what ----------------------------------------------------------------


def script_faces(project: Project, lang: str) -> dict[str, str]:
    """Script face (the name the templates' stacks use) -> vendored family, for one language:
    its script's entry of [tool.briefgen.fonts], then its own entry over it."""
    known = catalogue(project.templates_dir)
    chosen: dict[str, str] = {}
    for key in (script(project.locale(lang)), lang):
        for face, family in project.fonts.get(key, {}).items():
            if family not in known:
                raise ConfigError(
                    f"[tool.briefgen.fonts] {key}: '{family}' is not a vendored family{did_you_mean(family, known)}; "
                    f"vendor it under templates/fonts/ (python scripts/fonts.py vendor ...); vendored: {', '.join(known)}",
                    _fonts_location(project, key))
            chosen[face] = family
    return chosen


def _fonts_location(project: Project, key: str) -> Location:
    path = project.config_file or project.root / "pyproject.toml"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return Location(path)
    for number, line in enumerate(lines, 1):
        if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line) or line.strip() == f"[tool.briefgen.fonts.{key}]":
            return Location(path, number, 1)
    return Location(path)


def _rule(name: str, face: Face, src: str, web: bool = True) -> str:
    out = f'@font-face {{ font-family: "{name}"; font-style: {face.style}; font-weight: {face.weight}; '
    if web:
        out += f'font-display: swap; src: url("{src}") format("woff2");'
        out += f" unicode-range: {face.ranges};" if face.ranges else ""
    else:
        out += f'src: url("{src}") format("truetype");'
    return out + " }"


def web_css(project: Project, lang: str) -> str:
    """fonts-<lang>.css of the site: the language's script faces, the faces of the other languages'
    scripts for their names and titles in this page (`:lang()` islands: the switcher, the index),
    and the typography of the language's script. Relative to the site's root."""
    catalogue_ = catalogue(project.templates_dir)
    own = script_faces(project, lang)
    out = [f"/* {lang}: fonts and typography of its script ({script(project.locale(lang))}); "
           "written by briefgen from [tool.briefgen.fonts] */"]
    for name, family in own.items():
        out += [_rule(name, face, face.src) for face in catalogue_[family]]
    declared = set(own.values())
    for other in project.languages:
        faces = script_faces(project, other)
        if other == lang or not faces or script(project.locale(other)) == script(project.locale(lang)):
            continue
        families = list(dict.fromkeys(faces.values()))
        for family in families:
            if family not in declared:
                declared.add(family)
                out += [_rule(family, face, face.src) for face in catalogue_[family]]
        stack = ", ".join(f'"{f}"' for f in [*families, *template_families(project.templates_dir)])
        out.append(f":lang({other}) {{ font-family: {stack}; }}")
    out += typography(project, lang, web=True)
    return "\n".join(out) + "\n"


def print_css(project: Project, lang: str) -> str:
    """The print HTML's own font rules: the language's script faces as TrueType (one file per face,
    its slices merged) and the typography of its script. Relative to templates/. (The PDF names an
    embedded font after the CSS family: "Script-Serif" is the configured family, e.g. Amiri, whose
    own name the embedded font's name table keeps.)"""
    catalogue_ = catalogue(project.templates_dir)
    out = []
    for name, family in script_faces(project, lang).items():
        for src, face in {face.print_src: face for face in catalogue_[family]}.items():
            out.append(_rule(name, face, src, web=False))
    return "\n".join(out + typography(project, lang, web=False)) + "\n"


def typography(project: Project, lang: str, web: bool) -> list[str]:
    """What the language's script needs whatever the design: no letter-spacing in joining scripts
    (it breaks the joins), no hyphenation where the script has none, CJK lines broken between
    characters and never justified by stretching spaces, no slanted fake italics."""
    s = script(project.locale(lang))
    sel = f":lang({lang})"
    out = []
    if s in JOINING:
        out.append(f"{sel} {{ letter-spacing: normal !important; }}")
    if s in NO_HYPHENATION:
        out.append(f"{sel} {{ hyphens: none; }}")
    if s in CJK:
        out.append(f"{sel} {{ line-break: strict; word-break: normal; overflow-wrap: anywhere; }}")
        # WeasyPrint justifies by stretching spaces only: gaps around Latin words in CJK text
        out.append(f"p{sel}, li{sel}, dd{sel}, figcaption{sel} {{ text-align: start; }}" if not web else
                   f"{sel} {{ text-justify: inter-character; }}")
    if s in CJK | JOINING:
        out.append(f"{sel} {{ font-synthesis: weight; }}")  # an upright face, never a slanted copy
    return out


def site_fonts(project: Project) -> dict[str, Path]:
    """The font files the site's stylesheets refer to (site-relative path -> file): fonts.css's, and
    those of every language's fonts-<lang>.css."""
    catalogue_ = catalogue(project.templates_dir)
    families = set(template_families(project.templates_dir))
    for lang in project.languages:
        families |= set(script_faces(project, lang).values())
    return {face.src: project.templates_dir / face.src
            for family in sorted(families) for face in catalogue_.get(family, ())}
