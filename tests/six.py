"""The six-language sample project: the conftest sample in English, Spanish, French, Russian, Arabic
and Chinese, its catalogs filled from the SAMPLE translations in tests/samples/six/<lang>.po.

Adding a language is configuration (target-languages, a locale, the fonts of a new script) and a
catalog: nothing here is code for one language."""
from __future__ import annotations

from pathlib import Path

from conftest import REPO, cli, make_project

LANGUAGES = ("es", "fr", "ru", "ar", "zh")
SAMPLES = REPO / "tests/samples/six"

CONFIG = """\
fr = "fr_FR"
ru = "ru_RU"
ar = "ar"
zh = "zh_Hans_CN"

[tool.briefgen.fonts]
# the script faces the templates' font stacks name, per script (ISO 15924)
Arab = { "Script Serif" = "Amiri", "Script Sans" = "IBM Plex Sans Arabic" }
Hans = { "Script Serif" = "Noto Sans SC", "Script Sans" = "Noto Sans SC" }
"""


def fill(po_path: Path, sample_path: Path) -> None:
    """Copy the sample's translations into a catalog `briefgen update` made, as a translator would."""
    from briefgen.pofile import format_po, read_po

    sample = {(e.msgctxt, e.msgid): e for e in read_po(sample_path).entries}
    po = read_po(po_path)
    for e in po.entries:
        found = sample.get((e.msgctxt, e.msgid))
        if found is None or e.obsolete:
            continue
        e.msgstr, e.msgstr_plural = found.msgstr, dict(found.msgstr_plural) if e.msgid_plural else {}
        e.set_fuzzy(False)
        e.previous_msgid = None
    po_path.write_text(format_po(po), encoding="utf-8")


def make_six(root: Path) -> Path:
    """The project with its catalogs translated (not built)."""
    make_project(root, targets=LANGUAGES)
    with (root / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write(CONFIG)
    for lang in LANGUAGES:
        (root / f"content/{lang}/brief/document.yaml").write_text(
            f"output: sample_brief_{lang}\ntranslator: Briefgen test suite (sample)\n", encoding="utf-8")
    assert cli(root, "extract").exit_code == 0
    assert cli(root, "update").exit_code == 0
    for lang in LANGUAGES:
        for domain in ("content", "messages"):
            fill(root / f"locales/{lang}/LC_MESSAGES/{domain}.po", SAMPLES / f"{lang}.po")
    return root
