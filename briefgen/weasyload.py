"""WeasyPrint imported without its library searches: the module the PDF workers' forkserver
preloads (briefgen.workers), so every worker starts with WeasyPrint loaded.

The one speed trick of the PDF side, kept because the benchmark shows it pays: WeasyPrint tries
several spellings of each C library it loads ('libgobject-2.0-0', 'gobject-2.0-0', ...), and cffi
hands each that is not a file name to ctypes.util.find_library, which on Linux runs `ldconfig
-p`, then gcc, then ld, for every spelling that fails. Measured on this project's machine the
import takes 0.58 s that way and 0.35 s here, and it is on the critical path of every build that
renders a PDF (the workers wait for it). Here find_library answers from one reading of the linker
cache, the answer the first of those three steps gives; the gcc and ld steps only ever find
libraries that later spellings (file names, which dlopen searches itself) load anyway (a test
compares the libraries loaded both ways). Should the import fail this way, it runs again with
the real lookup."""
from __future__ import annotations

import ctypes.util
import os
import re
import struct
import subprocess
import sys


def _linker_cache(real):
    """find_library from one `ldconfig -p`, as ctypes' own first step reads it (same ABI filter,
    first match in the cache's order); the real one where ldconfig cannot be run."""
    machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
    abi = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
           "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}.get(machine, "libc6")
    try:
        out = subprocess.run(["/sbin/ldconfig", "-p"], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, env={"LC_ALL": "C", "LANG": "C"}, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return real
    sonames = [os.fsdecode(m.group(1)) for m in re.finditer(rb"^\s+(lib\S+)\s+\(" + re.escape(abi.encode()), out, re.M)]
    if not sonames:
        return real
    return lambda name: next((s for s in sonames if s.startswith(f"lib{name}.")), None)


def load() -> None:
    """Import WeasyPrint (and its font machinery) once, quickly where the platform allows."""
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint.text.fonts  # noqa: F401
        return
    real = ctypes.util.find_library
    ctypes.util.find_library = _linker_cache(real)
    try:
        import weasyprint.text.fonts  # noqa: F401
    except OSError:
        for module in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[module]
        ctypes.util.find_library = real
        import weasyprint.text.fonts  # noqa: F401,F811
    finally:
        ctypes.util.find_library = real


try:
    load()
except OSError:  # e.g. Pango missing: each worker imports WeasyPrint again and the build reports why
    pass
