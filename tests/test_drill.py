"""Drill planning: topic matching, weakest-first order, one retry per failed point, study hints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.errors import UsageError
from agent.practice import drill, review
from agent.schemas import Grade, PointVerdict, Question, Source, Turn

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def Q(qid: str, cat: str, text: str, points: tuple[str, ...] = (), followups: tuple[str, ...] = ()) -> Question:
    return Question(
        id=qid, text=text, category=cat, section="节", difficulty=2, reference_points=list(points),
        followups=list(followups), sources=[Source(file="notes.md", section="RLHF 核心流程", lines=(5, 9))],
    )


BANK = [
    Q("r1", "RLHF 对齐", "RLHF 的三个阶段是什么", ("SFT 监督微调", "奖励模型 RM", "PPO 强化学习")),
    Q("r2", "RLHF 对齐", "PPO 中 KL 惩罚的作用", ("KL 惩罚 防止 策略 偏离",), ("β 过大会怎样？",)),
    Q("r3", "RLHF 对齐", "DPO 和 PPO 的区别", ("DPO 直接 偏好 优化", "无需 奖励模型 RM")),
    Q("r4", "RLHF 对齐", "奖励模型 RM 如何训练", ("奖励模型 RM 用 成对 偏好数据", "Bradley-Terry 损失")),
    Q("p1", "位置编码", "RoPE 的原理", ("旋转 位置编码",)),
    Q("p2", "位置编码", "绝对位置编码有哪些", ("正弦 位置编码",)),
    Q("f1", "微调", "如何构造偏好数据", ("chosen rejected 成对",)),
]


class FakeRetriever:
    def __init__(self, ids: list[str], low: tuple[str, ...] = ()) -> None:
        self.ids, self.low = ids, low
        self.calls: list[tuple[str, int]] = []

    def search_questions(self, query: str, k: int) -> list[dict[str, object]]:
        self.calls.append((query, k))
        return [{"id": i, "score": 0.2 if i in self.low else 0.9} for i in self.ids[:k]]


def test_category_topic_selects_only_that_category() -> None:
    retriever = FakeRetriever(["p1"])
    got = drill.topic_questions("rlhf", BANK, retriever)
    assert {q.category for q in got} == {"RLHF 对齐"} and len(got) == 4
    assert drill.topic_tiers("rlhf", BANK)[0] == [BANK[0]]  # mentions the topic
    assert retriever.calls == []  # a category match never mixes in retrieval hits


def test_free_text_topic_uses_text_then_retrieval() -> None:
    got = drill.topic_questions("RoPE", BANK, FakeRetriever(["p2", "p1", "nope"]))
    assert [q.id for q in got] == ["p1", "p2"]
    got = drill.topic_questions("偏好数据", BANK)
    assert [q.id for q in got] == ["f1", "r4"]  # the question naming the topic first, then one mentioning it


def test_unknown_topic_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="没有与「量子计算」相关"):
        drill.topic_questions("量子计算", BANK, FakeRetriever(["p2"], low=("p2",)))  # below the gate
    with pytest.raises(UsageError):
        drill.topic_questions("  ", BANK)


def test_order_weakest_tiers() -> None:
    qs = [Q(i, "c", i) for i in ("good", "new", "weak", "due", "weaker", "new2")]
    scores = {"good": 9.0, "weak": 5.0, "due": 8.0, "weaker": 2.0}
    order = [q.id for q in drill.order_weakest(qs, scores, due=["due", "good"])]
    assert order == ["weaker", "weak", "new", "new2", "due", "good"]


def test_select_drill_uses_review_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKINT_FSRS_FUZZ", "0")
    review.record_grade("s0", "1", BANK[2], Grade(score=3.0), T0)
    review.record_grade("s0", "2", BANK[0], Grade(score=9.5), T0)
    ids = drill.select_drill("RLHF 对齐", 3, BANK, now=T0 + timedelta(hours=1))
    assert ids == ["r3", "r2", "r4"]  # weak first, then never asked; the mastered r1 last (cut by -n)
    # a topic word inside the category: questions mentioning it come first (r1 says "RLHF")
    assert drill.select_drill("RLHF", 2, BANK, now=T0 + timedelta(hours=1)) == ["r1", "r3"]
    with pytest.raises(UsageError):
        drill.select_drill("RLHF", 0, BANK)


def turn(qid: str, score: float, statuses: tuple[tuple[str, str], ...] = (), kind: str = "main") -> dict:
    points = [{"point": p, "chunk_id": "c", "quote": "", "status": s} for p, s in statuses]
    return {"question_id": qid, "kind": kind, "skipped": False, "grade": {"score": score, "points": points}}


def test_plan_retries_a_failed_question_once_with_a_sibling() -> None:
    base = ["r1", "r2"]
    assert drill.plan_drill(base, [], BANK).ids == ["r1", "r2"]
    turns = [turn("r1", 2.0, (("奖励模型 RM 用成对偏好数据训练", "missing"),))]
    plan = drill.plan_drill(base, turns, BANK)
    # r4 is about the missed point (奖励模型, 成对偏好数据): the same point, asked in a different form, RETRY_GAP questions later
    assert plan.ids == ["r1", "r2", "r4"] and plan.retries == {"r1": "r4"} and plan.extra == []
    turns += [turn("r2", 8.0), turn("r4", 3.0)]
    plan = drill.plan_drill(base, turns, BANK)
    assert plan.ids == ["r1", "r2", "r4"]  # the retry failed too, but is never retried again


def test_plan_uses_a_followup_form_when_no_sibling() -> None:
    bank = [Q("a", "X", "alpha 问题", ("要点一", "要点二"), ("追问：要点一具体怎么做？",)), Q("b", "Y", "beta")]
    turns = [turn("a", 0.0, (("要点一", "missing"), ("要点二", "covered")))]
    plan = drill.plan_drill(["a", "b"], turns, bank)
    assert plan.ids == ["a", "b", "a#retry"]
    retry = plan.extra[0]
    assert retry.id == "a#retry" and retry.text == "追问：要点一具体怎么做？"
    assert retry.reference_points[0] == "要点一"
    # without a note follow-up the retry rephrases around the first missed point
    plain = drill.retry_question(bank[1], ["关键点"])
    assert "关键点" in plain.text and plain.id == "b#retry"
    # asking the retry ends the retrying
    done = drill.plan_drill(["a", "b"], [*turns, turn("b", 9.0), turn("a#retry", 1.0)], bank)
    assert done.ids == ["a", "b", "a#retry"]


def test_plan_is_stable_and_good_answers_need_no_retry() -> None:
    turns = [turn("r1", 5.0), turn("r2", 4.0, (("KL", "partial"),)), turn("r2", 9.0, kind="followup")]
    plan = drill.plan_drill(["r1", "r2", "r3"], turns, BANK)
    assert plan.retries == {}  # r2's follow-up rescued it (best score 9)
    assert plan.ids == ["r1", "r2", "r3"]


def test_study_hint_only_after_weak_answer() -> None:
    grade = Grade(points=[PointVerdict(point="p", chunk_id="c", quote="", status="missing")],
                  model_answer="三个阶段：SFT、RM、PPO", score=3.0)
    q = BANK[0]
    weak = Turn(question_id=q.id, question=q.text, category=q.category, difficulty=2, answer="不会", grade=grade,
                sources=q.sources)
    hint = drill.study_hint(weak)
    assert hint is not None
    assert "参考答案：三个阶段：SFT、RM、PPO" in hint and "去读：notes.md · RLHF 核心流程（第 5–9 行）" in hint
    assert drill.study_hint(weak.model_copy(update={"grade": grade.model_copy(update={"score": 6.0})})) is None
    assert drill.study_hint(weak.model_copy(update={"grade": None})) is None


def test_real_bank_rlhf_drill_asks_alignment_questions_only() -> None:
    from agent.knowledge.bank import load_bank

    bank = load_bank()
    ids = drill.select_drill("RLHF", 50, bank)
    by_id = {q.id: q for q in bank}
    assert len(ids) == len({q.id for q in bank if q.category == "alignment"}) > 10
    assert {by_id[i].category for i in ids} == {"alignment"}
    # questions that say RLHF come first; other topics map to their own categories
    first = drill.topic_tiers("RLHF", bank)[0]
    assert first and set(ids[: len(first)]) == {q.id for q in first}
    assert all("rlhf" in " ".join([q.text, q.section, *q.tags, *q.reference_points]).lower() for q in first)
    assert {by_id[i].category for i in drill.select_drill("RoPE", 5, bank)} == {"position"}
    assert {by_id[i].category for i in drill.select_drill("偏好数据", 5, bank)} <= {"alignment", "sft"}
    # every answer fails: each base question gets exactly one retry, all still RLHF / alignment questions
    base = ids[:5]
    turns = [turn(qid, 0.0, tuple((p, "missing") for p in by_id[qid].reference_points[:2])) for qid in base]
    ids_, bank_plus = drill.drill_selection(base, turns, bank)
    plan = drill.plan_drill(base, turns, bank)
    assert len(ids_) == 10 and len(set(ids_)) == 10 and set(plan.retries) == set(base)
    assert {q.category for q in bank_plus if q.id in ids_} == {"alignment"}
