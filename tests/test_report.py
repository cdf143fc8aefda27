"""Reports: Markdown / JSON content and the standalone HTML structure (parsed with html.parser)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from practice_data import EVIL, make_transcript

from agent.errors import UsageError
from agent.report import render
from agent.report.data import group_turns, quote_spans, summarize
from agent.report.html import bar_chart, highlight


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.marks: list[str] = []
        self.text: list[str] = []
        self._in_mark = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "mark":
            self._in_mark += 1
            self.marks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._in_mark -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_mark:
            self.marks[-1] += data


def parse(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    c.close()
    return c


def test_quote_spans_merge_overlaps_and_find_all_occurrences() -> None:
    assert quote_spans("abcabc", ["bc", "ab", ""]) == [(0, 6)]  # touching spans merge
    assert quote_spans("abcxabc", ["bc", "ab"]) == [(0, 3), (4, 7)]
    assert quote_spans("abc", ["zz"]) == []


def test_highlight_escapes_everything_outside_and_inside_marks() -> None:
    out = highlight("a<b>c", ["<b>"])
    assert out == "a<mark>&lt;b&gt;</mark>c"


def test_groups_and_computed_summary() -> None:
    t = make_transcript()
    groups = group_turns(t)
    assert [len(g.followups) for g in groups] == [1, 0, 0]
    assert groups[0].score == 8.0 and groups[2].score is None
    s = summarize(t)
    assert s.by_category == {"RLHF 对齐": 8.0, "微调": 3.0, "RAG": 0.0}
    assert s.overall == pytest.approx(11 / 3, abs=0.01)
    assert s.weakest[0] == "RAG"


def test_html_is_standalone_with_marks_all_turns_and_escaping() -> None:
    t = make_transcript(with_summary=True)
    page = render(t, "html")
    doc = parse(page)
    # no external resources, no scripts at all
    for tag, attrs in doc.tags:
        assert tag != "script"
        for key in ("src", "href"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (tag, attrs)
    assert not any(t == "link" for t, _ in doc.tags)
    assert "fonts-noto-cjk" in page.split("分类得分")[0]  # the CJK font note is visible at the top
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    # the evil answer is shown as text, not markup
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert EVIL in "".join(doc.text)
    # evidence quotes highlighted
    assert "RLHF 先做监督微调" in doc.marks and "训练奖励模型" in doc.marks
    assert "防止策略偏离参考模型太远" in doc.marks
    # every turn present, follow-ups included; skipped shown
    sections = [a for tag, a in doc.tags if tag == "section" and "turn" in (a.get("class") or "")]
    assert len(sections) == 3
    text = "".join(doc.text)
    for turn in t.turns:
        assert turn.question in text
    assert "追问 1：PPO" in text and "（跳过）" in text and "未验证" in text and "难度 ★★★" in text
    # reference points with source note + section, feedback and model answer
    cells = [d for d in doc.text if "行）" in d]
    # bank point → the question's note; chunk → its file + lines, with the section when the question covers them
    assert "finetuning-knowledge-map.md · LoRA（第 10–20 行）" in cells
    assert "agent-question-bank-theory.md · 3.1 RLHF 核心流程（第 1302–1304 行）" in cells
    assert "project-study-notes.md（第 7–9 行）" in cells
    assert "反馈：" in text and "参考答案：" in text and "PPO 优化策略并加 KL 惩罚" in text
    # inline SVG chart, one bar per category
    assert any(tag == "svg" for tag, _ in doc.tags)
    assert page.count('rx="4" fill="#eef0f3"') == 2  # summary by_category has two categories
    assert '<html lang="zh-CN">' in page and "分类得分" in page


def test_bar_chart_escapes_category_and_handles_empty() -> None:
    svg = bar_chart({"<x>": 5.0})
    assert "&lt;x&gt;" in svg and "<x>" not in svg
    assert "暂无评分" in bar_chart({})


def test_markdown_report() -> None:
    md = render(make_transcript(), "md")
    assert md.startswith("# 面试报告 · 面试 · sess-1")
    assert "### 1. [RLHF 对齐] 请详细阐述经典RLHF流程的三个核心阶段" in md
    assert "#### 追问 1：PPO 中 KL 惩罚起什么作用？" in md
    assert "✅ 已覆盖" in md and "❌ 未覆盖" in md and "「训练奖励模型」" in md
    assert "**参考答案：**" in md and "_（跳过）_" in md
    assert "agent-question-bank-theory.md · 3.1 RLHF 核心流程（第 1300–1308 行）" in md
    assert "| ❌ 未覆盖 | — | project-study-notes.md（第 7–9 行） |" in md


def test_json_report_round_trips() -> None:
    t = make_transcript()
    data = json.loads(render(t, "json"))
    assert data["session_id"] == "sess-1" and len(data["turns"]) == 4
    assert data["turns"][0]["grade"]["points"][0]["quote"] == "RLHF 先做监督微调"


def test_unknown_format_is_usage_error() -> None:
    with pytest.raises(UsageError):
        render(make_transcript(), "pdf")


def test_report_question_score_is_the_graph_definition() -> None:
    """A main answer 6 and a follow-up 10 is 8 everywhere (max(main, (main+best)/2)), never the best turn (10)."""
    from agent.grading.rubric import question_score
    from agent.report.data import QuestionGroup
    from agent.schemas import Grade, Turn

    def turn(kind: str, score: float) -> Turn:
        return Turn(question_id="q", question="Q", category="rag", difficulty=1, kind=kind, answer="a",  # type: ignore[arg-type]
                    grade=Grade(score=score))

    group = QuestionGroup(main=turn("main", 6.0), followups=[turn("followup", 10.0)])
    assert group.score == question_score([6.0, 10.0]) == 8.0
    assert QuestionGroup(main=turn("main", 7.0), followups=[turn("followup", 0.0)]).score == 7.0
