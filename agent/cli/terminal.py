"""Terminal side of a session: answer providers (interactive rich prompt, answers file) and the panels.

Shared by ``interview``, ``resume`` and the practice commands (``drill``, ``review``): :func:`run_in_terminal` is
the one terminal session runner. Imports only rich and stdlib at top level (the CLI's cold start stays fast).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.errors import UsageError
from agent.grading.self_rating import self_rated_mark
from agent.knowledge.taxonomy import display_name

if TYPE_CHECKING:
    from agent.interview.context import Context
    from agent.knowledge.store import Store
    from agent.schemas import Retriever, Transcript, Turn

QUIT_WORDS = {"/quit", "/exit", "/退出"}
_STATUS_ICON = {"covered": "[green]✓[/]", "partial": "[yellow]△[/]", "missing": "[red]✗[/]"}


# ---------------------------------------------------------------- answer providers
def read_answers_file(path: Path) -> list[str]:
    """Read an answers file by one rule: when the WHOLE file parses as one JSON array (or object) it is JSON and
    must be a non-empty array of strings; otherwise it is one answer per line, split on "\n" only (a trailing
    "\r" is dropped; U+2028, form feed, U+0085 stay inside their answer), blank lines ignored.
    Missing / unreadable / empty / wrong → UsageError."""
    if not path.exists() or not path.is_file():
        raise UsageError(f"答案文件不存在: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"答案文件不是 UTF-8 文本: {path}") from None
    except OSError as exc:
        raise UsageError(f"无法读取答案文件 {path}: {exc.strerror}") from None
    if not text.strip():
        raise UsageError(f"答案文件是空的: {path}", hint="每行一个回答，或一个 JSON 字符串数组")
    from agent.normalize import printable  # shown on the terminal; normalised when recorded

    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        data = None
    if isinstance(data, (list, dict)):
        if not isinstance(data, list) or not data or not all(isinstance(a, str) for a in data):
            raise UsageError(f"答案文件的 JSON 必须是非空的字符串数组: {path}")
        return [printable(a) for a in data]
    lines = (line[:-1] if line.endswith("\r") else line for line in text.split("\n"))
    return [printable(line) for line in lines if line.strip()]


SHOWN_CHARS = 2000  # a scripted answer is echoed up to this length (a 10 MB one would flood the terminal)


class ScriptedAnswers:
    """Answers consumed in order (main answers and follow-up answers alike); ``None`` when they run out."""

    def __init__(self, answers: list[str], console: Console | None = None) -> None:
        self.answers = list(answers)
        self.used = 0
        self.console = console

    def __call__(self, payload: dict[str, Any]) -> str | None:
        if payload.get("kind") == "self_rating":  # only a rating line (/good …) is taken; else: not rated
            from agent.grading.self_rating import is_rating_command

            if self.used >= len(self.answers) or not is_rating_command(self.answers[self.used]):
                return ""
            rating = self.answers[self.used]
            self.used += 1
            return rating
        if self.console:
            show_question(self.console, payload)
        if self.used >= len(self.answers):
            return None
        answer = self.answers[self.used]
        self.used += 1
        if answer.strip().lower() in QUIT_WORDS:  # a scripted /quit pauses the session like the interactive one
            return None
        if self.console:
            shown = answer if len(answer) <= SHOWN_CHARS else f"{answer[:SHOWN_CHARS]}…（共 {len(answer)} 字，只显示开头）"
            self.console.print(Panel(Text(shown or "（空回答）"), title="回答（来自文件）", border_style="dim"))
        return answer


class InteractiveAnswers:
    """Multi-line input finished by an empty line; ``/skip`` skips, ``/quit`` (or Ctrl-D) saves and stops."""

    def __init__(self, console: Console, read_line: Callable[[str], str] | None = None) -> None:
        self.console = console
        self.read_line = read_line or console.input

    def __call__(self, payload: dict[str, Any]) -> str | None:
        from agent.interview.nodes.common import SKIP_WORDS

        if payload.get("kind") == "self_rating":
            return self._self_rating(payload)
        show_question(self.console, payload)
        self.console.print("[dim]输入回答，空行结束；/skip 跳过本题，/quit 保存并退出[/]")
        lines: list[str] = []
        while True:
            try:
                line = self.read_line("> " if not lines else "")
            except EOFError:
                return None if not lines else "\n".join(lines)
            command = line.strip().lower()
            if not lines and command in QUIT_WORDS:
                return None
            if not lines and command in SKIP_WORDS:
                return "/skip"
            if not line.strip():
                if lines:
                    return "\n".join(lines)
                self.console.print("[yellow]回答为空；请输入回答，或 /skip 跳过、/quit 退出[/]")
                continue
            lines.append(line)


    def _self_rating(self, payload: dict[str, Any]) -> str:
        from agent.grading.self_rating import PROMPT, parse_rating

        for line in payload.get("reading", []):
            self.console.print(f"[cyan]{escape(str(line))}[/]")
        self.console.print(f"[bold]{PROMPT}[/]")
        for _ in range(3):
            try:
                reply = self.read_line("自评> ")
            except EOFError:
                return ""
            if not reply.strip() or parse_rating(reply):
                return reply.strip()
            self.console.print("[yellow]请输入 1–4（或 again / hard / good / easy），回车跳过[/]")
        return ""


# ---------------------------------------------------------------- panels
def show_question(console: Console, payload: dict[str, Any]) -> None:
    stars = "★" * int(payload.get("difficulty", 1)) + "☆" * (3 - int(payload.get("difficulty", 1)))
    if payload.get("kind") == "followup":
        title = f"追问 {payload.get('followup', 1)}/{payload.get('max_followups', 0)}"
    elif payload.get("retry"):
        title = f"重练（换个问法再考一次答弱的点，不计入题数；已答 {payload.get('number', '?')}/{payload.get('total', '?')} 题）"
    else:
        title = f"第 {payload.get('number', '?')}/{payload.get('total', '?')} 题"
    title += f" · {escape(display_name(str(payload.get('category', ''))))} · 难度 {stars}"
    console.print(Panel(Text(str(payload.get("question", ""))), title=title, border_style="cyan", title_align="left"))


def show_resume_context(console: Console, values: dict[str, Any]) -> None:
    """On ``mockint resume``: which question is being discussed and the last grade on it, so a pending
    follow-up ("关于「背景」…") is not shown out of context."""
    current = values.get("current") or {}
    pending = values.get("turn") or {}
    if not current or not pending:
        return
    console.print(Panel(Text(str(current.get("text", ""))), title="继续：正在讨论的题目", border_style="dim",
                        title_align="left"))
    last = next((t for t in reversed(values.get("turns") or []) if t.get("question_id") == current.get("id")), None)
    if last is not None and pending.get("kind") == "followup":
        from agent.schemas import Turn as TurnModel

        show_turn(console, TurnModel.model_validate(last))


def show_turn(console: Console, turn: Turn) -> None:
    grade = turn.grade
    if grade is None:
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    for verdict in grade.points:
        quote = Text(f"「{verdict.quote[:40]}」", style="dim") if verdict.quote else Text("")
        table.add_row(_STATUS_ICON[verdict.status], Text(verdict.point), quote)
    parts: list[Any] = [f"[bold]{grade.score:g}[/] / 10{self_rated_mark(grade.self_rating)}"]
    if grade.points:
        parts.append(table)
    if grade.errors:
        parts.append("[red]错误：[/]" + escape("；".join(grade.errors)))
    parts.append(Text(grade.feedback))
    if grade.model_answer and grade.score < 8:
        parts.append("[dim]参考答案：[/]" + escape(grade.model_answer))
    for notice in grade.notices:
        parts.append(Text(f"提示：{notice}", style="yellow"))
    if grade.fact_check is not None:
        fc = grade.fact_check
        parts.append(Text(f"事实核对（{fc.engine}）：离线 {fc.offline_score:g} → {fc.score:g}，"
                          f"{len(fc.changes)} 处有引用为证的错误", style="cyan"))
    if not turn.reflection.verified:
        parts.append("[yellow]注意：该评分多次复核仍未通过校验，已标记为未验证[/]")
    from rich.console import Group

    color = "green" if grade.score >= 8 else "yellow" if grade.score > 4 else "red"
    console.print(Panel(Group(*parts), title="评分" + ("（已跳过）" if turn.skipped else ""), border_style=color,
                        title_align="left"))


def show_report(console: Console, transcript: Transcript) -> None:
    summary = transcript.summary
    if summary is None:
        return
    table = Table(title=f"面试报告 · 总分 {summary.overall:g} / 10", title_justify="left")
    table.add_column("题目")
    table.add_column("分类")
    table.add_column("得分", justify="right")
    table.add_column("追问", justify="right")
    for q in summary.questions:
        table.add_row(Text(q.question), Text(display_name(q.category)), f"{q.score:g}", str(q.followups))
    console.print(table)
    if summary.by_category:
        console.print(Text("分类平均：" + "，".join(f"{display_name(c)} {v:g}" for c, v in summary.by_category.items())))
    if summary.strongest:
        console.print("[green]掌握较好：[/]" + escape("；".join(summary.strongest)))
    if summary.weakest:
        console.print("[red]薄弱点：[/]" + escape("；".join(summary.weakest)))
    for item in summary.study_next[:5]:
        where = f" —— {item.file} § {item.section}" if item.file else ""
        console.print("[cyan]复习[/] " + escape(f"{item.point}{where}"))


# ---------------------------------------------------------------- the session runner
@dataclass(frozen=True)
class OpenedStore:
    """The knowledge store a command opened (once), and whether it was built just now."""

    store: Store | None = None  # None: not opened (test doubles)
    built: bool = False  # built now: the bank may be the one just built from the notes

    def retriever(self) -> Retriever | None:
        """The retriever over this store (None: the context opens its default one)."""
        if self.store is None:
            return None
        from agent.knowledge.retrieval import get_retriever

        return get_retriever(self.store)


def ensure_store_quietly() -> OpenedStore:
    """Open the knowledge store, building it on first use (a notice on stderr), so retrieval works in the
    session; the session's retriever is then made from this store, not from a second open."""
    from agent.knowledge.ingest import ensure_store

    built: list[str] = []

    def notify(msg: str) -> None:
        built.append(msg)
        print(msg, file=sys.stderr)

    store = ensure_store(notify=notify, show_progress=sys.stderr.isatty())
    return OpenedStore(store, bool(built))


def run_in_terminal(ctx: Context, scripted: list[str] | None, *, session_id: str | None = None,
                    out: Path | None = None, seed: int | None = None) -> None:
    """Run a session (interview, drill or review) with the terminal UI — interactive, or the scripted answers —
    and print how it ended. Drills also show a study hint after a weak question (:class:`HintQueue`)."""
    from agent.interview.sessions import Observer, run_session

    console = Console()
    provider = ScriptedAnswers(scripted, console) if scripted is not None else InteractiveAnswers(console)
    hints = HintQueue(console, enabled=ctx.mode == "drill")

    def on_turn(turn: Turn) -> None:
        show_turn(console, turn)
        hints.add(turn)

    def on_finish(transcript: Transcript) -> None:
        hints.flush()
        show_report(console, transcript)

    result = run_session(ctx, hints.wrap(provider), session_id=session_id, out=out,
                         observer=Observer(on_turn=on_turn, on_finish=on_finish), seed=seed)
    sid = result.session_id
    if result.status == "finished":
        if ctx.mode == "interview":
            folder = result.paths[-1].parent if result.paths else None
            console.print(f"[green]面试结束[/]，记录已保存到 {escape(str(folder))}")
        else:
            console.print(f"[green]练习结束[/]（{sid}）。报告：mockint report {sid} --format html -o report.html")
        return
    reason = "答案文件已用完，" if scripted is not None else ""
    console.print(f"[yellow]{reason}会话已保存[/]（{sid}）。继续：[bold]mockint resume {sid}[/]"
                  + (" --answers FILE" if scripted is not None else ""))


class HintQueue:
    """Drill UI: once a question is finished with a weak score (≤ 4), show the model answer and the note
    section to read — just before the next main question (or at the end), so follow-ups are not given away."""

    def __init__(self, console: Console, enabled: bool) -> None:
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

    def wrap(self, provider: Callable[[dict[str, Any]], str | None]) -> Callable[[dict[str, Any]], str | None]:
        def answer(payload: dict[str, Any]) -> str | None:
            if payload.get("kind") == "main":
                self.flush()
            return provider(payload)

        return answer
