"""Reading a data home we may not write (a read-only mount, another user's folder, a permissions mistake).

Read-only commands (``retrieve``, ``sessions``, ``history``, ``report``, ``review --list``, ``bank``) still work;
commands that must write say "not writable" in one line. SQLite files are opened with ``mode=ro`` (falling back
to ``immutable=1`` where the WAL index cannot be created), and the Chroma store — whose client always wants to
write — is opened from a private temporary copy that is removed when the process ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path


def writable(folder: Path) -> bool:
    """True when ``folder`` (or, if missing, its nearest existing parent) is a folder we may write into."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return os.access(probe, os.W_OK | os.X_OK)


def sqlite_read_only(path: Path) -> sqlite3.Connection:
    """Open an existing SQLite file without writing anything next to it (raises ``sqlite3.DatabaseError``)."""
    error: sqlite3.DatabaseError | None = None
    for query in ("mode=ro", "mode=ro&immutable=1"):  # immutable: no -shm / -wal files needed (read-only media)
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.DatabaseError as exc:
            conn.close()
            error = exc
    assert error is not None
    raise error


_COPIES: dict[Path, Path] = {}


def private_copy(folder: Path) -> Path:
    """A temporary copy of ``folder`` this process may write (made once per process, removed at exit)."""
    if folder not in _COPIES:
        target = Path(tempfile.mkdtemp(prefix="mockint-ro-")) / folder.name
        shutil.copytree(folder, target)
        atexit.register(shutil.rmtree, target.parent, True)
        _COPIES[folder] = target
    return _COPIES[folder]
