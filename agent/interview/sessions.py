"""Sessions: ids, the checkpointer (SQLite by default, Postgres optional), listing, and the reusable runner.

:func:`run_session` drives the graph with an *answer provider* — a callable ``(payload) -> str | None`` that
gets the ``interrupt`` payload (question, category, difficulty, kind...) and returns the answer, or ``None``
to stop (``/quit``, scripted answers ran out): the session stays saved and ``mockint resume ID`` continues it.
``interview``, ``resume``, ``drill``, ``review`` and ``simulate`` all use it. Transcripts are written to
``$MOCKINT_HOME/transcripts/<session_id>/`` and to ``out`` if given, after every answer and at the end.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.config import sessions_db, transcripts_dir, writable_dir
from agent.errors import MockintError, SessionBusyError, StoreError, UsageError
from agent.interview.context import Context
from agent.schemas import Transcript, Turn

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.types import Command, StateSnapshot

    from agent.engines.base import Engine
    from agent.interview.graph import InterviewGraph
    from agent.interview.state import State

AnswerProvider = Callable[[dict[str, Any]], "str | None"]
POSTGRES_ENV = "MOCKINT_POSTGRES_URL"
class _Stop:
    """The answer provider stopped (quit / answers ran out) or the session is finished."""


_STOP = _Stop()

SESSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # a session id given by the user (CLI, web)


def new_session_id(now: datetime | None = None) -> str:
    """Short, readable, sortable: ``MMDD-HHMM-xxxx`` (UTC)."""
    now = now or datetime.now(UTC)
    return f"{now:%m%d-%H%M}-{secrets.token_hex(2)}"


@contextmanager
def open_checkpointer() -> Iterator[BaseCheckpointSaver]:
    """The session store: Postgres when ``MOCKINT_POSTGRES_URL`` is set, else SQLite under ``MOCKINT_HOME``."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        try:
            from langgraph.checkpoint.postgres import PostgresSaver  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise MockintError(
                f"设置了 {POSTGRES_ENV} 但未安装 langgraph-checkpoint-postgres",
                hint="pip install 'mockint[postgres]'，或取消该环境变量以使用本地 SQLite",
            ) from None
        with PostgresSaver.from_conn_string(url) as saver:
            _postgres_setup(saver, url)
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = sessions_db()
    if not os.access(path.parent, os.W_OK):  # a read-only home: listing / reports still work, writes fail clearly
        yield _read_only_saver(path)
        return
    try:
        conn = sqlite3.connect(path, check_same_thread=False)
        # WAL + synchronous=NORMAL: every committed checkpoint survives a killed process (SIGKILL); only a
        # power loss can drop the last commits. ~4x faster per answer than the default FULL sync.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        saver = SqliteSaver(conn)  # type: ignore[assignment,unused-ignore]
        saver.setup()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"会话数据库 {path} 无法打开: {exc}",
                         hint=f"把该文件移走（例如 mv {path} {path}.bak）后会新建一个空的会话库") from None
    try:
        yield saver
    finally:
        conn.close()


def _read_only_saver(path: Path) -> BaseCheckpointSaver:
    """The session store of a home we may not write: opened read-only (no setup, no WAL switch), or an empty
    in-memory store when there is none yet. A session that tries to write gets "not writable" (exit 3)."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.sqlite import SqliteSaver

    if not path.exists():
        return InMemorySaver()
    from agent.readonly import sqlite_read_only

    try:
        conn = sqlite_read_only(path)
        conn.execute("SELECT 1 FROM checkpoints LIMIT 1")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"会话数据库 {path} 所在目录不可写，只读打开也失败: {exc}",
                         hint=f"检查 {path.parent} 的权限") from None
    return SqliteSaver(conn)


@contextmanager
def session_lock(session_id: str) -> Iterator[None]:
    """One writer per session: an exclusive, non-blocking lock on ``$MOCKINT_HOME/locks/<id>.lock`` held while
    the session runs (released by the OS if the process dies). A second process on the same session gets
    :class:`SessionBusyError` (exit 5) before it reads or writes anything."""
    try:
        from agent.locks import pid_lock
    except ImportError:  # not POSIX (no fcntl): no lock (documented)
        yield
        return
    from agent.config import home

    path = writable_dir(home() / "locks", "数据目录") / f"{session_id}.lock"

    def busy(owner: str) -> SessionBusyError:
        return SessionBusyError(f"会话 {session_id} 正在被另一个 mockint 进程使用（pid {owner}），未做任何改动",
                                hint=f"等那个进程结束后再用 mockint resume {session_id} 继续")

    def unopenable(exc: OSError) -> StoreError:
        return StoreError(f"无法创建会话锁 {path}: {exc.strerror}", hint="检查 MOCKINT_HOME 的目录权限")

    with pid_lock(path, busy, unopenable=unopenable):
        yield


_POSTGRES_READY: set[str] = set()


def _postgres_setup(saver: Any, url: str) -> None:
    """Run the checkpoint migrations once per process; two workers (or requests) migrating at the same moment
    race on the migrations table, so a failed attempt is retried once the other one has committed."""
    if url in _POSTGRES_READY:
        return
    import time

    import psycopg  # type: ignore[import-not-found,unused-ignore]

    for attempt in range(5):
        try:
            saver.setup()
            break
        except psycopg.errors.IntegrityError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    _POSTGRES_READY.add(url)


@dataclass
class SessionResult:
    session_id: str
    status: str  # finished | paused
    transcript: Transcript
    paths: list[Path] = field(default_factory=list)


@dataclass
class Observer:
    """Optional UI hooks (the CLI shows panels; scripts pass nothing)."""

    on_turn: Callable[[Turn], None] | None = None
    on_finish: Callable[[Transcript], None] | None = None


def _config(session_id: str, ctx: Context) -> RunnableConfig:
    from agent.interview.graph import recursion_limit

    return {"configurable": {"thread_id": session_id}, "recursion_limit": recursion_limit(ctx)}


def session_context(values: dict[str, Any], **deps: Any) -> Context:
    """Rebuild a session's Context from the settings stored in its state (plus injected dependencies)."""
    if not values.get("settings"):
        raise MockintError("会话状态中没有保存设置，无法继续")
    return Context.from_settings(values["settings"], **deps)


def run_session(
    ctx: Context,
    answers: AnswerProvider,
    *,
    session_id: str | None = None,
    out: Path | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    observer: Observer | None = None,
    seed: int | None = None,
) -> SessionResult:
    """Start a new session (or continue ``session_id`` if it exists) and drive it until it ends or pauses."""
    from agent.interview.graph import build_graph
    from agent.interview.nodes.common import now_iso

    observer = observer or Observer()
    session_id = session_id or new_session_id()
    with session_lock(session_id), _maybe_checkpointer(checkpointer) as saver:
        writable_dir(transcripts_dir(), "记录目录")  # a file / read-only folder: one line before anything runs
        graph = build_graph(checkpointer=saver)
        snapshot = graph.get_state(_config(session_id, ctx))
        if snapshot.values:
            ctx = session_context(snapshot.values, bank=ctx.bank, retriever=ctx.retriever, engine=ctx.engine)
        engine = ctx.get_engine()
        preflight = getattr(engine, "preflight", None)
        if callable(preflight):  # llm mode: a rejected key / unreachable endpoint fails before anything is saved
            preflight()
        ctx = replace(ctx, engine=engine)
        config = _config(session_id, ctx)
        seen = len(snapshot.values.get("turns", [])) if snapshot.values else 0
        pending: State | Command[Any] | None | _Stop  # start state, an answer, None (continue from the checkpoint)
        if not snapshot.values:
            pending = {"session_id": session_id, "settings": ctx.settings(), "started_at": now_iso(),
                       "seed": seed if seed is not None else secrets.randbits(31), "turns": [], "results": []}
        elif snapshot.interrupts:
            pending = _next_input(answers, snapshot.interrupts[0].value, session_id, ctx.max_answer_chars)
        else:  # killed mid-step: continue from the last checkpoint; finished: nothing to do
            pending = None if not reached_end(snapshot) else _STOP
        while not isinstance(pending, _Stop):
            values = _invoke(graph, pending, config, ctx, session_id)
            turns = values.get("turns", [])
            for raw in turns[seen:]:
                if observer.on_turn:
                    observer.on_turn(Turn.model_validate(raw))
            seen = len(turns)
            interrupts = values.get("__interrupt__")
            if not interrupts:
                break
            write_transcript_dirs(_transcript(graph.get_state(config).values, engine), session_id, out)
            pending = _next_input(answers, interrupts[0].value, session_id, ctx.max_answer_chars)
        final = graph.get_state(config)
        transcript = _transcript(final.values, engine)
        status = "finished" if reached_end(final) else "paused"
        paths = write_transcript_dirs(transcript, session_id, out)
        if status == "finished" and observer.on_finish:
            observer.on_finish(transcript)
        return SessionResult(session_id=session_id, status=status, transcript=transcript, paths=paths)


def _invoke(graph: InterviewGraph, pending: State | Command[Any] | None, config: RunnableConfig, ctx: Context, session_id: str
            ) -> dict[str, Any]:
    from langgraph.errors import GraphRecursionError

    try:
        # durability="sync": each step's checkpoint is committed before the next step starts (the default
        # "async" lets grading run while the answer's checkpoint is still being written)
        return dict(graph.invoke(pending, config, context=ctx, durability="sync"))
    except sqlite3.OperationalError as exc:  # locked / read-only / disk full: the last checkpoint is intact
        raise StoreError(f"会话数据库无法写入: {exc}",
                         hint=f"关闭其他正在运行的 mockint 后用 mockint resume {session_id} 继续") from None
    except GraphRecursionError:
        raise MockintError(
            f"会话 {session_id} 超过步数上限（recursion_limit={config['recursion_limit']}），已停止；已答内容都已保存",
            hint=f"检查 max_followups / max_grade_retries 设置后用 mockint resume {session_id} 继续",
        ) from None


def reached_end(snapshot: StateSnapshot) -> bool:
    """The graph ran to END. ``next`` alone is not enough: a process killed after a step's task writes were saved
    but before that step's checkpoint leaves a snapshot whose ``next`` is empty (the task is done) while the
    step is unfinished (``tasks`` still lists it) — that session must continue, not be reported finished."""
    return not snapshot.next and not snapshot.tasks


def _next_input(answers: AnswerProvider, payload: dict[str, Any], session_id: str, limit: int) -> Command[Any] | _Stop:
    from langgraph.types import Command

    from agent.interview.answer_store import resume_value

    answer = answers(payload)
    return _STOP if answer is None else Command(resume=resume_value(session_id, str(answer), limit))


@contextmanager
def _maybe_checkpointer(checkpointer: BaseCheckpointSaver | None) -> Iterator[BaseCheckpointSaver]:
    if checkpointer is not None:
        yield checkpointer
    else:
        with open_checkpointer() as saver:
            yield saver


def _transcript(values: dict[str, Any], engine: Engine) -> Transcript:
    from agent.interview.transcript import build_transcript

    return build_transcript(dict(values), engine.info())


def write_transcript_dirs(transcript: Transcript, session_id: str, out: Path | None) -> list[Path]:
    from agent.interview.transcript import write_transcript

    dirs = [transcripts_dir() / session_id] + ([out] if out else [])
    return write_transcript(transcript, *dirs)


# ---------------------------------------------------------------- listing
def session_info(session_id: str, values: dict[str, Any], next_nodes: tuple[str, ...]) -> dict[str, Any]:
    settings = values.get("settings", {})
    summary = values.get("summary") or {}
    answered = sum(1 for t in values.get("turns", []) if t.get("kind") == "main")
    status = "finished" if summary and not next_nodes else "paused" if "ask" in next_nodes else "interrupted"
    return {
        "session_id": session_id, "mode": settings.get("mode", "interview"), "engine": settings.get("engine_kind", ""),
        "started_at": values.get("started_at", ""), "finished_at": values.get("finished_at", ""),
        "answered": answered,
        "planned": values.get("planned") or len(settings.get("question_ids") or []) or settings.get("n_questions", 0),
        "status": status, "score": summary.get("overall") if summary else None,
    }


def list_sessions(checkpointer: BaseCheckpointSaver | None = None) -> list[dict[str, Any]]:
    """Every saved session (newest first) with id, mode, start time, questions answered, status and score."""
    from agent.interview.graph import build_graph

    with _maybe_checkpointer(checkpointer) as saver:
        graph = build_graph(checkpointer=saver)
        infos = []
        for thread_id in _thread_ids(saver):
            snap = graph.get_state({"configurable": {"thread_id": thread_id}})
            if snap.values:
                infos.append(session_info(thread_id, dict(snap.values), tuple(snap.next)))
    return sorted(infos, key=lambda i: (i["started_at"], i["session_id"]), reverse=True)


def _thread_ids(saver: BaseCheckpointSaver) -> list[str]:
    conn = getattr(saver, "conn", None)
    if isinstance(conn, sqlite3.Connection):
        try:
            rows = conn.execute("SELECT DISTINCT thread_id FROM checkpoints").fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"会话数据库无法读取: {exc}") from None
        return [r[0] for r in rows]
    return list(dict.fromkeys(c.config["configurable"]["thread_id"] for c in saver.list(None)))


def load_session(session_id: str, checkpointer: BaseCheckpointSaver) -> dict[str, Any]:
    from agent.interview.graph import build_graph

    snap = build_graph(checkpointer=checkpointer).get_state({"configurable": {"thread_id": session_id}})
    if not snap.values:
        raise UsageError(f"找不到会话 {session_id}", hint="用 mockint sessions 查看已有会话")
    return dict(snap.values)
