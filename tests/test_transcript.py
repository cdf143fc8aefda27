"""Transcript: built from state, summary figures, JSON schema, Markdown, files written."""

from __future__ import annotations

import json

from graph_fakes import BANK, FakeRetriever, substring_grade
from langgraph.checkpoint.memory import InMemorySaver

from agent.config import transcripts_dir
from agent.engines.offline import OfflineEngine
from agent.interview.context import Context
from agent.interview.sessions import run_session
from agent.interview.transcript import transcript_schema
from agent.report.transcript_md import transcript_markdown
from agent.schemas import Transcript


def session(tmp_path, answers):
    queue = list(answers)
    ctx = Context(bank=BANK, retriever=FakeRetriever(), engine=OfflineEngine(substring_grade), record_review=False,
                  question_ids=("rlhf-1", "lora-2"), max_followups=1)
    return run_session(ctx, lambda p: queue.pop(0) if queue else None, checkpointer=InMemorySaver(),
                       session_id="t-1", out=tmp_path / "out")


def test_files_written_to_out_and_home(tmp_path):
    result = session(tmp_path, ["奖励模型 PPO", "不知道", "初始化为零 合并权重"])
    for folder in (tmp_path / "out", transcripts_dir() / "t-1"):
        data = json.loads((folder / "transcript.json").read_text(encoding="utf-8"))
        assert (folder / "transcript.md").read_text(encoding="utf-8").startswith("# 模拟面试记录 t-1")
        Transcript.model_validate(data)
        assert {"session_id", "engine", "turns", "summary"} <= data.keys()
        turn = data["turns"][0]
        assert {"question_id", "question", "category", "kind", "answer", "grade", "reflection"} <= turn.keys()
        assert {"points", "errors", "feedback", "model_answer", "score"} <= turn["grade"].keys()
        assert {"point", "status", "quote", "chunk_id"} <= turn["grade"]["points"][0].keys()
        assert {"attempts", "verified"} <= turn["reflection"].keys()
    assert result.transcript.finished_at and result.transcript.started_at


def test_summary_scores_categories_and_study_items(tmp_path):
    t = session(tmp_path, ["奖励模型 PPO", "不知道", "初始化为零 合并权重"]).transcript
    s = t.summary
    assert [q.question_id for q in s.questions] == ["rlhf-1", "lora-2"]
    assert s.questions[0].followups == 1 and s.questions[1].score == 9.0
    assert s.by_category == {"rlhf": s.questions[0].score, "lora": 9.0}
    assert s.overall == round((s.questions[0].score + 9.0) / 2, 2)
    assert "KL 惩罚" in s.weakest and "初始化为零" in s.strongest
    item = next(i for i in s.study_next if i.point == "KL 惩罚")
    assert (item.question_id, item.file, item.section) == ("rlhf-1", "rlhf.md", "rlhf 基础")


def test_unfinished_session_transcript_has_no_summary_and_resume_hint(tmp_path):
    result = session(tmp_path, ["奖励模型 PPO"])
    assert result.status == "paused" and result.transcript.summary is None
    md = (tmp_path / "out" / "transcript.md").read_text(encoding="utf-8")
    assert "mockint resume t-1" in md


def test_markdown_shows_evidence_and_verification(tmp_path):
    t = session(tmp_path, ["奖励模型 PPO", "/skip", "初始化为零 合并权重"]).transcript
    md = transcript_markdown(t)
    assert "| 奖励模型 | covered | 奖励模型 | `bank:rlhf-1#0` |" in md
    assert "（已跳过）" in md and "## 总结" in md and "已校验" in md


def test_json_schema_export():
    schema = transcript_schema()
    assert schema["title"] == "Transcript"
    assert {"session_id", "engine", "turns", "summary"} <= set(schema["properties"])
