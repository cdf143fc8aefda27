"""``mockint eval`` (grader vs. human scores / ladder bands) and ``mockint simulate`` (persona sessions)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.options import check_engine
from agent.errors import UsageError


def _check_engine(engine: str) -> None:
    """An unknown engine (exit 2), then the LLM key / endpoint check (exit 4) — before anything heavy is loaded."""
    check_engine(engine)
    from agent.llm.client import ensure_ready_for

    ensure_ready_for(engine)


def _grader(engine: str, reflections: list):  # type: ignore[no-untyped-def,type-arg]
    """The interview's own grading path (:mod:`agent.interview.grading_path`: grade → reflect with retries and fallback);
    each row's :class:`Reflection` is appended to ``reflections``."""
    from agent.engines import make_engine
    from agent.interview.context import Context
    from agent.interview.grading_path import build_grading_graph, grade_checked

    ctx = Context(engine_kind=engine, engine=make_engine(engine), record_review=False)
    graph = build_grading_graph()

    def grade(request):  # type: ignore[no-untyped-def]
        out, reflection = grade_checked(graph, ctx, request)
        reflections.append(reflection)
        return out

    return grade


def eval_command(
    dataset: Annotated[Path, typer.Option("--dataset", "-d", help="JSONL: id, question, reference, answer, score, max_score")],
    engine: str = typer.Option("offline", "--engine", "-e", help="offline | llm | local"),
    limit: int | None = typer.Option(None, "--limit", "-l", min=1, help="只评前 N 行"),
    as_json: bool = typer.Option(False, "--json", help="只输出一个 JSON 对象"),
    predictions: Annotated[Path | None, typer.Option("--predictions", help="每行写出 {id, score, predicted}")] = None,
) -> None:
    """评估评分器与人工评分的一致性（Pearson / Spearman / RMSE / QWK），阶梯数据集还检查分数区间。"""
    _check_engine(engine)
    from rich.progress import Progress

    from agent.evals import evaluation as ev

    rows = ev.load_dataset(dataset, limit)
    reflections: list = []  # type: ignore[type-arg]
    grader = _grader(engine, reflections)
    start = time.perf_counter()
    with Progress(transient=True, console=_stderr()) as progress:
        task = progress.add_task("评分中", total=len(rows))
        if engine in ("offline", "local"):
            progress.update(task, description="编码（本地 e5）")
            ev.prefetch_embeddings(rows)
            progress.update(task, description="评分中")
        preds = ev.run(rows, grader, on_row=lambda: progress.advance(task))
    elapsed = time.perf_counter() - start
    report = ev.summarize(preds)
    report.seconds_per_answer = elapsed / len(preds)
    report.extra["engine"] = engine
    report.extra["fallbacks"] = sum(1 for p in preds if getattr(p.grade, "engine", "") == "offline-fallback")
    report.extra["regraded"] = sum(1 for r in reflections if r.attempts > 1)  # reflection sent the grade back
    report.extra["unverified"] = sum(1 for r in reflections if not r.verified)
    if predictions:
        _write_predictions(predictions, preds)
    data = report.to_dict()
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        _print_report(dataset, data)


def _write_predictions(path: Path, preds: list) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fh:
            for p in preds:
                fh.write(json.dumps({"id": p.row.id, "score": p.row.score, "predicted": round(p.predicted, 4)},
                                    ensure_ascii=False) + "\n")
    except OSError as exc:
        raise UsageError(f"无法写入 --predictions 文件 {path}: {exc.strerror}") from None


def _stderr():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True)


def _fmt(value: object) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _print_report(dataset: Path, data: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"评分器评估 · {dataset.name} · {data['engine']}")
    for key in ("n", "pearson", "spearman", "rmse", "qwk", "seconds_per_answer"):
        table.add_column(key)
    table.add_row(*(_fmt(data[k]) for k in ("n", "pearson", "spearman", "rmse", "qwk", "seconds_per_answer")))
    console.print(table)
    if "bands" in data:
        bands = Table(title=f"分数区间检查（越界 {data['band_violations']} 行）")
        for col in ("类型", "行数", "平均分", "越界", "偏高", "越界样例"):
            bands.add_column(col)
        for kind, entry in sorted(data["bands"].items()):
            bands.add_row(kind, str(entry["n"]), f"{entry['mean']:.1f}", str(entry["violations"]), str(entry["inflated"]),
                          ", ".join(entry["ids"][:3]))
        console.print(bands)
    if data.get("fallbacks"):
        console.print(f"[yellow]{data['fallbacks']} 行大模型调用失败，改用了离线评分[/]")


def simulate_command(
    persona: str | None = typer.Option(None, "--persona", "-p", help="strong | average | weak | evasive | injector（默认全部）"),
    n: int = typer.Option(5, "-n", min=1, max=30, help="每场的题目数"),
    sessions: int = typer.Option(1, "--sessions", "-s", min=1, max=20, help="每种候选人模拟几场"),
    engine: str = typer.Option("offline", "--engine", "-e", help="offline | llm | local（llm：大模型扮演候选人并评分；local：本地模型核对事实）"),
    as_json: bool = typer.Option(False, "--json", help="只输出 {persona: {mean_score, followups, sessions}}"),
    show: bool = typer.Option(False, "--show", help="打印每场的问答记录"),
) -> None:
    """用模拟候选人跑完整面试流程（同一张图、同一评分器），检查评分能否区分不同水平。"""
    from agent.evals.personas import PERSONAS

    chosen = [persona] if persona else list(PERSONAS)
    for name in chosen:
        if name not in PERSONAS:
            raise UsageError(f"未知的候选人类型: {name}（可选: {', '.join(PERSONAS)}）")
    _check_engine(engine)
    results = _simulate(chosen, n, sessions, engine, progress=not as_json)
    if as_json:
        print(json.dumps({r.persona: r.to_dict() for r in results}, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if show:
        from agent.evals.simulate import print_transcript

        for r in results:
            for t in r.transcripts:
                print_transcript(console, r.persona, t)
    table = Table(title=f"模拟候选人（{engine}，每场 {n} 题 × {sessions} 场）")
    for col in ("候选人", "平均分", "追问次数", "场次"):
        table.add_column(col)
    for r in results:
        table.add_row(r.persona, f"{r.mean_score:.2f}", str(r.followups), str(r.sessions))
    console.print(table)


def _simulate(personas: list[str], n: int, sessions: int, engine: str, progress: bool) -> list:
    from agent.engines import make_engine
    from agent.evals.personas import offline_answer
    from agent.evals.simulate import AnswerFn, llm_answer_fn, run_persona
    from agent.knowledge.bank import load_bank

    bank = load_bank()
    grader = make_engine(engine)
    answer_fn: AnswerFn = offline_answer
    if engine == "llm":
        from agent.llm.client import chat_model

        answer_fn = llm_answer_fn(chat_model(temperature=0.3))
    results = []
    for name in personas:
        if progress:
            _stderr().print(f"模拟 {name} …", highlight=False)
        results.append(run_persona(name, bank, n, sessions, grader, answer_fn, engine_kind=engine))
    return results


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
    app.command("simulate")(simulate_command)
