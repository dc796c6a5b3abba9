"""The shape of rendered outputs (HTML and PDF) that must match across languages."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path


class _Shape(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.outline: list[int] = []
        self.counts = {"tables": 0, "table rows": 0, "list items": 0, "footnotes": 0, "figures": 0, "links to notes": 0}
        self.pdf = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.outline.append(int(tag[1]))
        cls = (a.get("class") or "").split()
        if tag == "table":
            self.counts["tables"] += 1
        elif tag == "tr":
            self.counts["table rows"] += 1
        elif tag == "li":
            self.counts["footnotes" if "footnote-item" in cls else "list items"] += 1
        elif tag == "figure":
            self.counts["figures"] += 1
        elif tag == "a" and (a.get("href") or "").startswith("#fn-"):
            self.counts["links to notes"] += 1
        if tag == "a" and "download" in a and (a.get("href") or "").endswith(".pdf"):
            self.pdf = Path(a["href"]).name


def html_shape(text: str) -> dict:
    """Element ids, heading outline and structural counts of a page."""
    p = _Shape()
    p.feed(text)
    p.close()
    return {"element ids": p.ids, "heading outline": p.outline, **p.counts, "pdf": p.pdf}


def pdf_shape(path: Path) -> dict:
    """Bookmark tree (as depths in order) and page count of a PDF."""
    import pypdf

    reader = pypdf.PdfReader(path)
    depths: list[int] = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                depths.append(depth)

    walk(reader.outline, 0)
    return {"bookmarks": depths, "pages": len(reader.pages)}
