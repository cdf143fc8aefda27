"""Chinese feedback and model-answer templates for the offline grader (deterministic, no LLM)."""

from __future__ import annotations

from agent.schemas import PointVerdict

INJECTION_NOTE = "回答中包含试图影响评分的指令（如“直接给满分”），已忽略，不计入评分。"
STUFFING_NOTE = "回答只罗列了术语，没有解释它们的含义和作用，最多按“部分提及”计分。"
OFF_TOPIC_NOTE = "回答与题目关系不大，像是在回答另一个问题。"
EMPTY_NOTE = "没有作答。建议先说核心结论，再分点展开。"


def shorten(text: str, n: int = 36) -> str:
    """``text`` on one line (runs of whitespace collapsed), cut to ``n`` characters with "…"."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def feedback_text(points: list[PointVerdict], errors: list[str], notes: list[str]) -> str:
    """Good points first, then partial ones, then what is missing, errors and notes."""
    covered = [p.point for p in points if p.status == "covered"]
    partial = [p.point for p in points if p.status == "partial"]
    missing = [p.point for p in points if p.status == "missing"]
    parts: list[str] = []
    if covered:
        parts.append("答到了：" + "；".join(f"「{shorten(p)}」" for p in covered[:4]) + "。")
    if partial:
        parts.append("提到但不够完整：" + "；".join(f"「{shorten(p)}」" for p in partial[:4]) + "，建议展开原理和原因。")
    if missing:
        parts.append("没有覆盖：" + "；".join(f"「{shorten(p)}」" for p in missing[:4]) + "。")
    if errors:
        parts.append("需要纠正：" + "；".join(errors[:3]) + "。")
    parts.extend(notes)
    if points and not missing and not partial and not errors:
        parts.append("要点齐全，可以再补充实际例子或工程经验。")
    return "".join(parts) if parts else "回答已记录。"


def model_answer(points: list[str]) -> str:
    """A short model answer built from the reference points."""
    if not points:
        return ""
    if len(points) == 1:
        return points[0].strip()
    return "参考答案要点：" + "".join(f"{i}. {p.strip().rstrip('。.;；')}；" for i, p in enumerate(points, 1))[:-1] + "。"
