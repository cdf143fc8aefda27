"""Report data shared by the renderers and ``history``: question groups, a summary, quote spans."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.grading.rubric import question_score
from agent.knowledge.taxonomy import display_name
from agent.schemas import QuestionSummary, Source, Summary, Transcript, Turn

_CHUNK_ID = re.compile(r"^(?P<file>.+):(?P<a>\d+)-(?P<b>\d+):[0-9a-f]+$")

STATUS_LABEL = {"covered": "已覆盖", "partial": "部分覆盖", "missing": "未覆盖"}
MODE_LABEL = {"interview": "面试", "drill": "专项练习", "simulate": "模拟", "review": "复习"}


def mode_label(mode: str) -> str:
    return MODE_LABEL.get(mode, mode)


@dataclass
class QuestionGroup:
    """A main turn and the follow-up turns that came after it."""

    main: Turn
    followups: list[Turn] = field(default_factory=list)

    @property
    def turns(self) -> list[Turn]:
        return [self.main, *self.followups]

    @property
    def score(self) -> float | None:
        """The question's final score (:func:`agent.grading.rubric.question_score`, the graph's own definition);
        None when the main answer was not graded yet (a paused session)."""
        if self.main.grade is None:
            return None
        return question_score([t.grade.score for t in self.turns if t.grade is not None])


def group_turns(transcript: Transcript) -> list[QuestionGroup]:
    groups: list[QuestionGroup] = []
    for turn in transcript.turns:
        if turn.kind == "followup" and groups:
            groups[-1].followups.append(turn)
        else:
            groups.append(QuestionGroup(main=turn))
    return groups


def summarize(transcript: Transcript) -> Summary:
    """The transcript's own summary; fields it leaves empty are computed from the turns (skipped = 0)."""
    computed = _computed_summary(transcript)
    own = transcript.summary
    if own is None:
        return computed
    filled = {name: getattr(computed, name) for name in ("questions", "by_category", "strongest", "weakest")}
    update = {k: v for k, v in filled.items() if not getattr(own, k)}
    if not own.questions:
        update["overall"] = computed.overall
    return own.model_copy(update=update)


def _computed_summary(transcript: Transcript) -> Summary:
    questions = [
        QuestionSummary(
            question_id=g.main.question_id,
            question=g.main.question,
            category=g.main.category,
            score=g.score or 0.0,
            followups=len(g.followups),
        )
        for g in group_turns(transcript)
    ]
    by_cat: dict[str, list[float]] = {}
    for qs in questions:
        by_cat.setdefault(qs.category, []).append(qs.score)
    averages = {cat: round(sum(v) / len(v), 2) for cat, v in by_cat.items()}
    overall = round(sum(q.score for q in questions) / len(questions), 2) if questions else 0.0
    ranked = sorted(averages, key=lambda c: averages[c])
    half = (len(ranked) + 1) // 2  # weakest and strongest never overlap
    return Summary(
        overall=overall,
        questions=questions,
        by_category=averages,
        strongest=[display_name(c) for c in ranked[half:][::-1][:3]],
        weakest=[display_name(c) for c in ranked[:half][:3]],
    )


def quote_spans(answer: str, quotes: list[str]) -> list[tuple[int, int]]:
    """Merged, sorted (start, end) spans of every verbatim occurrence of the quotes in the answer."""
    spans: list[tuple[int, int]] = []
    for quote in {q for q in quotes if q and q.strip()}:
        start = answer.find(quote)
        while start != -1:
            spans.append((start, start + len(quote)))
            start = answer.find(quote, start + len(quote))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def sources_label(sources: list[Source]) -> str:
    """Note sections as "note · section（第 a–b 行）", joined by "；" (empty when there are none)."""
    return "；".join(f"{s.file} · {s.section}（第 {s.lines[0]}–{s.lines[1]} 行）" for s in sources)


def point_source(chunk_id: str, sources: list[Source]) -> str:
    """Where a reference point comes from, as "note · section（第 a–b 行）": a bank point (``bank:<id>#n``) →
    the question's own note; a note chunk (``<file>:<a>-<b>:<hash>``) → that file and lines (with the section
    when the question's sources cover those lines)."""
    if chunk_id.startswith("bank:"):
        return sources_label(sources[:1])
    where = point_location(chunk_id, sources)
    if where is None:
        return ""
    file, a, b = where
    section = next((s.section for s in sources if s.file == file and s.lines[0] <= b and a <= s.lines[1]), "")
    return f"{file}{' · ' + section if section else ''}（第 {a}–{b} 行）"


def point_location(chunk_id: str, sources: list[Source]) -> tuple[str, int, int] | None:
    """(note file, first line, last line) a reference point comes from (see :func:`point_source`), or None."""
    if chunk_id.startswith("bank:"):
        return (sources[0].file, *sources[0].lines) if sources else None
    match = _CHUNK_ID.match(chunk_id)
    return (match["file"], int(match["a"]), int(match["b"])) if match else None


def turn_quotes(turn: Turn) -> list[str]:
    return [p.quote for p in turn.grade.points] if turn.grade else []
