"""The published scoring rubric (score bands) and the deterministic grade check used by reflection.

Score bands, by coverage c = (covered + 0.5 * partial) / number of reference points:
  all points covered, no error ......... 9-10
  c >= 0.7 (most) ....................... 7-8   (upper bound 9 if no error)
  0.4 <= c < 0.7 (about half) ........... 4-6
  0 < c < 0.4 (one point or so) ......... 1-4
  c == 0 (none / off-topic / empty) ..... 0-2
A central factual error caps the score at 4. Empty answers score 0.
With no reference found (``no_reference``) or for ``project`` questions the bounds are 0-10 (rubric only).
"""

from __future__ import annotations

from agent.schemas import GradeOutput, GradeRequest

RUBRIC_VERSION = "rubric-v1"
ERROR_CAP = 4.0
RUBRIC_CHUNK_PREFIX = "rubric:"  # ids of rubric points (e.g. STAR for projects): not retrieved chunks


def coverage(grade: GradeOutput) -> float:
    if not grade.points:
        return 0.0
    value = sum(1.0 if p.status == "covered" else 0.5 if p.status == "partial" else 0.0 for p in grade.points)
    return value / len(grade.points)


def score_bounds(grade: GradeOutput) -> tuple[float, float]:
    """The (low, high) scores the rubric allows for this grade's point statuses and errors."""
    if not grade.points:
        lo, hi = 0.0, 10.0
    else:
        c = coverage(grade)
        if c >= 0.999:
            lo, hi = 8.0, 10.0
        elif c >= 0.7:
            lo, hi = 6.0, 9.0
        elif c >= 0.4:
            lo, hi = 3.5, 7.0
        elif c > 0:
            lo, hi = 1.0, 4.5
        else:
            lo, hi = 0.0, 2.0
    if grade.errors:
        hi = min(hi, ERROR_CAP + 0.5)
        lo = min(lo, hi)
    return lo, hi


def check_grade(request: GradeRequest, grade: GradeOutput, retrieved_ids: set[str] | None = None) -> list[str]:
    """Deterministic reflection check. Returns problems (empty list = verified)."""
    problems: list[str] = []
    answer = request.answer
    stripped = answer.strip()
    known_ids = {p.chunk_id for p in request.reference_points} | (retrieved_ids or set())
    for verdict in grade.points:
        if verdict.quote and verdict.quote not in answer:
            problems.append(f"引用不在回答中: 「{verdict.quote[:40]}」")
        if verdict.status != "missing" and not verdict.quote:
            problems.append(f"要点标为 {verdict.status} 却没有引用回答原文: {verdict.point[:40]}")
        if known_ids and verdict.chunk_id not in known_ids and not verdict.chunk_id.startswith(RUBRIC_CHUNK_PREFIX):
            problems.append(f"引用了未检索到的参考片段 id: {verdict.chunk_id}")
    if not stripped and (grade.score > 0 or any(p.status != "missing" for p in grade.points)):
        problems.append("空回答却给了分数或标记了覆盖要点")
    if request.reference_points and not request.no_reference and request.kind == "knowledge":
        lo, hi = score_bounds(grade)
        if not lo <= grade.score <= hi:
            problems.append(f"分数 {grade.score:g} 与要点覆盖情况不符（按评分标准应在 {lo:g}–{hi:g}）")
    return problems
