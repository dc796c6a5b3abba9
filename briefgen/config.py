"""Project configuration: `[tool.briefgen]` in pyproject.toml, validated into a typed Project."""
from __future__ import annotations

import datetime as _dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, Location, did_you_mean

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3u")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Project:
    """Everything a build needs to know about where things are; paths resolved once, here."""

    root: Path
    source_language: str
    target_languages: tuple[str, ...]
    documents: tuple[str, ...]
    site_url: str
    pdf_variant: str
    locales: dict = field(default_factory=dict)  # language -> Babel locale, e.g. es -> es_MX
    config_file: Path | None = None
    deposit: dict = field(default_factory=dict)  # [tool.briefgen.deposit]: who deposits, where
    house_style: dict = field(default_factory=dict)  # [tool.briefgen.house-style.<lang>]: e.g. date-format
    credit: bool = False  # `credit = true`: the web pages' footer names the tool that made them
    fonts: dict = field(default_factory=dict)  # [tool.briefgen.fonts]: script or language -> {script face: family}

    @property
    def languages(self) -> tuple[str, ...]:
        return (self.source_language, *self.target_languages)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    def language_dir(self, lang: str) -> Path:
        return self.content_dir / lang

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def locales_dir(self) -> Path:
        return self.root / "locales"

    @property
    def dist_dir(self) -> Path:
        return self.root / "dist"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".briefgen-cache"

    def pot_path(self, domain: str) -> Path:
        return self.locales_dir / f"{domain}.pot"

    def po_path(self, lang: str, domain: str) -> Path:
        return self.locales_dir / lang / "LC_MESSAGES" / f"{domain}.po"

    def glossary_path(self, lang: str) -> Path:
        return self.locales_dir / lang / "glossary.csv"

    def locale(self, lang: str) -> str:
        return self.locales.get(lang, lang.replace("-", "_"))

    def date_format(self, lang: str) -> str:
        """How a language's editions write dates: a Babel format name or a CLDR pattern ("d MMMM y")."""
        return self.house_style.get(lang, {}).get("date-format", "long")


_KEYS = {
    "source-language": str,
    "target-languages": list,
    "documents": list,
    "site-url": str,
    "pdf-variant": str,
    "locales": dict,
    "deposit": dict,
    "house-style": dict,
    "credit": bool,
    "fonts": dict,
}
_DEPOSIT_KEYS = ("source-organization", "repository")
_STYLE_KEYS = ("date-format",)


def build_time(fallback: _dt.date | None = None) -> _dt.datetime | None:
    """The time a build stamps on what it writes: SOURCE_DATE_EPOCH when set (reproducible builds),
    else midnight UTC of `fallback` (a publication date), else None (the caller's clock)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc)
    if fallback is not None:
        return _dt.datetime(fallback.year, fallback.month, fallback.day, tzinfo=_dt.timezone.utc)
    return None


def _key_location(path: Path, text: str, key: str) -> Location:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return Location(path, number, 1)
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() == "[tool.briefgen]":
            return Location(path, number, 1)
    return Location(path)


def find_root(start: Path) -> Path:
    """The nearest directory at or above `start` whose pyproject.toml has [tool.briefgen]."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "[tool.briefgen" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return candidate
    raise ConfigError(
        "no pyproject.toml with a [tool.briefgen] table here or above; run briefgen inside a project "
        "or pass --project DIR",
        Location(start),
    )


def _read_table(path: Path) -> tuple[dict, str]:
    """`[tool.briefgen]` of a pyproject.toml, and the file's text (for locating keys)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError("no pyproject.toml; create one with a [tool.briefgen] table", Location(path)) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        loc = Location(path, int(m.group(1)), int(m.group(2))) if m else Location(path)
        raise ConfigError(f"TOML syntax error: {exc}", loc) from None
    cfg = data.get("tool", {}).get("briefgen")
    if not isinstance(cfg, dict):
        raise ConfigError("missing [tool.briefgen] table; add one (see README)", Location(path))
    return cfg, text


def _check_house_style(style: dict, languages: tuple, fail) -> None:
    for lang, keys in style.items():
        if lang not in languages:
            fail("house-style", f"'{lang}' is not one of the configured languages{did_you_mean(lang, languages)}")
        for key, value in (keys.items() if isinstance(keys, dict) else [("", None)]):
            if key not in _STYLE_KEYS or not isinstance(value, str) or not value.strip():
                fail("house-style", f"[tool.briefgen.house-style.{lang}] takes text keys {', '.join(_STYLE_KEYS)}, "
                     "e.g. date-format = \"long\" (a Babel format name) or a CLDR pattern such as \"d MMMM y\"")
def _fonts_table(fonts: dict, languages: tuple, path: Path, text: str) -> dict:
    """[tool.briefgen.fonts]: script code (ISO 15924) or language -> { script face = vendored family }."""
    for key, faces in fonts.items():
        problem = None
        if not (re.match(r"^[A-Z][a-z]{3}$", key) or key in languages):
            problem = (f"'{key}' is neither a script code like 'Arab' or 'Hans' (ISO 15924) nor a configured "
                       f"language{did_you_mean(key, languages)}")
        elif not isinstance(faces, dict) or not all(isinstance(v, str) and re.fullmatch(r"[\w .-]+", f"{k}{v}")
                                                    for k, v in faces.items()):
            problem = f"{key}: expected a table of script face = family, e.g. {{ \"Script Serif\" = \"Amiri\" }}"
        if problem:
            raise ConfigError(f"[tool.briefgen.fonts] {problem}", _key_location(path, text, key))
    return {k: dict(v) for k, v in fonts.items()}


def load_project(root: Path) -> Project:
    """Read and validate `[tool.briefgen]` from root/pyproject.toml."""
    root = root.resolve()
    path = root / "pyproject.toml"
    cfg, text = _read_table(path)

    def fail(key: str, message: str):
        raise ConfigError(f"[tool.briefgen] {key}: {message}", _key_location(path, text, key))

    for key, value in cfg.items():
        if key not in _KEYS:
            fail(key, f"unknown key{did_you_mean(key, _KEYS)}; known keys: {', '.join(_KEYS)}")
        if not isinstance(value, _KEYS[key]):
            fail(key, f"expected a {_KEYS[key].__name__}, got {type(value).__name__}")
    source = cfg.get("source-language", "en")
    targets = cfg.get("target-languages", [])
    for lang in (source, *targets):
        if not isinstance(lang, str) or not _LANG.match(lang):
            fail("target-languages", f"'{lang}' is not a language code like 'es' or 'pt-BR'")
    if source in targets or len(set(targets)) != len(targets):
        fail("target-languages", "languages must be distinct and must not include the source language")
    documents = cfg.get("documents")
    if not documents:
        fail("documents", "list at least one document folder name, e.g. documents = [\"briefing\"]")
    for name in documents:
        if not isinstance(name, str) or not _NAME.match(name):
            fail("documents", f"'{name}' is not a folder name of lowercase letters, digits and '-'")
    variant = cfg.get("pdf-variant", "pdf/ua-1")
    if variant not in PDF_VARIANTS:
        fail("pdf-variant", f"'{variant}' is not supported{did_you_mean(variant, PDF_VARIANTS)}; use one of {', '.join(PDF_VARIANTS)}")
    locales = cfg.get("locales", {})
    for lang in locales:
        if lang not in (source, *targets):
            fail("locales", f"'{lang}' is not one of the configured languages{did_you_mean(lang, (source, *targets))}")
    deposit = cfg.get("deposit", {})
    for key, value in deposit.items():
        if key not in _DEPOSIT_KEYS or not isinstance(value, str):
            fail("deposit", f"'{key}' is not a text key of [tool.briefgen.deposit]{did_you_mean(key, _DEPOSIT_KEYS)}; "
                 f"known keys: {', '.join(_DEPOSIT_KEYS)}")
    style = cfg.get("house-style", {})
    _check_house_style(style, (source, *targets), fail)
    fonts = _fonts_table(cfg.get("fonts", {}), (source, *targets), path, text)
    site_url = cfg.get("site-url", "https://example.org/")
    if not re.match(r"^https?://", site_url):
        fail("site-url", "must be an absolute http(s) URL, e.g. https://example.org/briefings/")
    return Project(
        root=root,
        source_language=source,
        target_languages=tuple(targets),
        documents=tuple(documents),
        site_url=site_url.rstrip("/") + "/",
        pdf_variant=variant,
        locales=dict(locales),
        config_file=path,
        deposit=dict(deposit),
        house_style={lang: dict(keys) for lang, keys in style.items()},
        credit=cfg.get("credit", False),
        fonts=fonts,
    )
