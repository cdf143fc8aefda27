"""Small helpers shared by the nodes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.schemas import Question

SKIP_WORDS = {"/skip", "/跳过"}  # an answer that skips the question (or follow-up)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def current_question(state: dict[str, Any]) -> Question:
    return Question.model_validate(state["current"])


def clean_answer(raw: Any) -> str:
    """The resume value as text: invalid surrogates replaced, control characters (except newline/tab) dropped."""
    text = raw if isinstance(raw, str) else "" if raw is None else str(raw)
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32 and ch != "\x7f")
