"""The website: bilingual plumbing, metadata, and zero axe / Nu HTML Checker findings in a real browser."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import REPO
from htmltree import parse_html

AXE = REPO / "node_modules/.bin/axe"
VNU = REPO / "node_modules/vnu-jar/build/dist/vnu.jar"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def require(*tools: Path | str) -> None:
    missing = [str(t) for t in tools if not (Path(t).exists() or shutil.which(str(t)))]
    if missing:
        pytest.fail(f"browser-check tools missing: {missing}; run `./dev test`, which installs them", pytrace=False)


def axe(urls: list[str], tmp_path: Path) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA reports of `urls`, one per page, from headless Chromium."""
    require(AXE, CHROMEDRIVER, CHROMIUM)
    result = subprocess.run(  # Chromium leaves its profile folders in TMPDIR: keep them out of /tmp
        [str(AXE), *urls, "--chromedriver-path", CHROMEDRIVER, "--chrome-path", CHROMIUM,
         "--chrome-options=headless,no-sandbox,disable-dev-shm-usage,disable-gpu",
         "--tags", "wcag2a,wcag2aa,wcag21a,wcag21aa", "--stdout"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    reports = json.loads(result.stdout)
    assert sorted(r["url"] for r in reports) == sorted(urls)
    return reports


def pages(root: Path) -> list[Path]:
    return sorted((root / "dist").rglob("*.html"))


def test_every_page_has_resolving_language_alternates(real_project):
    site = real_project / "dist/site"
    docs = sorted(site.glob("*/*/index.html"))
    assert len(docs) == 4
    base = "https://briefings.example.org/financial-inclusion-mexico/"
    for page in docs:
        tree = parse_html(page.read_text(encoding="utf-8"))
        alternates = {l.attrs["hreflang"]: l.attrs["href"] for l in tree.findall("link", rel="alternate")}
        assert set(alternates) == {"en", "es", "x-default"}
        for lang, url in alternates.items():
            assert url.startswith(base) and (site / url[len(base):] / "index.html").is_file()
        lang = tree.find("html").attrs["lang"]
        assert tree.find("link", rel="canonical").attrs["href"] == alternates[lang]
        switcher = tree.find("nav", class_="language-switcher")
        for a in switcher.findall("a"):
            assert (page.parent / a.attrs["href"] / "index.html").resolve().is_file()
        assert len(tree.findall("h1")) == 1
        assert tree.find("a", class_="skip-link").attrs["href"] == "#main"
        assert tree.find("main", id="main") and tree.find("header") and tree.find("footer") and tree.find("nav")
        for table in tree.findall("table"):
            assert table.find("caption") is not None
        assert all(img.attrs.get("alt") for img in tree.findall("img"))


def test_metadata_for_search_engines_and_scholar(real_project):
    site = real_project / "dist/site"
    en = parse_html((site / "en/briefing/index.html").read_text(encoding="utf-8"))
    es = parse_html((site / "es/briefing/index.html").read_text(encoding="utf-8"))
    ld = json.loads(en.find("script", type="application/ld+json").text())
    assert ld["@type"] == "Report" and ld["datePublished"] == "2024-03-14" and ld["inLanguage"] == "en"
    assert [a["name"] for a in ld["author"]] == ["Janina Pescinski", "Leona Vaughn"]
    assert ld["encoding"]["contentUrl"].endswith("pdf/financial_inclusion_mexico.pdf")
    assert ld["workTranslation"][0]["inLanguage"] == "es"
    ld_es = json.loads(es.find("script", type="application/ld+json").text())
    assert ld_es["translationOfWork"]["inLanguage"] == "en" and ld_es["inLanguage"] == "es"
    meta = {m.attrs.get("name") or m.attrs.get("property"): m.attrs["content"] for m in es.findall("meta") if "content" in m.attrs}
    assert meta["citation_pdf_url"].endswith("pdf/financial_inclusion_mexico_spanish.pdf")
    assert meta["citation_publication_date"] == "2024/03/14" and meta["og:locale"] == "es_MX"
    assert meta["citation_title"].startswith("Desarrollo de un enfoque")
    assert {m.attrs["content"] for m in es.findall("meta", name="citation_author")} == {"Pescinski, Janina", "Vaughn, Leona"}
    sitemap = ET.parse(site / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = sitemap.findall("s:url", ns)
    assert len(urls) == 5
    for url in urls[1:]:
        assert {l.get("hreflang") for l in url.findall("x:link", ns)} == {"en", "es", "x-default"}
    index = parse_html((site / "index.html").read_text(encoding="utf-8"))
    pdf_links = [a.attrs["href"] for a in index.findall("a", type="application/pdf")]
    assert len(pdf_links) == 4 and all((site / h).is_file() for h in pdf_links)
    assert (site / "404.html").is_file()


def test_axe_finds_no_wcag21aa_violations(real_project, tmp_path):
    reports = axe([p.as_uri() for p in pages(real_project)], tmp_path)
    violations = {r["url"]: [(v["id"], len(v["nodes"])) for v in r["violations"]] for r in reports if r["violations"]}
    assert violations == {}
    assert all(r["passes"] for r in reports)  # axe really ran its rules on every page


def test_nu_html_checker_finds_no_errors(real_project):
    require(VNU, "java")
    result = subprocess.run(["java", "-XX:-UsePerfData", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages(real_project))],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr)["messages"]
    assert [m for m in messages if m["type"] == "error"] == [], messages[:5]
    assert result.returncode == 0
