"""Self-rating (Again / Hard / Good / Easy) of a question the notes give no answer to: the graph asks, the rating
sets the score and the FSRS rating, reports mark it; sessions that don't ask (web, simulate, eval) are unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from graph_fakes import BANK, FakeRetriever, q, substring_grade
from langgraph.checkpoint.memory import InMemorySaver

from agent.cli.terminal import InteractiveAnswers, ScriptedAnswers
from agent.engines.offline import OfflineEngine
from agent.grading.self_rating import SCORES, is_rating_command, parse_rating
from agent.interview.context import Context
from agent.interview.sessions import run_session
from agent.practice.review import score_rating

NO_ANSWER = q("nothing", "misc", 2, [])


def _ctx(**kw: Any) -> Context:
    kw.setdefault("record_review", False)
    kw.setdefault("self_rate", True)
    return Context(bank=[*BANK, NO_ANSWER], retriever=FakeRetriever(relevant=False),
                   engine=OfflineEngine(substring_grade), **kw)


def _run(ctx: Context, replies: list[str | None], session_id: str = "sr-1") -> tuple[Any, list[dict[str, Any]]]:
    payloads: list[dict[str, Any]] = []
    queue = list(replies)

    def provide(payload: dict[str, Any]) -> str | None:
        payloads.append(payload)
        return queue.pop(0) if queue else None

    return run_session(ctx, provide, session_id=session_id, checkpointer=InMemorySaver(), seed=7), payloads


@pytest.mark.parametrize(("reply", "rating"), [("/good", "good"), ("1", "again"), ("简单", "easy"), ("Hard", "hard")])
def test_rating_sets_the_score_and_is_marked(reply: str, rating: str):
    result, payloads = _run(_ctx(question_ids=("nothing",)), ["幻觉是模型编造事实", reply])
    assert [p["kind"] for p in payloads] == ["main", "self_rating"]
    assert payloads[1]["question_id"] == "nothing" and "score" in payloads[1]
    grade = result.transcript.turns[0].grade
    assert grade.no_reference and grade.self_rating == rating and grade.score == SCORES[rating]
    assert grade.notices[0].startswith("自评")
    assert result.transcript.summary.questions[0].score == SCORES[rating]  # the question's final score
    md = next(p for p in result.paths if p.name == "transcript.md")
    assert "自评" in md.read_text(encoding="utf-8")


def test_no_rating_keeps_the_rubric_only_grade():
    rated, _ = _run(_ctx(question_ids=("nothing",)), ["幻觉是模型编造事实", ""], "sr-a")
    plain, payloads = _run(_ctx(question_ids=("nothing",), self_rate=False), ["幻觉是模型编造事实"], "sr-b")
    assert [p["kind"] for p in payloads] == ["main"]  # a session that does not ask never pauses for it
    a, b = rated.transcript.turns[0].grade, plain.transcript.turns[0].grade
    assert a.self_rating is None and a.score == b.score and a.notices == b.notices


def test_questions_with_note_answers_and_skips_are_never_self_rated():
    result, payloads = _run(_ctx(question_ids=("lora-2", "nothing"), max_followups=0), ["初始化为零", "/skip"])
    assert [p["kind"] for p in payloads] == ["main", "main"]
    assert all(t.grade.self_rating is None for t in result.transcript.turns)


def test_self_rating_feeds_fsrs_as_given():
    from agent.practice.review import list_cards

    _run(_ctx(question_ids=("nothing",), record_review=True), ["一个很短的回答", "/easy"], "sr-fsrs")
    card = next(c for c in list_cards() if c["question_id"] == "nothing")
    assert card["last_score"] == SCORES["easy"]
    assert all(score_rating(SCORES[r]) == i for i, r in enumerate(("again", "hard", "good", "easy"), 1))


def test_scripted_file_takes_only_slash_ratings_and_interactive_asks_again_on_junk():
    provider = ScriptedAnswers(["第一题答案", "/good", "第二题答案"])
    assert provider({"kind": "main", "question": "q"}) == "第一题答案"
    assert provider({"kind": "self_rating"}) == "/good"
    assert provider({"kind": "self_rating"}) == ""  # the next line is an answer, not a rating: left in place
    assert provider({"kind": "main", "question": "q"}) == "第二题答案"
    assert is_rating_command("/3") and not is_rating_command("会") and parse_rating("会") == "good"
    from rich.console import Console

    lines = iter(["7", "whatever", "good"])
    interactive = InteractiveAnswers(Console(file=open("/dev/null", "w")), read_line=lambda _: next(lines))
    assert interactive({"kind": "self_rating", "reading": ["可以先读笔记：a.md › b"]}) == "good"


def test_report_marks_a_self_rated_score(tmp_path):
    from agent.report.markdown import render_markdown

    result, _ = _run(_ctx(question_ids=("nothing",)), ["幻觉是模型编造事实", "/hard"], "sr-rep")
    text = render_markdown(result.transcript)
    assert "自评：困难（Hard）" in text
