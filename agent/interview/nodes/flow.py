"""select → ask (interrupt) and follow_up: which question next, the candidate's answer, follow-ups, finalizing.

A question's final score is :func:`agent.grading.rubric.question_score` (``max(main, (main + best_followup) / 2)``),
the one definition the transcript, reports, history and review also use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, cast

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent.engines.base import plan_follow_up
from agent.grading.feedback import model_answer
from agent.grading.rubric import RUBRIC_VERSION, question_score
from agent.interview.answer_store import bounded_answer
from agent.interview.context import Context
from agent.interview.nodes.common import SKIP_WORDS, current_question, now_iso
from agent.interview.nodes.references import bank_points
from agent.interview.select import DEFAULT_DIFFICULTY, adapt_difficulty, choose_next
from agent.interview.state import State, TurnState
from agent.interview.transcript import STATUS_RANK
from agent.schemas import Grade, PointVerdict, Question, QuestionSummary, Reflection, RefPoint, Turn

log = logging.getLogger(__name__)


def select(state: State, runtime: Runtime[Context]) -> Command[Literal["ask", "report"]]:
    ctx = runtime.context
    asked = list(state.get("asked_ids", []))
    bank, preset = _preset(ctx, state)
    limit = len(preset) if preset else ctx.n_questions
    if len(asked) >= limit:
        return Command(goto="report", update={"planned": len(asked)})
    target = state.get("difficulty_now") or ctx.difficulty or DEFAULT_DIFFICULTY
    question = choose_next(
        bank, asked, categories=ctx.categories, target_difficulty=target, seed=state.get("seed", 0),
        preset_ids=preset, weights=_focus_weights(ctx, bank),
    )
    if question is None:
        return Command(goto="report", update={"planned": len(asked)})
    turn = {"kind": "main", "question": question.text, "targets": [], "asked_at": now_iso()}
    return Command(
        goto="ask",
        update={
            "asked_ids": asked + [question.id], "planned": limit, "current": question.model_dump(mode="json"),
            "turn": turn,
            "difficulty_now": target, "followups_asked": 0, "followup_texts": [], "targeted_points": [],
            "point_status": {}, "question_scores": [], "main_points": [], "grade": None, "request": None,
        },
    )


def _preset(ctx: Context, state: State) -> tuple[Sequence[Question], list[str]]:
    """The bank and the preset id list; in drill mode ``agent.practice.drill.drill_selection`` may append retries
    (a pure function of the finished turns, so a resumed session plans the same)."""
    bank = ctx.get_bank()
    preset = list(ctx.question_ids)
    if ctx.mode == "drill" and preset:
        from agent.practice.drill import drill_selection

        preset, bank = drill_selection(preset, state.get("turns", []), bank)
    return bank, preset


def planned_total(ctx: Context, state: State) -> int:
    """Questions planned for the session, drill retries included (as of the last ``select``)."""
    if state.get("planned"):
        return int(state["planned"])
    return len(_preset(ctx, state)[1]) if ctx.question_ids else ctx.n_questions  # checkpoints from older versions


def _counter(ctx: Context, state: State, qid: str) -> dict[str, Any]:
    """``number`` / ``total`` for the question counter. A drill counts its planned questions only: a retry is
    flagged (``retry``) and does not grow the total, so ``drill -n 3`` shows 1/3, 2/3, 重练, 3/3."""
    asked = list(state.get("asked_ids", []))
    if ctx.mode == "drill" and ctx.question_ids:
        base = set(ctx.question_ids)
        return {"number": sum(1 for a in asked if a in base), "total": len(ctx.question_ids),
                "retry": qid not in base}
    return {"number": len(asked), "total": planned_total(ctx, state), "retry": False}


def _focus_weights(ctx: Context, bank: Sequence[Question]) -> dict[str, float] | None:
    if ctx.focus != "weak":
        return None
    from agent.practice.review import weak_weights

    return weak_weights(bank)


def ask(state: State, runtime: Runtime[Context]) -> Command[Literal["retrieve", "follow_up"]]:
    """Pause for the answer. Everything before ``interrupt`` is idempotent (the node re-runs on resume)."""
    ctx = runtime.context
    question = state["current"] or {}
    turn: TurnState = {**(state["turn"] or {})}
    payload = {
        "question": turn["question"], "question_id": question["id"], "category": question["category"],
        "difficulty": question["difficulty"], "kind": turn["kind"], "main_question": question["text"],
        **_counter(ctx, state, question["id"]),
        "followup": state.get("followups_asked", 0), "max_followups": ctx.max_followups,
    }
    raw = interrupt(payload)
    if isinstance(raw, dict) and "bounded_answer" in raw:  # a long answer, already cut and stashed by the session
        given = dict(raw["bounded_answer"])
    else:
        given = bounded_answer(state.get("session_id", ""), str(raw) if raw is not None else "", ctx.max_answer_chars)
    skipped = given["answer"].strip().lower() in SKIP_WORDS
    if skipped:
        given = {"answer": "", "input_notices": []}
    turn.update(cast(TurnState, given))  # answer, input_notices (+ answer_file, answer_chars when cut)
    turn["skipped"], turn["answered_at"] = skipped, now_iso()
    if not skipped:
        return Command(goto="retrieve", update={"turn": turn})
    targets = [RefPoint.model_validate(t) for t in turn.get("targets", [])]
    skip = skip_grade(current_question(dict(state)), ctx.get_engine().name,
                      targets if turn["kind"] == "followup" else None)
    return Command(
        goto="follow_up",
        update={"turn": turn, "grade": skip.model_dump(mode="json"), "request": None, "grade_attempts": 0,
                "reflection": Reflection(attempts=0).model_dump(mode="json")},
    )


def skip_grade(question: Question, engine: str, targets: list[RefPoint] | None = None) -> Grade:
    """Score 0 with every point missing: the question's points, or a skipped follow-up's targeted ones."""
    points = bank_points(question) if targets is None else targets
    verdicts = [PointVerdict(point=p.point, chunk_id=p.chunk_id, quote="", status="missing") for p in points]
    feedback = ("本题已跳过，记 0 分。建议复习参考答案要点。" if targets is None
                else "已跳过这个追问（不影响主问题的得分）。")
    return Grade(
        points=verdicts, feedback=feedback, model_answer=model_answer([p.point for p in points]), score=0.0,
        rubric_version=RUBRIC_VERSION, engine=engine,
    )


def follow_up(state: State, runtime: Runtime[Context]) -> Command[Literal["ask", "select"]]:
    """Record the finished turn; ask a follow-up on an open point, or finalize the question."""
    ctx = runtime.context
    question = current_question(dict(state))
    turn = state["turn"] or {}
    grade = Grade.model_validate(state["grade"])
    finished = Turn(
        question_id=question.id, question=turn["question"], category=question.category,
        difficulty=question.difficulty, kind=turn["kind"], answer=turn.get("answer", ""),
        skipped=turn.get("skipped", False), grade=grade,
        reflection=Reflection.model_validate(state.get("reflection") or {}), asked_at=turn.get("asked_at", ""),
        answered_at=turn.get("answered_at", ""), sources=question.sources,
    )
    status = merge_status(state.get("point_status", {}), grade.points)
    scores = list(state.get("question_scores", [])) + [grade.score]
    asked_texts = list(state.get("followup_texts", []))
    common: dict[str, Any] = {"turns": [finished.model_dump(mode="json")], "point_status": status,
                              "question_scores": scores}
    if turn.get("answer_file"):  # the transcript puts the full text of this turn's answer back
        common["answer_files"] = {str(len(state.get("turns", []))): turn["answer_file"]}

    text, targets = "", []
    if not turn.get("skipped") and state.get("followups_asked", 0) < ctx.max_followups:
        main_points = [RefPoint.model_validate(p) for p in state.get("main_points", [])]
        plan = plan_follow_up(
            question, main_points, status, list(state.get("targeted_points", [])), asked_texts, finished.answer
        )
        if plan is not None:
            text = ctx.get_engine().follow_up(question, plan).strip()
            targets = list(plan.group) or ([plan.target] if plan.target else [])
    if text and text not in asked_texts:
        next_turn = {"kind": "followup", "question": text, "asked_at": now_iso(),
                     "targets": [t.model_dump() for t in targets]}
        targeted = list(state.get("targeted_points", [])) + [t.point for t in targets]
        return Command(goto="ask", update={
            **common, "turn": next_turn, "followups_asked": state.get("followups_asked", 0) + 1,
            "followup_texts": asked_texts + [text], "targeted_points": targeted,
        })

    final = question_score(scores)
    summary = QuestionSummary(question_id=question.id, question=question.text, category=question.category,
                              score=final, followups=state.get("followups_asked", 0))
    if ctx.record_review:
        _record_review(state, question, grade if finished.kind == "main" else None, status, final)
    return Command(goto="select", update={
        **common, "results": [summary.model_dump(mode="json")], "turn": None,
        "difficulty_now": adapt_difficulty(state.get("difficulty_now") or DEFAULT_DIFFICULTY, final),
    })


def merge_status(previous: dict[str, str], verdicts: list[PointVerdict]) -> dict[str, str]:
    merged = dict(previous)
    for v in verdicts:
        if STATUS_RANK[v.status] >= STATUS_RANK.get(merged.get(v.point, "missing"), 0):
            merged[v.point] = v.status
    return merged


def _record_review(state: State, question: Question, main_grade: Grade | None, status: dict[str, str],
                   final: float) -> None:
    """Update the FSRS cards in the same step that finalizes the question (idempotent per turn key)."""
    from agent.practice.review import record_grade

    if main_grade is None:
        main_grade = _main_grade(state, question.id)
    points = [PointVerdict(point=p, chunk_id="", quote="", status=s) for p, s in status.items()]  # type: ignore[arg-type]
    merged = main_grade.model_copy(update={"score": final, "points": points})
    turn_key = f"{len(state.get('asked_ids', []))}:{question.id}"
    record_grade(state.get("session_id", ""), turn_key, question, merged, datetime.now(UTC))


def _main_grade(state: State, question_id: str) -> Grade:
    for turn in reversed(state.get("turns", [])):
        if turn.get("question_id") == question_id and turn.get("kind") == "main" and turn.get("grade"):
            return Grade.model_validate(turn["grade"])
    return Grade(score=0.0)
