"""Answers longer than the graded prefix, kept once outside the checkpoints.

The graph grades the first ``Context.max_answer_chars`` characters of an answer. Keeping a 10 MB answer in the
turn state would copy it into every later checkpoint (SQLite stores each checkpoint whole): instead the full
text is written once to ``MOCKINT_HOME/answers/<session>/<sha256>.txt`` (content-addressed, so the ``ask`` node
re-running on resume writes nothing new), the state keeps the bounded prefix plus the file name, and the
transcript puts the full text back (``transcript.json`` holds it once).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from agent.config import home, writable_dir
from agent.normalize import input_notices, normalize_answer
from agent.textio import atomic_write_text


def _session_dir(session_id: str) -> Path:
    # session ids are checked by the CLI ([A-Za-z0-9_.-]); anything else (web, tests) gets a hashed folder name
    safe = session_id if session_id and all(c.isalnum() or c in "_.-" for c in session_id) and \
        not session_id.startswith(".") else hashlib.sha256(session_id.encode()).hexdigest()[:16]
    return home() / "answers" / safe


def stash(session_id: str, text: str) -> str:
    """Write ``text`` once (atomically) and return its file name; an existing file is left as it is."""
    name = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() + ".txt"
    folder = writable_dir(_session_dir(session_id), "答案目录")
    path = folder / name
    if not path.exists():
        atomic_write_text(path, text)
    return name


def load(session_id: str, name: str) -> str | None:
    """The full text of a stashed answer, or None when its file is gone or unreadable."""
    try:
        return (_session_dir(session_id) / Path(name).name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def bounded_answer(session_id: str, raw: str, limit: int) -> dict[str, Any]:
    """The answer as the graph keeps it: the visible text, cut to ``limit`` characters when longer, with the full
    text stashed once (``answer_file``, ``answer_chars``) and the input notices computed on the whole text."""
    answer = normalize_answer(raw)
    bounded: dict[str, Any] = {"answer": answer, "input_notices": input_notices(str(raw), answer)}
    if len(answer) > limit:
        bounded.update(answer=answer[:limit], answer_chars=len(answer), answer_file=stash(session_id, answer))
    return bounded


def resume_value(session_id: str, raw: str, limit: int) -> str | dict[str, Any]:
    """What a session resumes the graph with: the answer itself, or — when longer than ``limit`` — its bounded
    form (LangGraph keeps the resume value in the checkpoint writes, so a 10 MB answer must not go there)."""
    return raw if len(raw) <= limit else {"bounded_answer": bounded_answer(session_id, raw, limit)}
