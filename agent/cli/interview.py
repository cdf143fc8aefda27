"""``mockint interview``, ``mockint sessions`` and ``mockint resume`` (heavy imports inside the commands)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.errors import MockintError, UsageError
from agent.knowledge.taxonomy import categories_help

SESSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def register(app: typer.Typer) -> None:
    app.command("interview", epilog="分类：" + categories_help())(interview)
    app.command("sessions")(sessions)
    app.command("resume")(resume)


def interview(
    category: Annotated[list[str] | None, typer.Option("--category", "-c", help="题目分类（可多次指定；slug、中文名或别名，见下方列表）")] = None,
    difficulty: Annotated[int | None, typer.Option("--difficulty", "-d", help="起始难度 1-3（之后按表现 ±1）")] = None,
    n: Annotated[int, typer.Option("-n", help="主问题数量")] = 5,
    engine: Annotated[str, typer.Option("--engine", "-e", help="评分引擎: offline | llm | local")] = "offline",
    answers: Annotated[Path | None, typer.Option("--answers", help="答案文件（每行一个，或 JSON 字符串数组）")] = None,
    session: Annotated[str | None, typer.Option("--session", help="会话 id（已存在则继续）")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="transcript.json / .md 的输出目录")] = None,
    focus: Annotated[str | None, typer.Option("--focus", help="weak: 偏向薄弱分类和到期复习的题")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="选题随机种子（可复现）")] = None,
    schema: Annotated[bool, typer.Option("--schema", help="打印 transcript.json 的 JSON Schema 后退出")] = False,
) -> None:
    """开始一场模拟面试（交互式；--answers 时非交互）。"""
    if schema:
        from agent.interview.transcript import transcript_schema

        print(json.dumps(transcript_schema(), ensure_ascii=False, indent=2))
        return
    from agent.engines import ENGINE_KINDS

    if n <= 0:
        raise UsageError(f"-n 必须是正整数（收到 {n}）")
    if difficulty is not None and not 1 <= difficulty <= 3:
        raise UsageError(f"--difficulty 必须在 1-3 之间（收到 {difficulty}）")
    if engine not in ENGINE_KINDS:
        raise UsageError(f"未知的评分引擎: {engine}（可选: {', '.join(ENGINE_KINDS)}）")
    if focus not in (None, "weak"):
        raise UsageError(f"--focus 只支持 weak（收到 {focus}）")
    if session is not None and not SESSION_ID_RE.match(session):
        raise UsageError(f"会话 id 只能包含字母、数字、- _ .（收到 {session!r}）")
    scripted = _read_answers(answers)
    from agent.cli.practice import check_out_dir

    check_out_dir(out)  # --out /etc/passwd fails now, not after the session
    from agent.llm.client import ensure_ready_for

    ensure_ready_for(engine)  # missing config, rejected key or unreachable server: one line, exit 4
    categories = resolve_categories(category or [], load_bank_or_fail())
    ensure_store_quietly()  # the first use builds the store (and the bank from the notes)
    from agent.interview.context import Context

    ctx = Context(engine_kind=engine, n_questions=n, categories=tuple(categories), difficulty=difficulty,
                  focus=focus, bank=load_bank_or_fail(), self_rate=True)
    run_and_report(ctx, scripted, session_id=session, out=out, seed=seed)


def resume(
    session_id: Annotated[str, typer.Argument(help="会话 id（见 mockint sessions）")],
    answers: Annotated[Path | None, typer.Option("--answers", help="答案文件（每行一个，或 JSON 字符串数组）")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="transcript.json / .md 的输出目录")] = None,
) -> None:
    """继续一场保存的会话（包括被中断或强制结束的会话）。"""
    from agent.cli.practice import check_out_dir
    from agent.interview.sessions import load_session, open_checkpointer, session_context

    scripted = _read_answers(answers)
    check_out_dir(out)
    with open_checkpointer() as saver:
        values = load_session(session_id, saver)
    ctx = session_context(values)
    from agent.llm.client import ensure_ready_for

    ensure_ready_for(ctx.engine_kind)  # missing config, rejected key or unreachable server: one line, exit 4
    from dataclasses import replace

    ensure_store_quietly()
    ctx = replace(ctx, bank=load_bank_or_fail())
    from rich.console import Console

    from agent.cli.terminal import show_resume_context

    show_resume_context(Console(), values)  # the question being discussed and its last grade, before the prompt
    run_and_report(ctx, scripted, session_id=session_id, out=out)


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


# ---------------------------------------------------------------- helpers (also used by drill / review)
def _read_answers(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    from agent.cli.terminal import read_answers_file

    return read_answers_file(path)


def load_bank_or_fail() -> list[Any]:
    from agent.knowledge.bank import load_bank

    bank = list(load_bank())
    if not bank:
        raise MockintError("题库为空", hint="先用 mockint ingest 导入笔记")
    return bank


def resolve_categories(requested: list[str], bank: list[Any]) -> list[str]:
    """Map user category names (aliases allowed) to the bank's categories; unknown → UsageError listing all."""
    from agent.knowledge.taxonomy import resolve_category

    valid = sorted({q.category for q in bank})
    resolved: list[str] = []
    for name in requested:
        slug = resolve_category(name)
        slug = slug if slug in valid else (name if name in valid else None)
        if slug is None:
            raise UsageError(f"未知的分类: {name}", hint="可选分类: " + "、".join(valid))
        if slug not in resolved:
            resolved.append(slug)
    return resolved


def ensure_store_quietly() -> None:
    """Build the knowledge store on first use (a notice on stderr), so retrieval works in the session."""
    from agent.knowledge.ingest import ensure_store

    ensure_store(notify=lambda msg: print(msg, file=sys.stderr), show_progress=sys.stderr.isatty())


def run_and_report(ctx: Any, scripted: list[str] | None, *, session_id: str | None, out: Path | None,
                   seed: int | None = None) -> None:
    """Run a session with the terminal UI (interactive, or scripted answers) and print how it ended."""
    from rich.console import Console
    from rich.markup import escape

    from agent.cli.terminal import InteractiveAnswers, ScriptedAnswers, show_report, show_turn
    from agent.interview.sessions import Observer, run_session

    console = Console()
    provider = ScriptedAnswers(scripted, console) if scripted is not None else InteractiveAnswers(console)
    observer = Observer(on_turn=lambda turn: show_turn(console, turn),
                        on_finish=lambda t: show_report(console, t))
    result = run_session(ctx, provider, session_id=session_id, out=out, observer=observer, seed=seed)
    folder = result.paths[-1].parent if result.paths else None
    if result.status == "finished":
        console.print(f"[green]面试结束[/]，记录已保存到 {escape(str(folder))}")
        return
    reason = "答案文件已用完，" if scripted is not None else ""
    console.print(f"[yellow]{reason}会话已保存[/]（{result.session_id}）。继续：[bold]mockint resume {result.session_id}[/]"
                  + (" --answers FILE" if scripted is not None else ""))
