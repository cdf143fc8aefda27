"""The LLM engine: structured grading through function calling, a critic for failed checks, phrased follow-ups.

Happy path per answered question: one grading call, plus one call to phrase a follow-up when a point is
missing — at most two. The critic is called only when the deterministic check fails. Every call goes through a
:class:`~agent.llm.faults.CallGuard` (bounded retries, Retry-After, circuit breaker; policy in :mod:`agent.llm.client`).
A call that is given up (timeout, HTTP error, malformed or schema-violating output) falls back to the offline
engine for that call and is marked on the grade (``engine="offline-fallback"`` plus a notice naming the
failure); the session never crashes.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from agent.engines.base import Engine, FollowUpPlan, offline_fallback
from agent.engines.offline import OfflineEngine, complete_grade
from agent.llm.faults import CallGuard, LLMUnavailable, RetryPolicy
from agent.llm.prompts import escape_data, load_prompt, prompt_versions
from agent.schemas import DraftedPoints, EngineInfo, GradeOutput, GradeRequest, Question

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.config import LLMSettings

log = logging.getLogger(__name__)
S = TypeVar("S", bound=BaseModel)
FALLBACK_NOTICE = "大模型调用失败（{error}），本题已改用离线评分"
SKIPPED_NOTICE = "大模型暂不可用（最近连续失败：{error}），本题直接使用离线评分"


class LLMEngine:
    name = "llm"

    def __init__(self, model: BaseChatModel, fallback: Engine | None = None, model_name: str = "",
                 policy: RetryPolicy | None = None, settings: LLMSettings | None = None) -> None:
        """``policy`` None = one attempt per call (injected test models); :meth:`from_settings` uses the config."""
        self.model = model
        self.fallback: Engine = fallback or OfflineEngine()
        self.model_name = model_name or str(getattr(model, "model_name", "") or "")
        self.guard = CallGuard(policy)
        self.settings = settings

    @classmethod
    def from_settings(cls) -> LLMEngine:
        from agent.config import llm_settings
        from agent.llm.client import chat_model

        settings = llm_settings()
        return cls(chat_model(settings), model_name=settings.model, policy=RetryPolicy.from_settings(settings),
                   settings=settings)

    def preflight(self) -> None:
        """Reject a wrong key / unreachable endpoint before a session starts (no-op for injected models)."""
        if self.settings is not None:
            from agent.llm.client import preflight

            preflight(self.settings)

    def info(self) -> EngineInfo:
        return EngineInfo(kind="llm", model=self.model_name, prompt_versions=prompt_versions())

    # ------------------------------------------------------------------ grade
    def grade(self, req: GradeRequest) -> GradeOutput:
        messages = load_prompt("grade").messages(
            question=req.question,
            kind="项目经历题，按 STAR 评分" if req.kind == "project" else "知识题",
            reference_points=_points_block(req),
            answer=escape_data(req.answer),
            critique=f"\n上一次评分未通过校验，请修正：\n{req.critique}\n" if req.critique else "",
            rubric_note=_rubric_note(req),
        )
        try:
            out = self._structured_call(GradeOutput, messages, "模型没有返回结构化评分")
        except LLMUnavailable as exc:  # retries exhausted / not retryable / breaker open
            template = SKIPPED_NOTICE if exc.skipped else FALLBACK_NOTICE
            notice = template.format(error=exc.reason)
            log.warning("LLM grade given up: %s", notice)
            return offline_fallback(self.fallback.grade(req), notice)
        return complete_grade(req, out)

    # ------------------------------------------------------------------ critic
    def critique(self, req: GradeRequest, grade: GradeOutput, problems: list[str]) -> str:
        messages = load_prompt("critique").messages(
            question=req.question,
            reference_points=_points_block(req),
            answer=escape_data(req.answer),
            grade=json.dumps(grade.model_dump(mode="json"), ensure_ascii=False),
            problems="\n".join(f"- {p}" for p in problems),
        )
        text = self._text_call(messages, "critic")
        return text or self.fallback.critique(req, grade, problems)

    # ------------------------------------------------------------------ follow-up
    def follow_up(self, question: Question, plan: FollowUpPlan) -> str:
        if plan.target is None:
            return plan.bank_text or ""
        messages = load_prompt("followup").messages(
            question=question.text,
            point=plan.target.point,
            status="部分提到" if plan.status == "partial" else "没有提到",
            answer=escape_data(plan.answer),
        )
        text = self._text_call(messages, "follow-up").strip()
        return text.splitlines()[0].strip() if text else self.fallback.follow_up(question, plan)

    # ------------------------------------------------------------------ drafted points
    def draft_points(self, question: Question, notes: str) -> list[str]:
        """3–5 reference points for a question the notes don't answer; [] when the call is given up."""
        messages = load_prompt("draft_points").messages(
            question=question.text, category=question.category, notes=escape_data(notes))
        try:
            out = self._structured_call(DraftedPoints, messages, "模型没有返回结构化要点")
        except LLMUnavailable as exc:
            log.warning("LLM point drafting given up: %s", exc.reason)
            return []
        return [p.strip() for p in out.points if p.strip()][:5]

    def _structured_call(self, schema: type[S], messages: Any, malformed: str, *, method: str = "function_calling",
                         usage: dict[str, int] | None = None) -> S:
        """One structured call under the guard (function calling, or ``method="json_schema"``); output that is not
        ``schema`` counts as malformed (retried). With ``usage`` the raw reply is asked for too and its token
        counts are put there (``prompt_tokens`` / ``completion_tokens``)."""
        options: dict[str, Any] = {"method": method}
        if usage is not None:
            options["include_raw"] = True
        structured = self.model.with_structured_output(schema, **options)

        def call() -> S:
            raw = structured.invoke(messages)
            out: Any = raw
            meta = None
            if usage is not None and isinstance(raw, dict):  # include_raw: {"raw", "parsed", ...}
                out, meta = raw.get("parsed"), getattr(raw.get("raw"), "usage_metadata", None)
            if not isinstance(out, schema):
                raise ValueError(malformed)
            if meta and usage is not None:
                usage.update(prompt_tokens=int(meta.get("input_tokens", 0)),
                             completion_tokens=int(meta.get("output_tokens", 0)))
            return out

        return self.guard.call(call)

    def _text_call(self, messages: Any, what: str) -> str:
        """A plain-text call under the guard; "" when given up (the caller uses the offline result)."""
        try:
            return self.guard.call(lambda: _text(self.model.invoke(messages)))
        except LLMUnavailable as exc:
            log.warning("LLM %s given up: %s", what, exc.reason)
            return ""


def _points_block(req: GradeRequest) -> str:
    if not req.reference_points:
        return "（无：知识库中没有找到参考资料，请只按评分标准评分，points 留空）"
    return "\n".join(f"- {p.point} | {p.chunk_id}" for p in req.reference_points)


def _rubric_note(req: GradeRequest) -> str:
    if req.kind == "project":
        return "这是项目经历题：参考要点是 STAR 结构（背景/目标/做法/结果/反思），分数按结构完整度与深度给 0–10。"
    if req.no_reference:
        return "本题没有参考资料：points 留空，只按评分标准整体打分，并在 feedback 中说明没有参考资料。"
    return ""


def _text(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):
        return "".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    return str(content or "")
