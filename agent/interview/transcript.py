"""Transcripts: build the :class:`agent.schemas.Transcript` from graph state, the summary, write the JSON / Markdown
files (the Markdown is rendered by :mod:`agent.report.transcript_md`).

``transcript.json`` is ``Transcript.model_dump(mode="json")``; its JSON schema is :func:`transcript_schema`
(``mockint interview --schema``). Stable keys: ``session_id``, ``engine``, ``turns``, ``summary``.
A question's final score is ``max(main, (main + best follow-up) / 2)`` (``agent.grading.rubric.question_score``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from agent.config import writable_dir
from agent.errors import MockintError
from agent.interview.answer_store import load as load_answer
from agent.report.transcript_md import transcript_markdown
from agent.schemas import EngineInfo, QuestionSummary, StudyItem, Summary, Transcript, Turn
from agent.textio import atomic_write_text

TOP_POINTS = 5
STATUS_RANK = {"missing": 0, "partial": 1, "covered": 2}  # a point verdict's status, worst first


def build_summary(turns: list[dict[str, Any]], results: list[dict[str, Any]]) -> Summary:
    questions = [QuestionSummary.model_validate(r) for r in results]
    by_cat: dict[str, list[float]] = defaultdict(list)
    for q in questions:
        by_cat[q.category].append(q.score)
    best: dict[tuple[str, str], str] = {}
    where: dict[tuple[str, str], Turn] = {}
    for raw in turns:
        turn = Turn.model_validate(raw)
        for v in turn.grade.points if turn.grade else []:
            key = (turn.question_id, v.point)
            if key not in best or STATUS_RANK[v.status] > STATUS_RANK[best[key]]:
                best[key] = v.status
            where.setdefault(key, turn)
    strongest = [p for (_, p), s in best.items() if s == "covered"][:TOP_POINTS]
    open_points = sorted((k for k, s in best.items() if s != "covered"), key=lambda k: STATUS_RANK[best[k]])
    study = []
    for qid, point in open_points:
        source = where[(qid, point)].sources[0] if where[(qid, point)].sources else None
        study.append(StudyItem(point=point, question_id=qid, file=source.file if source else "",
                               section=source.section if source else ""))
    scores = [q.score for q in questions]
    return Summary(
        overall=round(sum(scores) / len(scores), 2) if scores else 0.0,
        questions=questions,
        by_category={c: round(sum(v) / len(v), 2) for c, v in sorted(by_cat.items())},
        strongest=strongest,
        weakest=[p for _, p in open_points][:TOP_POINTS],
        study_next=study[: 2 * TOP_POINTS],
    )


def build_transcript(values: dict[str, Any], engine: EngineInfo) -> Transcript:
    """The transcript of a (possibly unfinished) session from its graph state values."""
    settings = dict(values.get("settings", {}))
    turns = [Turn.model_validate(t) for t in values.get("turns", [])]
    for index, name in (values.get("answer_files") or {}).items():  # full text of answers longer than the prefix
        full = load_answer(values.get("session_id", ""), name)
        if full is not None and index.isdigit() and int(index) < len(turns):
            turns[int(index)].answer = full
    return Transcript(
        session_id=values.get("session_id", ""),
        mode=settings.get("mode", "interview"),
        started_at=values.get("started_at", ""),
        finished_at=values.get("finished_at", ""),
        engine=engine,
        settings=settings,
        turns=turns,
        summary=Summary.model_validate(values["summary"]) if values.get("summary") else None,
    )


def transcript_schema() -> dict[str, Any]:
    return Transcript.model_json_schema()


def write_transcript(transcript: Transcript, *dirs: Path) -> list[Path]:
    """Write ``transcript.json`` and ``transcript.md`` into every directory (created if needed), each atomically
    (temp file, fsync, rename); a folder that is a file or not writable is one clear line."""
    data = json.dumps(transcript.model_dump(mode="json"), ensure_ascii=False, indent=2)
    markdown = transcript_markdown(transcript)
    written = []
    for folder in dict.fromkeys(Path(d) for d in dirs):
        writable_dir(folder, "记录目录")
        try:
            atomic_write_text(folder / "transcript.json", data + "\n")
            atomic_write_text(folder / "transcript.md", markdown)
        except OSError as exc:
            raise MockintError(f"无法写入记录目录 {folder}: {exc.strerror}",
                               hint="检查磁盘空间和目录权限；会话已保存，可用 mockint resume 继续") from None
        written += [folder / "transcript.json", folder / "transcript.md"]
    return written
