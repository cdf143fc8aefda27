"""One session is written by one request at a time: an exclusive, non-blocking ``flock`` per session.

The lock file lives under ``$MOCKINT_HOME/locks/`` so every worker process on the machine sees it; a held lock
also tells a reloaded page that a grade is in flight. ``flock`` locks belong to the open file, so two threads
of one process exclude each other too, and a killed process releases its lock. The lock itself is
:func:`agent.locks.pid_lock`, the same as the CLI's session lock and the store lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent import config
from agent.errors import MockintError
from agent.locks import pid_lock


class SessionBusy(MockintError):
    """Another request is writing this session (e.g. grading the previous answer)."""


def _lock_path(session_id: str) -> Path:
    folder = config.home() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"web-{session_id}.lock"


@contextmanager
def session_lock(session_id: str) -> Iterator[None]:
    """Hold the session's write lock, or raise :class:`SessionBusy` at once (:func:`agent.locks.pid_lock`)."""

    def busy(_holder: str) -> SessionBusy:
        return SessionBusy("该会话正在处理上一条回答（评分中），请稍候再试")

    with pid_lock(_lock_path(session_id), busy):
        yield


def is_busy(session_id: str) -> bool:
    """True while some request holds the session's lock (a grade in flight)."""
    try:
        with session_lock(session_id):
            return False
    except SessionBusy:
        return True
