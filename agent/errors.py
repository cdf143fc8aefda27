"""User-facing errors: one clear line, a non-zero exit code, never a traceback."""

from __future__ import annotations


class MockintError(Exception):
    """A problem the user can fix (bad input, missing store, wrong key...).

    The CLI prints ``str(error)`` as one line (plus ``hint`` if given) and exits with ``exit_code``.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(MockintError):
    """Wrong flags or arguments (exit code 2, like click's usage errors)."""

    exit_code = 2


class StoreError(MockintError):
    """The Chroma store or a SQLite file is missing, corrupt, locked or built by another embedder."""

    exit_code = 3


class LLMConfigError(MockintError):
    """LLM mode is requested but the endpoint / model / key is missing or rejected."""

    exit_code = 4


class SessionBusyError(MockintError):
    """Another mockint process is writing the same session (exit code 5): nothing was changed."""

    exit_code = 5


def check_count(n: int, flag: str = "-n") -> None:
    """A count (``-n``) must be a positive integer: UsageError (exit 2) — the one check, CLI and drills alike."""
    if n < 1:
        raise UsageError(f"{flag} 必须是正整数（收到 {n}）")
