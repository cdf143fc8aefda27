"""Practice commands: ``drill``, ``review``, ``history``, ``report``.

Only typer / rich / stdlib at import time; the graph, the bank and the review store are imported inside the
commands so ``mockint --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from agent.cli import options
from agent.errors import UsageError

if TYPE_CHECKING:
    from agent.schemas import Question


def register(app: typer.Typer) -> None:
    app.command("drill")(drill)
    app.command("review")(review)
    app.command("history")(history)
    app.command("report")(report)


# ---------------------------------------------------------------- drill / review sessions
def _check_args(engine: str, n: int) -> None:
    """Argument errors (exit 2), then the LLM key / endpoint check (exit 4) — before anything heavy is loaded."""
    from agent.llm.client import ensure_ready_for

    options.check_engine(engine)
    options.check_count(n)
    ensure_ready_for(engine)


def _run(mode: Literal["drill", "review"], question_ids: list[str], bank: list[Question], engine: str,
         answers: Path | None, out: Path | None) -> None:
    """Run a drill/review session over the preset ids with the terminal session runner."""
    from dataclasses import replace

    from agent.cli.terminal import ensure_store_quietly, run_in_terminal
    from agent.interview.context import Context

    scripted = options.read_answers(answers)
    opened = ensure_store_quietly()
    ctx = replace(Context.preset(mode, question_ids, engine, bank, retriever=opened.retriever()), self_rate=True)
    run_in_terminal(ctx, scripted, out=out)


def drill(
    topic: Annotated[str, typer.Argument(help="分类名或自由文本，例如 RLHF、RoPE、偏好数据")],
    n: Annotated[int, typer.Option("-n", help="题目数")] = 5,
    engine: options.EngineOpt = "offline",
    answers: options.AnswersOpt = None,
    out: options.OutOpt = None,
) -> None:
    """专项练习：按主题出题，最薄弱的先问；答得差的点稍后换个问法再考一次。"""
    _check_args(engine, n)
    options.check_out_dir(out)
    from agent.cli.terminal import ensure_store_quietly
    from agent.knowledge.bank import load_bank_or_fail
    from agent.knowledge.retrieval import TopicRetriever
    from agent.practice.drill import select_drill

    bank = load_bank_or_fail()
    ids = select_drill(topic, n, bank, TopicRetriever(ensure_store_quietly))
    _run("drill", ids, bank, engine, answers, out)


def review(
    n: Annotated[int, typer.Option("-n", help="最多复习几题")] = 10,
    engine: options.EngineOpt = "offline",
    answers: options.AnswersOpt = None,
    out: options.OutOpt = None,
    list_: Annotated[bool, typer.Option("--list", help="只列出复习卡片及到期时间")] = False,
    json_: Annotated[bool, typer.Option("--json", help="与 --list 一起用：输出 JSON")] = False,
) -> None:
    """间隔复习（FSRS）：把现在到期的题目按到期先后过一遍。"""
    from agent.practice import review as store

    if json_ and not list_:
        raise UsageError("--json 只能和 --list 一起使用")
    if list_:
        _list_cards(store.list_cards(), json_)
        return
    _check_args(engine, n)
    options.check_out_dir(out)
    from agent.knowledge.bank import load_bank_or_fail

    bank = load_bank_or_fail()
    ids = store.due_in_bank(bank, n)
    if not ids:
        from rich.console import Console

        cards = store.list_cards()
        nxt = min((c["due"] for c in cards), default=None)
        msg = "现在没有到期的复习卡片。" + (f"下一张到期时间: {_short(nxt)}" if nxt else "先用 interview 或 drill 练几题吧。")
        Console().print(msg)
        return
    _run("review", ids, bank, engine, answers, out)


def _short(iso: str | None) -> str:
    return (iso or "—")[:16].replace("T", " ") + (" UTC" if iso else "")


def _list_cards(cards: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        keys = ("question_id", "question", "due", "rating_history")
        print(json.dumps([{k: c[k] for k in keys} for c in cards], ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    from agent.knowledge.taxonomy import display_name

    console = Console()
    if not cards:
        console.print("还没有复习卡片：答过的题会自动加入复习。")
        return
    table = Table(title=f"复习卡片（{len(cards)}）")
    for col in ("到期", "题目", "分类", "最近得分", "评分历史"):
        table.add_column(col)
    for c in cards:
        history = " ".join(h["rating"] for h in c["rating_history"])
        score = "—" if c["last_score"] is None else f"{c['last_score']:g}"
        table.add_row(_short(c["due"]), c["question"][:40], display_name(c["category"]), score, history)
    console.print(table)


# ---------------------------------------------------------------- history / report
def history(
    json_: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    include_simulated: Annotated[bool, typer.Option("--include-simulated",
                                                    help="也统计模拟候选人的会话（mockint simulate / make demo）")] = False,
) -> None:
    """历史记录：各次会话的得分，以及各分类的平均分和趋势（默认不含模拟会话）。"""
    from agent.practice.history import load_history

    data = load_history(include_simulated=include_simulated)
    if json_:
        print(json.dumps(data, ensure_ascii=False))
        return
    _show_history(data)


def _show_history(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from agent.knowledge.taxonomy import display_name
    from agent.report.data import mode_label

    console = Console()
    if data.get("hidden_simulated"):
        console.print(f"[dim]未计入 {data['hidden_simulated']} 场模拟会话（加 --include-simulated 查看）[/]")
    if not data["sessions"]:
        console.print("还没有练习记录。用 [bold]mockint interview[/] 或 [bold]mockint drill 主题[/] 开始。")
        return
    sessions = Table(title=f"会话（{len(data['sessions'])}）", title_justify="left")
    for col in ("开始时间", "会话", "模式", "引擎", "题数", "总分"):
        sessions.add_column(col, justify="right" if col in ("题数", "总分") else "left")
    for s in data["sessions"]:
        mode = mode_label(s["mode"]) + ("" if s["finished"] else "（未完成）")
        sessions.add_row(_short(s["started_at"]), s["session_id"], mode, s["engine"],
                         str(s["questions"]), f"{s['overall']:g}")
    console.print(sessions)
    cats = Table(title="分类平均与趋势（按时间，0–10）", title_justify="left")
    for col in ("分类", "平均", "次数", "走势", "变化"):
        cats.add_column(col, justify="right" if col in ("平均", "次数", "变化") else "left")
    for c in data["categories"]:
        delta = c["trend"]
        arrow = "[green]↑" if delta > 0 else "[red]↓" if delta < 0 else "[dim]→"
        cats.add_row(display_name(c["category"]), f"{c['average']:g}", str(c["sessions"]),
                     f"[cyan]{c['sparkline']}[/]", f"{arrow} {delta:+g}[/]")
    console.print(cats)
    if data["skipped"]:
        console.print(f"[yellow]有 {len(data['skipped'])} 个记录文件无法读取，已跳过：[/]" + "，".join(data["skipped"][:3]))


def report(
    session: Annotated[str, typer.Argument(help="会话 id（或前缀），或 transcript.json 的路径")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="md | json | html")] = "md",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="写入文件（默认打印到终端）")] = None,
) -> None:
    """生成会话报告（Markdown / JSON / 单文件离线 HTML）。"""
    from agent.practice.history import find_transcript
    from agent.report import FORMATS, render

    if fmt not in FORMATS:
        raise UsageError(f"未知的报告格式: {fmt}（可选 {' / '.join(FORMATS)}）")
    if output is not None:
        check_output_file(output)
    text = render(find_transcript(session), fmt)
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return
    from agent.textio import atomic_write_text

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(output, text)
    except OSError as exc:
        raise UsageError(f"无法写入 {output}: {exc.strerror}") from None
    if fmt != "json":
        typer.echo(f"报告已写入: {output}")


def check_output_file(output: Path) -> None:
    """``-o FILE`` must be writable: not a directory, its folder a (creatable) writable directory."""
    from agent.config import writable_dir

    if output.is_dir():
        raise UsageError(f"-o {output} 是一个目录，请给出文件名（例如 {output / 'report.html'}）")
    writable_dir(output.parent, "-o 的目录", UsageError, create=False)
