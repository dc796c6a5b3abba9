"""One writer at a time per project: an advisory lock around commands that write."""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager

from .config import Project
from .errors import BuildError, Location


@contextmanager
def project_lock(project: Project, wait: float = 60.0, say=None):
    """Hold the project's write lock; wait up to `wait` seconds for another briefgen to finish."""
    project.cache_dir.mkdir(parents=True, exist_ok=True)
    path = project.cache_dir / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    if fd <= 2:  # started with stdin/stdout/stderr closed: the PDF workers keep descriptors 0-2 open
        fd, low = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3), fd  # (and would hold the lock with them)
        os.close(low)
    try:
        deadline = time.monotonic() + wait
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                if time.monotonic() >= deadline:
                    raise BuildError(
                        f"another briefgen (pid {holder}) is still writing this project; try again when it has "
                        f"finished, or remove {path} if no briefgen is running",
                        Location(path),
                    ) from None
                if not announced and say is not None:
                    say(f"waiting for another briefgen (pid {holder}) to finish ...")
                    announced = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process is killed
