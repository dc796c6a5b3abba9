"""Atomic file writes and a staged output tree that replaces dist/ only when complete."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2  # libc's, already loaded in this process
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def write_bytes(path: Path, data: bytes) -> Path | None:
    """Write via a temporary file in the same folder and rename; None when the bytes are unchanged."""
    try:
        if path.read_bytes() == data:
            return None
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_text(path: Path, text: str) -> Path | None:
    return write_bytes(path, text.encode("utf-8"))


class Staging:
    """Collects a build's outputs in a sibling folder, then swaps it in for `target` at once."""

    def __init__(self, target: Path):
        self.target = target
        self.old = target.with_name(target.name + ".old")
        recover(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))

    def path(self, rel: str | Path) -> Path:
        p = self.dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def write(self, rel: str | Path, data: bytes) -> None:
        """Stage an output; an unchanged one is linked from the current tree, so its mtime stays."""
        dst = self.path(rel)
        current = self.target / rel
        try:
            if current.stat().st_size == len(data) and current.read_bytes() == data:
                os.link(current, dst)
                return
        except OSError:
            pass
        dst.write_bytes(data)

    def copy(self, rel: str | Path, src: Path) -> None:
        self.write(rel, src.read_bytes())

    def keep(self, rel: str | Path) -> None:
        """Carry a file or folder of the current target over into the new tree unchanged."""
        src = self.target / rel
        if src.is_dir():
            shutil.copytree(src, self.dir / rel, dirs_exist_ok=True)
        elif src.is_file():
            dst = self.path(rel)
            shutil.copy2(src, dst)

    def commit(self) -> None:
        """Swap the new tree in; at no moment is `target` missing or half-written where the OS allows."""
        if self.target.exists() and _exchange(self.dir, self.target):
            shutil.rmtree(self.dir, ignore_errors=True)  # now holds the previous tree
            return
        if self.target.exists():
            os.replace(self.target, self.old)
        os.replace(self.dir, self.target)
        shutil.rmtree(self.old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def recover(target: Path) -> None:
    """Undo a swap interrupted between its two renames, and clear abandoned staging folders."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(old, target)
    if target.parent.exists():
        for stale in target.parent.glob(f".{target.name}.staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
