"""``transcript.md``: the session as written after every answer — each turn with its grade, evidence table and
feedback, then the summary (or a resume hint while the session is unfinished)."""

from __future__ import annotations

from agent.grading.self_rating import self_rated_mark
from agent.report.markdown_blocks import document, quote_block, table_head, table_row
from agent.schemas import Transcript, Turn


def transcript_markdown(t: Transcript) -> str:
    """The transcript as Markdown; answer / note text cannot inject HTML (see ``escape_markdown_html``)."""
    lines = [f"# 模拟面试记录 {t.session_id}", "",
             f"- 模式：{t.mode}", f"- 引擎：{t.engine.kind}" + (f"（{t.engine.model}）" if t.engine.model else ""),
             f"- 开始：{t.started_at or '—'}", f"- 结束：{t.finished_at or '未完成'}", ""]
    if t.engine.prompt_versions:
        lines.insert(-1, "- 提示词版本：" + ", ".join(f"{k}={v}" for k, v in t.engine.prompt_versions.items()))
    main_index = 0
    for turn in t.turns:
        main_index += turn.kind == "main"
        lines += _turn(main_index, turn)
    return document(lines + _summary(t))


def _turn(i: int, turn: Turn) -> list[str]:
    label = "追问" if turn.kind == "followup" else f"Q{i}"
    lines = [f"### {label} · {turn.category} · 难度 {turn.difficulty} · `{turn.question_id}`", "",
             f"**问题**：{turn.question}", "", "**回答**：", "",
             *quote_block("（已跳过）" if turn.skipped else turn.answer), ""]
    g = turn.grade
    if g is None:
        return lines
    verified = "已校验" if turn.reflection.verified else "**未通过校验**"
    lines += [f"**得分**：{g.score:g} / 10{self_rated_mark(g.self_rating)}（{g.engine}，{g.rubric_version}，"
              f"评分 {turn.reflection.attempts} 次，{verified}）", ""]
    if g.points:
        lines += table_head("要点", "状态", "引用", "来源")
        lines += [table_row([v.point, v.status, v.quote or "—", f"`{v.chunk_id}`"]) for v in g.points]
        lines.append("")
    for title, items in (("错误", g.errors), ("提示", g.notices), ("校验问题", turn.reflection.problems)):
        if items:
            lines += [f"**{title}**：" + "；".join(items), ""]
    lines += [f"**反馈**：{g.feedback}", ""]
    if g.model_answer:
        lines += [f"**参考答案**：{g.model_answer}", ""]
    return lines


def _summary(t: Transcript) -> list[str]:
    s = t.summary
    if s is None:
        return ["_会话尚未结束，可用 `mockint resume " + t.session_id + "` 继续。_", ""]
    lines = ["## 总结", "", f"**总分**：{s.overall:g} / 10", "", *table_head("题目", "分类", "得分", "追问")]
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
    return lines
