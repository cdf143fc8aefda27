"""CLI: ``mockint ingest [PATH...] [--only] [--yes] [--rebuild] [--json]``, ``mockint sources [list | remove NAME]``
and ``mockint retrieve "QUERY" [-k 5] [--json]``.

Only typer / rich / stdlib at import time; the store, embeddings and retrieval load inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from agent.errors import UsageError


def _stderr_notice(message: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[yellow]{message}[/]", highlight=False)


def _confirm_drop(names: list[str], yes: bool) -> None:
    """Dropping a source needs ``--yes`` or an interactive confirmation; nothing is touched on "no"."""
    if not names or yes:
        return
    import sys

    listed = "、".join(names)
    if not sys.stdin.isatty():
        raise UsageError(f"这会从知识库移除来源：{listed}；确认请加 --yes")
    if not typer.confirm(f"将从知识库移除来源：{listed}（题目、片段一并删除）。确定吗？", default=False):
        raise UsageError("已取消，知识库没有改动")


def ingest_cmd(
    paths: list[Path] = typer.Argument(None, help="笔记文件或目录：新增或更新这些来源，其他来源保持不变"),  # noqa: B008
    only: bool = typer.Option(False, "--only", help="只保留这次给出的路径，移除其他来源（需确认或 --yes）"),
    yes: bool = typer.Option(False, "--yes", "-y", help="移除来源时不再询问"),
    rebuild: bool = typer.Option(False, "--rebuild", help="重新向量化全部来源（换嵌入模型或存储损坏时用）"),
    as_json: bool = typer.Option(False, "--json", help="输出一个 JSON 摘要"),
) -> None:
    """导入笔记：新增/更新给出的来源（内置笔记和以前导入的来源保留），解析题库、切分并向量化到 Chroma。"""
    from agent.knowledge.ingest import ingest

    if only and not paths:
        raise UsageError("--only 需要至少一个路径")
    if only:
        from agent.knowledge.ingest_plan import plan_sources
        from agent.knowledge.store_state import read_state

        state = read_state()
        if state is not None:
            _confirm_drop([r.name for r in plan_sources(state, list(paths), only=True).dropped], yes)
    report = ingest(list(paths) if paths else None, rebuild=rebuild, show_progress=not as_json, only=only,
                    notify=None if as_json else _stderr_notice)
    _print_report(report, as_json)


def _print_report(report: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    from rich.console import Console

    console = Console()
    for warning in report.warnings:
        Console(stderr=True).print(f"[yellow]警告:[/] {warning}", highlight=False)
    console.print(
        f"导入完成：来源 {'、'.join(report.sources)}；文件新增 {len(report.added)}，更新 {len(report.changed)}，"
        f"未变 {len(report.unchanged)}，移除 {len(report.removed)}；片段 {report.chunks} 个（本次向量化 "
        f"{report.chunks_embedded}，删除 {report.chunks_deleted}），题目 {report.questions} 道（本次向量化 "
        f"{report.questions_embedded}），用时 {report.seconds:.1f} 秒",
        highlight=False,
    )


def sources_list(as_json: bool = typer.Option(False, "--json", help="输出一个 JSON 数组")) -> None:
    """列出知识库的来源：名称、题目数、片段数、上次导入时间。"""
    from agent.knowledge.ingest_plan import registered
    from agent.knowledge.store_state import read_state

    state = read_state()
    rows: list[dict[str, Any]] = [{"name": r.name, "kind": r.kind, "path": str(r.root()), "files": len(r.files), "questions": r.questions,
             "chunks": r.chunks, "last_ingest": r.ingested_at or None} for r in registered(state)]
    if state is None:  # nothing ingested yet: the shipped notes, loaded on first use
        from agent.config import bank_path
        from agent.knowledge.bank import load_bank

        rows[0]["questions"] = len(load_bank(bank_path()))
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="知识库来源" + ("（尚未建立：首次使用时载入内置笔记）" if state is None else ""))
    for column, justify in (("名称", "left"), ("题目", "right"), ("片段", "right"), ("上次导入", "left"),
                            ("路径", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        name = f"{row['name']}（内置笔记）" if row["kind"] == "builtin" else str(row["name"])
        table.add_row(name, str(row["questions"]), str(row["chunks"]) if state else "-",
                      str(row["last_ingest"] or "-")[:19].replace("T", " "), str(row["path"]))
    Console().print(table)


def sources_remove(
    names: list[str] = typer.Argument(..., help="来源名称（见 mockint sources）"),  # noqa: B008
    yes: bool = typer.Option(False, "--yes", "-y", help="不再询问"),
    as_json: bool = typer.Option(False, "--json", help="输出一个 JSON 摘要"),
) -> None:
    """从知识库移除来源（其题目和片段），需确认或 --yes。"""
    from agent.knowledge.ingest import ingest
    from agent.knowledge.ingest_plan import plan_sources
    from agent.knowledge.store_state import read_state

    plan_sources(read_state(), [], remove=list(names))  # unknown names: one clear line before asking
    _confirm_drop(list(names), yes)
    report = ingest(None, remove=list(names), show_progress=not as_json, notify=None if as_json else _stderr_notice)
    _print_report(report, as_json)


def retrieve_cmd(
    query: str = typer.Argument(..., help="检索问题或关键词"),
    k: int = typer.Option(5, "-k", "--top-k", help="返回条数（1–50）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 数组"),
) -> None:
    """在笔记中混合检索（向量 + BM25），低于相关度阈值时报告“没有相关内容”。"""
    if not query.strip():
        raise UsageError("查询不能为空")
    if not 1 <= k <= 50:
        raise UsageError(f"-k 必须在 1 到 50 之间（收到 {k}）")
    from agent.knowledge.ingest import ensure_store
    from agent.knowledge.retrieval import get_retriever

    store = ensure_store(notify=_stderr_notice, show_progress=not as_json)
    result = get_retriever(store).search(query, k=k)  # the store ensure_store opened, not a second open
    if as_json:
        print(json.dumps([h.model_dump(include={"chunk_id", "source", "section", "text", "score"}) for h in result.hits],
                         ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if not result.hits:
        console.print(f"没有找到与“{query}”相关的笔记内容（最高相关度 {result.best_score:.2f}，"
                      f"阈值 {result.threshold:.2f}）。", highlight=False)
        return
    table = Table(title=f"检索：{query}", show_lines=True)
    table.add_column("相关度", justify="right")
    table.add_column("来源")
    table.add_column("内容")
    for hit in result.hits:
        body = hit.text[len(hit.section):].lstrip("\n") if hit.section and hit.text.startswith(hit.section) else hit.text
        snippet = body if len(body) <= 240 else body[:240] + "…"
        table.add_row(f"{hit.score:.2f}", Text(hit.source + "\n") + Text(hit.section, style="dim"), Text(snippet))
    console.print(table)


def _sources_default(ctx: typer.Context,
                     as_json: bool = typer.Option(False, "--json", help="输出一个 JSON 数组")) -> None:
    """列出（mockint sources）或移除（mockint sources remove NAME）知识库来源。"""
    if ctx.invoked_subcommand is None:
        sources_list(as_json)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_cmd)
    sources_app = typer.Typer(help="知识库来源：列出（默认）或移除。", invoke_without_command=True)
    sources_app.callback(invoke_without_command=True)(_sources_default)
    sources_app.command("list")(sources_list)
    sources_app.command("remove")(sources_remove)
    app.add_typer(sources_app, name="sources")
    app.command("retrieve")(retrieve_cmd)
