"""Atomic file writes and a staged output tree that replaces dist/ only when complete."""
from __future__ import annotations

import os
import secrets
import shutil
import stat
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


def _new_folder(parent: Path, prefix: str) -> Path:
    """A new, uniquely named folder with the ordinary mode (0777 minus the umask): tempfile.mkdtemp's
    0700 would be swapped in as dist/, which then no web server, colleague or release zip can read."""
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir(0o777)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free name for a staging folder in {parent}")


def _real_target(target: Path) -> Path:
    """Where the tree really goes: a `dist` symlink (a common deploy layout) is honoured by building
    next to its target and swapping there; the link itself is left as it is."""
    if not target.is_symlink():
        return target
    try:
        return Path(os.path.realpath(target, strict=False))
    except (OSError, RuntimeError) as exc:  # a symlink loop
        from .errors import BuildError, Location

        raise BuildError(f"{target.name} is a symlink that cannot be followed ({exc}); point it at a folder "
                         "or remove it", Location(target)) from None


def _remove(path: Path) -> None:
    """Remove a file, a symlink (never what it points to) or a folder, read-only folders in it included."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
        return
    if not path.exists():
        return
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():  # a folder without write permission keeps its entries: open it up, then again
        for folder, subfolders, _ in os.walk(path):
            for p in [folder, *(os.path.join(folder, d) for d in subfolders)]:
                if not os.path.islink(p):
                    try:
                        os.chmod(p, 0o700)
                    except OSError:
                        pass
        shutil.rmtree(path, ignore_errors=True)


def _normalise(path: Path, folder_mode: int, file_mode: int) -> None:
    """Give a carried-over tree the ordinary modes (copytree keeps the private ones of older builds)."""
    for folder, subfolders, files in os.walk(path):
        os.chmod(folder, folder_mode)
        for name in files:
            p = os.path.join(folder, name)
            if not os.path.islink(p):
                os.chmod(p, file_mode)


class Staging:
    """Collects a build's outputs in a sibling folder, then swaps it in for `target` at once.

    Folders get mode 0777 and files 0666, minus the umask, like any file the user writes."""

    def __init__(self, target: Path):
        self.link = target
        self.target = target = _real_target(target)
        self.old = target.with_name(target.name + ".old")
        recover(self.link)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.dir = _new_folder(target.parent, f".{target.name}.staging-")
        self.folder_mode = stat.S_IMODE(self.dir.stat().st_mode)  # 0777 minus the umask, read race-free
        self.file_mode = self.folder_mode & 0o666

    def path(self, rel: str | Path) -> Path:
        p = self.dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def write(self, rel: str | Path, data: bytes) -> None:
        """Stage an output; an unchanged one is linked from the current tree, so its mtime stays."""
        dst = self.path(rel)
        current = self.target / rel
        try:
            st = current.stat()
            if st.st_size == len(data) and stat.S_IMODE(st.st_mode) == self.file_mode and current.read_bytes() == data:
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
            _normalise(self.dir / rel, self.folder_mode, self.file_mode)
        elif src.is_file():
            dst = self.path(rel)
            shutil.copy2(src, dst)
            dst.chmod(self.file_mode)

    def commit(self) -> None:
        """Swap the new tree in; at no moment is `target` missing or half-written where the OS allows."""
        if self.target.exists() and _exchange(self.dir, self.target):
            _remove(self.dir)  # now holds the previous tree
            return
        if self.target.exists():
            os.replace(self.target, self.old)
        os.replace(self.dir, self.target)
        _remove(self.old)

    def abort(self) -> None:
        _remove(self.dir)


def recover(target: Path) -> None:
    """Undo a swap interrupted between its two renames, and clear abandoned staging folders (also
    those an older briefgen left beside a `dist` symlink, and symlinks a swap left in their place)."""
    real = _real_target(target)
    old = real.with_name(real.name + ".old")
    if old.exists() or old.is_symlink():
        if real.exists():
            _remove(old)
        else:
            os.replace(old, real)
    for place in {target, real}:
        if place.parent.exists():
            for stale in place.parent.glob(f".{place.name}.staging-*"):
                _remove(stale)
