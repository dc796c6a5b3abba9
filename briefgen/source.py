"""Source files read safely: UTF-8 text, YAML with line numbers, Markdown front matter."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ContentError, Location, Problems, did_you_mean
from .model import Text
from .yamlwords import plain_words

MAX_SOURCE_BYTES = 2 * 1024 * 1024  # a briefing source is kilobytes; refuse anything absurd
MAX_YAML_NODES = 50_000  # bounds alias expansion ("billion laughs")

# libyaml's parser where PyYAML has it (its wheels do): the same nodes and marks as the pure-Python
# parser, about ten times faster. Its error messages say less ("found character that cannot start
# any token" without naming the tab), so a text it rejects is read again by the pure-Python parser,
# whose message the author sees.
_LOADERS = ((yaml.CSafeLoader,) if hasattr(yaml, "CSafeLoader") else ()) + (yaml.SafeLoader,)

_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
}


class YamlMap(dict):
    """A YAML mapping that remembers where it and each of its values start."""

    location: Location
    key_locations: dict
    value_locations: dict

    def where(self, key) -> Location:
        return self.value_locations.get(key, self.location)

    def key_where(self, key) -> Location:
        return self.key_locations.get(key, self.location)


class YamlList(list):
    """A YAML sequence that remembers where it and each item start."""

    location: Location
    item_locations: list

    def where(self, index: int) -> Location:
        return self.item_locations[index] if index < len(self.item_locations) else self.location


def read_text(path: Path, root: Path | None = None) -> str:
    """Read a UTF-8 source file inside the project, or raise a located ContentError."""
    if root is not None:
        real = path.resolve()
        if not real.is_relative_to(root.resolve()):
            raise ContentError(
                f"refusing to read '{path.name}': it resolves to {real}, outside the project "
                "(a symlink leaving the project); copy the file into the project instead",
                Location(path),
            )
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise ContentError(
                f"file is larger than {MAX_SOURCE_BYTES // 1024} KiB; split it or remove the bulk data",
                Location(path),
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ContentError("file not found; create it or fix the reference to it", Location(path)) from None
    except OSError as exc:
        raise ContentError(f"cannot read file: {exc.strerror}", Location(path)) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ContentError(
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8",
            Location(path, line, col),
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _loc(path: Path, mark, offset: int) -> Location:
    return Location(path, mark.line + 1 + offset, mark.column + 1)


def parse_yaml(text: str, path: Path, line_offset: int = 0):
    """Parse YAML safely into YamlMap/YamlList/scalars that keep their locations."""
    try:
        loader, node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        plain = plain_words(exc.context, exc.problem)
        if plain is not None:
            message = plain[0]
            mark = (exc.context_mark if plain[1] == "context" else None) or mark
        else:
            context = f" {exc.context}" if exc.context and exc.problem else ""
            message = f"{exc.problem or 'invalid YAML'}{context}; check indentation, colons and quotes on this line"
        raise ContentError(f"YAML syntax error: {message}", _loc(path, mark, line_offset) if mark else Location(path)) from None
    except yaml.YAMLError as exc:
        raise ContentError(f"YAML error: {exc}", Location(path)) from None
    if node is None:
        return None
    return _convert(loader, node, path, line_offset, _Budget(MAX_YAML_NODES, text.split("\n")))


def _compose(text: str):
    """(loader, root node) from the first of _LOADERS that accepts the text; the last one's error."""
    for i, loader_class in enumerate(_LOADERS):
        loader = loader_class(text)
        try:
            return loader, loader.get_single_node()
        except yaml.YAMLError:
            if i == len(_LOADERS) - 1:
                raise
        finally:
            loader.dispose()


@dataclass
class _Budget:
    nodes: int  # how many more nodes the document may expand to
    lines: list[str]  # the text's lines (a block scalar's column is its indentation)


def _convert(loader, node, path: Path, offset: int, budget: _Budget):
    budget.nodes -= 1
    if budget.nodes < 0:
        raise ContentError(
            f"YAML document expands to more than {MAX_YAML_NODES} nodes (alias expansion?); simplify it",
            _loc(path, node.start_mark, offset),
        )
    if node.tag not in _STANDARD_TAGS:
        raise ContentError(
            f"YAML tag '{node.tag}' is not allowed; use plain strings, numbers, lists and mappings",
            _loc(path, node.start_mark, offset),
        )
    if isinstance(node, yaml.MappingNode):
        try:
            loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            raise ContentError(f"YAML merge error: {exc.problem}", _loc(path, exc.problem_mark, offset)) from None
        result = YamlMap()
        result.location = _loc(path, node.start_mark, offset)
        result.key_locations, result.value_locations = {}, {}
        for knode, vnode in node.value:
            key = _convert(loader, knode, path, offset, budget)
            if not isinstance(key, (str, int)):
                raise ContentError("mapping keys must be plain words", _loc(path, knode.start_mark, offset))
            if key in result:
                raise ContentError(
                    f"key '{key}' appears twice in this mapping; remove one",
                    _loc(path, knode.start_mark, offset),
                )
            result[key] = _convert(loader, vnode, path, offset, budget)
            result.key_locations[key] = _loc(path, knode.start_mark, offset)
            result.value_locations[key] = _value_loc(path, vnode, offset, budget.lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        result = YamlList()
        result.location = _loc(path, node.start_mark, offset)
        result.item_locations = [_value_loc(path, n, offset, budget.lines) for n in node.value]
        result.extend(_convert(loader, n, path, offset, budget) for n in node.value)
        return result
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError) as exc:
        raise ContentError(f"cannot read value: {exc}", _loc(path, node.start_mark, offset)) from None


def _value_loc(path: Path, node, offset: int, lines: list[str]) -> Location:
    # A block scalar (| or >) starts on the line after its indicator, at its indentation.
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        first = node.start_mark.line + 1
        line = next((lines[i] for i in range(first, min(len(lines), node.end_mark.line + 1)) if lines[i].strip()), "")
        return Location(path, first + 1 + offset, len(line) - len(line.lstrip(" ")) + 1)
    return _loc(path, node.start_mark, offset)


def load_yaml(path: Path, root: Path | None = None):
    """Read and parse one YAML file."""
    return parse_yaml(read_text(path, root), path)


@dataclass(frozen=True)
class FrontMatter:
    """The YAML header of a Markdown file and where the body starts."""

    data: YamlMap
    body: str
    body_line: int  # 1-based line of the body's first line


def split_front_matter(text: str, path: Path) -> FrontMatter:
    """Split `---` YAML front matter from a Markdown body."""
    empty = _empty_map(Location(path, 1))
    if not text.startswith("---\n"):
        return FrontMatter(empty, text, 1)
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            data = parse_yaml("\n".join(lines[1:i]), path, line_offset=1)
            if data is None:
                data = empty
            if not isinstance(data, YamlMap):
                raise ContentError("front matter must be a mapping of keys to values", Location(path, 2))
            return FrontMatter(data, "\n".join(lines[i + 1 :]), i + 2)
    raise ContentError("front matter opened with '---' is never closed; add a '---' line after it", Location(path, 1))


def is_date(value) -> bool:
    return isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)


# ----- schema: one YAML mapping checked against its declared keys ---------------------------

ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class Fields:
    """Checks one YAML mapping against its declared keys. With `problems`, every mistake is recorded
    there and the accessor returns a stand-in value, so that loading goes on and one run reports
    all of them (the stand-ins are never used: the loader raises the recorded errors at its end);
    without, the first mistake is raised."""

    def __init__(self, data, what: str, location: Location, required: tuple, optional: tuple = (),
                 problems: Problems | None = None):
        self.what = what
        self.problems = problems
        self.silent: set = set()  # keys already reported (missing): their accessors say nothing more
        found = Problems()
        if not isinstance(data, YamlMap):
            found.error(ContentError(f"{what} must be a mapping of keys to values, got {value_kind(data)}", location))
            data = _empty_map(location)
            self.silent = set(required + optional)
        self.data = data
        missing = [key for key in required if key not in data]
        for key in data:
            if key not in required and key not in optional:
                hint = did_you_mean(str(key), required + optional)
                meant = [m for m in missing if hint == did_you_mean(str(key), (m,))]
                if meant:  # a misspelt required key: one error, not two
                    hint = f": rename it to '{meant[0]}' (a required key, missing here)"
                    self.silent.add(meant[0])
                found.error(ContentError(
                    f"unknown key '{key}' in {what}{hint}; allowed keys: {', '.join(required + optional)}",
                    data.key_where(key),
                ))
        for key in required:
            if key not in data and key not in self.silent:
                found.error(ContentError(f"{what} is missing the required key '{key}'; add it", data.location))
                self.silent.add(key)
        if problems is None:
            found.raise_errors()
        else:
            problems.errors.extend(found.errors)

    def _fail(self, key, message: str, stand_in):
        if key in self.silent:
            return stand_in
        error = ContentError(message, self.where(key))
        if self.problems is None:
            raise error
        self.problems.error(error)
        return stand_in

    def has(self, key) -> bool:
        return key in self.data and self.data[key] is not None

    def where(self, key) -> Location:
        return self.data.where(key)

    def _typed(self, key, types, expected: str):
        value = self.data.get(key)
        if not isinstance(value, types) or isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            return self._fail(key, f"'{key}' in {self.what} must be {expected}, got {value_kind(value)}", None)
        return value

    def text(self, key, where: str, block: bool = False) -> Text:
        loc = self.where(key)
        value = self._typed(key, str, "text")
        if value is not None and not value.strip():
            value = self._fail(key, f"'{key}' in {self.what} is empty; write the text or remove the key", None)
        if value is None:
            return Text("", loc, block=block, where=where)
        return Text(value.strip() if not block else value, loc, block=block, where=where)

    def msgctxt(self) -> str | None:
        """The gettext context (`msgctxt`) of these texts: it tells apart equal English texts
        that translate differently; their catalog entries carry it."""
        if not self.has("msgctxt"):
            return None
        value = self.plain("msgctxt")
        if not value.strip() or any(c in value for c in "\n\x04"):
            return self._fail("msgctxt", "'msgctxt' must be a short text on one line, e.g. 'chart label'", None)
        return value

    def plain(self, key, pattern: re.Pattern | None = None, hint: str = "") -> str:
        value = self._typed(key, str, "a string")
        if value is not None and pattern is not None and not pattern.match(value):
            return self._fail(key, f"'{key}' value '{value}' is not valid{hint}", "")
        return value or ""

    def url(self, key) -> str:
        value = self._typed(key, str, "a URL")
        if value is not None and not re.match(r"^https?://[^\s]+$", value):
            return self._fail(key, f"'{key}' must be an http(s) URL, got '{value}'", "")
        return value or ""

    def date(self, key) -> _dt.date:
        value = self.data.get(key)
        if not is_date(value):
            return self._fail(key, f"'{key}' must be a date written as YYYY-MM-DD, got {value_kind(value)}", _dt.date.min)
        return value

    def number(self, key) -> float:
        value = self._typed(key, (int, float), "a number")
        return float(value) if value is not None else 0.0

    def items(self, key, kind: str = "a list") -> YamlList:
        value = self.data.get(key)
        if not isinstance(value, YamlList):
            empty = YamlList()
            empty.location, empty.item_locations = self.where(key), []
            return self._fail(key, f"'{key}' in {self.what} must be {kind}, got {value_kind(value)}", empty)
        return value

    def ids(self, key) -> list[tuple[str, Location]]:
        """The ids of a list like [F1, F2]; a bad entry is reported and left out."""
        items = self.items(key, "a list of ids like [F1, F2]")
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, str) or not ID.match(item):
                error = ContentError(f"'{key}' entry {i + 1} must be an id like F1, got {value_kind(item)}", items.where(i))
                if self.problems is None:
                    raise error
                self.problems.error(error)
                continue
            out.append((item, items.where(i)))
        return out


def _empty_map(location: Location) -> YamlMap:
    empty = YamlMap()
    empty.location, empty.key_locations, empty.value_locations = location, {}, {}
    return empty


def value_kind(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, YamlMap):
        return "a mapping"
    if isinstance(value, YamlList):
        return "a list"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    if isinstance(value, _dt.date):
        return "a date"
    return f"the {type(value).__name__} {value!r}"


