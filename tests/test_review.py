"""FSRS review store: rating map, idempotent recording, due order, corrupt DB handling, weak weights."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from agent import config
from agent.errors import StoreError
from agent.practice import review
from agent.schemas import Grade, PointVerdict, Question

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_fuzz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKINT_FSRS_FUZZ", "0")


def q(qid: str = "q1", category: str = "RLHF 对齐") -> Question:
    return Question(id=qid, text=f"问题 {qid}", category=category, section="s", difficulty=2)


def g(score: float, statuses: tuple[str, ...] = ()) -> Grade:
    points = [
        PointVerdict(point=f"要点{i}", chunk_id="c", quote="", status=s)  # type: ignore[arg-type]
        for i, s in enumerate(statuses)
    ]
    return Grade(points=points, score=score)


@pytest.mark.parametrize(
    ("score", "rating"), [(0, 1), (3.9, 1), (4, 2), (6.5, 2), (7, 3), (8.9, 3), (9, 4), (10, 4)]
)
def test_score_rating_map(score: float, rating: int) -> None:
    assert review.score_rating(score) == rating


def test_status_rating_map() -> None:
    assert [review.status_rating(s) for s in ("missing", "partial", "covered")] == [1, 2, 3]


def test_record_creates_question_and_point_cards_once() -> None:
    grade = g(5, ("covered", "missing", "partial"))
    assert review.record_grade("s1", "t1", q(), grade, T0) == 4
    # a resumed node re-running the same call is a no-op
    assert review.record_grade("s1", "t1", q(), grade, T0 + timedelta(minutes=1)) == 0
    with sqlite3.connect(config.review_db()) as conn:
        assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 4
        assert conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 4
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cards = review.list_cards()
    assert [c["question_id"] for c in cards] == ["q1"]
    assert [h["rating"] for h in cards[0]["rating_history"]] == ["Hard"]
    assert review.recent_scores() == {"q1": 5.0}


def test_point_card_ids_are_stable_and_distinct() -> None:
    a = review.point_card_id("q1", "KL 惩罚")
    assert a == review.point_card_id("q1", " KL 惩罚 ")
    assert a != review.point_card_id("q1", "奖励模型") and a.startswith("q1#p")


def test_failed_card_is_due_sooner_than_easy_card() -> None:
    review.record_grade("s1", "t1", q("bad"), g(1), T0)
    review.record_grade("s1", "t2", q("good"), g(10), T0)
    cards = {c["question_id"]: c for c in review.list_cards()}
    assert cards["bad"]["due"] < cards["good"]["due"]
    # FSRS: Again → a short relearning step, Easy → days away
    assert datetime.fromisoformat(cards["bad"]["due"]) - T0 < timedelta(hours=1)
    assert datetime.fromisoformat(cards["good"]["due"]) - T0 >= timedelta(days=1)


def test_due_cards_oldest_first_and_limit() -> None:
    review.record_grade("s1", "a", q("q_late"), g(1), T0 + timedelta(hours=2))
    review.record_grade("s1", "b", q("q_early"), g(1), T0)
    now = T0 + timedelta(days=1)
    assert review.due_question_ids(now) == ["q_early", "q_late"]
    assert review.due_question_ids(now, limit=1) == ["q_early"]
    assert [c["question_id"] for c in review.due_cards(now, limit=1)] == ["q_early"]
    assert review.due_cards(T0 - timedelta(days=1)) == []


def test_second_session_updates_card_and_history() -> None:
    review.record_grade("s1", "t1", q(), g(2), T0)
    review.record_grade("s2", "t1", q(), g(9.5), T0 + timedelta(days=1))
    card = review.list_cards()[0]
    assert [h["rating"] for h in card["rating_history"]] == ["Again", "Easy"]
    assert card["last_score"] == 9.5
    assert review.recent_scores()["q1"] == 9.5


def test_corrupt_db_raises_store_error_and_keeps_file() -> None:
    path = config.review_db()
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError) as err:
        review.list_cards()
    assert "损坏" in str(err.value) and err.value.hint and "mv" in err.value.hint
    assert path.read_bytes().startswith(b"this is not sqlite")  # never silently recreated


def test_locked_db_raises_store_error(monkeypatch: pytest.MonkeyPatch) -> None:
    review.list_cards()  # create
    holder = sqlite3.connect(config.review_db(), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: real_connect(*a, **{**k, "timeout": 0.05}))
    try:
        with pytest.raises(StoreError) as err:
            review.record_grade("s", "t", q(), g(5), T0)
        assert "占用" in str(err.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_weak_weights_prefer_weak_categories_and_due_cards() -> None:
    weak, strong, new, due = q("w", "A"), q("s", "B"), q("n", "C"), q("d", "B")
    review.record_grade("s1", "1", weak, g(1), T0)
    review.record_grade("s1", "2", strong, g(10), T0)
    review.record_grade("s1", "3", due, g(10), T0 - timedelta(days=60))
    now = T0 + timedelta(hours=2)
    w = review.weak_weights([weak, strong, new, due], now)
    assert w["w"] > w["n"] > w["s"]
    assert w["d"] == pytest.approx(2 * w["s"])  # same category and score, but due now
    assert w["s"] == pytest.approx(1.0)
    assert w["w"] == pytest.approx(2.8 * 1.9 * 2)  # category avg 1, failed, due again after its short step


def test_drill_retry_reviews_the_original_cards() -> None:
    review.record_grade("s1", "1:q1", q(), g(2, ("missing",)), T0)
    retry = q().model_copy(update={"id": "q1#retry", "text": "换个问法"})
    assert review.record_grade("s1", "4:q1#retry", retry, g(8, ("covered",)), T0 + timedelta(minutes=20)) == 2
    cards = review.list_cards()
    assert len(cards) == 1 and cards[0]["question"] == "问题 q1"
    assert [h["rating"] for h in cards[0]["rating_history"]] == ["Again", "Good"]


def test_focus_weak_selection_prefers_weak_category_then_due() -> None:
    """``interview --focus weak``: the selector ranks by these weights after category balance."""
    from graph_fakes import BANK

    from agent.interview.select import choose_next

    by_id = {x.id: x for x in BANK}
    review.record_grade("s", "1", by_id["rlhf-1"], g(9.5), T0)
    review.record_grade("s", "2", by_id["lora-1"], g(1.0), T0)
    review.record_grade("s", "3", by_id["rag-1"], g(8.0), T0 - timedelta(days=90))  # good but long due
    now = T0 + timedelta(days=2)
    weights = review.weak_weights(BANK, now)
    first = choose_next(BANK, [], target_difficulty=2, seed=1, weights=weights)
    assert first is not None and first.id == "lora-1"  # the failed question of the weakest category
    order = sorted(weights, key=lambda qid: -weights[qid])
    assert order.index("rag-1") < order.index("rlhf-1")  # due beats mastered-and-not-due
    assert weights["lora-2"] > weights["rlhf-2"]  # never asked, but its category is weak
