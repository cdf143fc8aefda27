"""The published scoring rubric (score bands) and the deterministic grade check used by reflection.

Score bands, by coverage c = (covered + 0.5 * partial) / number of reference points: :data:`BANDS` (the README's
rubric table is generated from it by :func:`rubric_table` and a test keeps the two equal). A central factual
error caps the score at :data:`ERROR_CAP` (+0.5). Empty answers score 0. With no reference found
(``no_reference``) or for ``project`` questions the bounds are 0-10 (rubric only).
"""

from __future__ import annotations

from agent.schemas import GradeOutput, GradeRequest, RefPoint

RUBRIC_VERSION = "rubric-v1"
ERROR_CAP = 4.0
RUBRIC_CHUNK_PREFIX = "rubric:"  # ids of rubric points (e.g. STAR for projects): not retrieved chunks

# The STAR rubric of project questions: (key, point, cue regex). The points are what interviews grade against
# (ids ``rubric:star#<i>``); the cues are how the rubric-only grader finds each element in an answer.
STAR: tuple[tuple[str, str, str], ...] = (
    ("背景", "背景：项目的业务背景与问题规模",
     r"背景|场景|业务|当时|项目(是|里|中)|负责|团队|用户|公司|background|context|situation|project"),
    ("目标", "目标：要解决的问题和衡量成功的指标",
     r"目标|为了|需要解决|问题是|痛点|指标|要求|希望|goal|objective|task|aim"),
    ("做法", "做法：本人负责的方案、关键技术选择及其取舍",
     r"采用|使用|用了|设计|实现|搭建|方案|方法|优化|改成|引入|训练|微调|构建|we used|implemented|built|designed"),
    ("结果", "结果：可量化的效果（指标、上线情况）",
     r"结果|最终|效果|提升|提高|降低|减少|上线|达到|\d+(\.\d+)?\s*%|倍|result|improv|reduc|increas"),
    ("反思", "反思：遇到的困难、教训与可以改进之处",
     r"反思|不足|教训|如果重来|下次|改进|局限|问题在于|学到|后续|lesson|learned|limitation|next time"),
)


def star_points() -> list[RefPoint]:
    """The STAR rubric as reference points (``rubric:star#0`` … ``#4``)."""
    return [RefPoint(point=point, chunk_id=f"{RUBRIC_CHUNK_PREFIX}star#{i}") for i, (_, point, _) in enumerate(STAR)]

# (lowest coverage of the band, label, lowest score, highest score), best band first
BANDS: tuple[tuple[float, str, float, float], ...] = (
    (0.999, "every point covered", 8.0, 10.0),
    (0.7, "c ≥ 0.7 (most points)", 6.0, 9.0),
    (0.4, "0.4 ≤ c < 0.7 (about half)", 3.5, 7.0),
    (1e-9, "0 < c < 0.4 (a point or so)", 1.0, 4.5),
    (0.0, "c = 0 (none / off-topic / empty; empty = 0)", 0.0, 2.0),
)


def rubric_table() -> str:
    """The README's rubric table, generated from :data:`BANDS` and :data:`ERROR_CAP`."""
    rows = ["| answer | score |", "|---|---|"]
    rows += [f"| {label} | {lo:g}–{hi:g} |" for _, label, lo, hi in BANDS]
    return "\n".join(rows) + f"\n\nA central factual error caps the score at {ERROR_CAP + 0.5:g}."


def question_score(scores: list[float]) -> float:
    """THE final score of a question, from its turns' scores in asking order (main first, then follow-ups):
    ``max(main, (main + best follow-up) / 2)`` — a follow-up can raise the score but prompted recall counts half,
    and a skipped follow-up (0) never lowers it. Used by the graph, transcript, report, history and review."""
    if not scores:
        return 0.0
    main = scores[0]
    if len(scores) == 1:
        return main
    return round(max(main, (main + max(scores[1:])) / 2), 1)


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
        lo, hi = next((low, high) for floor, _, low, high in BANDS if c >= floor)
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
