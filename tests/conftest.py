"""Sample projects built in tmp_path: small, real, and shaped like the real one."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent

PYPROJECT = """\
[tool.briefgen]
source-language = "en"
target-languages = {targets}
documents = ["brief"]
site-url = "https://example.org/site/"

[tool.briefgen.locales]
en = "en_US"
es = "es_MX"
"""

FINDINGS = """\
findings:
  - id: F1
    title: Half of adults hold an account
    body: |
      In 2021, 49.1% of adults held an account, up from 47.1% in 2018.
    sources:
      - text: "CNBV and INEGI, *ENIF 2021*"
        url: https://www.inegi.org.mx/programas/enif/2021/
"""

RECOMMENDATIONS = """\
recommendations:
  - id: R1
    audience: Governments
    title: Build a coalition
    body: |
      Bring banks, regulators and shelters together.
"""

FIGURES = """\
figures:
  - id: enif
    title: Account ownership
    alt: Account ownership rose from 47.1% in 2018 to 49.1% in 2021.
    source: "ENIF 2018 and 2021."
    unit: percent
    groups:
      - label: Account
        bars:
          - {label: "2018", value: 47.1}
          - {label: "2021", value: 49.1}
"""

DOCUMENT = """\
title: A sample briefing on financial inclusion
short_title: Sample briefing
series: UNU-CPR Insight Briefing
authors:
  - name: Janina Pescinski
  - name: Leona Vaughn
date: 2024-03-14
publisher: United Nations University
place: New York
keywords: [modern slavery, finance]
licence:
  name: Creative Commons Attribution 4.0
  url: https://creativecommons.org/licenses/by/4.0/
copyright: United Nations University
abstract: |
  A short abstract about *financial inclusion* for survivors.
output: sample_brief
highlights: [R1]
layout:
  - section: intro
    figures: [enif]
    findings: [F1]
  - section: recs
    recommendations: [R1]
"""

INTRO = """\
# Introduction

Survivors of modern slavery often lack a bank account.[^gsi]

## The numbers

| Indicator | 2018 | 2021 |
| --- | --- | --- |
| Adults with an account | 47.1% | 49.1% |
| Adults with a formal product | — | 67.8% |

- No identity document
- No permanent address

[^gsi]: Walk Free, *Global Slavery Index 2023*, <https://www.walkfree.org/global-slavery-index/>.
"""

RECS = """\
# Recommendations

Three steps are needed, in this order.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def make_project(root: Path, targets=("es",)) -> Path:
    """A complete small project, English only until catalogs are added."""
    targets_toml = "[" + ", ".join(f'"{t}"' for t in targets) + "]"
    write(root / "pyproject.toml", PYPROJECT.format(targets=targets_toml))
    write(root / "content/en/findings.yaml", FINDINGS)
    write(root / "content/en/recommendations.yaml", RECOMMENDATIONS)
    write(root / "content/en/figures.yaml", FIGURES)
    write(root / "content/en/brief/document.yaml", DOCUMENT)
    write(root / "content/en/brief/intro.md", INTRO)
    write(root / "content/en/brief/recs.md", RECS)
    shutil.copytree(REPO / "templates", root / "templates")
    for lang in targets:
        write(root / f"content/{lang}/brief/document.yaml", f"output: sample_brief_{lang}\n")
    return root


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path / "proj")


@pytest.fixture
def run():
    """Run the CLI on a project folder; returns the click Result."""
    runner = CliRunner()

    def invoke(root: Path, *args: str):
        return runner.invoke(__import__("briefgen.cli", fromlist=["main"]).main, ["--project", str(root), *args], catch_exceptions=False)

    return invoke


@pytest.fixture(autouse=True)
def _no_source_date(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def copy_sources(dest: Path) -> Path:
    """This repository's real project sources (not its build) copied to dest."""
    for name in ("content", "locales", "templates", "pyproject.toml"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    return dest


def cli(root: Path, *args: str):
    from briefgen.cli import main

    return CliRunner().invoke(main, ["--project", str(root), *args], catch_exceptions=False)


def translate_all(po_path: Path, func) -> None:
    """Fill every msgstr as a translator would (through the PO file)."""
    from briefgen.pofile import format_po, read_po

    po = read_po(po_path)
    for e in po.entries:
        if not e.obsolete and e.msgid_plural is None:
            e.msgstr = func(e.msgid)
            e.set_fuzzy(False)
            e.previous_msgid = None
        elif not e.obsolete:
            e.msgstr_plural = {0: func(e.msgid), 1: func(e.msgid_plural)}
    po_path.write_text(format_po(po), encoding="utf-8")


SPANISH = {
    "A sample briefing on financial inclusion": "Un informe de ejemplo sobre inclusión financiera",
    "Introduction": "Introducción",
    "Adults with an account": "Personas adultas con una cuenta",
    "Summary": "Resumen",
    "Key insights": "Ideas clave",
}


def es(msgid: str) -> str:
    return SPANISH.get(msgid, "ES " + msgid)


@pytest.fixture(scope="session")
def translated_built(tmp_path_factory) -> Path:
    """The sample project, fully translated and built once (copy it before changing anything)."""
    root = make_project(tmp_path_factory.mktemp("translated") / "proj")
    assert cli(root, "extract").exit_code == 0 and cli(root, "update").exit_code == 0
    for domain in ("content", "messages"):
        translate_all(root / f"locales/es/LC_MESSAGES/{domain}.po", es)
    assert cli(root, "build").exit_code == 0
    return root


@pytest.fixture(scope="session")
def real_project(tmp_path_factory) -> Path:
    """A copy of this repository's real project, built with --strict (shared by the tests that read it)."""
    root = copy_sources(tmp_path_factory.mktemp("real") / "project")
    result = cli(root, "build", "--strict")
    assert result.exit_code == 0, result.output
    return root
