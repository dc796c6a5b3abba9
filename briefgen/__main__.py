"""`python -m briefgen ...` is the `briefgen` command."""
from briefgen.cli import run

run()
