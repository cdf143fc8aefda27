"""Deterministic repair of a grade that failed the rubric check (used by the offline engine's re-grade).

The repaired grade keeps only evidence that exists: quotes not found verbatim in the answer are dropped (the
point becomes ``missing``), unknown chunk ids are mapped back to the request's points, and the score is clamped
into the rubric's bounds for the resulting statuses.
"""

from __future__ import annotations

from agent.grading.rubric import score_bounds
from agent.schemas import GradeOutput, GradeRequest, PointVerdict


def repair_grade(req: GradeRequest, grade: GradeOutput) -> GradeOutput:
    answer = req.answer
    empty = not answer.strip()
    by_point = {p.point: p.chunk_id for p in req.reference_points}
    known = set(by_point.values())
    points: list[PointVerdict] = []
    for v in grade.points:
        quote, status = v.quote, v.status
        if empty or (quote and quote not in answer):
            quote, status = "", "missing"
        if status != "missing" and not quote:
            status = "missing"
        chunk_id = v.chunk_id
        if known and chunk_id not in known:
            chunk_id = by_point.get(v.point) or next(iter(sorted(known)))
        points.append(PointVerdict(point=v.point, chunk_id=chunk_id, quote=quote, status=status))
    repaired = grade.model_copy(update={"points": points})
    score = 0.0 if empty else grade.score
    if req.reference_points and not req.no_reference and req.kind == "knowledge":
        lo, hi = score_bounds(repaired)
        score = min(max(score, lo), hi)
    return repaired.model_copy(update={"score": round(score, 1)})
