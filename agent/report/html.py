"""Transcript → one standalone HTML file: inline CSS, inline SVG chart, no scripts, no external resources.

Every piece of transcript text goes through :func:`html.escape`; evidence quotes are wrapped in ``<mark>`` by
escaping the answer segment by segment, so a ``<script>`` in an answer is shown, never run.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from string import Template

from agent.grading.self_rating import self_rated_mark
from agent.knowledge.taxonomy import display_name
from agent.report.data import (
    STATUS_LABEL,
    QuestionGroup,
    group_turns,
    mode_label,
    point_source,
    quote_spans,
    summarize,
    turn_quotes,
)
from agent.schemas import Transcript, Turn


def _template() -> Template:
    text = resources.files("agent.report").joinpath("templates/report.html").read_text(encoding="utf-8")
    return Template(text)


def _band(score: float) -> str:
    return "s-ok" if score >= 7 else "s-mid" if score >= 4 else "s-bad"


_BAR_COLOR = {"s-ok": "#2e7d32", "s-mid": "#f9a825", "s-bad": "#c62828"}


def highlight(answer: str, quotes: list[str]) -> str:
    """The answer, HTML-escaped, with every verbatim quote wrapped in ``<mark>``."""
    parts: list[str] = []
    pos = 0
    for start, end in quote_spans(answer, quotes):
        parts.append(escape(answer[pos:start]))
        parts.append(f"<mark>{escape(answer[start:end])}</mark>")
        pos = end
    parts.append(escape(answer[pos:]))
    return "".join(parts)


def bar_chart(by_category: dict[str, float]) -> str:
    """Horizontal bars (0–10) per category as inline SVG, weakest first."""
    if not by_category:
        return '<p class="meta">暂无评分</p>'
    items = sorted(by_category.items(), key=lambda kv: kv[1])
    label_w, bar_w, row_h = 220, 560, 34
    height = row_h * len(items) + 30
    rows = []
    for i, (cat, avg) in enumerate(items):
        y = 10 + i * row_h
        w = max(2.0, bar_w * max(0.0, min(avg, 10.0)) / 10)
        rows.append(
            f'<text x="{label_w - 10}" y="{y + 19}" text-anchor="end" font-size="14" fill="#1f2933">{escape(display_name(cat))}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="20" rx="4" fill="#eef0f3"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="20" rx="4" fill="{_BAR_COLOR[_band(avg)]}"/>'
            f'<text x="{label_w + w + 8:.1f}" y="{y + 19}" font-size="13" fill="#1f2933">{avg:g}</text>'
        )
    ticks = "".join(
        f'<text x="{label_w + bar_w * t / 10:.0f}" y="{height - 4}" font-size="11" fill="#616e7c" '
        f'text-anchor="middle">{t}</text>'
        for t in (0, 2, 4, 6, 8, 10)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="分类得分" width="100%" '
        f'viewBox="0 0 {label_w + bar_w + 60} {height}">{"".join(rows)}{ticks}</svg>'
    )


def _turn(turn: Turn, title: str) -> str:
    question = f"：{escape(turn.question)}" if turn.kind == "followup" else ""
    head = f"<h4>{escape(title)}{question}</h4>"
    if turn.skipped:
        return head + '<p class="notice">（跳过）</p>'
    answer = f'<div class="answer">{highlight(turn.answer, turn_quotes(turn)) or "（空回答）"}</div>'
    grade = turn.grade
    if grade is None:
        return head + answer + '<p class="notice">（未评分）</p>'
    rows = []
    for p in grade.points:
        src = point_source(p.chunk_id, turn.sources)
        src_html = f"{escape(src)}<br>" if src else ""
        rows.append(
            f"<tr><td>{escape(p.point)}</td><td class=\"st-{p.status}\">{STATUS_LABEL[p.status]}</td>"
            f"<td>{'「' + escape(p.quote) + '」' if p.quote else '—'}</td>"
            f'<td class="src">{src_html}<code>{escape(p.chunk_id)}</code></td></tr>'
        )
    table = (
        "<table><tr><th>参考要点</th><th>状态</th><th>回答中的证据</th><th>来源笔记 · 章节</th></tr>"
        + "".join(rows)
        + "</table>"
        if rows
        else ""
    )
    verified = "已验证" if turn.reflection.verified else "未验证"
    parts = [
        head,
        f'<p class="meta">得分 <b>{grade.score:g}</b>/10{self_rated_mark(grade.self_rating)} · 引擎 {escape(grade.engine or "—")} · 复核{verified}'
        f"（{turn.reflection.attempts} 次）</p>",
        answer,
        table,
    ]
    if grade.no_reference:
        parts.append('<p class="notice">未检索到相关参考资料，仅按评分标准评分。</p>')
    if grade.errors:
        parts.append('<ul class="errors">' + "".join(f"<li>{escape(e)}</li>" for e in grade.errors) + "</ul>")
    if grade.feedback:
        parts.append(f'<div class="feedback"><b>反馈：</b>{escape(grade.feedback)}</div>')
    if grade.model_answer:
        parts.append(f'<div class="model"><b>参考答案：</b>\n{escape(grade.model_answer)}</div>')
    if grade.notices:
        parts.append(f'<p class="notice">提示：{escape("；".join(grade.notices))}</p>')
    return "".join(parts)


def _group(index: int, group: QuestionGroup) -> str:
    main = group.main
    score = group.score
    badge = f'<span class="score {_band(score)}">{score:g}</span>' if score is not None else ""
    where = "；".join(f"{s.file} · {s.section}（{s.lines[0]}–{s.lines[1]} 行）" for s in main.sources)
    body = [
        f'<section class="card turn" id="q{index}">{badge}',
        f"<h3>{index}. {escape(main.question)}</h3>",
        f'<div class="meta"><span class="tag">{escape(display_name(main.category))}</span>难度 {"★" * main.difficulty}{"☆" * (3 - main.difficulty)} · '
        f"<code>{escape(main.question_id)}</code>{' · 出处：' + escape(where) if where else ''}</div>",
        _turn(main, "回答"),
    ]
    for n, turn in enumerate(group.followups, 1):
        body.append(f'<div class="followup">{_turn(turn, f"追问 {n}")}</div>')
    body.append("</section>")
    return "".join(body)


def render_html(transcript: Transcript) -> str:
    summary = summarize(transcript)
    mode = mode_label(transcript.mode)
    engine = transcript.engine.kind + (f" · {transcript.engine.model}" if transcript.engine.model else "")
    meta = f"会话 {transcript.session_id} · {transcript.started_at or '—'} · 引擎 {engine}"
    strong_weak = "<br>".join(
        escape(line)
        for line in (f"最强：{'、'.join(summary.strongest) or '—'}", f"最弱：{'、'.join(summary.weakest) or '—'}")
    )
    study = ""
    if summary.study_next:
        items = "".join(
            f"<li>{escape(s.point)} <span class=\"src\">—— {escape(s.file)} · {escape(s.section)}</span></li>"
            for s in summary.study_next
        )
        study = f'<h2>接下来复习</h2><section class="card"><ul class="study">{items}</ul></section>'
    groups = "".join(_group(i, g) for i, g in enumerate(group_turns(transcript), 1))
    return _template().substitute(
        title=escape(f"模拟面试报告 · {mode}"),
        meta=escape(meta),
        overall=f"{summary.overall:g}",
        count=str(len(summary.questions)),
        strong_weak=strong_weak,
        chart=bar_chart(summary.by_category),
        study=study,
        questions=groups,
    )
