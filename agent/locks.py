"""Exclusive process locks (``flock``) that record the holder's pid: one writer per session, one ingest per store.

The OS releases a lock when its process dies, so a crash never leaves a stale lock; the pid in the file only
names the holder in the "busy" message.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def pid_lock(path: Path, busy: Callable[[str], Exception], wait: bool = False,
             unopenable: Callable[[OSError], Exception] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing). ``wait=False``: a held lock raises
    ``busy(holder_pid)`` at once; ``wait=True``: block until it is free. A lock file that cannot be opened raises
    ``unopenable(error)`` when given (else the ``OSError``)."""
    try:
        handle = path.open("a+", encoding="utf-8")
    except OSError as exc:
        if unopenable is None:
            raise
        raise unopenable(exc) from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            raise busy(handle.read().strip() or "?") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock
