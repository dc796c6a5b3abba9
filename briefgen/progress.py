"""Build progress: a one-line bar on a terminal, plain lines in CI or when piped, nothing with -q."""
from __future__ import annotations

import os
import sys


class Progress:
    """Callable with a message per step; `begin(total)` turns on the bar's fraction."""

    WIDTH = 24

    def __init__(self, quiet: bool = False, stream=None, tty: bool | None = None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        if tty is None:
            tty = hasattr(self.stream, "isatty") and self.stream.isatty() and not os.environ.get("CI")
        self.tty = tty
        self.total = 0
        self.done = 0
        self.open_line = False

    def begin(self, total: int) -> None:
        self.total, self.done = total, 0

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        self.done += 1
        if not self.tty:
            print(message, file=self.stream, flush=True)
            return
        total = max(self.total, self.done)
        filled = round(self.WIDTH * self.done / total) if total else 0
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r\033[K[{bar}] {self.done}/{total} {message}")
        self.stream.flush()
        self.open_line = True

    def say(self, message: str) -> None:
        """A line that stays (warnings, results); finishes the bar first."""
        if self.quiet:
            return
        self.end()
        print(message, file=self.stream, flush=True)

    def end(self) -> None:
        if self.open_line:
            self.stream.write("\n")
            self.stream.flush()
            self.open_line = False


def flush_streams() -> None:
    """Flush stdout and stderr before a fork or os._exit; closed or missing streams are fine."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
