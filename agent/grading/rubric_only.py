"""Grading without reference points: the STAR rubric for project questions, relevance + substance otherwise.

Project questions (``kind == "project"``) are checked for five STAR-style rubric points — 背景 / 目标 / 做法 /
结果 / 反思 — by cue words in each answer sentence (:data:`agent.grading.rubric.STAR`, ids ``rubric:star#<i>``). Score = coverage of the five
points mapped into the rubric's bands, scaled down when the answer is not about the question.

With ``no_reference`` (the relevance gate found nothing) and no points, the grade is rubric-only: relevance of
the answer to the question (calibrated e5 cosine + question-word overlap) times substance (how many content
words / explanatory sentences). No reference point is invented; the feedback says no reference was found.
"""

from __future__ import annotations

import re

from agent.grading import text as tx
from agent.grading.features import relevance
from agent.grading.feedback import EMPTY_NOTE, INJECTION_NOTE, feedback_text
from agent.grading.rubric import STAR, coverage, score_bounds, star_points
from agent.schemas import GradeOutput, GradeRequest, PointVerdict, Status


def _clean_sentences(req: GradeRequest) -> tuple[list[tuple[int, int]], bool]:
    spans = tx.sentence_spans(req.answer)
    clean = [(s, e) for s, e in spans if not tx.is_injection(req.answer[s:e])]
    return clean, len(clean) < len(spans)


def _substance(texts: list[str]) -> float:
    """0..1: enough content words and at least a couple of explanatory sentences."""
    tokens = {t for s in texts for t in tx.content_tokens(s)}
    return min(1.0, len(tokens) / 25.0) * (0.6 if tx.looks_like_keyword_list(" ".join(texts)) else 1.0)


def _relevance(req: GradeRequest, texts: list[str]) -> float:
    q_tokens = set(tx.content_tokens(req.question))
    lexical = max((tx.overlap(tx.content_tokens(s), q_tokens) for s in texts), default=0.0)
    return min(1.0, 0.7 * relevance(req.question, texts) + 0.6 * lexical)


def grade_rubric_only(req: GradeRequest) -> GradeOutput:
    spans, injected = _clean_sentences(req)
    texts = [req.answer[s:e] for s, e in spans]
    notes = [INJECTION_NOTE] if injected else []
    if req.kind == "project":
        return _grade_star(req, spans, texts, notes)
    if not texts:
        return GradeOutput(feedback=EMPTY_NOTE if not injected else INJECTION_NOTE, score=0.0)
    rel, sub = _relevance(req, texts), _substance(texts)
    score = round(10.0 * min(1.0, rel * 1.15) * sub, 1)
    notes.insert(0, "知识库中没有找到这道题的参考资料，本次按评分标准（切题程度 + 内容充实度）打分，仅供参考。")
    if rel < 0.35:
        notes.append("回答与题目关系不大。")
    return GradeOutput(feedback=feedback_text([], [], notes), score=min(10.0, score))


def _star_points(req: GradeRequest) -> list[tuple[str, str, str | None]]:
    """(point, chunk_id, cue regex) — the request's own STAR points when given (the graph passes them), else ours."""
    out: list[tuple[str, str, str | None]] = []
    for rp in req.reference_points or star_points():
        cue = next((c for key, _, c in STAR if key in rp.point[:6]), None)
        out.append((rp.point, rp.chunk_id, cue))
    return out


def _star_hit(point: str, cue: str | None, spans: list[tuple[int, int]], texts: list[str]) -> tuple[int, int] | None:
    if cue is not None:
        pattern = re.compile(cue, re.IGNORECASE)
        hits = [span for span, t in zip(spans, texts, strict=True) if pattern.search(t)]
    else:
        p_tokens = tx.content_tokens(point)
        hits = [span for span, t in zip(spans, texts, strict=True) if tx.overlap(tx.content_tokens(t), p_tokens) >= 0.4]
    return max(hits, key=lambda se: se[1] - se[0], default=None)


def _grade_star(req: GradeRequest, spans: list[tuple[int, int]], texts: list[str], notes: list[str]) -> GradeOutput:
    verdicts: list[PointVerdict] = []
    for point, chunk_id, cue in _star_points(req):
        best = _star_hit(point, cue, spans, texts)
        quote = req.answer[best[0] : best[1]] if best else ""
        status: Status = "missing" if best is None else ("covered" if best[1] - best[0] >= 12 else "partial")
        verdicts.append(PointVerdict(point=point, chunk_id=chunk_id, quote=quote, status=status))
    if not texts:
        return GradeOutput(points=verdicts, feedback=feedback_text(verdicts, [], notes or [EMPTY_NOTE]), score=0.0)
    graded = GradeOutput(points=verdicts, score=0.0)
    lo, hi = score_bounds(graded)
    rel = _relevance(req, texts)
    raw = 10.0 * coverage(graded) * min(1.0, 0.4 + rel) * min(1.0, 0.5 + _substance(texts))
    score = round(min(hi, max(lo if rel >= 0.35 else 0.0, raw)), 1)
    model = "按 STAR 组织：" + "；".join(v.point for v in verdicts) + "。"
    return GradeOutput(points=verdicts, feedback=feedback_text(verdicts, [], notes), model_answer=model, score=score)
