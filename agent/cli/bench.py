"""``mockint bench [--json] [--quick] [--out FILE] [--corpus DIR]``: the agent's own costs (see agent/evals/bench/runner.py).

Only typer / rich / stdlib at import time; the benchmark loads the graph, the store and the models inside.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from agent.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def bench(
    as_json: Annotated[bool, typer.Option("--json", help="只输出一个 JSON 对象")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="小规模快速配置（内置 3 题笔记，次数少；用于自检）")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="结果文件（默认 $MOCKINT_HOME/bench.json）")] = None,
    corpus: Annotated[Path | None, typer.Option("--corpus", help="用于导入/检索测试的笔记目录（默认内置语料）")] = None,
) -> None:
    """性能基准：图开销、LLM 调用与 token、检索延迟、冷启动、导入、离线模拟面试、峰值内存。"""
    if corpus is not None and not corpus.exists():
        raise UsageError(f"路径不存在: {corpus}")
    from agent.evals.bench.runner import (
        COLUMNS,
        RESULTS_NAME,
        BenchConfig,
        run_bench,
        table_rows,
        write_results,
    )

    config = BenchConfig.quick_config(corpus) if quick else BenchConfig(corpus=corpus)
    if out is None:
        from agent.config import home

        out = home() / ("bench-quick.json" if quick else RESULTS_NAME)
    from rich.console import Console

    err = Console(stderr=True)
    result = run_bench(config, log=lambda msg: err.print(f"[dim]{msg}[/]", highlight=False))
    path = write_results(result, out)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    from rich.table import Table

    machine = result["machine"]
    table = Table(title=f"mockint bench · {machine['cpu']} · {machine['cores']} 核 · 负载 {machine['load_avg_1m']}",
                  title_justify="left")
    for column in COLUMNS:
        table.add_column(column)
    for row in table_rows(result):
        table.add_row(*row)
    console = Console()
    console.print(table)
    console.print(f"[dim]token 计数：{result['token_method']}[/]", highlight=False)
    console.print("[dim]CPU 时间 = 本进程（或子进程）实际占用的 CPU，不含等待 CPU 的时间；机器繁忙时它更接近空闲机器上的耗时[/]",
                  highlight=False)
    console.print(f"结果已写入 {path}", highlight=False)
    sys.stdout.flush()
