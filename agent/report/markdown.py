"""Transcript → Markdown (Chinese): summary table, then each question with answer, evidence and feedback."""

from __future__ import annotations

from agent.grading.self_rating import self_rated_mark
from agent.knowledge.taxonomy import display_name
from agent.report.data import (
    STATUS_LABEL,
    QuestionGroup,
    group_turns,
    mode_label,
    point_source,
    sources_label,
    summarize,
)
from agent.report.markdown_blocks import document, quote_block, table_head, table_row
from agent.schemas import Transcript, Turn

_ICON = {"covered": "✅", "partial": "🟡", "missing": "❌"}


def _fmt(score: float | None) -> str:
    return "—" if score is None else f"{score:g}/10"


def _turn(turn: Turn, title: str) -> list[str]:
    out = [f"#### {title}：{turn.question}", ""]
    if turn.skipped:
        return [*out, "_（跳过）_", ""]
    out += ["**回答：**", "", *quote_block(turn.answer), ""]
    grade = turn.grade
    if grade is None:
        return [*out, "_（未评分）_", ""]
    verified = "已验证" if turn.reflection.verified else f"未验证（{len(turn.reflection.problems)} 个问题）"
    out.append(f"**得分：{grade.score:g}/10**{self_rated_mark(grade.self_rating)} · 引擎 {grade.engine or '—'} · 复核 {verified}（{turn.reflection.attempts} 次）")
    out.append("")
    if grade.points:
        out += table_head("要点", "状态", "回答中的证据", "来源")
        for p in grade.points:
            quote = f"「{p.quote}」" if p.quote else "—"
            where = point_source(p.chunk_id, turn.sources) or f"`{p.chunk_id}`"
            cells = [p.point, f"{_ICON[p.status]} {STATUS_LABEL[p.status]}", quote, where]
            out.append(table_row(cells))
        out.append("")
    if grade.no_reference:
        out += ["_未检索到相关参考资料，仅按评分标准评分。_", ""]
    if grade.errors:
        out += ["**错误 / 误解：**", *[f"- {e}" for e in grade.errors], ""]
    if grade.feedback:
        out += [f"**反馈：** {grade.feedback}", ""]
    if grade.model_answer:
        out += ["**参考答案：**", "", *quote_block(grade.model_answer), ""]
    if grade.notices:
        out += [f"_提示：{'；'.join(grade.notices)}_", ""]
    return out


def _group(index: int, group: QuestionGroup) -> list[str]:
    main = group.main
    out = [f"### {index}. [{display_name(main.category)}] {main.question}", ""]
    out.append(f"- 题目 id：`{main.question_id}` · 难度 {'⭐' * main.difficulty} · 最终得分 **{_fmt(group.score)}**")
    if main.sources:
        out.append(f"- 出处：{sources_label(main.sources)}")
    out.append("")
    out += _turn(main, "主问题")
    for n, turn in enumerate(group.followups, 1):
        out += _turn(turn, f"追问 {n}")
    return out


def render_markdown(transcript: Transcript) -> str:
    summary = summarize(transcript)
    mode = mode_label(transcript.mode)
    engine = transcript.engine.kind + (f" · {transcript.engine.model}" if transcript.engine.model else "")
    out = [
        f"# 面试报告 · {mode} · {transcript.session_id}",
        "",
        f"- 时间：{transcript.started_at or '—'} → {transcript.finished_at or '—'}",
        f"- 引擎：{engine}",
        f"- 总分：**{summary.overall:g}/10**（{len(summary.questions)} 题）",
        "",
        "## 分类得分",
        "",
        *table_head("分类", "平均分"),
        *[f"| {display_name(cat)} | {avg:g} |" for cat, avg in sorted(summary.by_category.items(), key=lambda kv: kv[1])],
        "",
    ]
    if summary.strongest or summary.weakest:
        out += [f"- 最强：{'、'.join(summary.strongest) or '—'}", f"- 最弱：{'、'.join(summary.weakest) or '—'}", ""]
    if summary.study_next:
        out += ["## 接下来复习", ""]
        out += [f"- {s.point} —— {s.file} · {s.section}（题目 `{s.question_id}`）" for s in summary.study_next]
        out.append("")
    out += ["## 逐题详情", ""]
    for i, group in enumerate(group_turns(transcript), 1):
        out += _group(i, group)
    return document(["\n".join(out).rstrip(), ""])
