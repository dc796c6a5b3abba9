"""Segments stage: a Document -> its translatable units, in document order.

The same walk feeds extraction (catalog) and translation, so the two can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Location
from .markdown import collect_units
from .model import Text, walk_texts  # noqa: F401 (walk_texts: part of this module's interface)


@dataclass(frozen=True)
class Unit:
    """One translatable unit: its msgid, optional context and where it comes from."""

    msgid: str
    context: str | None
    location: Location
    where: str
    kind: str
    text: Text = field(compare=False, hash=False, repr=False)


def text_units(text: Text) -> list[Unit]:
    """The units of one Text (one for inline text, one per block for Markdown)."""
    out = []
    for raw in collect_units(text.source, text.block):
        loc = Location(text.location.path, text.location.line + raw.line, 0)
        where = f"{text.where} › {raw.kind}" if text.block else text.where
        out.append(Unit(raw.msgid, text.context, loc, where, raw.kind if text.block else "text", text))
    return out


def units(obj) -> list[Unit]:
    """All units of a Document or Library, in order (duplicates kept; the catalog merges them)."""
    out: list[Unit] = []
    for text in walk_texts(obj):
        out.extend(text_units(text))
    return out
