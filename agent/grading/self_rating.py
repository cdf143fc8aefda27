"""Self-rating for a question the notes give no answer to (Again / Hard / Good / Easy, as in Anki).

When no reference point qualifies for a knowledge question, the offline grader can only judge relevance and
length. Instead of pretending to a grade, an interactive session shows the closest note sections and asks the
candidate to rate their own answer; the rating sets the question's score (marked self-rated everywhere) and the
FSRS rating of its card. An answer the candidate does not rate keeps the rubric-only grade.
"""

from __future__ import annotations

from typing import Literal

SelfRating = Literal["again", "hard", "good", "easy"]
RATINGS: tuple[SelfRating, ...] = ("again", "hard", "good", "easy")
LABELS = {"again": "重来（Again）", "hard": "困难（Hard）", "good": "良好（Good）", "easy": "简单（Easy）"}
# scores that map back to the same FSRS rating (agent.practice.review.score_rating: <4 Again, <7 Hard, <9 Good)
SCORES = {"again": 2.0, "hard": 5.5, "good": 8.0, "easy": 9.5}
FSRS_RATING = {"again": 1, "hard": 2, "good": 3, "easy": 4}
_WORDS: dict[SelfRating, tuple[str, ...]] = {
    "again": ("again", "1", "重来", "不会"), "hard": ("hard", "2", "困难", "难"),
    "good": ("good", "3", "良好", "会"), "easy": ("easy", "4", "简单", "很熟"),
}
SELF_RATED_NOTICE = "自评：{label}。笔记里没有这道题的参考答案，本题分数取你的自评（按评分标准粗评为 {rubric}）"
PROMPT = "笔记里没有这道题的参考答案。对照上面的阅读材料，给自己的回答打分：1 重来  2 困难  3 良好  4 简单（回车跳过）"


def parse_rating(text: str | None) -> SelfRating | None:
    """``again`` / ``1`` / ``重来`` (also with a leading ``/``, any case) → the rating; anything else → None."""
    word = (text or "").strip().lower().removeprefix("/")
    return next((r for r, words in _WORDS.items() if word in words), None)


def is_rating_command(text: str | None) -> bool:
    """A scripted answers-file line that rates the previous answer: ``/again`` ``/hard`` ``/good`` ``/easy``
    (or ``/1``–``/4``, ``/重来`` …) — the slash keeps ordinary answers such as "会" from being taken as ratings."""
    return bool(text and text.strip().startswith("/") and parse_rating(text) is not None)


def self_rated_mark(rating: str | None) -> str:
    """``（自评：良好（Good））`` after a self-rated score, else nothing (reports, transcript, terminal)."""
    return f"（自评：{LABELS[rating]}）" if rating in LABELS else ""
