"""Atomic file writes and a staged output tree that replaces dist/ only when complete."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import time
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


_IN_PROGRESS: set[str] = set()  # names of this process's temporary files being written now
_STALE_OLD_STYLE = 60.0  # seconds: mkstemp-named leftovers of briefgen <= 0.1 (no pid to ask)


def write_bytes(path: Path, data: bytes) -> Path | None:
    """Write `data` to `path` as one atomic step; None when the file already holds these bytes.

    The bytes go to a temporary file next to `path` (`.<name>.<pid>.<random>.tmp`), then renamed
    over it, so a reader sees the old or the new file, never a part. The file ends with the mode
    an ordinary write gives: an existing file keeps its mode (and its group where allowed), a new
    one gets 0666 minus the umask. Temporary files that a killed write left next to `path` are
    removed first."""
    _remove_stale(path)
    try:
        old = os.stat(path)
        if old.st_size == len(data) and path.read_bytes() == data:
            return None
    except OSError:
        old = None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temporary(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            if old is not None:
                _keep_owner_and_mode(fh.fileno(), old)
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
    finally:
        _IN_PROGRESS.discard(os.path.basename(tmp))
    return path


def _temporary(path: Path) -> tuple[int, str]:
    """A new temporary file next to `path`, created as an ordinary file is (0666 minus the umask)."""
    while True:
        tmp = str(path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"))
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        _IN_PROGRESS.add(os.path.basename(tmp))
        return fd, tmp


def _keep_owner_and_mode(fd: int, old: os.stat_result) -> None:
    if old.st_gid != os.fstat(fd).st_gid:
        try:
            os.fchown(fd, -1, old.st_gid)  # allowed when this user is in the file's group
        except OSError:
            pass
    os.fchmod(fd, stat.S_IMODE(old.st_mode))


def _remove_stale(path: Path) -> None:
    """Remove the temporary files of writes to `path` that were killed: ones whose process is gone
    (or is this one, which is not writing them). Only names write_bytes makes are touched."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"(?:(\d+)\.[0-9a-f]{8}|[a-z0-9_]{8})\.tmp")
    try:
        names = [e.name for e in os.scandir(path.parent) if e.name.startswith(f".{path.name}.")]
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or name in _IN_PROGRESS:
            continue
        full = path.with_name(name)
        try:
            if match.group(1) is None:
                stale = time.time() - os.stat(full).st_mtime > _STALE_OLD_STYLE
            else:
                stale = not _alive(int(match.group(1)))
            if stale:
                os.unlink(full)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process: the file is not in _IN_PROGRESS, so an earlier process left it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists (another user's)
    return True


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
