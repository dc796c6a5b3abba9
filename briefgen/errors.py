"""The exception family: every user-facing error carries a location and a remedy."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
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
            except ValueError:
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


class ErrorList(BriefgenError):
    """Several located errors reported together."""

    def __init__(self, errors: list[BriefgenError]):
        super().__init__(errors[0].message if errors else "", errors[0].location if errors else None)
        self.errors = errors

    def format(self, root: Path | None = None) -> str:
        return "\n".join(e.format(root) for e in self.errors)


def did_you_mean(word: str, choices) -> str:
    """A ' (did you mean X?)' suffix when a close match exists, else ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
