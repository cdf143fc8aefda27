"""Hybrid grading (``--engine local``): offline evidence first, then a small model checks only the facts.

1. The offline grader runs first (quotes, coverage, score); that grade exists before the model is called, so a
   model that fails or is killed costs nothing but the check (the offline grade is kept, marked).
2. The model is asked only what the offline grader cannot answer: for each point the offline grader found
   (covered / partial), is the candidate's claim *correct*, or does it swap two things' roles, negate the point,
   or state something else wrong? One compact JSON-schema call (``response_format``; no tools needed), reasons
   and the verbatim quote before each verdict.
3. A verdict other than ``correct`` changes the grade only when its quote is a verbatim span of the answer
   (checked here, like reflection checks every quote): the point becomes ``missing``, the error is listed, and
   the score is the offline score limited to the rubric's bounds for the new statuses (a central error caps it).
   The model can only lower a grade, never raise it: fluent wrong answers lose their credit, correct answers
   keep theirs. Both grades and both engines are recorded (``Grade.fact_check``).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from agent.engines.base import offline_fallback
from agent.engines.llm import LLMEngine
from agent.grading.feedback import shorten
from agent.grading.rubric import score_bounds
from agent.llm.faults import LLMUnavailable
from agent.llm.prompts import escape_data, load_prompt
from agent.schemas import EngineInfo, FactCheck, Grade, GradeOutput, GradeRequest, PointVerdict, Question

if TYPE_CHECKING:
    from agent.config import LLMSettings

log = logging.getLogger(__name__)
MAX_CHECKS = 4
POINT_CHARS = 70
QUOTE_CHARS = 60
ANSWER_CHARS = 600
CHECK_FAILED = "事实核对未完成（{error}），本题保留离线评分（只核对了要点覆盖）"
WRONG_VERDICTS = ("swapped", "negated", "wrong")
VERDICT_ZH = {"swapped": "说反了对象", "negated": "结论说反", "wrong": "事实错误"}


class PointCheck(BaseModel):
    """One point's fact check. Field order is reasoning order: quote and reason before the verdict."""

    i: int = Field(description="编号")
    quote: str = Field(max_length=60, description="逐字复制的回答原文片段")
    reason: str = Field(max_length=40, description="一句话理由")
    verdict: Literal["correct", "swapped", "negated", "wrong", "unclear"]


class FactCheckOutput(BaseModel):
    checks: list[PointCheck] = Field(default_factory=list, max_length=MAX_CHECKS)


class HybridEngine(LLMEngine):
    """Offline grade + model fact check; follow-ups and critiques go through the model like the LLM engine."""

    name = "local"

    @classmethod
    def from_local(cls) -> HybridEngine:
        from agent.llm.client import chat_model
        from agent.llm.faults import RetryPolicy
        from agent.llm.local import ensure_local_ready

        settings: LLMSettings = ensure_local_ready()
        return cls(chat_model(settings), model_name=settings.model, policy=RetryPolicy.from_settings(settings),
                   settings=settings)

    def info(self) -> EngineInfo:
        out = super().info()
        return out.model_copy(update={"kind": "local", "prompt_versions": {
            **out.prompt_versions, "factcheck": load_prompt("factcheck").version}})

    def draft_points(self, question: Question, notes: str) -> list[str]:
        """No drafted reference points from a small local model: it would grade against its own guesses."""
        return []

    def grade(self, req: GradeRequest) -> GradeOutput:
        offline = self.fallback.grade(req)
        todo = [(i, v) for i, v in enumerate(offline.points) if v.status != "missing" and v.quote]
        if req.kind != "knowledge" or req.no_reference or not req.answer.strip() or not todo:
            return _label(offline, self.model_name, None)
        todo = todo[:MAX_CHECKS]
        _status(f"离线评分 {offline.score:g}/10（覆盖 {len(todo)} 个要点），正在用本地模型核对事实…")
        messages = load_prompt("factcheck").messages(
            question=req.question,
            checks="\n".join(f"{n}. {shorten(v.point, POINT_CHARS)} ⟶ 「{shorten(v.quote, QUOTE_CHARS)}」"
                             for n, (_, v) in enumerate(todo, start=1)),
            answer=escape_data(shorten(req.answer, ANSWER_CHARS)),
        )
        usage: dict[str, int] = {}
        try:
            result = self._structured_call(FactCheckOutput, messages, "模型没有返回有效的事实核对 JSON",
                                           method="json_schema", usage=usage)
        except LLMUnavailable as exc:
            log.warning("fact check given up: %s", exc.reason)
            return offline_fallback(offline, CHECK_FAILED.format(error=exc.reason))
        return apply_checks(req, offline, todo, result, self.model_name, usage)


def apply_checks(req: GradeRequest, offline: GradeOutput, todo: list[tuple[int, PointVerdict]],
                 result: FactCheckOutput, model: str, usage: dict[str, int] | None = None) -> Grade:
    """The offline grade adjusted by the model's verdicts that are backed by a verbatim quote (lower only)."""
    points = list(offline.points)
    errors = list(offline.errors)
    changes: list[dict[str, str]] = []
    rejected = 0
    for check in result.checks:
        if not 1 <= check.i <= len(todo) or check.verdict not in WRONG_VERDICTS:
            continue
        index, verdict = todo[check.i - 1]
        quote = check.quote.strip()
        if not quote or quote not in req.answer:  # a change must be backed by the candidate's own words
            rejected += 1
            continue
        points[index] = verdict.model_copy(update={"status": "missing", "quote": ""})
        errors.append(f"{VERDICT_ZH[check.verdict]}：「{shorten(quote, 40)}」（{shorten(check.reason, 60)}）")
        changes.append({"point": verdict.point, "verdict": check.verdict, "quote": quote, "reason": check.reason})
    adjusted = offline.model_copy(update={"points": points, "errors": errors})
    score = offline.score
    if changes:
        score = round(min(offline.score, score_bounds(adjusted)[1]), 1)  # lower only: the new statuses' upper bound
    adjusted = adjusted.model_copy(update={"score": score})
    fact = FactCheck(engine=f"local:{model}", offline_score=offline.score, score=score, changes=changes,
                     checked=len(todo), rejected_unquoted=rejected, usage=usage or {})
    return _label(adjusted, model, fact)


def _label(out: GradeOutput, model: str, fact: FactCheck | None) -> Grade:
    return Grade.from_output(out, engine="hybrid" if fact is not None else "offline", fact_check=fact)


def _status(text: str) -> None:
    """The offline result at once and "checking facts…" while the model works (a terminal on stderr only)."""
    if sys.stderr.isatty():
        print(text, file=sys.stderr, flush=True)

