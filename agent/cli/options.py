"""Options and argument checks shared by the commands — one definition each.

Only typer and stdlib at import time (``mockint --help`` stays fast); the checks import what they need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.errors import UsageError, check_count

EngineOpt = Annotated[str, typer.Option("--engine", "-e", help="评分引擎: offline（默认，离线）| llm | local（本地小模型核对事实）")]
AnswersOpt = Annotated[Path | None, typer.Option("--answers", help="答案文件（每行一个，或 JSON 字符串数组）")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="transcript.json / .md 的输出目录")]


__all__ = ["AnswersOpt", "EngineOpt", "OutOpt", "check_count", "check_engine", "check_out_dir", "read_answers"]


def check_engine(engine: str) -> None:
    """An unknown engine name is exit 2 (:func:`agent.engines.check_engine_kind`)."""
    from agent.engines import check_engine_kind

    check_engine_kind(engine)


def check_out_dir(out: Path | None) -> None:
    """``--out DIR`` is checked before a session starts (a file, or a folder we cannot write, is exit 2)."""
    if out is not None:
        from agent.config import writable_dir

        writable_dir(out, "--out 目录", UsageError, create=False)  # checked only: nothing is created yet


def read_answers(path: Path | None) -> list[str] | None:
    """The scripted answers of ``--answers FILE`` (None: interactive)."""
    if path is None:
        return None
    from agent.cli.terminal import read_answers_file

    return read_answers_file(path)
