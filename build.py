#!/usr/bin/env python3
"""`python build.py [options]` is `briefgen build [options]`."""
import sys

from briefgen.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
