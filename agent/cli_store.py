"""CLI: ``mockint ingest [PATH...] [--rebuild] [--json]`` and ``mockint retrieve "QUERY" [-k 5] [--json]``.

Only typer / rich / stdlib at import time; the store, embeddings and retrieval load inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from agent.errors import UsageError


def _stderr_notice(message: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[yellow]{message}[/]", highlight=False)


def ingest_cmd(
    paths: list[Path] = typer.Argument(None, help="笔记文件或目录（默认 knowledge/sources/）"),  # noqa: B008
    rebuild: bool = typer.Option(False, "--rebuild", help="清空并重建知识库（换嵌入模型或存储损坏时用）"),
    as_json: bool = typer.Option(False, "--json", help="输出一个 JSON 摘要"),
) -> None:
    """导入笔记：解析题库、切分并向量化到 Chroma（增量，可中断后重跑）。"""
    from agent.ingest import ingest

    report = ingest(list(paths) if paths else None, rebuild=rebuild, show_progress=not as_json)
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    from rich.console import Console

    console = Console()
    for warning in report.warnings:
        Console(stderr=True).print(f"[yellow]警告:[/] {warning}", highlight=False)
    console.print(
        f"导入完成：新增 {len(report.added)} 个文件，更新 {len(report.changed)}，未变 {len(report.unchanged)}，"
        f"删除 {len(report.removed)}；片段 {report.chunks} 个（本次向量化 {report.chunks_embedded}，"
        f"删除 {report.chunks_deleted}），题目 {report.questions} 道（本次向量化 {report.questions_embedded}），"
        f"用时 {report.seconds:.1f} 秒",
        highlight=False,
    )


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
    from agent.ingest import ensure_store
    from agent.retrieval import get_retriever

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


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_cmd)
    app.command("retrieve")(retrieve_cmd)
