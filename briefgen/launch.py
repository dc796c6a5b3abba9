"""The `briefgen` command (and `python -m briefgen`).

A `build` goes to the build daemon when one runs (`briefgen daemon start`, see briefgen.daemon);
every other command, and every build without a daemon, runs in this process (briefgen.cli). This
module imports nothing else first, so that handing a build over costs a few milliseconds."""
from __future__ import annotations

import sys

_FLAGS = {"-v", "--verbose", "-q", "--quiet"}


def is_build(args: list[str]) -> bool:
    """`args` run `build` (after briefgen's own options), and ask for no help."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--project":
            i += 2
        elif arg.startswith("--project=") or arg in _FLAGS:
            i += 1
        else:
            return arg == "build" and not {"-h", "--help"} & set(args[i + 1:])
    return False


def main(args: list[str] | None = None) -> None:
    args = sys.argv[1:] if args is None else list(args)
    if is_build(args):
        from .daemon import delegate

        code = delegate(args)
        if code is not None:
            import os

            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError, AttributeError):
                    pass
            os._exit(code)
    from .cli import run

    run(args)
