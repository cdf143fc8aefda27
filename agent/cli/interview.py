"""``mockint interview``, ``mockint sessions`` and ``mockint resume`` (heavy imports inside the commands)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from agent.cli.options import (
    AnswersOpt,
    EngineOpt,
    OutOpt,
    check_count,
    check_engine,
    check_out_dir,
    read_answers,
)
from agent.errors import UsageError
from agent.knowledge.taxonomy import categories_help


def register(app: typer.Typer) -> None:
    app.command("interview", epilog="分类：" + categories_help())(interview)
    app.command("sessions")(sessions)
    app.command("resume")(resume)


def interview(
    category: Annotated[list[str] | None, typer.Option("--category", "-c", help="题目分类（可多次指定；slug、中文名或别名，见下方列表）")] = None,
    difficulty: Annotated[int | None, typer.Option("--difficulty", "-d", help="起始难度 1-3（之后按表现 ±1）")] = None,
    n: Annotated[int, typer.Option("-n", help="主问题数量")] = 5,
    engine: EngineOpt = "offline",
    answers: AnswersOpt = None,
    session: Annotated[str | None, typer.Option("--session", help="会话 id（已存在则继续）")] = None,
    out: OutOpt = None,
    focus: Annotated[str | None, typer.Option("--focus", help="weak: 偏向薄弱分类和到期复习的题")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="选题随机种子（可复现）")] = None,
    schema: Annotated[bool, typer.Option("--schema", help="打印 transcript.json 的 JSON Schema 后退出")] = False,
) -> None:
    """开始一场模拟面试（交互式；--answers 时非交互）。"""
    if schema:
        from agent.interview.transcript import transcript_schema

        print(json.dumps(transcript_schema(), ensure_ascii=False, indent=2))
        return
    check_count(n)
    if difficulty is not None and not 1 <= difficulty <= 3:
        raise UsageError(f"--difficulty 必须在 1-3 之间（收到 {difficulty}）")
    check_engine(engine)
    if focus not in (None, "weak"):
        raise UsageError(f"--focus 只支持 weak（收到 {focus}）")
    from agent.interview.sessions import SESSION_ID_RE

    if session is not None and not SESSION_ID_RE.match(session):
        raise UsageError(f"会话 id 只能包含字母、数字、- _ .（收到 {session!r}）")
    scripted = read_answers(answers)
    check_out_dir(out)  # --out /etc/passwd fails now, not after the session
    from agent.llm.client import ensure_ready_for

    ensure_ready_for(engine)  # missing config, rejected key or unreachable server: one line, exit 4
    from agent.knowledge.bank import bank_file, load_bank_or_fail
    from agent.knowledge.taxonomy import resolve_categories

    loaded = bank_file()
    bank = load_bank_or_fail()  # loaded once: the categories are checked against it and the session uses it
    categories = resolve_categories(category or [], (q.category for q in bank))
    from agent.cli.terminal import ensure_store_quietly, run_in_terminal

    opened = ensure_store_quietly()
    if opened.built and bank_file() != loaded:  # the first use built a bank of its own from the notes: that one
        bank = load_bank_or_fail()
    from agent.interview.context import Context

    ctx = Context(engine_kind=engine, n_questions=n, categories=tuple(categories), difficulty=difficulty,
                  focus=focus, bank=bank, self_rate=True, retriever=opened.retriever())
    run_in_terminal(ctx, scripted, session_id=session, out=out, seed=seed)


def resume(
    session_id: Annotated[str, typer.Argument(help="会话 id（见 mockint sessions）")],
    answers: AnswersOpt = None,
    out: OutOpt = None,
) -> None:
    """继续一场保存的会话（包括被中断或强制结束的会话）。"""
    from agent.interview.sessions import load_session, open_checkpointer, session_context

    scripted = read_answers(answers)
    check_out_dir(out)
    with open_checkpointer() as saver:
        values = load_session(session_id, saver)
    ctx = session_context(values)
    from agent.llm.client import ensure_ready_for

    ensure_ready_for(ctx.engine_kind)  # missing config, rejected key or unreachable server: one line, exit 4
    from dataclasses import replace

    from agent.cli.terminal import ensure_store_quietly, run_in_terminal, show_resume_context
    from agent.knowledge.bank import load_bank_or_fail

    opened = ensure_store_quietly()
    ctx = replace(ctx, bank=load_bank_or_fail(), retriever=opened.retriever())
    from rich.console import Console

    show_resume_context(Console(), values)  # the question being discussed and its last grade, before the prompt
    run_in_terminal(ctx, scripted, session_id=session_id, out=out)


def sessions(
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 数组")] = False,
) -> None:
    """列出保存的会话（id、模式、开始时间、已答题数、状态、得分）。"""
    from agent.interview.sessions import list_sessions

    infos = list_sessions()
    if as_json:
        print(json.dumps(infos, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not infos:
        console.print("还没有会话。用 [bold]mockint interview[/] 开始一场模拟面试。")
        return
    table = Table(title="会话")
    for column in ("id", "模式", "引擎", "开始时间", "已答", "状态", "得分"):
        table.add_column(column)
    labels = {"finished": "[green]已完成[/]", "paused": "[yellow]可继续[/]", "interrupted": "[red]中断[/]"}
    for i in infos:
        score = "" if i["score"] is None else f"{i['score']:g}"
        table.add_row(i["session_id"], i["mode"], i["engine"], i["started_at"].replace("T", " ")[:19],
                      f"{i['answered']}/{i['planned']}", labels.get(i["status"], i["status"]), score)
    console.print(table)
