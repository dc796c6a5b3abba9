#!/usr/bin/env python3
"""`python build.py [options]` is `briefgen build [options]`."""
import sys
from importlib import metadata

INSTALL = ("install it as the README says: `./dev build` (it makes .venv, installs briefgen and builds); "
           "afterwards run `.venv/bin/briefgen build` or `.venv/bin/python build.py`")

if __name__ == "__main__":
    try:
        metadata.distribution("briefgen")  # installed in this Python (with the libraries it needs)
        from briefgen.cli import run
    except (metadata.PackageNotFoundError, ModuleNotFoundError):
        print(f"error: briefgen is not installed in this Python ({sys.executable}); {INSTALL}", file=sys.stderr)
        sys.exit(2)
    run(["build", *sys.argv[1:]])
