"""Segments stage: a Document -> its translatable units, in document order.

The same walk feeds extraction (catalog) and translation, so the two can never disagree.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterator

from .content import Text
from .errors import Location
from .markdown import collect_units


@dataclass(frozen=True)
class Unit:
    """One translatable unit: its msgid, optional context and where it comes from."""

    msgid: str
    context: str | None
    location: Location
    where: str
    kind: str
    text: Text = field(compare=False, hash=False, repr=False)


def walk_texts(obj) -> Iterator[Text]:
    """Every Text reachable from a dataclass tree, depth-first in field order."""
    if isinstance(obj, Text):
        yield obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from walk_texts(getattr(obj, f.name))
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from walk_texts(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from walk_texts(item)


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
