"""`python -m briefgen ...` is the `briefgen` command."""
from briefgen.launch import main

main()
