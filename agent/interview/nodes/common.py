"""Small helpers shared by the nodes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.normalize import normalize_answer
from agent.schemas import Question

SKIP_WORDS = {"/skip", "/跳过"}  # an answer that skips the question (or follow-up)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def current_question(state: dict[str, Any]) -> Question:
    return Question.model_validate(state["current"])


def clean_answer(raw: Any) -> str:
    """The resume value as the text a person sees: surrogates replaced, control and invisible format characters
    dropped, safe NFKC (see :func:`agent.normalize.normalize_answer`)."""
    return normalize_answer(raw)
