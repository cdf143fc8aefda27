"""Practice commands: ``drill``, ``review``, ``history``, ``report``.

Only typer / rich / stdlib at import time; the graph, the bank and the review store are imported inside the
commands so ``mockint --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.errors import UsageError

if TYPE_CHECKING:
    from agent.schemas import Transcript, Turn

EngineOpt = Annotated[str, typer.Option("--engine", help="评分引擎: offline（默认，离线）| llm | local（本地小模型核对事实）")]
AnswersOpt = Annotated[
    Path | None, typer.Option("--answers", help="答案文件（每行一个答案或 JSON 列表），非交互运行")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="另把 transcript.json / .md 写到这个目录")]


def register(app: typer.Typer) -> None:
    app.command("drill")(drill)
    app.command("review")(review)
    app.command("history")(history)
    app.command("report")(report)


# ---------------------------------------------------------------- drill / review sessions
def _check_args(engine: str, n: int) -> None:
    """Argument errors (exit 2), then the LLM key / endpoint check (exit 4) — before anything heavy is loaded."""
    from agent.engines import ENGINE_KINDS
    from agent.llm.client import ensure_ready_for

    if engine not in ENGINE_KINDS:
        raise UsageError(f"未知引擎: {engine}（可选 {' / '.join(ENGINE_KINDS)}）")
    if n < 1:
        raise UsageError("-n 至少为 1")
    ensure_ready_for(engine)


def _run(mode: str, question_ids: list[str], bank: list[Any], engine: str, answers: Path | None,
         out: Path | None) -> None:
    """Run a drill/review session over the preset ids through the shared session runner and terminal UI."""
    from dataclasses import replace

    from rich.console import Console

    from agent.cli.interview import ensure_store_quietly
    from agent.cli.terminal import (
        InteractiveAnswers,
        ScriptedAnswers,
        read_answers_file,
        show_report,
        show_turn,
    )
    from agent.interview.context import Context
    from agent.interview.sessions import Observer, run_session

    scripted = read_answers_file(answers) if answers is not None else None
    console = Console()
    ctx = replace(Context.preset(mode, question_ids, engine, bank), self_rate=True)  # type: ignore[arg-type]
    ensure_store_quietly()
    inner = ScriptedAnswers(scripted, console) if scripted is not None else InteractiveAnswers(console)
    hints = HintQueue(console, enabled=mode == "drill")

    def on_turn(turn: Turn) -> None:
        show_turn(console, turn)
        hints.add(turn)

    def on_finish(transcript: Transcript) -> None:
        hints.flush()
        show_report(console, transcript)

    result = run_session(ctx, hints.wrap(inner), out=out, observer=Observer(on_turn=on_turn, on_finish=on_finish))
    sid = result.session_id
    if result.status == "finished":
        console.print(f"[green]练习结束[/]（{sid}）。报告：mockint report {sid} --format html -o report.html")
    else:
        reason = "答案文件已用完，" if scripted is not None else ""
        console.print(f"[yellow]{reason}会话已保存[/]（{sid}）。继续：[bold]mockint resume {sid}[/]")


class HintQueue:
    """Drill UI: once a question is finished with a weak score (≤ 4), show the model answer and the note
    section to read — just before the next main question (or at the end), so follow-ups are not given away."""

    def __init__(self, console: Any, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self.best: dict[str, float] = {}
        self.last: Turn | None = None

    def add(self, turn: Turn) -> None:
        if not self.enabled or turn.grade is None:
            return
        score = 0.0 if turn.skipped else turn.grade.score
        if turn.kind == "main" or turn.question_id not in self.best:
            self.best[turn.question_id] = score
            self.last = turn
        else:
            self.best[turn.question_id] = max(score, self.best[turn.question_id])

    def flush(self) -> None:
        turn, self.last = self.last, None
        if turn is None or turn.grade is None:
            return
        final = turn.grade.model_copy(update={"score": self.best.get(turn.question_id, turn.grade.score)})
        from agent.practice.drill import study_hint

        hint = study_hint(turn.model_copy(update={"grade": final}))
        if hint:
            from rich.panel import Panel

            self.console.print(Panel(hint, title="先复习一下", border_style="yellow", title_align="left"))

    def wrap(self, provider: Any) -> Any:
        def answer(payload: dict[str, Any]) -> str | None:
            if payload.get("kind") == "main":
                self.flush()
            return provider(payload)

        return answer


def drill(
    topic: Annotated[str, typer.Argument(help="分类名或自由文本，例如 RLHF、RoPE、偏好数据")],
    n: Annotated[int, typer.Option("-n", help="题目数")] = 5,
    engine: EngineOpt = "offline",
    answers: AnswersOpt = None,
    out: OutOpt = None,
) -> None:
    """专项练习：按主题出题，最薄弱的先问；答得差的点稍后换个问法再考一次。"""
    _check_args(engine, n)
    check_out_dir(out)
    from agent.cli.interview import load_bank_or_fail
    from agent.practice.drill import select_drill

    bank = load_bank_or_fail()
    ids = select_drill(topic, n, bank, topic_retriever())
    _run("drill", ids, bank, engine, answers, out)


def topic_retriever() -> Any:
    """A retriever opened only if a free-text topic needs it; without a usable store drills use the bank alone."""

    class LazyRetriever:
        def search_questions(self, query: str, k: int) -> Any:
            from agent.cli.interview import ensure_store_quietly
            from agent.errors import MockintError
            from agent.knowledge.retrieval import get_retriever

            try:
                ensure_store_quietly()
                return get_retriever().search_questions(query, k)
            except MockintError:
                return []

    return LazyRetriever()


def review(
    n: Annotated[int, typer.Option("-n", help="最多复习几题")] = 10,
    engine: EngineOpt = "offline",
    answers: AnswersOpt = None,
    out: OutOpt = None,
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
    check_out_dir(out)
    from agent.cli.interview import load_bank_or_fail

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


def check_out_dir(out: Path | None) -> None:
    """``--out DIR`` is checked before a session starts (a file, or a folder we cannot write, is exit 2)."""
    if out is not None:
        from agent.config import writable_dir

        writable_dir(out, "--out 目录", UsageError, create=False)  # checked only: nothing is created yet
