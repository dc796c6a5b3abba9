#!/usr/bin/env python3
"""`python build.py [options]` is `briefgen build [options]`."""
import sys

from briefgen.cli import run

if __name__ == "__main__":
    run(["build", *sys.argv[1:]])
