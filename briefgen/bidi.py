"""Bidirectional text in the markup briefgen writes: names, URLs and lists isolated, so that a Latin
name or a URL inside Arabic text (or an Arabic name inside English text) keeps its own order.

Browsers isolate any element with a `dir` attribute (and `<bdi>`); WeasyPrint lays out each inline
box in its own direction but has no `dir="auto"`, so the direction is written out, found as the
Unicode bidi algorithm finds a paragraph's: from the first strong character.
"""
from __future__ import annotations

import functools
import unicodedata

from markupsafe import Markup, escape


def first_strong(text: str) -> str | None:
    """"ltr" or "rtl" after the first strongly directional character of `text`, else None."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return None


def isolate(value) -> Markup:
    """`value` (text, escaped here) in a <bdi> with its own direction: a name, a title, a credit."""
    text = str(value)
    direction = first_strong(text)
    attr = Markup(' dir="{}"').format(direction) if direction else Markup("")
    return Markup("<bdi{}>{}</bdi>").format(attr, value if isinstance(value, Markup) else escape(text))


def ltr(value) -> Markup:
    """A URL or code: always left to right, isolated from the text around it."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


@functools.lru_cache(maxsize=32)
def _separator(locale: str) -> str:
    """The locale's separator between the items of a list (CLDR: ", " en, "، " ar, "、" zh)."""
    from babel import Locale

    try:
        pattern = Locale.parse(locale.replace("-", "_")).list_patterns["standard"]["middle"]
    except Exception:
        return ", "
    return pattern.replace("{0}", "").replace("{1}", "") or ", "


def listing(items, locale: str, names: bool = False) -> Markup:
    """Items joined with the locale's list separator; `names`: each one isolated (author names)."""
    parts = [isolate(i) if names else escape(i) for i in items]
    return Markup(escape(_separator(locale))).join(parts)


def isolate_urls(tokens) -> None:
    """A link that shows its own address (an autolink, <https://...>) reads left to right in any
    text: give its <a> dir="ltr"."""
    for tok in tokens:
        for i, child in enumerate(tok.children or ()):
            if child.type == "link_open":
                text = tok.children[i + 1] if i + 1 < len(tok.children) else None
                if child.markup == "autolink" or (text is not None and text.type == "text"
                                                  and text.content == child.attrGet("href")):
                    child.attrSet("dir", "ltr")
