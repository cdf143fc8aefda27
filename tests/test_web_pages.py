"""The server-rendered pages: every page renders, the grade panel shows what the issue lists, and untrusted
text (answers, the injection attacks in evals/) is escaped everywhere it is shown."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import use_fake_stack
from graph_fakes import FakeRetriever
from web_helpers import client, finish

from agent.config import PROJECT_ROOT

XSS = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 1">',
    '"><svg onload=window.__pwned=1>',
    "</textarea><script>window.__pwned = 1</script>",
    "{{ 7 * 7 }} {% raw %} ${7*7}",
    "javascript:window.__pwned=1",
]


def attacks() -> list[str]:
    lines = (PROJECT_ROOT / "evals" / "datasets" / "injection.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["attack"] for line in lines if line.strip()] + XSS


class QuestionSearch(FakeRetriever):
    def search_questions(self, query: str, k: int) -> list[Any]:
        return []


@pytest.fixture
def fake_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.knowledge import retrieval

    monkeypatch.setenv("MOCKINT_FSRS_FUZZ", "0")
    use_fake_stack(monkeypatch)
    monkeypatch.setattr(retrieval, "get_retriever", lambda store=None: QuestionSearch())


def _assert_escaped(page: str, payload: str) -> None:
    from agent.normalize import normalize_answer

    page = page.replace("<mark>", "").replace("</mark>", "")  # our own evidence highlighting
    payload = normalize_answer(payload)  # answers are stored as the visible text (full-width letters → ASCII)
    if any(ch in payload for ch in "<>\""):
        assert payload not in page, payload
    assert html.escape(payload, quote=False) in page or html.escape(payload) in page, payload


def test_injection_payloads_are_shown_never_run(fake_stack: None) -> None:
    c = client()
    payloads = attacks()
    shown: dict[str, list[str]] = {}  # session id → payloads answered in it
    remaining = list(payloads)
    while remaining:
        sid = c.post("/api/sessions", json={"n": 7}).json()["session_id"]
        shown[sid] = []
        for _ in range(40):
            if not remaining:
                break
            payload = remaining.pop()
            page = c.get(f"/s/{sid}").text  # the previous payload's grade panel is on this page
            step = c.post(f"/api/sessions/{sid}/answer", json={"answer": payload + " 奖励模型"}).json()
            shown[sid].append(payload)
            if step["done"]:
                break
            page = c.get(f"/s/{sid}").text
            _assert_escaped(page, payload)
        else:
            raise AssertionError("too many turns")
        if not c.get(f"/api/sessions/{sid}").json()["finished_at"]:
            finish(c, sid)
    for sid, answered in shown.items():
        report = c.get(f"/s/{sid}/report").text
        download = c.get(f"/s/{sid}/report.html").text
        for payload in answered:
            _assert_escaped(report, payload)
            _assert_escaped(download, payload)
        for page in (report, download):
            scripts = re.findall(r"<script[^>]*>", page)
            assert all(s == '<script src="/static/app.js" defer>' for s in scripts), scripts
            assert not re.search(r"<(img|svg)[^>]*\son\w+=", page)
    assert "49" not in c.get(f"/s/{next(iter(shown))}/report").text.replace("4.9", "")  # no template evaluation


def test_pages_render_and_grade_panel_has_every_part(fake_stack: None) -> None:
    c = client()
    start = c.get("/")
    assert start.status_code == 200 and "开始练习" in start.text and 'value="rlhf"' in start.text
    sid = c.post("/api/sessions", json={"n": 2, "categories": ["rlhf"]}).json()["session_id"]
    page = c.get(f"/s/{sid}").text
    assert 'id="answer"' in page and "Ctrl+Enter" in page and "跳过" in page and "暂停" in page
    assert "★" in page and re.search(r"第 1/2 题", page)
    c.post(f"/api/sessions/{sid}/answer", json={"answer": "奖励模型 就是这样"})
    page = c.get(f"/s/{sid}").text
    assert "上一轮评分" in page and "已覆盖" in page and "未覆盖" in page  # per-point status
    assert "<mark>奖励模型</mark>" in page  # the quote highlighted in the answer
    assert 'href="/note?file=rlhf.md&amp;a=1&amp;b=10#hit"' in page  # the point's note section link
    assert "测试反馈" in page and "参考答案" in page and "追问" in page
    finish(c, sid)
    assert c.get(f"/s/{sid}", follow_redirects=False).status_code == 303
    report = c.get(f"/s/{sid}/report").text
    assert "会话报告" in report and "<svg" in report and "掌握较好" in report and "薄弱点" in report
    for fmt, head in (("md", "# "), ("json", "{"), ("html", "<!DOCTYPE html>")):
        r = c.get(f"/s/{sid}/report.{fmt}")
        assert r.status_code == 200 and r.text.startswith(head) and "attachment" in r.headers["content-disposition"]
    assert c.get(f"/s/{sid}/report.pdf").status_code == 404
    history = c.get("/history").text
    assert "各分类走势" in history and "<polyline" in history and sid in history
    review = c.get("/review").text
    assert "复习队列" in review and "最近评级" in review
    bank = c.get("/bank?category=lora").text
    assert "请解释 lora-1 的原理" in bank and "rlhf-1" not in bank
    assert c.get("/s/nope-1").status_code == 404 and "找不到会话" in c.get("/s/nope-1").text


def test_markers_for_unverified_fallback_and_self_rated(fake_stack: None) -> None:
    from agent.schemas import Grade, Reflection, Turn
    from agent.web.views import turn_panel

    turn = Turn(question_id="q", question="问？", category="rag", difficulty=2, answer="a",
                grade=Grade(score=3, engine="offline-fallback", no_reference=True),
                reflection=Reflection(verified=False, attempts=3))
    kinds = [k for k, _ in turn_panel(turn)["markers"]]
    assert kinds == ["unverified", "fallback", "noref"]


def test_bank_search_and_note_section_on_the_built_store(use_built_home: Path) -> None:
    c = client()
    page = c.get("/bank?q=KV+Cache+显存")
    assert page.status_code == 200 and "混合检索" in page.text
    links = re.findall(r'href="(/note\?[^"]+)"', page.text)
    assert links
    note = c.get(html.unescape(links[0]))
    assert note.status_code == 200 and 'class="chunk hit" id="hit"' in note.text
    data = c.get("/api/search", params={"q": "LoRA 低秩"}).json()
    assert data["chunks"] and {"chunk_id", "source", "section", "score", "relevant", "href"} <= set(data["chunks"][0])
    assert c.get("/note", params={"file": "../../etc/passwd"}).status_code == 404
