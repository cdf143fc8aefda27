"""The offline engine: deterministic grading by :func:`agent.grading.offline.grade_offline`, Chinese templates
for feedback, follow-ups and critiques. No network, same input → same output."""

from __future__ import annotations

from collections.abc import Callable

from agent.engines.base import FollowUpPlan, followup_topic
from agent.engines.repair import repair_grade
from agent.grading.feedback import EMPTY_NOTE, feedback_text, model_answer
from agent.schemas import EngineInfo, GradeOutput, GradeRequest, Question

Grader = Callable[[GradeRequest], GradeOutput]

FOLLOWUP_MISSING = (
    "关于「{point}」，你刚才没有讲到，能具体说说吗？",
    "「{point}」这部分你是怎么理解的？可以结合一个例子说明。",
    "再补充一点：「{point}」这方面你会怎么回答？",
)
FOLLOWUP_PARTIAL = (
    "「{point}」这部分你讲得不完整，能再展开说说吗？",
    "你提到了「{point}」，但细节还不够，能具体讲讲吗？",
)
FOLLOWUP_UNNAMED = (  # when naming the point would give it away: ask for it without naming it
    "这道题还有一个关键点你没有讲到，能再想想、补充一下吗？",
    "除了你刚才说的，还有什么重要的方面？可以结合一个例子说明。",
)
FOLLOWUP_UNNAMED_PARTIAL = (
    "你的回答方向对，但还有一处讲得不完整，能再展开说说其中的原理或细节吗？",
    "能把刚才讲得比较简略的部分再具体讲讲吗？",
)


def _default_grader() -> Grader:
    from agent.grading.offline import grade_offline

    return grade_offline


class OfflineEngine:
    name = "offline"

    def __init__(self, grader: Grader | None = None) -> None:
        self._grader = grader

    def info(self) -> EngineInfo:
        return EngineInfo(kind="offline")

    def grade(self, req: GradeRequest) -> GradeOutput:
        if self._grader is None:
            self._grader = _default_grader()
        out = self._grader(req)
        if req.critique:  # a re-grade after a failed check: keep only the evidence that holds
            out = repair_grade(req, out)
        return complete_grade(req, out)

    def critique(self, req: GradeRequest, grade: GradeOutput, problems: list[str]) -> str:
        return "上一次评分未通过校验：" + "；".join(problems)

    def follow_up(self, question: Question, plan: FollowUpPlan) -> str:
        if plan.target is None:
            return plan.bank_text or ""
        topic = followup_topic(plan.target.point, question.text)
        if topic is None:
            unnamed = FOLLOWUP_UNNAMED_PARTIAL if plan.status == "partial" else FOLLOWUP_UNNAMED
            return unnamed[plan.index % len(unnamed)]
        templates = FOLLOWUP_PARTIAL if plan.status == "partial" else FOLLOWUP_MISSING
        return templates[plan.index % len(templates)].format(point=topic)


NO_REFERENCE_NOTE = "知识库中没有找到这道题的参考资料，本次仅按评分标准粗评。"


def complete_grade(req: GradeRequest, out: GradeOutput) -> GradeOutput:
    """Fill an empty feedback / model answer from the offline grader's templates (:mod:`agent.grading.feedback`;
    the grader's own text wins when present)."""
    update: dict[str, str] = {}
    if not out.feedback:
        if not req.answer.strip():
            update["feedback"] = EMPTY_NOTE
        else:
            prefix = NO_REFERENCE_NOTE if req.no_reference else ""
            update["feedback"] = prefix + feedback_text(out.points, out.errors, [])
    if not out.model_answer and req.reference_points:
        update["model_answer"] = model_answer([p.point for p in req.reference_points])
    return out.model_copy(update=update) if update else out
