"""retrieve → grade → reflect: reference points, the engine's grade, the deterministic check and bounded retries."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.engines.base import offline_fallback
from agent.grading.drafted import GENERATED_NOTICE, drafted_points
from agent.grading.evidence import evidence_problems
from agent.grading.rubric import RUBRIC_VERSION, check_grade
from agent.interview.context import Context
from agent.interview.nodes.common import current_question
from agent.interview.nodes.references import NO_ANSWER_NOTICE, build_request, is_reading_notice
from agent.interview.nodes.self_rate import wants_self_rating
from agent.interview.state import State
from agent.schemas import Grade, GradeOutput, GradeRequest, Reflection

UNVERIFIED_FALLBACK = "大模型评分 {n} 次未通过校验，本题改用离线评分"
OFFLINE_COVERAGE_ONLY = "离线评分：只核对要点覆盖，未核对事实对错（需要核对事实请用 --engine llm 或 --engine local）"


def retrieve(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    question = current_question(dict(state))
    request, ids, notices = build_request(
        question, state["turn"] or {}, ctx.get_retriever, ctx.retrieval_k, ctx.max_answer_chars
    )
    if request.no_reference and request.kind == "knowledge" and (state["turn"] or {}).get("kind") == "main":
        # LLM / local engines draft points for a question the notes don't answer (cached; offline: none)
        drafted = drafted_points(ctx.get_engine(), question, "\n".join(n for n in notices if is_reading_notice(n)))
        if drafted:
            request = request.model_copy(update={"reference_points": drafted, "no_reference": False})
            ids = sorted(set(ids) | {p.chunk_id for p in drafted})
            notices = [GENERATED_NOTICE.format(qid=question.id), *(n for n in notices if n != NO_ANSWER_NOTICE)]
    update: dict[str, Any] = {
        "request": request.model_dump(mode="json"),
        "retrieved_ids": ids,
        "notices": notices + [n for n in (state["turn"] or {}).get("input_notices", []) if n not in notices],
        "grade_attempts": 0,
        "critique": None,
        "grade": None,
        "problems": [],
    }
    if (state["turn"] or {}).get("kind") == "main":
        update["main_points"] = [p.model_dump() for p in request.reference_points]
    return update


def grade(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    engine = runtime.context.get_engine()
    request = GradeRequest.model_validate(state["request"])
    if state.get("critique"):
        request = request.model_copy(update={"critique": state["critique"]})
    out = engine.grade(request)
    stored = to_grade(out, engine.name, request, state.get("notices", []))
    return {"grade": stored.model_dump(mode="json"), "grade_attempts": state.get("grade_attempts", 0) + 1}


def to_grade(out: GradeOutput, engine_name: str, request: GradeRequest, notices: list[str]) -> Grade:
    own_notices = Grade.notices_of(out)
    label = out.engine if isinstance(out, Grade) and out.engine else engine_name
    return Grade.from_output(
        out,
        rubric_version=RUBRIC_VERSION,
        engine=label,
        no_reference=request.no_reference,
        notices=_coverage_only(label, request) + list(notices) + [n for n in own_notices if n not in notices],
        fact_check=out.fact_check if isinstance(out, Grade) else None,
        feedback=_with_no_reference_note(out.feedback) if request.no_reference else None,
    )


def _coverage_only(engine_label: str, request: GradeRequest) -> list[str]:
    """The offline grader matches words and meaning against the points; it cannot tell a fluent wrong claim from a
    right one beyond its negation / direction checks, so its knowledge grades say so."""
    offline = engine_label.startswith("offline")
    return [OFFLINE_COVERAGE_ONLY] if offline and request.kind == "knowledge" and request.reference_points else []


def _with_no_reference_note(feedback: str) -> str:
    note = "（笔记里没有这道题的参考答案，本题只按切题程度和内容量粗评，未核对事实）"
    said = ("没有这道题的参考答案", "没有找到这道题的参考资料")  # the rubric-only grader's own wording counts
    return feedback if any(text in feedback for text in said) else (note + feedback)


def reflect(state: State, runtime: Runtime[Context]) -> Command[Literal["grade", "self_rate", "follow_up"]]:
    """Check the grade; re-grade with a critique while retries remain, else accept it (maybe unverified)."""
    ctx = runtime.context
    request = GradeRequest.model_validate(state["request"])
    current = Grade.model_validate(state["grade"])
    problems = check_grade(request, current, set(state.get("retrieved_ids", [])))
    if current.engine == "llm":  # a model's quotes must support its statuses (prompt injection, fabrication)
        problems += evidence_problems(request, current)
    seen = list(state.get("problems", []))
    attempts = state.get("grade_attempts", 1)
    if problems and attempts <= ctx.max_grade_retries:
        critique = ctx.get_engine().critique(request, current, problems)
        return Command(goto="grade", update={"critique": critique, "problems": seen + problems})
    reflection = Reflection(attempts=attempts, verified=not problems, problems=seen + problems)
    update: dict[str, Any] = {"reflection": reflection.model_dump(mode="json")}
    fallback = getattr(ctx.get_engine(), "fallback", None)
    if problems and current.engine == "llm" and fallback is not None:  # never keep a model grade that failed
        notice = UNVERIFIED_FALLBACK.format(n=attempts)
        safe = to_grade(offline_fallback(fallback.grade(request), notice), "offline-fallback", request,
                        state.get("notices", []))
        update["grade"] = safe.model_dump(mode="json")
        current = safe
    return Command(goto="self_rate" if wants_self_rating(state, ctx, current) else "follow_up", update=update)
