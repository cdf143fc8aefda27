"""The interview graph with InMemorySaver and fakes: routing, limits, reflection, skip, resume, references."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graph_fakes import BANK, FakeRetriever, substring_grade
from langgraph.checkpoint.memory import InMemorySaver

from agent.engines.offline import OfflineEngine
from agent.interview.context import Context
from agent.interview.sessions import run_session
from agent.schemas import GradeOutput, GradeRequest, PointVerdict, RetrievedChunk


def scripted(answers: list[str]) -> tuple[Any, list[dict[str, Any]]]:
    payloads: list[dict[str, Any]] = []
    queue = list(answers)

    def provide(payload: dict[str, Any]) -> str | None:
        payloads.append(payload)
        return queue.pop(0) if queue else None

    return provide, payloads


def make_ctx(grader: Any = substring_grade, **kw: Any) -> Context:
    kw.setdefault("record_review", False)
    return Context(bank=BANK, retriever=kw.pop("retriever", FakeRetriever()), engine=OfflineEngine(grader), **kw)


def run(ctx: Context, answers: list[str], **kw: Any):
    provide, payloads = scripted(answers)
    kw.setdefault("checkpointer", InMemorySaver())
    kw.setdefault("seed", 7)
    return run_session(ctx, provide, **kw), payloads


def perfect_answer(payload: dict[str, Any]) -> str:
    from graph_fakes import BANK as bank

    question = next(x for x in bank if x.id == payload["question_id"])
    return "我的理解：" + "，".join(question.reference_points) + "。分块大小影响召回。"


def test_strong_answers_no_followups_and_balanced_categories():
    ctx = make_ctx(n_questions=3, categories=("rlhf", "lora", "rag"))
    result = run_session(ctx, perfect_answer, checkpointer=InMemorySaver(), seed=1)
    t = result.transcript
    assert result.status == "finished"
    assert [turn.kind for turn in t.turns] == ["main"] * 3
    assert len({turn.category for turn in t.turns}) == 3  # balanced: one per category
    assert len({turn.question_id for turn in t.turns}) == 3  # never repeated
    assert all(turn.grade and turn.grade.score >= 8 for turn in t.turns)
    assert t.summary is not None and t.summary.overall >= 8
    assert set(t.summary.by_category) == {"rlhf", "lora", "rag"}


def test_followups_target_missing_points_and_stop_at_limit():
    ctx = make_ctx(n_questions=1, question_ids=("rlhf-1",), max_followups=2)
    result, payloads = run(ctx, ["不太清楚", "还是不清楚", "也不知道"])
    turns = result.transcript.turns
    assert [t.kind for t in turns] == ["main", "followup", "followup"]
    assert [p["kind"] for p in payloads] == ["main", "followup", "followup"]
    # missing points in order, graded against the targeted point, never named (naming them is the answer)
    assert [v.point for v in turns[1].grade.points] == ["奖励模型"]
    assert [v.point for v in turns[2].grade.points] == ["PPO"]
    assert "奖励模型" not in turns[1].question and "PPO" not in turns[2].question
    assert turns[1].question != turns[2].question
    assert result.status == "finished"


def test_followup_answer_raises_final_score_and_covered_point_not_asked_again():
    ctx = make_ctx(n_questions=1, question_ids=("rlhf-1",), max_followups=2)
    result, _ = run(ctx, ["奖励模型 和 PPO", "KL 惩罚 防止偏离"])
    turns = result.transcript.turns
    assert [t.kind for t in turns] == ["main", "followup"]  # only the missing point was asked about
    assert [v.point for v in turns[1].grade.points] == ["KL 惩罚"] and "KL 惩罚" not in turns[1].question
    main, follow = turns[0].grade.score, turns[1].grade.score
    summary = result.transcript.summary
    assert summary.questions[0].score == max(main, (main + follow) / 2) > main
    assert summary.questions[0].followups == 1


def test_no_followups_when_all_covered_and_bank_followups_when_points_targeted():
    ctx = make_ctx(n_questions=1, question_ids=("lora-1",), max_followups=2)
    result, _ = run(ctx, ["低秩分解", "不知道", "不知道"])
    turns = result.transcript.turns
    assert [v.point for v in turns[1].grade.points] == ["冻结原权重"] and "冻结原权重" not in turns[1].question
    assert turns[2].question == "LoRA 的秩怎么选？"  # the note's 可能追问 once the points are used up


def test_skip_scores_zero_without_followups():
    ctx = make_ctx(n_questions=2, categories=("rlhf",))
    result, _ = run(ctx, ["/skip", "/SKIP"])
    turns = result.transcript.turns
    assert [t.skipped for t in turns] == [True, True] and all(t.kind == "main" for t in turns)
    assert all(t.grade.score == 0 for t in turns)
    assert result.transcript.summary.overall == 0


class FlakyGrader:
    """Puts a fabricated quote in the first ``bad`` grades, then grades honestly."""

    def __init__(self, bad: int) -> None:
        self.bad = bad
        self.calls = 0
        self.critiques: list[str | None] = []

    def __call__(self, req: GradeRequest) -> GradeOutput:
        self.calls += 1
        self.critiques.append(req.critique)
        out = substring_grade(req)
        if self.calls <= self.bad:
            fake = PointVerdict(point=req.reference_points[0].point, chunk_id="bank:x#0", quote="从未说过的话",
                                status="covered")
            out = out.model_copy(update={"points": [fake] + out.points[1:], "score": 9.5})
        return out


def test_reflection_retry_then_verified():
    grader = FlakyGrader(bad=1)
    ctx = Context(bank=BANK, retriever=FakeRetriever(), record_review=False, question_ids=("lora-2",),
                  max_followups=0, engine=_NoRepair(grader))
    result, _ = run(ctx, ["初始化为零 合并权重"])
    turn = result.transcript.turns[0]
    assert grader.calls == 2 and grader.critiques[0] is None and "未通过校验" in (grader.critiques[1] or "")
    assert turn.reflection.attempts == 2 and turn.reflection.verified
    assert turn.reflection.problems  # what was found is kept for the audit
    assert turn.grade.score == 9.0


def test_reflection_gives_up_after_max_retries_and_marks_unverified():
    grader = FlakyGrader(bad=99)
    ctx = Context(bank=BANK, retriever=FakeRetriever(), record_review=False, question_ids=("lora-2",),
                  max_followups=0, max_grade_retries=2, engine=_NoRepair(grader))
    result, _ = run(ctx, ["初始化为零"])
    turn = result.transcript.turns[0]
    assert grader.calls == 3  # 1 + max_grade_retries
    assert turn.reflection.attempts == 3 and not turn.reflection.verified
    assert result.status == "finished"


def test_offline_regrade_repairs_fabricated_evidence():
    ctx = make_ctx(grader=FlakyGrader(bad=99), question_ids=("lora-2",), max_followups=0)
    result, _ = run(ctx, ["初始化为零"])
    turn = result.transcript.turns[0]
    assert turn.reflection.verified and turn.reflection.attempts == 2
    assert all(v.quote in turn.answer for v in turn.grade.points)
    assert turn.grade.score <= 7  # the fabricated "covered" point was dropped and the score clamped


class _NoRepair(OfflineEngine):
    """An engine that re-grades without the offline repair (like an LLM that may or may not fix itself)."""

    def grade(self, req: GradeRequest) -> GradeOutput:
        return self._grader(req)  # type: ignore[misc]


def test_resume_after_pause_keeps_answers():
    saver = InMemorySaver()
    ctx = make_ctx(n_questions=2, categories=("rlhf", "lora"), max_followups=0)
    first, _ = run(ctx, ["奖励模型 PPO KL 惩罚"], checkpointer=saver, session_id="s-1")
    assert first.status == "paused" and len(first.transcript.turns) == 1
    second, payloads = run(ctx, ["低秩分解 冻结原权重 初始化为零 合并权重 偏好数据 Bradley-Terry"],
                           checkpointer=saver, session_id="s-1")
    assert second.status == "finished"
    assert [t.answer for t in second.transcript.turns][0] == "奖励模型 PPO KL 惩罚"
    assert len(second.transcript.turns) == 2 and len(payloads) == 1
    assert payloads[0]["question_id"] == second.transcript.turns[1].question_id


def test_resume_rebuilds_context_from_state():
    saver = InMemorySaver()
    ctx = make_ctx(n_questions=2, categories=("rag",), max_followups=0)
    run(ctx, ["检索"], checkpointer=saver, session_id="s-2")
    other = make_ctx(n_questions=9, categories=("lora",))  # settings come from the saved state, not from here
    result, payloads = run(other, ["分块"], checkpointer=saver, session_id="s-2")
    assert [t.category for t in result.transcript.turns] == ["rag", "rag"]
    assert result.transcript.settings["n_questions"] == 2


def test_no_reference_grades_by_rubric_alone():
    ctx = make_ctx(question_ids=("nothing",), retriever=FakeRetriever(relevant=False))
    from graph_fakes import q

    bank = [*BANK, q("nothing", "misc", 2, [])]
    ctx = Context(bank=bank, retriever=FakeRetriever(relevant=False), engine=OfflineEngine(substring_grade),
                  question_ids=("nothing",), record_review=False)
    result, _ = run(ctx, ["一些回答"])
    grade = result.transcript.turns[0].grade
    assert grade.no_reference and grade.points == []
    assert "没有这道题的参考答案" in grade.feedback


def test_bank_points_are_never_padded_and_the_answer_is_never_a_query():
    retriever = FakeRetriever()
    ctx = make_ctx(question_ids=("rag-2",), retriever=retriever, max_followups=0)
    claim = "分块的大小会影响检索召回率和上下文完整性，一般按语义段落切分并保留重叠窗口。"
    result, _ = run(ctx, [claim])
    ids = [v.chunk_id for v in result.transcript.turns[0].grade.points]
    assert ids == ["bank:rag-2#0"]  # one note answer → one point, nothing from another question
    assert claim not in retriever.queries


def _no_answer_ctx(hits: list[RetrievedChunk]) -> tuple[Context, FakeRetriever]:
    from graph_fakes import q

    retriever = FakeRetriever(hits=hits)
    bank = [*BANK, q("bare", "rag", 2, [])]  # its note gives no answer; its card is rag.md lines 1-10
    return Context(bank=bank, retriever=retriever, engine=OfflineEngine(substring_grade), question_ids=("bare",),
                   record_review=False, max_followups=0), retriever


def test_question_without_note_answer_uses_only_its_own_card():
    own = RetrievedChunk(chunk_id="rag.md:2-8:aa", source="rag.md", section="RAG", score=0.6,
                         text="RAG 基础\n检索增强生成先检索相关文档，再把文档拼进提示词生成答案。")
    other = RetrievedChunk(chunk_id="rag.md:40-60:bb", source="rag.md", section="多模态", score=0.95,
                           text="多模态大模型，支持文字、图片和音频输入。")
    ctx, retriever = _no_answer_ctx([other, own])
    result, _ = run(ctx, ["检索增强生成就是先检索再生成，减少幻觉。"])
    points = [v.point for v in result.transcript.turns[0].grade.points]
    assert points and all("多模态" not in p for p in points)
    assert all(v.chunk_id == own.chunk_id for v in result.transcript.turns[0].grade.points)
    assert retriever.queries == ["请解释 bare 的原理"]  # the question, never the answer


def test_question_without_any_qualifying_chunk_says_the_notes_have_no_answer():
    other = RetrievedChunk(chunk_id="code.md:1-9:cc", source="code.md", section="代码模型", score=0.95,
                           text="代码模型，专注于代码生成和补全任务。")
    ctx, _ = _no_answer_ctx([other])
    result, _ = run(ctx, ["一些回答"])
    grade = result.transcript.turns[0].grade
    assert grade.no_reference and grade.points == []
    assert "笔记里没有这道题的参考答案" in grade.notices
    assert any("code.md › 代码模型" in n for n in grade.notices)  # the closest section, as reading only


def test_interview_log_lines_are_not_reference_points():
    from agent.interview.nodes.references import chunk_sentences

    text = "面经\n项目深挖：RAG 系统的召回怎么优化，聊了半小时（百度）\n召回阶段可以用混合检索并加入重排模型提升精度。"
    assert chunk_sentences(text) == ["召回阶段可以用混合检索并加入重排模型提升精度。"]


def test_project_question_uses_star_rubric():
    ctx = make_ctx(question_ids=("proj-1",), max_followups=0)
    result, _ = run(ctx, ["背景：电商搜索。目标：提升召回。"])
    points = [v.point for v in result.transcript.turns[0].grade.points]
    assert [p[:2] for p in points] == ["背景", "目标", "做法", "结果", "反思"]


def test_project_followup_is_graded_on_the_star_element_it_asks_about():
    from graph_fakes import q

    from agent.interview.nodes.references import build_request, star_points

    project = q("proj-x", "project", 2, [], kind="project")
    target = star_points()[3].model_dump()  # 结果
    turn = {"kind": "followup", "question": "结果怎么量化？", "targets": [target], "answer": "召回率提升了 12%"}
    request, _, _ = build_request(project, turn, lambda: None, 3, 2000)
    assert [p.chunk_id for p in request.reference_points] == [target["chunk_id"]]
    main = {"kind": "main", "question": "介绍一个项目", "targets": [], "answer": "背景是电商搜索"}
    assert len(build_request(project, main, lambda: None, 3, 2000)[0].reference_points) == 5


def test_technical_or_answered_project_questions_are_graded_on_content():
    from graph_fakes import q

    from agent.interview.nodes.references import CONTENT_NOTICE, build_request

    main = {"kind": "main", "question": "", "targets": [], "answer": "DPO 直接用偏好对优化，不需要奖励模型"}
    story = q("proj-story", "project", 2, [], kind="project")
    story.text = "介绍一个你做过的项目"
    compare = q("proj-cmp", "project", 2, [], kind="project")
    compare.text = "你在项目中使用过DPO吗？和PPO相比，他有什么优缺点？"
    answered = q("proj-ans", "project", 2, ["用 Docker 打包推理服务", "多阶段构建减小镜像"], kind="project")
    star, _, star_notices = build_request(story, {**main, "question": story.text}, lambda: None, 3, 2000)
    assert star.kind == "project" and len(star.reference_points) == 5 and CONTENT_NOTICE not in star_notices
    tech, _, notices = build_request(compare, {**main, "question": compare.text}, lambda: FakeRetriever(False), 3, 2000)
    assert tech.kind == "knowledge" and tech.no_reference and CONTENT_NOTICE in notices  # not STAR: content
    own, _, _ = build_request(answered, {**main, "question": answered.text}, lambda: None, 3, 2000)
    assert own.kind == "knowledge" and [p.point for p in own.reference_points] == answered.reference_points


def test_long_answer_graded_on_bounded_prefix_with_notice():
    seen: list[int] = []

    def grader(req: GradeRequest) -> GradeOutput:
        seen.append(len(req.answer))
        return substring_grade(req)

    ctx = make_ctx(grader=grader, question_ids=("lora-2",), max_followups=0, max_answer_chars=100)
    long = "初始化为零 " + "很" * 5000
    result, _ = run(ctx, [long])
    turn = result.transcript.turns[0]
    assert seen == [100] and turn.answer == long  # the whole answer is kept, a prefix is graded
    assert any("只评了前 100 字" in n for n in turn.grade.notices)


def test_long_answer_is_kept_once_outside_the_checkpoints(tmp_path: Path):
    """A long answer is stashed once; checkpoints, their writes and every later step carry only the prefix."""
    import pickle

    from langgraph.checkpoint.sqlite import SqliteSaver

    ctx = make_ctx(question_ids=("lora-2", "lora-1"), n_questions=2, max_followups=1, max_answer_chars=100)
    long = "初始化为零 " + "很长的解释。" * 20_000  # 120,006 characters
    with SqliteSaver.from_conn_string(str(tmp_path / "s.sqlite")) as saver:
        result, _ = run(ctx, [long, "合并权重", "低秩分解", "冻结原权重"], session_id="long-1", checkpointer=saver)
        blobs = [pickle.dumps(c.checkpoint) + pickle.dumps(c.pending_writes) for c in saver.list(None)]
    assert result.status == "finished" and result.transcript.turns[0].answer == long  # the transcript has it all
    assert blobs and max(len(b) for b in blobs) < 60_000  # no checkpoint (or its writes) holds the 360 KB answer
    from agent.config import home

    stashed = list((home() / "answers" / "long-1").glob("*.txt"))
    assert len(stashed) == 1 and stashed[0].read_text(encoding="utf-8") == long
    assert any("回答过长（120006 字）" in n for n in result.transcript.turns[0].grade.notices)


def test_control_characters_and_surrogates_are_cleaned():
    ctx = make_ctx(question_ids=("lora-2",), max_followups=0)
    result, _ = run(ctx, ["初始化为零\x00\x07 合并权重 \ud800 🙂"])
    answer = result.transcript.turns[0].answer
    assert "\x00" not in answer and "\x07" not in answer and "🙂" in answer
    answer.encode("utf-8")


def test_review_state_updated_when_question_finalized():
    from agent.practice.review import list_cards

    ctx = make_ctx(question_ids=("lora-1",), max_followups=1, record_review=True)
    run(ctx, ["低秩分解", "冻结原权重"], session_id="rev-1")
    cards = list_cards()
    assert any(c["question_id"] == "lora-1" for c in cards)


@pytest.mark.parametrize("limit", [0, 1])
def test_followup_limit_respected(limit: int):
    ctx = make_ctx(question_ids=("rag-1",), max_followups=limit)
    result, _ = run(ctx, ["不知道"] * 5)
    assert sum(t.kind == "followup" for t in result.transcript.turns) == limit


def test_langgraph_json_names_an_importable_compiled_graph():
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = json.loads((root / "langgraph.json").read_text(encoding="utf-8"))
    assert config["dependencies"] == ["."]
    path, _, attr = config["graphs"]["interview"].partition(":")
    spec = importlib.util.spec_from_file_location("lg_interview_graph", root / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    compiled = getattr(module, attr)
    assert compiled.checkpointer is None  # langgraph dev supplies its own
    assert {"select", "ask", "retrieve", "grade", "reflect", "follow_up", "report"} <= set(compiled.nodes)
    assert compiled.builder.context_schema is Context


def test_recursion_limit_is_a_real_backstop():
    """Even with an absurd retry limit, a grade↔reflect loop inside one invocation is stopped."""
    from langgraph.errors import GraphRecursionError
    from langgraph.types import Command

    from agent.interview.graph import build_graph

    ctx = Context(bank=BANK, retriever=FakeRetriever(), record_review=False, question_ids=("lora-2",),
                  max_grade_retries=1000, engine=_NoRepair(FlakyGrader(bad=10**6)))
    graph = build_graph(InMemorySaver())
    config = {"configurable": {"thread_id": "r"}, "recursion_limit": 12}
    graph.invoke({"session_id": "r", "settings": ctx.settings(), "turns": [], "results": []}, config, context=ctx)
    with pytest.raises(GraphRecursionError):
        graph.invoke(Command(resume="初始化为零"), config, context=ctx)
    answered = graph.get_state(config).values["turn"]["answer"]
    assert answered == "初始化为零"  # the answer was checkpointed before grading began


def test_runner_turns_recursion_error_into_clear_message(monkeypatch: pytest.MonkeyPatch):
    import agent.interview.graph
    from agent.errors import MockintError

    monkeypatch.setattr(agent.interview.graph, "recursion_limit", lambda ctx: 12)
    ctx = Context(bank=BANK, retriever=FakeRetriever(), record_review=False, question_ids=("lora-2",),
                  max_grade_retries=1000, engine=_NoRepair(FlakyGrader(bad=10**6)))
    with pytest.raises(MockintError, match="步数上限"):
        run(ctx, ["初始化为零"])


def test_chunk_points_drop_heading_path_markup_metadata_and_questions():
    from agent.interview.nodes.references import chunk_point
    from agent.schemas import RetrievedChunk

    text = ("笔记 > LoRA\n**难度**:⭐⭐\n**问题:** LoRA 的秩怎么选？\n**答案要点:** 秩 r 越大表达能力越强但参数越多；"
            "常用 r=8 或 16。\n- 与训练无关的一句闲话在这里。")
    point = chunk_point(RetrievedChunk(chunk_id="c1", source="n.md", section="LoRA", text=text, score=0.9), "LoRA 的秩")
    assert point is not None and point.chunk_id == "c1"
    assert point.point.startswith("秩 r 越大表达能力越强") and "**" not in point.point and "难度" not in point.point
    assert "？" not in point.point and len(point.point) <= 100
    only_meta = RetrievedChunk(chunk_id="c2", source="n.md", section="x", text="a > b\n**难度**:⭐\n**标签**:#x",
                               score=0.9)
    assert chunk_point(only_meta, "x") is None


def test_crash_during_grading_resumes_without_asking_again():
    class Crash(RuntimeError):
        pass

    calls = {"n": 0}

    def crashing(req: GradeRequest) -> GradeOutput:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash("power cut")
        return substring_grade(req)

    saver = InMemorySaver()
    ctx = make_ctx(grader=crashing, question_ids=("lora-2",), max_followups=0)
    with pytest.raises(Crash):
        run(ctx, ["初始化为零 合并权重"], checkpointer=saver, session_id="c-1")
    result, payloads = run(ctx, [], checkpointer=saver, session_id="c-1")
    assert payloads == []  # the answer was already checkpointed: nothing asked again
    assert result.status == "finished" and result.transcript.turns[0].answer == "初始化为零 合并权重"
    assert result.transcript.turns[0].grade.score == 9.0


def test_focus_weak_uses_review_weights(monkeypatch: pytest.MonkeyPatch):
    import agent.practice.review

    monkeypatch.setattr(agent.practice.review, "weak_weights", lambda bank, now=None: {"lora-1": 9.0})
    ctx = make_ctx(n_questions=1, categories=("lora",), difficulty=2, focus="weak", max_followups=0)
    result, _ = run(ctx, ["低秩分解"])
    assert result.transcript.turns[0].question_id == "lora-1"  # despite lora-2 matching the difficulty


def test_postgres_requested_but_not_installed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    import importlib.util

    from agent.errors import MockintError
    from agent.interview.sessions import open_checkpointer

    if importlib.util.find_spec("langgraph.checkpoint.postgres") is not None:
        pytest.skip("langgraph-checkpoint-postgres is installed here")
    monkeypatch.setenv("MOCKINT_POSTGRES_URL", "postgresql://127.0.0.1:1/x")
    with pytest.raises(MockintError, match="langgraph-checkpoint-postgres"), open_checkpointer():
        pass


def test_skipped_followup_only_marks_its_target_missing():
    ctx = make_ctx(question_ids=("rlhf-1",), max_followups=1)
    result, _ = run(ctx, ["奖励模型 PPO", "/skip"])
    follow = result.transcript.turns[1]
    assert follow.skipped and [v.point for v in follow.grade.points] == ["KL 惩罚"]
    assert "追问" in follow.grade.feedback
    assert result.transcript.summary.questions[0].score == result.transcript.turns[0].grade.score


def test_followup_names_the_topic_without_giving_the_answer_and_groups_same_topic_points():
    from graph_fakes import q

    from agent.engines.base import point_hint

    assert point_hint("掩码的作用：防止未来信息泄露") == "掩码的作用"
    assert point_hint("把权重更新分解为两个低秩矩阵的乘积，降低参数量") == "把权重更新分解为两个低秩矩阵的…"
    bank = [*BANK, q("mask-1", "transformer", 2, ["掩码的作用：防止未来信息泄露", "掩码的作用：屏蔽填充位置",
                                                  "实现：未来位置设为负无穷"])]
    ctx = Context(bank=bank, retriever=FakeRetriever(), engine=OfflineEngine(substring_grade), record_review=False,
                  question_ids=("mask-1",), max_followups=2)
    result, _ = run(ctx, ["不知道", "还是不知道", "不知道"])
    first, second = result.transcript.turns[1], result.transcript.turns[2]
    assert "掩码的作用" in first.question and "防止未来信息泄露" not in first.question
    assert [v.point for v in first.grade.points] == ["掩码的作用：防止未来信息泄露", "掩码的作用：屏蔽填充位置"]
    assert "实现" in second.question and "负无穷" not in second.question


def test_locked_sessions_db_is_a_clear_error_and_resumable(tmp_path):
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    from agent.errors import StoreError

    path = tmp_path / "s.sqlite"
    conn = sqlite3.connect(path, check_same_thread=False, timeout=0.1)
    saver = SqliteSaver(conn)
    ctx = make_ctx(question_ids=("lora-2",), max_followups=0)
    run(ctx, [], checkpointer=saver, session_id="L")  # started, paused at the first question
    locker = sqlite3.connect(path)
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreError, match="无法写入"):
        run(ctx, ["初始化为零"], checkpointer=saver, session_id="L")
    locker.rollback()
    result, _ = run(ctx, ["初始化为零 合并权重"], checkpointer=saver, session_id="L")
    assert result.status == "finished" and result.transcript.turns[0].answer == "初始化为零 合并权重"


def test_followup_topics_are_whole_and_never_the_answer():
    from agent.engines.base import FollowUpPlan, followup_topic
    from agent.engines.offline import OfflineEngine
    from agent.schemas import RefPoint

    assert followup_topic("掩码的作用：防止未来信息泄露", "解码器为什么要掩码？") == "掩码的作用"  # the note's label
    assert followup_topic("定义：一种对齐方法", "什么是 RLHF？") is None  # an empty label is not a topic
    assert followup_topic("在推理时：复用缓存", "KV Cache 为什么快？") is None
    assert followup_topic("DPO/ORPO 无需显式 RM", "DPO 和 PPO 有什么区别？") == "DPO"  # only what the question names
    assert followup_topic("在现有权重下即可直接扩展到 128k 上下文", "YaRN 是什么？") is None
    engine = OfflineEngine()
    question = BANK[0]
    for point in ("在现有权重下即可直接扩展到 128k 上下文", "YaRN 是目前 RoPE Scaling 的主流方法之一"):
        text = engine.follow_up(question, FollowUpPlan(target=RefPoint(point=point, chunk_id="c"), index=0))
        assert "…" not in text and point[:6] not in text  # never cut mid-word, never quoting the point
