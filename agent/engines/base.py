"""The engine protocol shared by the offline and LLM engines, and the follow-up planning both use.

An engine grades one answer, criticises a grade that failed the deterministic check, and phrases a follow-up.
Which point a follow-up targets is decided here (same for both engines); the engine only words it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from agent.schemas import EngineInfo, Grade, GradeOutput, GradeRequest, Question, RefPoint

FOLLOWUP_POINT_CHARS = 60


class Engine(Protocol):
    name: str

    def info(self) -> EngineInfo: ...

    def grade(self, req: GradeRequest) -> GradeOutput:
        """Grade one answer. May return an ``agent.schemas.Grade`` to report its own engine label / notices."""
        ...

    def critique(self, req: GradeRequest, grade: GradeOutput, problems: list[str]) -> str: ...

    def follow_up(self, question: Question, plan: FollowUpPlan) -> str: ...


def offline_fallback(out: GradeOutput, notice: str) -> Grade:
    """The offline grade ``out`` standing in for a model's that was given up or failed its checks: labelled
    ``offline-fallback``, ``notice`` (why) after the grade's own notices. The one fallback grade (the LLM engine's
    given-up call, reflection's rejected model grade)."""
    return Grade.from_output(out, engine="offline-fallback", notices=Grade.notices_of(out) + [notice])


@dataclass(frozen=True)
class FollowUpPlan:
    """What the next follow-up is about: a missing/partial reference point, or a follow-up from the notes."""

    target: RefPoint | None = None
    group: tuple[RefPoint, ...] = ()  # every open point sharing the target's hint (graded together)
    status: str = "missing"  # status of the target point so far
    bank_text: str | None = None  # a 可能追问 / 延伸问题 from the bank (used when no point is targeted)
    index: int = 0  # how many follow-ups were already asked (templates rotate on it)
    answer: str = ""  # the candidate's latest answer (context for an LLM-phrased follow-up)


def plan_follow_up(
    question: Question,
    ref_points: list[RefPoint],
    point_status: dict[str, str],
    targeted: list[str],
    asked_texts: list[str],
    answer: str = "",
) -> FollowUpPlan | None:
    """Next follow-up for ``question``, or ``None`` when every point is covered or nothing new is left.

    Order: the first reference point not yet covered and never targeted (missing before partial), then the
    question's own follow-ups from the notes not yet asked.
    """
    open_points = [p for p in ref_points if point_status.get(p.point, "missing") != "covered"]
    if ref_points and not open_points:
        return None
    index = len(asked_texts)
    candidates = [p for p in open_points if p.point not in targeted]
    candidates.sort(key=lambda p: 0 if point_status.get(p.point, "missing") == "missing" else 1)
    if candidates:
        target = candidates[0]
        status = point_status.get(target.point, "missing")
        hint = point_hint(target.point)
        group = tuple(p for p in candidates if point_hint(p.point) == hint)
        return FollowUpPlan(target=target, group=group, status=status, index=index, answer=answer)
    asked = {t.strip() for t in asked_texts}
    for text in question.followups:
        if text.strip() and text.strip() not in asked:
            return FollowUpPlan(bank_text=text.strip(), index=index, answer=answer)
    return None


def short_point(point: str, limit: int = FOLLOWUP_POINT_CHARS) -> str:
    point = " ".join(point.split()).rstrip("。；;，,.！!")
    return point if len(point) <= limit else point[: limit - 1] + "…"


# labels that say nothing on their own ("关于「定义」") and clause openers that are not a topic ("在推理时")
_EMPTY_LABELS = {"定义", "作用", "原理", "优点", "缺点", "优势", "劣势", "例如", "比如", "注意", "总结", "核心", "关键",
                 "步骤", "方法", "本质", "特点", "区别", "结论", "答案", "要点", "补充", "说明", "备注", "其他", "示例"}
_NOT_A_TOPIC = re.compile(r"^(在|当|如果|若|对于|通过|由于|因为|为了|可以|需要|使用|用)")
_TERM = re.compile(r"[A-Za-z][A-Za-z0-9+\-_.]*[A-Za-z0-9+]|[A-Za-z]")
_PHRASE = re.compile(r"[A-Za-z][A-Za-z0-9+\-_.]*(?: [A-Za-z][A-Za-z0-9+\-_.]*)*")


def followup_topic(point: str, question: str) -> str | None:
    """What a follow-up may name about ``point`` without giving it away, always whole (never cut mid-word):

    * the note's own label before "：" when it is a real topic (``掩码的作用：…`` → ``掩码的作用``; not
      ``定义`` / ``在推理时``), at most 20 characters;
    * else the terms the point shares with the question (naming them reveals nothing the question did not);
    * else None — the follow-up then asks for "the other key point" without naming it.
    """
    text = " ".join(point.split())
    match = re.match(r"^([^:：。；;，,]{2,20})[:：]", text)
    if match:
        label = match.group(1).strip().strip("*").strip()
        if label and label not in _EMPTY_LABELS and not _NOT_A_TOPIC.match(label) and len(label) >= 2:
            return label
    asked = question.casefold()
    shared: list[str] = []
    for phrase in _PHRASE.findall(text):  # "KV Cache" whole when the question says it, else its words
        words = [phrase] if phrase.casefold() in asked else _TERM.findall(phrase)
        shared += [w for w in words if len(w) >= 2 and w.casefold() in asked and w not in shared]
    return "、".join(shared[:2]) or None


def point_hint(point: str, limit: int = 16) -> str:
    """A short topic for a point that does not give its content away: the label before "：" when the note
    has one (``掩码的作用：防止…`` → ``掩码的作用``), else the first clause, at most ``limit`` characters."""
    text = " ".join(point.split())
    match = re.match(r"^([^:：]{1,20})[:：]", text)
    if match and match.group(1).strip():
        return match.group(1).strip()
    clause = re.split(r"[，,；;。、（(]", text, maxsplit=1)[0].strip()
    return clause if len(clause) <= limit else clause[: limit - 1] + "…"
