"""Spaced review with FSRS: one card per graded question and one per knowledge point, stored in SQLite.

Cards
  * question card: id = the question id.
  * point card: id = ``<question id>#p<sha1(point text)[:10]>``, for every point of a grade that has points.

Rating map (grade → FSRS rating)
  * question card, by the 0–10 score: ``< 4`` Again, ``4–6`` (4 ≤ s < 7) Hard, ``7–8`` (7 ≤ s < 9) Good, ``≥ 9`` Easy.
  * point card, by the point's status: missing → Again, partial → Hard, covered → Good.

Storage: ``agent.config.review_db()`` (WAL). ``cards`` holds the FSRS state (``Card.to_dict()`` JSON) and the
last score; ``reviews`` logs every rating with ``UNIQUE(session_id, turn_key, card_id)``. :func:`record_grade`
writes the log rows and the new card states in ONE transaction and skips cards already logged for that
(session_id, turn_key), so a resumed graph node that re-runs it never double-counts.

A corrupt or locked database raises :class:`agent.errors.StoreError` with a recovery hint; nothing is dropped
or recreated silently.

``weak_weights(questions)`` (used by ``interview --focus weak`` and drills) returns a weight per question:

    weight = category_factor × question_factor
    category_factor = 1 + 2 × (1 − avg/10)   (avg = mean last score of the category's questions; unseen: 1.5)
    question_factor = (1 + (1 − last/10)) for an asked question (last = its last score), 1 if never asked;
                      × 2 when the question's card (or one of its point cards) is due now.

So a due, failed question in a weak category weighs up to 3 × 2 × 2 = 12 against ~1–1.5 for a mastered one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import config
from agent.errors import StoreError
from agent.grading.self_rating import FSRS_RATING
from agent.readonly import sqlite_read_only, writable
from agent.schemas import RETRY_SUFFIX, Grade, Question

SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    card_id TEXT PRIMARY KEY,
    question_id TEXT NOT NULL,
    kind TEXT NOT NULL,              -- 'question' | 'point'
    point TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    fsrs TEXT NOT NULL,              -- fsrs.Card.to_dict() as JSON
    due TEXT NOT NULL,               -- ISO-8601 UTC, copied from fsrs for ordering
    last_score REAL,
    last_reviewed TEXT
);
CREATE INDEX IF NOT EXISTS cards_due ON cards(due);
CREATE INDEX IF NOT EXISTS cards_question ON cards(question_id);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    turn_key TEXT NOT NULL,
    card_id TEXT NOT NULL,
    rating INTEGER NOT NULL,
    score REAL,
    reviewed_at TEXT NOT NULL,
    UNIQUE(session_id, turn_key, card_id)
);
CREATE INDEX IF NOT EXISTS reviews_card ON reviews(card_id, reviewed_at);
"""

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
_STATUS_RATING = {"missing": 1, "partial": 2, "covered": 3}


# ---------------------------------------------------------------- pure helpers
def score_rating(score: float) -> int:
    """0–10 score → FSRS rating value (1 Again, 2 Hard, 3 Good, 4 Easy)."""
    if score < 4:
        return 1
    if score < 7:
        return 2
    if score < 9:
        return 3
    return 4


def status_rating(status: str) -> int:
    return _STATUS_RATING.get(status, 1)


def point_card_id(question_id: str, point: str) -> str:
    digest = hashlib.sha1(point.strip().encode("utf-8")).hexdigest()[:10]
    return f"{question_id}#p{digest}"


def _utc(when: datetime | None) -> datetime:
    if when is None:
        return datetime.now(UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _iso(when: datetime | None) -> str:
    """Fixed-width UTC ISO text, so SQL string order is time order."""
    return _utc(when).isoformat(timespec="microseconds")


def make_scheduler(enable_fuzzing: bool | None = None) -> Any:
    """The FSRS scheduler; ``MOCKINT_FSRS_FUZZ=0`` (or ``enable_fuzzing=False``) makes due dates deterministic."""
    import os

    from fsrs import Scheduler

    if enable_fuzzing is None:
        enable_fuzzing = os.environ.get("MOCKINT_FSRS_FUZZ", "1") != "0"
    return Scheduler(enable_fuzzing=enable_fuzzing)


# ---------------------------------------------------------------- database
def _hint(path: Path) -> str:
    return f"备份后移走该文件即可从空白复习记录重新开始: mv {path} {path}.bak"


@contextmanager
def _connect(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    path = path or config.review_db()
    conn: sqlite3.Connection | None = None
    read_only = not writable(path.parent)
    try:
        if read_only:  # a home we may not write: read what is there; a write fails as "not writable" below
            conn = sqlite_read_only(path) if path.exists() else sqlite3.connect(":memory:", isolation_level=None)
            if not path.exists():
                conn.executescript(SCHEMA)
        else:
            conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
        yield conn
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreError(f"复习记录数据库被占用（{path}）", hint="另一个 mockint 进程正在写入，请稍后重试") from None
        if read_only or "readonly" in str(exc):
            raise StoreError(f"复习记录数据库 {path} 不可写（权限不足或只读），复习进度无法保存",
                             hint=f"检查 {path.parent} 的权限，或把 MOCKINT_HOME 指向一个可写的目录") from None
        raise StoreError(f"复习记录数据库无法读写（{path}）: {exc}", hint=_hint(path)) from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"复习记录数据库已损坏（{path}）: {exc}", hint=_hint(path)) from None
    finally:
        if conn is not None:
            conn.close()


def _card_specs(question: Question, grade: Grade) -> list[tuple[str, str, str, int]]:
    """(card_id, kind, point, rating) for the question card and each distinct point of the grade."""
    rating = FSRS_RATING[grade.self_rating] if grade.self_rating else score_rating(grade.score)
    specs = [(question.id, "question", "", rating)]
    seen: set[str] = set()
    for verdict in grade.points:
        card_id = point_card_id(question.id, verdict.point)
        if verdict.point.strip() and card_id not in seen:
            seen.add(card_id)
            specs.append((card_id, "point", verdict.point.strip(), status_rating(verdict.status)))
    return specs


def record_grade(
    session_id: str,
    turn_key: str,
    question: Question,
    grade: Grade,
    when: datetime | None = None,
    *,
    scheduler: Any = None,
) -> int:
    """Review the question's cards with the grade. Idempotent per (session_id, turn_key): returns how many
    cards were newly reviewed (0 when this turn was already recorded). A drill retry (``<id>#retry``)
    reviews the original question's cards."""
    from fsrs import Card, Rating

    when = _utc(when)
    scheduler = scheduler or make_scheduler()
    retry = question.id.endswith(RETRY_SUFFIX)  # a drill's re-ask of a failed point reviews the original cards
    if retry:
        question = question.model_copy(update={"id": question.id.removesuffix(RETRY_SUFFIX)})
    stamp = _iso(when)
    reviewed = 0
    with _connect() as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for card_id, kind, point, rating in _card_specs(question, grade):
                cur = conn.execute(
                    "INSERT OR IGNORE INTO reviews(session_id, turn_key, card_id, rating, score, reviewed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (session_id, turn_key, card_id, rating, grade.score if kind == "question" else None, stamp),
                )
                if cur.rowcount == 0:
                    continue
                row = conn.execute("SELECT fsrs FROM cards WHERE card_id = ?", (card_id,)).fetchone()
                card = Card.from_dict(json.loads(row[0])) if row else Card()
                card, _log = scheduler.review_card(card, Rating(rating), review_datetime=when)
                conn.execute(
                    "INSERT INTO cards(card_id, question_id, kind, point, question, category, fsrs, due,"
                    " last_score, last_reviewed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(card_id) DO UPDATE SET"
                    " question = CASE WHEN ? THEN question ELSE excluded.question END,"
                    " category = excluded.category, fsrs = excluded.fsrs, due = excluded.due,"
                    " last_score = excluded.last_score, last_reviewed = excluded.last_reviewed",
                    (
                        card_id, question.id, kind, point, question.text, question.category,
                        json.dumps(card.to_dict(), ensure_ascii=False), _iso(card.due),
                        grade.score if kind == "question" else float(rating), stamp, retry,
                    ),
                )
                reviewed += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return reviewed


# ---------------------------------------------------------------- queries
def due_cards(now: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Cards due at ``now`` (question and point cards), oldest due first."""
    sql = "SELECT card_id, question_id, kind, point, question, category, due FROM cards WHERE due <= ? ORDER BY due, card_id"
    params: list[Any] = [_iso(now)]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    with _connect() as conn:
        rows = conn.execute(sql, params).fetchall()
    keys = ("card_id", "question_id", "kind", "point", "question", "category", "due")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def due_question_ids(now: datetime | None = None, limit: int | None = None) -> list[str]:
    """Questions with at least one due card (question or point), ordered by their oldest due card."""
    ordered = list(dict.fromkeys(card["question_id"] for card in due_cards(now)))
    return ordered[:limit] if limit is not None else ordered


def due_in_bank(bank: Iterable[Question], n: int, now: datetime | None = None) -> list[str]:
    """The first ``n`` due question ids that are still in the bank (``mockint review`` and the web review)."""
    known = {q.id for q in bank}
    return [qid for qid in due_question_ids(now) if qid in known][:n]


def list_cards() -> list[dict[str, Any]]:
    """Question cards by due date: ``{question_id, question, category, due, last_score, rating_history,
    points_due}``; ``rating_history`` = ``[{at, rating, score}]`` oldest first."""
    with _connect() as conn:
        cards = conn.execute(
            "SELECT card_id, question, category, due, last_score FROM cards WHERE kind = 'question' ORDER BY due, card_id"
        ).fetchall()
        logs = conn.execute(
            "SELECT r.card_id, r.reviewed_at, r.rating, r.score FROM reviews r JOIN cards c ON c.card_id = r.card_id"
            " WHERE c.kind = 'question' ORDER BY r.reviewed_at, r.id"
        ).fetchall()
        point_due = dict(
            conn.execute("SELECT question_id, MIN(due) FROM cards WHERE kind = 'point' GROUP BY question_id").fetchall()
        )
    history: dict[str, list[dict[str, Any]]] = {}
    for card_id, at, rating, score in logs:
        history.setdefault(card_id, []).append({"at": at, "rating": RATING_NAMES[rating], "score": score})
    return [
        {
            "question_id": card_id,
            "question": question,
            "category": category,
            "due": due,
            "last_score": last_score,
            "rating_history": history.get(card_id, []),
            "points_due": point_due.get(card_id),
        }
        for card_id, question, category, due, last_score in cards
    ]


def recent_scores() -> dict[str, float]:
    """``{question_id: last score}`` for every question ever graded."""
    with _connect() as conn:
        rows = conn.execute("SELECT card_id, last_score FROM cards WHERE kind = 'question'").fetchall()
    return {qid: float(score) for qid, score in rows if score is not None}


def category_scores() -> dict[str, float]:
    """Mean last score per category over the graded questions."""
    with _connect() as conn:
        rows = conn.execute(
            "SELECT category, AVG(last_score) FROM cards WHERE kind = 'question' GROUP BY category"
        ).fetchall()
    return {cat: float(avg) for cat, avg in rows if avg is not None}


def weak_weights(questions: Iterable[Question], now: datetime | None = None) -> dict[str, float]:
    """Selection weight per question id (see the module docstring): weak categories and due cards weigh more."""
    questions = list(questions)
    scores = recent_scores()
    by_cat = category_scores()
    due = set(due_question_ids(now))
    weights: dict[str, float] = {}
    for q in questions:
        avg = by_cat.get(q.category)
        weight = 1.5 if avg is None else 1 + 2 * (1 - avg / 10)
        last = scores.get(q.id)
        if last is not None:
            weight *= 1 + (1 - last / 10)
        if q.id in due:
            weight *= 2
        weights[q.id] = round(weight, 4)
    return weights
