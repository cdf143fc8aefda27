"""Web sessions, one step per request, through the CLI's own runner (:func:`agent.interview.sessions.run_session`).

Each POST opens the checkpointer, takes the session's write lock, feeds at most ONE answer to the graph and
stops at the next question (the answer provider returns ``None`` there, exactly like ``/quit`` in the CLI), so
all state stays in the checkpointer, the review DB and the transcript files: nothing is kept in memory between
requests, any worker can serve the next one, and ``mockint resume ID`` continues a web session (and vice versa).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent import config
from agent.engines import EngineKind
from agent.errors import MockintError, UsageError
from agent.interview.context import Context
from agent.schemas import EngineInfo, Question, Transcript, Turn
from agent.web.locks import is_busy, session_lock

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.types import StateSnapshot

    from agent.interview.graph import InterviewGraph

MAX_ANSWER_CHARS = 20_000  # a request body limit; the graph itself grades the first max_answer_chars


class Conflict(MockintError):
    """The request does not fit the session's state (finished, mid-step, another question)."""


class NotFound(MockintError):
    """No such session."""


class StartRequest(BaseModel):
    """``POST /api/sessions`` body (the contract of issue #14)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["interview", "drill", "review"] = "interview"
    categories: list[str] = Field(default_factory=list, max_length=50)
    difficulty: int | None = Field(default=None, ge=1, le=3)
    n: int = Field(default=5, ge=1, le=50)
    topic: str | None = Field(default=None, max_length=200)
    engine: EngineKind | None = None


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field(max_length=MAX_ANSWER_CHARS)
    question_id: str | None = Field(default=None, max_length=200)  # optional guard against a stale tab


@dataclass
class Step:
    """What one request did: the grade of the answered turn, the next prompt, whether the session ended."""

    session_id: str
    grade: dict[str, Any] | None
    prompt: dict[str, Any] | None
    done: bool

    def as_json(self) -> dict[str, Any]:
        return {"grade": self.grade, "prompt": self.prompt, "done": self.done}


@dataclass
class SessionView:
    """A read-only look at a session for the pages: status question | grading | stalled | finished."""

    session_id: str
    values: dict[str, Any]
    payload: dict[str, Any] | None
    status: str

    @property
    def pending_answer(self) -> str:
        turn = self.values.get("turn") or {}
        return str(turn.get("answer", "")) if self.status in ("grading", "stalled") else ""


def prompt_of(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    """The contract's PROMPT from the graph's interrupt payload."""
    if payload is None:
        return None
    return {"question": payload["question"], "kind": payload["kind"], "question_id": payload["question_id"],
            "category": payload["category"], "difficulty": payload["difficulty"],
            "index": payload.get("number"), "total": payload.get("total")}


class _OneStep:
    """Answer provider: gives ``answer`` to the question it is asked first (if any), then stops at the next."""

    def __init__(self, answer: str | None, question_id: str | None = None) -> None:
        self.answer = answer
        self.question_id = question_id
        self.payload: dict[str, Any] | None = None

    def __call__(self, payload: dict[str, Any]) -> str | None:
        if payload.get("kind") == "self_rating":  # a CLI session resumed here: the web page does not ask
            return ""
        if self.answer is None:
            self.payload = payload
            return None
        if self.question_id and payload.get("question_id") != self.question_id:
            raise Conflict("这道题已经回答过了（页面过期），请刷新页面")
        answer, self.answer = self.answer, None
        return answer


# ---------------------------------------------------------------- read side
def _bank() -> list[Question]:
    from agent.knowledge.bank import load_bank_or_fail

    return load_bank_or_fail()


@contextmanager
def _graph() -> Iterator[tuple[BaseCheckpointSaver, InterviewGraph]]:
    from agent.interview.graph import build_graph
    from agent.interview.sessions import open_checkpointer

    with open_checkpointer() as saver:
        yield saver, build_graph(checkpointer=saver)


def _snapshot(graph: InterviewGraph, session_id: str) -> StateSnapshot:
    from agent.interview.sessions import SESSION_ID_RE

    if not SESSION_ID_RE.match(session_id):
        raise NotFound(f"找不到会话 {session_id}")
    snap = graph.get_state({"configurable": {"thread_id": session_id}})
    if not snap.values:
        raise NotFound(f"找不到会话 {session_id}")
    return snap


def _status(snap: StateSnapshot, busy: bool) -> str:
    if busy:
        return "grading"
    if snap.interrupts:
        return "question"
    return "stalled" if snap.next else "finished"


def view(session_id: str) -> SessionView:
    with _graph() as (_saver, graph):
        snap = _snapshot(graph, session_id)
    payload = snap.interrupts[0].value if snap.interrupts else None
    return SessionView(session_id, dict(snap.values), payload, _status(snap, is_busy(session_id)))


def engine_info(session_id: str, settings: dict[str, Any]) -> EngineInfo:
    """The engine info the runner wrote into the session's transcript (model, prompt versions), else the kind."""
    path = config.transcripts_dir() / session_id / "transcript.json"
    try:
        return Transcript.model_validate_json(path.read_text(encoding="utf-8")).engine
    except (OSError, ValueError):
        return EngineInfo(kind=str(settings.get("engine_kind", "offline")))


def transcript(session_id: str, values: dict[str, Any] | None = None) -> Transcript:
    """The session's transcript built from its checkpoint (same schema as ``transcript.json``)."""
    from agent.interview.transcript import build_transcript

    values = values if values is not None else view(session_id).values
    return build_transcript(values, engine_info(session_id, values.get("settings", {})))


# ---------------------------------------------------------------- write side
def _context(req: StartRequest, engine: str) -> Context:
    from agent.knowledge.taxonomy import resolve_categories

    bank = _bank()
    if req.mode == "interview":
        return Context(engine_kind=engine, n_questions=req.n, difficulty=req.difficulty, bank=bank,
                       categories=tuple(resolve_categories(req.categories, (q.category for q in bank))))
    if req.mode == "drill":
        from agent.knowledge.ingest import ensure_store
        from agent.knowledge.retrieval import TopicRetriever
        from agent.practice.drill import select_drill

        def prepare() -> None:
            ensure_store(notify=lambda msg: print(msg, file=sys.stderr), show_progress=False)

        if not (req.topic or "").strip():
            raise UsageError("专项练习需要一个主题（topic），例如 RoPE、RLHF")
        ids = select_drill(req.topic or "", req.n, bank, TopicRetriever(prepare))
        if not ids:
            raise UsageError(f"题库里没有和「{req.topic}」相关的题目")
    else:
        from agent.practice.review import due_in_bank

        ids = due_in_bank(bank, req.n)
        if not ids:
            raise Conflict("现在没有到期的复习卡片，先做几题面试或专项练习吧")
    return Context.preset(req.mode, ids, engine, bank)


def start(req: StartRequest, default_engine: str) -> Step:
    """A new session up to its first question."""
    from agent.interview.sessions import new_session_id
    from agent.llm.client import ensure_ready_for

    engine = req.engine or default_engine
    ensure_ready_for(engine)
    ctx = _context(req, engine)
    session_id = new_session_id()
    with session_lock(session_id):
        return _run(ctx, _OneStep(None), session_id)


def answer(session_id: str, text: str, question_id: str | None = None) -> Step:
    """Grade the answer to the session's current question and go on to the next question."""
    if not text.strip():
        raise UsageError("回答为空：请输入回答，或点击「跳过」")
    return _step(session_id, _OneStep(text, question_id), need_question=True)


def skip(session_id: str, question_id: str | None = None) -> Step:
    from agent.interview.nodes.common import SKIP_WORDS

    return _step(session_id, _OneStep(sorted(SKIP_WORDS)[0], question_id), need_question=True)


def resume(session_id: str) -> Step:
    """Finish a step that a killed process left half done (e.g. a grade), up to the next question."""
    return _step(session_id, _OneStep(None), need_question=False)


def _step(session_id: str, provider: _OneStep, need_question: bool) -> Step:
    with session_lock(session_id), _graph() as (saver, graph):
        snap = _snapshot(graph, session_id)
        status = _status(snap, busy=False)
        if status == "finished":
            raise Conflict("这场会话已经结束，可以查看报告")
        if need_question and status != "question":
            raise Conflict("上一条回答的评分被中断了，请刷新页面继续")
        from agent.interview.sessions import session_context

        ctx = session_context(dict(snap.values), bank=_bank())
        return _run(ctx, provider, session_id, saver)


def _run(ctx: Context, provider: _OneStep, session_id: str, saver: BaseCheckpointSaver | None = None) -> Step:
    from agent.interview.sessions import Observer, run_session

    turns: list[Turn] = []
    result = run_session(ctx, provider, session_id=session_id, checkpointer=saver,
                         observer=Observer(on_turn=turns.append))
    grade = turns[0].grade.model_dump(mode="json") if turns and turns[0].grade else None
    return Step(session_id, grade, prompt_of(provider.payload), result.status == "finished")
