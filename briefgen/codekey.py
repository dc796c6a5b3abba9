"""What a build's result depends on besides its project: this Python, briefgen's own files and
every installed distribution. Only the standard library and no file contents, so that a no-op
rebuild can ask for it cheaply."""
from __future__ import annotations

import functools
import hashlib
import os
import sys
from pathlib import Path


@functools.cache
def code_key() -> str:
    """A hash of this Python, briefgen's own files (name, mtime, size) and every installed
    distribution (name and version), read from disk without importing anything. Taken once per
    process: it describes the code this process runs (a file edited later is not loaded here)."""
    import site

    package = Path(__file__).resolve().parent
    h = hashlib.sha256(f"{os.path.realpath(sys.executable)}\0{sys.version}\0{package}\0".encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".csl", ".xsd", ".xml", ".json") and "__pycache__" not in path.parts:
            st = path.stat()
            h.update(f"{path.relative_to(package)}\0{st.st_mtime_ns}\0{st.st_size}\0".encode())
    folders = [*site.getsitepackages(), site.getusersitepackages()]  # not the script's or the current one
    for entry in sorted(set(os.path.realpath(f) for f in folders)):
        try:
            names = sorted(n for n in os.listdir(entry) if n.endswith((".dist-info", ".egg-info", ".pth")))
        except OSError:
            continue
        h.update(f"{entry}\0{' '.join(names)}\0".encode())
    return h.hexdigest()
