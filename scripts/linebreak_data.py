#!/usr/bin/env python3
"""Write briefgen/linebreak.txt: the line-breaking data briefgen's PO writer (briefgen/powrap.py)
needs to wrap strings exactly as GNU gettext's tools (msgcat, msgmerge, msgfmt) do.

    python scripts/linebreak_data.py          # write it
    python scripts/linebreak_data.py --check  # exit 1 if the file differs from what it would write

gettext wraps with GNU libunistring's ulc_width_linebreaks: a UAX #14 pair table with a few
deviations of its own, its own line-break classes per code point and its own column widths
(uc_width). The data is read from the libunistring that msgcat links (Debian 12: libunistring 1.0,
Unicode 14.0.0), so the two agree by construction; run this on such a machine.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import struct
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "briefgen" / "linebreak.txt"
EXPECTED_VERSION = 0x10000  # libunistring 1.0
MAX = 0x110000


def library() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("unistring") or "libunistring.so.2")
    version = ctypes.c_int.in_dll(lib, "_libunistring_version").value
    if version != EXPECTED_VERSION:
        sys.exit(f"libunistring {version >> 16}.{version & 0xffff} found; this script reads the tables' "
                 "layout of libunistring 1.0 (Debian 12), whose msgcat the tests compare against")
    return lib


def classes(lib: ctypes.CDLL) -> list[int]:
    """Every code point's line-break class, from libunistring's three-level table (lbrkprop)."""
    n1, n2, n3 = 15, 4 << 9, 246 << 7
    addr = ctypes.addressof(ctypes.c_char.in_dll(lib, "libunistring_unilbrkprop"))
    raw = ctypes.string_at(addr, 4 * (n1 + n2) + n3)
    level1 = struct.unpack(f"{n1}i", raw[:4 * n1])
    level2 = struct.unpack(f"{n2}i", raw[4 * n1:4 * (n1 + n2)])
    level3 = raw[4 * (n1 + n2):]

    def lookup(uc: int) -> int:
        if uc >> 16 < n1 and level1[uc >> 16] >= 0:
            second = level2[level1[uc >> 16] + ((uc >> 7) & 511)]
            if second >= 0:
                return level3[second + (uc & 127)]
        return 42  # XX, unknown

    return [lookup(uc) for uc in range(MAX)]


def widths(lib: ctypes.CDLL) -> list[int]:
    lib.uc_width.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    return [lib.uc_width(uc, b"UTF-8") for uc in range(MAX)]


def runs(values: list[int]) -> str:
    """'start:value' for each run of equal values (start in hex), 12 to a line."""
    items = [f"{uc:x}:{values[uc]}" for uc in range(MAX) if uc == 0 or values[uc] != values[uc - 1]]
    return "\n".join(" ".join(items[i:i + 12]) for i in range(0, len(items), 12))


def render(lib: ctypes.CDLL) -> str:
    pairs = ctypes.string_at(ctypes.addressof(ctypes.c_char.in_dll(lib, "libunistring_unilbrk_table")), 33 * 33)
    return "\n".join([
        "# Line breaking as GNU gettext wraps PO files: read from GNU libunistring 1.0 (Unicode 14.0.0)",
        "# by scripts/linebreak_data.py; do not edit. Sections: the 33 x 33 pair table (1 direct,",
        "# 2 indirect, 3 prohibited break; row: class before, column: class after), each code point's",
        "# line-break class and its column width (uc_width), both as runs 'first code point (hex):value'.",
        "[pairs]",
        *("".join(str(b) for b in pairs[row * 33:row * 33 + 33]) for row in range(33)),
        "[classes]",
        runs(classes(lib)),
        "[widths]",
        runs(widths(lib)),
        "",
    ])


def main() -> None:
    text = render(library())
    if "--check" in sys.argv[1:]:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print(f"{OUT.name}: {'up to date' if same else 'differs from libunistring; run scripts/linebreak_data.py'}")
        sys.exit(0 if same else 1)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    main()
