"""The exception family: every user-facing error carries a location and a remedy."""
from __future__ import annotations

import difflib
import errno
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in a source file (1-based line and column; 0 means unknown)."""

    path: Path | str
    line: int = 0
    col: int = 0

    def display(self, root: Path | None = None) -> str:
        path = Path(self.path)
        if root is not None:
            try:
                path = path.resolve().relative_to(root.resolve())
            except (ValueError, RuntimeError, OSError):  # outside the root, or a symlink loop: as given
                pass
        text = str(path)
        if self.line:
            text += f":{self.line}"
            if self.col:
                text += f":{self.col}"
        return text


class BriefgenError(Exception):
    """A problem with the user's input; printed as `path:line:col: error: message`."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None):
        super().__init__(message, location)  # both in args, so the error survives pickling (worker processes)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return self.message

    def format(self, root: Path | None = None) -> str:
        where = f"{self.location.display(root)}: " if self.location else ""
        return f"{where}error: {self.message}"


class ConfigError(BriefgenError):
    """Bad `[tool.briefgen]` configuration."""


class ContentError(BriefgenError):
    """Bad YAML or Markdown content."""


class CatalogError(BriefgenError):
    """Bad or unusable gettext catalog."""


class BuildError(BriefgenError):
    """A build that cannot be completed (strict mode, rendering, writing)."""


MAX_SHOWN = 30  # errors listed by one run; the rest are counted ("and N more")
SUMMARY_PLACES = 10  # the summary line names each place of up to this many errors


class ErrorList(BriefgenError):
    """Several located errors reported together, sorted by file, line and column."""

    def __init__(self, errors: list[BriefgenError]):
        errors = sorted(errors, key=_order)
        super().__init__(errors[0].message if errors else "", errors[0].location if errors else None)
        self.errors = errors

    def format(self, root: Path | None = None) -> str:
        lines = [e.format(root) for e in self.errors[:MAX_SHOWN]]
        if len(self.errors) > MAX_SHOWN:
            lines.append(f"... and {len(self.errors) - MAX_SHOWN} more error(s)")
        lines.append(f"{len(self.errors)} errors {self._where(root)}; fix them and run the command again "
                     "(nothing was written)")
        return "\n".join(lines)

    def _where(self, root: Path | None) -> str:
        """The places on one line: each of a few, else the files and how many in each."""
        if len(self.errors) <= SUMMARY_PLACES:
            return "(" + ", ".join(e.location.display(root) if e.location else "?" for e in self.errors) + ")"
        files: dict[str, int] = {}
        for e in self.errors:
            name = Location(e.location.path).display(root) if e.location else "?"
            files[name] = files.get(name, 0) + 1
        return "in " + ", ".join(f"{name} ({n})" for name, n in files.items())


def _order(error: BriefgenError) -> tuple:
    loc = error.location
    return (str(loc.path), loc.line, loc.col) if loc is not None else ("", 0, 0)


@dataclass
class Problems:
    """Every error (and warning) of a whole pass over the sources, so one run reports them all."""

    errors: list[BriefgenError] = field(default_factory=list)
    warnings: list[tuple[Location, str]] = field(default_factory=list)

    def error(self, error: BriefgenError) -> None:
        self.errors.extend(error.errors if isinstance(error, ErrorList) else [error])

    def warn(self, location: Location, message: str) -> None:
        self.warnings.append((location, message))

    @contextmanager
    def collect(self):
        """Record a BriefgenError raised in the block and carry on after it."""
        try:
            yield
        except BriefgenError as exc:
            self.error(exc)

    def raise_errors(self) -> None:
        """Raise what was recorded: the one error, or all of them as an ErrorList."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ErrorList(self.errors)


def natural_key(text: str) -> list:
    """Sorts ids as people count: F2 before F10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", str(text))]


def did_you_mean(word: str, choices) -> str:
    """A ' (did you mean X?)' suffix when a close match exists, else ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


_WRITE_HERE = "briefgen writes dist/, .briefgen-cache/ and the catalogs in locales/"
_ENVIRONMENT = {
    errno.EACCES: ("permission denied", f"{_WRITE_HERE}: make the project folder writable for your user "
                                        "(chmod -R u+w on it) or work in a copy you own"),
    errno.EROFS: ("read-only file system", f"{_WRITE_HERE}: work in a copy of the project on a writable disk"),
    errno.ENOSPC: ("no space left on the device", "free some space (or remove dist/ and .briefgen-cache/) and run again"),
    errno.EDQUOT: ("disk quota exceeded", "free some space within your quota and run again"),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n 4096) or close other programs, then run again"),
    errno.ENFILE: ("too many open files on this system", "close other programs, then run again"),
}
_ENVIRONMENT[errno.EPERM] = _ENVIRONMENT[errno.EACCES]


def environment_error(exc: OSError) -> BriefgenError | None:
    """The machine refusing (permissions, a full disk, a read-only file system, too many open files)
    is the user's environment, not a bug in briefgen: an error naming the path and what to do."""
    if exc.errno not in _ENVIRONMENT:
        return None
    what, todo = _ENVIRONMENT[exc.errno]
    path = exc.filename if isinstance(exc.filename, (str, Path)) else None
    return BriefgenError(f"{what}; {todo}", Location(path) if path else None)
