"""``mockint bank stats | list | show | gaps | points``: browse the question bank (no Chroma needed)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from agent.errors import UsageError

if TYPE_CHECKING:
    from agent.schemas import Question
from agent.knowledge.taxonomy import categories_help


def _load() -> list[Question]:
    from agent.knowledge.bank import load_bank

    return load_bank()


def _category_option(value: str | None) -> str | None:
    if value is None:
        return None
    from agent.knowledge.taxonomy import CATEGORIES, resolve_categories

    return resolve_categories([value], (c.slug for c in CATEGORIES))[0]


def _origin() -> str:
    """Which bank is shown: the shipped one, or the one built from the store's sources."""
    from agent.knowledge.store_state import read_state

    state = read_state()
    if state is None:
        return "内置笔记（尚未导入自己的笔记：mockint ingest PATH）"
    return "来源 " + "、".join("内置笔记" if s.kind == "builtin" else s.name for s in state.sources)


WIDE_LIST = 120  # below this terminal width `bank list` prints one line per question


def _stars(n: int) -> str:
    return "⭐" * n


def stats(json_out: bool = typer.Option(False, "--json", help="输出一个 JSON 对象")) -> None:
    """题库统计：题目数、各类别 / 各笔记 / 题型分布。"""
    from agent.knowledge.bank import bank_stats

    questions = _load()
    data = bank_stats(questions)
    if json_out:
        print(json.dumps(data, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    from agent.knowledge.taxonomy import display_name

    console = Console()
    console.print(f"[bold]题库[/]（{_origin()}）：{data['questions']} 道题，{data['with_reference']} 道有参考要点，"
                  f"{data['with_followups']} 道有追问；知识题 {data['by_kind']['knowledge']}，"
                  f"项目/经验题 {data['by_kind']['project']}；"
                  f"{sum(1 for q in questions if len(q.sources) > 1)} 道由多处笔记的重复题合并而成")
    cat = Table(title="按类别")
    cat.add_column("slug")
    cat.add_column("类别")
    cat.add_column("题数", justify="right")
    for slug, n in data["by_category"].items():
        cat.add_row(slug, display_name(slug), str(n))
    console.print(cat)
    src = Table(title="按笔记（合并后的题目可来自多份笔记）")
    src.add_column("笔记")
    src.add_column("题数", justify="right")
    for name, n in data["by_source"].items():
        src.add_row(name, str(n))
    console.print(src)


def list_questions(
    category: str | None = typer.Option(None, "--category", "-c", help="类别：slug、中文名或别名（如 RLHF），见下方列表"),
    difficulty: int | None = typer.Option(None, "--difficulty", "-d", help="难度 1-3"),
    json_out: bool = typer.Option(False, "--json", help="输出一个 JSON 数组"),
) -> None:
    """列出题目（可按类别、难度筛选）。"""
    slug = _category_option(category)
    if difficulty is not None and difficulty not in (1, 2, 3):
        raise UsageError(f"难度必须是 1、2 或 3，而不是 {difficulty}")
    questions = [q for q in _load() if (slug is None or q.category == slug)
                 and (difficulty is None or q.difficulty == difficulty)]
    if json_out:
        print(json.dumps([q.model_dump(mode="json") for q in questions], ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from agent.knowledge.taxonomy import display_name

    console = Console()
    table = Table(title=f"{len(questions)} 道题（{_origin()}）")
    narrow = console.width < WIDE_LIST
    table.add_column("id", no_wrap=True)
    if not narrow:
        table.add_column("类别")
    table.add_column("难度", no_wrap=True)
    table.add_column("题目")
    if not narrow:
        table.add_column("来源", justify="right")
    id_width = max((len(q.id) for q in questions), default=2)
    room = max(10, console.width - id_width - 6 - 10)  # borders and padding of three columns
    for q in questions:
        mark = "（项目）" if q.kind == "project" else ""
        text = Text(q.text + mark)
        if narrow:  # one line per question, cut with "…" at the edge (never folded mid-word)
            text.truncate(room, overflow="ellipsis")
        cells: list[str | Text] = [q.id, display_name(q.category), _stars(q.difficulty), text, str(len(q.sources))]
        table.add_row(*([cells[0], cells[2], cells[3]] if narrow else cells))
    console.print(table)
    if narrow:
        console.print(f"[dim]终端宽度 {console.width} < {WIDE_LIST}：每题一行，题目可能截断；完整内容用 "
                      "mockint bank show ID，或 --json[/]")


def show(
    qid: str = typer.Argument(..., help="题目 id（或唯一的 id 前缀）"),
    json_out: bool = typer.Option(False, "--json", help="输出一个 JSON 对象"),
) -> None:
    """查看一道题：参考要点、追问、出处。"""
    from agent.knowledge.bank import find_question

    q = find_question(_load(), qid)
    if json_out:
        print(json.dumps(q.model_dump(mode="json"), ensure_ascii=False))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel

    from agent.knowledge.taxonomy import display_name

    kind = "项目/经验题" if q.kind == "project" else "知识题"
    lines = [f"[bold]{escape(q.text)}[/]", "",
             f"类别: {display_name(q.category)}（{q.category}）  难度: {_stars(q.difficulty)}  题型: {kind}"]
    if q.tags or q.companies:
        lines.append(f"标签: {escape('、'.join(q.tags))}  公司: {escape('、'.join(q.companies))}")
    lines.append("")
    if q.reference_points:
        lines.append("[bold]参考要点[/]")
        lines += [f"  {i}．{escape(p)}" for i, p in enumerate(q.reference_points, 1)]
    else:
        lines.append("[dim]笔记中没有给出答案（按评分标准评分）[/]")
    if q.followups:
        lines += ["", "[bold]可能追问[/]"] + [f"  •{escape(f)}" for f in q.followups]
    lines += ["", "[bold]出处[/]"] + [f"  {escape(s.file)} 第 {s.lines[0]}-{s.lines[1]} 行 · {escape(s.section)}"
                                       for s in q.sources]
    Console().print(Panel("\n".join(lines), title=q.id, expand=False))


def gaps(
    category: str | None = typer.Option(None, "--category", "-c", help="只看这个类别（slug、中文名或别名）"),
    json_out: bool = typer.Option(False, "--json", help="输出一个 JSON 对象"),
) -> None:
    """笔记里没有参考答案的题目，按笔记和类别列出（补上答案要点后 mockint ingest 即可按要点评分）。"""
    from agent.knowledge.bank import bank_gaps

    slug = _category_option(category)
    data = bank_gaps([q for q in _load() if slug is None or q.category == slug])
    if json_out:
        print(json.dumps(data, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.markup import escape

    from agent.knowledge.taxonomy import display_name

    console = Console()
    console.print(f"[bold]{data['total']} 道题在笔记里没有参考答案[/]（{_origin()}）：知识题 {data['knowledge']}"
                  f"（只能按评分标准评分或自评），项目/经验题 {data['project']}（按 STAR 评分标准评分）")
    console.print("按类别：" + "、".join(f"{display_name(c)} {n}" for c, n in data["by_category"].items()))
    by_id = {q["id"]: q for q in data["questions"]}
    for note, ids in data["by_note"].items():
        console.print(f"\n[bold]{escape(note)}[/]（{len(ids)} 道）")
        for qid in ids:
            q = by_id[qid]
            where = next((s for s in q["sources"] if s["file"] == note), q["sources"][0])
            mark = "（项目）" if q["kind"] == "project" else ""
            console.print(f"  {qid}  {escape(q['text'])}{mark}  [dim]第 {where['lines'][0]} 行 · "
                          f"{escape(where['section'])}[/]")
    if data["total"]:
        console.print("\n[dim]在笔记中题目下方写上答案要点（列表或「答：」段落），再运行 mockint ingest PATH[/]")


def points(
    qid: str = typer.Argument(..., help="题目 id（或唯一的 id 前缀）"),
    accept: bool = typer.Option(False, "--accept", help="把模型生成的要点写进笔记 accepted-points.md 并导入题库"),
    json_out: bool = typer.Option(False, "--json", help="输出一个 JSON 对象"),
) -> None:
    """模型为「笔记里没有参考答案」的题生成的参考要点（--engine llm / local 练习时生成并缓存）；--accept 写进笔记。"""
    from agent.grading.drafted import accept as accept_points
    from agent.grading.drafted import cached
    from agent.knowledge.bank import find_question

    q = find_question(_load(), qid)
    entry = cached(q)
    if accept:
        note, accepted = accept_points(q)
        from agent.knowledge.ingest import ingest

        ingest([note])
        if json_out:
            print(json.dumps({"id": q.id, "accepted": accepted, "note": str(note)}, ensure_ascii=False))
            return
        print(f"已把 {len(accepted)} 条要点写进 {note} 并导入题库；这道题以后按这些要点评分")
        return
    if json_out:
        print(json.dumps({"id": q.id, "question": q.text, "from_notes": q.reference_points,
                          "generated": (entry or {}).get("points", []), "model": (entry or {}).get("model", "")},
                         ensure_ascii=False))
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    console.print(f"[bold]{escape(q.text)}[/]（{q.id}）")
    if q.reference_points:
        console.print("笔记里的参考要点：")
        for i, p in enumerate(q.reference_points, 1):
            console.print(f"  {i}．{escape(p)}")
    if entry is None:
        console.print("[dim]没有模型生成的要点（只有 --engine llm / local 在笔记没有答案时才生成）[/]")
        return
    console.print(f"[yellow]模型生成的要点（不是来自你的笔记，{escape(str(entry.get('model') or '模型'))}）：[/]")
    for i, p in enumerate(entry["points"], 1):
        console.print(f"  {i}．{escape(p)}")
    console.print(f"[dim]核对无误后：mockint bank points {q.id} --accept[/]")


def register(app: typer.Typer) -> None:
    bank_app = typer.Typer(help="题库：统计、列表、查看题目、没有参考答案的题目。", no_args_is_help=True)
    bank_app.command("stats")(stats)
    bank_app.command("list", epilog="分类：" + categories_help())(list_questions)
    bank_app.command("show")(show)
    bank_app.command("gaps", epilog="分类：" + categories_help())(gaps)
    bank_app.command("points")(points)
    app.add_typer(bank_app, name="bank")
