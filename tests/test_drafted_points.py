"""LLM-drafted reference points for a question the notes don't answer: shown as generated, cached (drafted once),
graded against; `mockint bank points QID --accept` writes them into a notes file that ingest reads back."""

from __future__ import annotations

import json
from typing import Any

from graph_fakes import BANK, FakeRetriever, ScriptedChat, llm_like_grader, q
from langchain_core.messages import AIMessage, BaseMessage
from langgraph.checkpoint.memory import InMemorySaver

from agent.engines.llm import LLMEngine
from agent.engines.offline import OfflineEngine
from agent.grading.drafted import GENERATED_NOTICE, GENERATED_PREFIX, accepted_note_text, cached, read_cache
from agent.interview.context import Context
from agent.interview.sessions import run_session

NO_ANSWER = q("nothing", "misc", 2, [])
DRAFT = ["幻觉是生成与事实不符的内容", "可以用检索增强缓解"]


def drafting(messages: list[BaseMessage]) -> AIMessage:
    if "参考答案要点" in str(messages[0].content):
        return AIMessage(content="", tool_calls=[{"name": "DraftedPoints", "args": {"reasoning": "r", "points": DRAFT},
                                                  "id": "d-1", "type": "tool_call"}])
    return llm_like_grader(messages)


def _session(model: ScriptedChat, engine: Any = None, sid: str = "d-1") -> Any:
    engine = engine or LLMEngine(model, fallback=OfflineEngine(), model_name="fake-model")
    ctx = Context(engine_kind="llm", bank=[*BANK, NO_ANSWER], retriever=FakeRetriever(relevant=False), engine=engine,
                  record_review=False, question_ids=("nothing",), max_followups=0)
    answers = iter(["幻觉是生成与事实不符的内容，用检索增强缓解"])
    return run_session(ctx, lambda _: next(answers, None), session_id=sid, checkpointer=InMemorySaver(), seed=1)


def test_drafted_points_are_graded_marked_and_cached():
    model = ScriptedChat(respond=drafting)
    first = _session(model)
    grade = first.transcript.turns[0].grade
    assert [p.point for p in grade.points] == DRAFT and not grade.no_reference
    assert all(p.chunk_id.startswith(GENERATED_PREFIX) for p in grade.points)
    assert GENERATED_NOTICE.format(qid="nothing") in grade.notices and grade.score > 0
    assert read_cache()["nothing"]["points"] == DRAFT and read_cache()["nothing"]["model"] == "fake-model"
    calls = model.calls
    second = _session(model, sid="d-2")  # the cache answers: one grading call, no drafting call
    assert model.calls == calls + 1 and second.transcript.turns[0].grade.points == grade.points


def test_offline_and_failed_drafts_keep_the_no_reference_grade():
    offline = _session(ScriptedChat(respond=drafting), engine=OfflineEngine())
    assert offline.transcript.turns[0].grade.no_reference and cached(NO_ANSWER) is None
    failing = _session(ScriptedChat(respond=llm_like_grader))  # the model answers the draft with plain text
    assert failing.transcript.turns[0].grade.no_reference and cached(NO_ANSWER) is None


def test_accept_writes_a_note_the_parser_reads_back_as_the_points(tmp_path):
    from agent.knowledge.notes import parse_file

    note = tmp_path / "accepted-points.md"
    note.write_text(accepted_note_text(NO_ANSWER, DRAFT), encoding="utf-8")
    parsed = parse_file(note).questions
    assert [r.text for r in parsed] == [NO_ANSWER.text] and parsed[0].points == DRAFT


def test_bank_points_cli_shows_and_refuses_without_a_draft():
    from typer.testing import CliRunner

    from agent.cli.app import app
    from agent.knowledge.bank import load_bank

    qid = next(x.id for x in load_bank() if not x.reference_points and x.kind == "knowledge")
    runner = CliRunner()
    shown = runner.invoke(app, ["bank", "points", qid, "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["generated"] == []
    refused = runner.invoke(app, ["bank", "points", qid, "--accept"])
    from agent.errors import UsageError

    assert isinstance(refused.exception, UsageError) and refused.exception.exit_code == 2
    assert "没有模型生成的参考要点" in str(refused.exception)
