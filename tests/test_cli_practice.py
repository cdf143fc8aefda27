"""The practice commands end to end through ``agent.cli.main``: drill, review, history, report."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_main, use_fake_stack
from graph_fakes import BANK, FakeRetriever
from practice_data import make_transcript, write_transcript

from agent.practice import review as store
from agent.schemas import Grade


def invoke(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setenv("COLUMNS", "200")
    return run_main(capsys, monkeypatch, *args)


@pytest.fixture
def fake_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake bank / retriever / substring grader of the graph tests behind the real CLI and graph."""
    from agent.knowledge import retrieval

    monkeypatch.setenv("MOCKINT_FSRS_FUZZ", "0")
    use_fake_stack(monkeypatch)
    monkeypatch.setattr(retrieval, "get_retriever", lambda store=None: QuestionSearch())


class QuestionSearch(FakeRetriever):
    """The graph fakes' retriever plus a question search that finds nothing (free-text topics)."""

    def search_questions(self, query: str, k: int) -> list[Any]:
        return []


def answers_file(tmp_path: Path, answers: list[str]) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------- history / report
def test_history_leaves_simulated_sessions_out_unless_asked(isolated_home: Path, capsys: Any, monkeypatch: Any) -> None:
    write_transcript(isolated_home, make_transcript("me-1", "interview", "2026-01-01T00:00:00+00:00", (4.0, 4.0)))
    write_transcript(isolated_home, make_transcript("demo-1", "simulate", "2026-01-02T00:00:00+00:00", (10.0, 10.0)))
    code, out, _ = invoke(["history", "--json"], capsys, monkeypatch)
    data = json.loads(out)
    assert [s["session_id"] for s in data["sessions"]] == ["me-1"] and data["hidden_simulated"] == 1
    assert data["categories"] and all(c["sessions"] == 1 for c in data["categories"])  # the demo is not averaged in
    code, out, _ = invoke(["history"], capsys, monkeypatch)
    assert code == 0 and "未计入 1 场模拟会话" in out and "demo-1" not in out
    code, out, _ = invoke(["history", "--json", "--include-simulated"], capsys, monkeypatch)
    assert [s["session_id"] for s in json.loads(out)["sessions"]] == ["me-1", "demo-1"]


def test_history_json_and_table(isolated_home: Path, capsys: Any, monkeypatch: Any) -> None:
    code, out, _ = invoke(["history", "--json"], capsys, monkeypatch)
    assert code == 0 and json.loads(out) == {"sessions": [], "categories": [], "skipped": [], "hidden_simulated": 0}
    write_transcript(isolated_home, make_transcript("s-a", "interview", "2026-01-01T00:00:00+00:00", (3.0, 1.0)))
    write_transcript(isolated_home, make_transcript("s-b", "drill", "2026-01-02T00:00:00+00:00", (9.0, 8.0)))
    code, out, _ = invoke(["history", "--json"], capsys, monkeypatch)
    data = json.loads(out)
    assert [s["session_id"] for s in data["sessions"]] == ["s-a", "s-b"]
    code, out, _ = invoke(["history"], capsys, monkeypatch)
    assert code == 0 and "s-a" in out and "专项练习" in out and "分类平均与趋势" in out
    assert "▃" in out or "▁" in out  # the sparkline
    assert "↑ +" in out


def test_report_formats_and_errors(isolated_home: Path, tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    write_transcript(isolated_home, make_transcript("rep-1"))
    code, out, _ = invoke(["report", "rep-1"], capsys, monkeypatch)
    assert code == 0 and out.startswith("# 面试报告")
    code, out, _ = invoke(["report", "rep", "--format", "json"], capsys, monkeypatch)
    assert code == 0 and json.loads(out)["session_id"] == "rep-1"
    target = tmp_path / "r" / "report.html"
    code, out, _ = invoke(["report", "rep-1", "--format", "html", "-o", str(target)], capsys, monkeypatch)
    assert code == 0 and target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and "已写入" in out
    code, _, err = invoke(["report", "nope"], capsys, monkeypatch)
    assert code == 2 and "找不到会话" in err and "Traceback" not in err
    code, _, err = invoke(["report", "rep-1", "--format", "pdf"], capsys, monkeypatch)
    assert code == 2 and "未知的报告格式" in err


# ---------------------------------------------------------------- review
def test_review_list_and_nothing_due(capsys: Any, monkeypatch: Any) -> None:
    code, out, _ = invoke(["review", "--list", "--json"], capsys, monkeypatch)
    assert code == 0 and json.loads(out) == []
    code, _, err = invoke(["review", "--json"], capsys, monkeypatch)
    assert code == 2 and "--list" in err
    store.record_grade("s", "1", BANK[0], Grade(score=9.5), datetime.now(UTC))
    code, out, _ = invoke(["review", "--list", "--json"], capsys, monkeypatch)
    cards = json.loads(out)
    assert [set(c) for c in cards] == [{"question_id", "question", "due", "rating_history"}]
    assert cards[0]["question_id"] == "rlhf-1" and cards[0]["rating_history"][0]["rating"] == "Easy"
    code, out, _ = invoke(["review", "--list"], capsys, monkeypatch)
    assert "复习卡片（1）" in out and "Easy" in out


def test_review_nothing_due_message(fake_stack: None, capsys: Any, monkeypatch: Any) -> None:
    store.record_grade("s", "1", BANK[0], Grade(score=9.5), datetime.now(UTC))
    code, out, _ = invoke(["review"], capsys, monkeypatch)
    assert code == 0 and "现在没有到期的复习卡片" in out and "下一张到期时间" in out


def test_review_runs_due_cards_oldest_first(fake_stack: None, tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    now = datetime.now(UTC)
    store.record_grade("old", "1", BANK[4], Grade(score=1.0), now - timedelta(days=3))  # rag-1, due first
    store.record_grade("old", "2", BANK[2], Grade(score=2.0), now - timedelta(days=2))  # lora-1
    store.record_grade("old", "3", BANK[1], Grade(score=9.8), now)  # rlhf-2, not due
    perfect = ["检索 重排 生成 分块大小影响召回。", "低秩分解 冻结原权重"]
    out_dir = tmp_path / "out"
    code, out, err = invoke(["review", "-n", "5", "--answers", str(answers_file(tmp_path, perfect)), "--out",
                             str(out_dir)], capsys, monkeypatch)
    assert code == 0, err
    t = json.loads((out_dir / "transcript.json").read_text(encoding="utf-8"))
    assert t["mode"] == "review"
    assert [turn["question_id"] for turn in t["turns"] if turn["kind"] == "main"] == ["rag-1", "lora-1"]
    history = {c["question_id"]: c for c in store.list_cards()}
    assert [h["rating"] for h in history["rag-1"]["rating_history"]] == ["Again", "Easy"]
    assert store.due_question_ids() == []  # both reviewed well, nothing due any more


# ---------------------------------------------------------------- drill
def test_drill_topic_weak_answer_hint_and_review_state(
    fake_stack: None, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    answers = ["完全不会", "还是不会", "也不会", "偏好数据 Bradley-Terry", "不知道", "不知道"]
    code, out, err = invoke(["drill", "RLHF", "-n", "2", "--answers", str(answers_file(tmp_path, answers)),
                             "--out", str(tmp_path / "o")], capsys, monkeypatch)
    assert code == 0, err
    t = json.loads((tmp_path / "o" / "transcript.json").read_text(encoding="utf-8"))
    assert t["mode"] == "drill"
    assert {turn["category"] for turn in t["turns"]} == {"rlhf"}  # RLHF questions only
    mains = [turn["question_id"] for turn in t["turns"] if turn["kind"] == "main"]
    # rlhf-1 failed → asked once more later, in its follow-up form; never a third time
    assert mains == ["rlhf-1", "rlhf-2", "rlhf-1#retry"]
    assert next(turn for turn in t["turns"] if turn["question_id"] == "rlhf-1#retry")["question"] == "DPO 和 PPO 有什么区别？"
    assert "先复习一下" in out and "去读：rlhf.md · rlhf 基础" in out  # weak answer → model answer + note section
    # a stable plan: the counter shows the planned total; the retry is shown as a retry (never "2/3, 3/3")
    assert re.findall(r"第 (\d+)/(\d+) 题", out) == [("1", "2"), ("2", "2")]
    assert out.count("重练（") == 1 and "已答 2/2 题" in out
    code, out, _ = invoke(["sessions", "--json"], capsys, monkeypatch)
    assert [(s["answered"], s["planned"]) for s in json.loads(out)] == [(3, 3)]
    cards = {c["question_id"]: c for c in store.list_cards()}
    assert set(cards) == {"rlhf-1", "rlhf-2"}  # the retry reviewed rlhf-1's own card (when it finishes)
    assert [h["rating"] for h in cards["rlhf-1"]["rating_history"]] == ["Again"]
    assert [h["rating"] for h in cards["rlhf-2"]["rating_history"]] == ["Easy"]
    code, out, _ = invoke(["review", "--list", "--json"], capsys, monkeypatch)
    listed = json.loads(out)
    assert {c["question_id"] for c in listed} == {"rlhf-1", "rlhf-2"}
    assert listed[0]["question_id"] == "rlhf-1"  # failed → due first (FSRS: minutes, not days)
    assert datetime.fromisoformat(listed[0]["due"]) < datetime.fromisoformat(listed[1]["due"]) - timedelta(days=1)
    # the same session is also under MOCKINT_HOME, so history / report see it
    code, out, _ = invoke(["history", "--json"], capsys, monkeypatch)
    assert [s["mode"] for s in json.loads(out)["sessions"]] == ["drill"]
    code, page, _ = invoke(["report", t["session_id"], "--format", "html"], capsys, monkeypatch)
    assert code == 0 and page.count('class="card turn"') == 3 and "<mark>偏好数据</mark>" in page
    assert "DPO 和 PPO 有什么区别？" in page and "rlhf.md · rlhf 基础（第 1–10 行）" in page


def test_drill_errors(fake_stack: None, capsys: Any, monkeypatch: Any) -> None:
    code, _, err = invoke(["drill", "量子计算"], capsys, monkeypatch)
    assert code == 2 and "没有与「量子计算」相关" in err and "可用分类" in err
    code, _, err = invoke(["drill", "RLHF", "-n", "0"], capsys, monkeypatch)
    assert code == 2 and "-n 必须是正整数（收到 0）" in err
    code, _, err = invoke(["drill", "RLHF", "--engine", "gpt"], capsys, monkeypatch)
    assert code == 2 and "未知的评分引擎: gpt" in err


def test_drill_crash_after_review_write_then_resume_counts_once(
    fake_stack: None, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    """A crash right after the review state was written (before the graph checkpointed the step): resuming
    re-runs the node, the review write is a no-op, and review state and transcript agree."""
    import sqlite3

    import agent.practice.review as review_mod

    real = review_mod.record_grade
    calls: list[str] = []

    def crash_once(session_id: str, turn_key: str, *args: Any, **kw: Any) -> int:
        written = real(session_id, turn_key, *args, **kw)
        calls.append(turn_key)
        if len(calls) == 1:
            raise RuntimeError("simulated crash after the review write")
        return written

    monkeypatch.setattr(review_mod, "record_grade", crash_once)
    answers = answers_file(tmp_path, ["完全不会", "不会", "不会", "偏好数据 Bradley-Terry"])
    with pytest.raises(RuntimeError, match="simulated crash"):
        invoke(["drill", "RLHF", "-n", "2", "--answers", str(answers)], capsys, monkeypatch)
    capsys.readouterr()
    (session_id,) = [p.name for p in (review_mod.config.transcripts_dir()).iterdir()]
    assert _next_nodes(session_id) == ("follow_up",)  # crashed inside follow_up, not at a question
    rest = answers_file(tmp_path, ["偏好数据 Bradley-Terry", "DPO 奖励模型 PPO KL 惩罚"])
    code, out, err = invoke(["resume", session_id, "--answers", str(rest)], capsys, monkeypatch)
    assert code == 0, err
    assert calls[0] == calls[1]  # the re-run node recorded the same turn key again...
    with sqlite3.connect(review_mod.config.review_db()) as conn:
        rows = conn.execute("SELECT turn_key, card_id FROM reviews WHERE card_id NOT LIKE '%#p%'").fetchall()
    t = json.loads((review_mod.config.transcripts_dir() / session_id / "transcript.json").read_text("utf-8"))
    finished = [q["question_id"].removesuffix("#retry") for q in t["summary"]["questions"]]
    # ...but every finished question was reviewed exactly once per turn key: state and transcript agree
    assert sorted(card for _, card in rows) == sorted(finished)
    assert len(rows) == len(set(calls)) == 3


def _next_nodes(session_id: str) -> tuple[str, ...]:
    from agent.interview.graph import build_graph
    from agent.interview.sessions import open_checkpointer

    with open_checkpointer() as saver:
        return tuple(build_graph(checkpointer=saver).get_state({"configurable": {"thread_id": session_id}}).next)


# ---------------------------------------------------------------- llm mode without a key
@pytest.mark.parametrize("args", [["drill", "RLHF"], ["drill", "偏好数据", "-n", "2"], ["review"]])
def test_llm_without_key_fails_before_loading_anything(args: list[str], capsys: Any, monkeypatch: Any) -> None:
    from agent.cli import terminal
    from agent.knowledge import bank as bank_mod

    def too_early(*_: Any, **__: Any) -> Any:
        raise AssertionError("loaded before the LLM check")

    monkeypatch.setattr(bank_mod, "load_bank_or_fail", too_early)
    monkeypatch.setattr(terminal, "ensure_store_quietly", too_early)
    code, out, err = invoke([*args, "--engine", "llm"], capsys, monkeypatch)
    assert code == 4 and out == ""
    assert err.startswith("错误: 大模型模式缺少配置: base_url, api_key") and "Traceback" not in err


def test_drill_llm_without_key_subprocess_is_quick_and_builds_nothing(isolated_home: Path) -> None:
    import subprocess
    import time

    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "agent.cli", "drill", "RLHF", "--engine", "llm"],
                         capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    assert run.returncode == 4 and run.stdout == ""
    assert run.stderr.startswith("错误: 大模型模式缺少配置") and "Traceback" not in run.stderr
    assert list(isolated_home.iterdir()) == []  # no store, no bank, no session
    assert elapsed < 5.0  # no store build / e5 load (those take tens of seconds on a fresh home)
