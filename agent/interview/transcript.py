"""Transcripts: build the :class:`agent.schemas.Transcript` from graph state, the summary, JSON / Markdown files.

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
from agent.grading.self_rating import self_rated_mark
from agent.interview.answer_store import load as load_answer
from agent.schemas import EngineInfo, QuestionSummary, StudyItem, Summary, Transcript, Turn
from agent.textio import atomic_write_text, escape_markdown_html

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
    markdown = to_markdown(transcript)
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


def _quote_block(text: str) -> str:
    return "\n".join("> " + line for line in (text.strip() or "（空）").splitlines())


def _turn_markdown(i: int, turn: Turn) -> list[str]:
    label = "追问" if turn.kind == "followup" else f"Q{i}"
    lines = [f"### {label} · {turn.category} · 难度 {turn.difficulty} · `{turn.question_id}`", "",
             f"**问题**：{turn.question}", "", "**回答**：", "",
             _quote_block("（已跳过）" if turn.skipped else turn.answer), ""]
    g = turn.grade
    if g is None:
        return lines
    verified = "已校验" if turn.reflection.verified else "**未通过校验**"
    lines += [f"**得分**：{g.score:g} / 10{self_rated_mark(g.self_rating)}（{g.engine}，{g.rubric_version}，评分 {turn.reflection.attempts} 次，{verified}）", ""]
    if g.points:
        lines += ["| 要点 | 状态 | 引用 | 来源 |", "|---|---|---|---|"]
        for v in g.points:
            cells = [v.point, v.status, v.quote or "—", f"`{v.chunk_id}`"]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        lines.append("")
    for title, items in (("错误", g.errors), ("提示", g.notices), ("校验问题", turn.reflection.problems)):
        if items:
            lines += [f"**{title}**：" + "；".join(items), ""]
    lines += [f"**反馈**：{g.feedback}", ""]
    if g.model_answer:
        lines += [f"**参考答案**：{g.model_answer}", ""]
    return lines


def to_markdown(t: Transcript) -> str:
    """The transcript as Markdown; answer / note text cannot inject HTML (see ``escape_markdown_html``)."""
    return escape_markdown_html(_markdown(t))


def _markdown(t: Transcript) -> str:
    lines = [f"# 模拟面试记录 {t.session_id}", "",
             f"- 模式：{t.mode}", f"- 引擎：{t.engine.kind}" + (f"（{t.engine.model}）" if t.engine.model else ""),
             f"- 开始：{t.started_at or '—'}", f"- 结束：{t.finished_at or '未完成'}", ""]
    if t.engine.prompt_versions:
        lines.insert(-1, "- 提示词版本：" + ", ".join(f"{k}={v}" for k, v in t.engine.prompt_versions.items()))
    main_index = 0
    for turn in t.turns:
        main_index += turn.kind == "main"
        lines += _turn_markdown(main_index, turn)
    s = t.summary
    if s is None:
        return "\n".join(lines + ["_会话尚未结束，可用 `mockint resume " + t.session_id + "` 继续。_", ""])
    lines += ["## 总结", "", f"**总分**：{s.overall:g} / 10", "", "| 题目 | 分类 | 得分 | 追问 |", "|---|---|---|---|"]
    lines += [f"| {q.question} | {q.category} | {q.score:g} | {q.followups} |" for q in s.questions]
    lines += ["", "**分类平均**：" + "，".join(f"{c} {v:g}" for c, v in s.by_category.items()), ""]
    if s.strongest:
        lines += ["**掌握较好**：" + "；".join(s.strongest), ""]
    if s.weakest:
        lines += ["**薄弱点**：" + "；".join(s.weakest), ""]
    if s.study_next:
        lines += ["**接下来复习**：", ""]
        lines += [f"- {item.point} —— {item.file} § {item.section}" if item.file else f"- {item.point}"
                  for item in s.study_next]
        lines.append("")
    return "\n".join(lines)
