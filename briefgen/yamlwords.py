"""PyYAML's syntax errors in plain words: "expected <block end>, but found '?'" says nothing to an
author; what went wrong on the line, and what to write instead, does."""
from __future__ import annotations

import re

_QUOTE = 'put the whole value in double quotes, e.g. title: "%s"'

# (pattern on "context: problem", message, mark: where the author should look)
_RULES = [
    (r"expected <block end>|did not find expected (key|'-' indicator)",
     "this line is not indented like the lines above it: line it up, with spaces, with the other keys "
     "(or '-' items) at its level", "problem"),
    (r"mapping values are not allowed here",
     "unexpected ': ' in a value: a value containing ': ' must be quoted: " + _QUOTE % "Note: this"
     + "; if the line starts a new key, fix its indentation", "problem"),
    (r"while parsing a flow node",
     "this line is inside a '[' or '{' left open on a line above: close it there (or remove it)", "problem"),
    (r"while parsing a flow (sequence|mapping)",
     "the '[' or '{' opened here is never closed: close it, or if the value is text that starts with '[', "
     + _QUOTE % "[Draft] title", "context"),
    (r"while scanning a quoted scalar",
     "the quotation mark opened here is never closed: close it at the end of the value", "context"),
    (r"while scanning an? (alias|anchor)|found undefined alias",
     "a value starting with '*' or '&' is read by YAML as an alias (Markdown emphasis at its start?): "
     + _QUOTE % "*ENIF* 2021 shows", "context"),
    (r"found character '\\t' that cannot start any token|found a tab character",
     "a tab character: YAML indents with spaces only; replace the tab with spaces", "problem"),
    (r"found character '(?P<char>.)' that cannot start any token",
     "a value cannot start with '{char}' in YAML: " + _QUOTE % "{char}...", "problem"),
    (r"could not find expected ':'",
     "a line without 'key: value' inside a mapping: add the ':' after the key; a text of several lines "
     "goes under 'key: |', indented", "context"),
    (r"found unknown escape character '(?P<char>.)'",
     "'\\{char}' is not an escape YAML knows inside double quotes: write '\\\\' for a backslash, "
     "or use single quotes", "problem"),
    (r"while scanning a directive",
     "a line cannot start with '%' in YAML: " + _QUOTE % "%...", "context"),
    (r"while scanning a block scalar",
     "only '-', '+' or a digit may follow '|' or '>': start the text itself on the next line, indented",
     "problem"),
]


def plain_words(context: str | None, problem: str | None) -> tuple[str, str] | None:
    """(message, 'problem' or 'context': which of PyYAML's marks to show) for a syntax error it
    knows; None for the others (PyYAML's own words are shown then)."""
    said = f"{context or ''}: {problem or ''}"
    for pattern, message, mark in _RULES:
        found = re.search(pattern, said)
        if found:
            for name, value in found.groupdict().items():
                message = message.replace("{" + name + "}", value)
            return message, mark
    return None
