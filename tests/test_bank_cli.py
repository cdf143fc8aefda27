"""``mockint bank stats | list | show`` through typer's CliRunner (reads the shipped bank; no Chroma)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.cli.app import app
from agent.errors import UsageError
from agent.knowledge.bank import load_bank, write_bank
from agent.knowledge.taxonomy import SLUGS

runner = CliRunner()


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # exactly one JSON document on stdout


def test_stats_json() -> None:
    data = _json(["bank", "stats", "--json"])
    assert isinstance(data, dict)
    assert set(data) == {"questions", "by_category", "by_source", "by_kind", "with_reference", "with_followups"}
    assert data["questions"] == len(load_bank()) and set(data["by_category"]) == set(SLUGS)
    assert len(data["by_source"]) == 5


def test_stats_human() -> None:
    result = runner.invoke(app, ["bank", "stats"])
    assert result.exit_code == 0
    assert "题库" in result.stdout and "对齐与强化学习" in result.stdout and "project-study-notes.md" in result.stdout


def test_list_json_filters() -> None:
    everything = _json(["bank", "list", "--json"])
    assert isinstance(everything, list) and len(everything) == len(load_bank())
    item = everything[0]
    for key in ("id", "text", "category", "difficulty", "kind", "reference_points", "followups", "sources"):
        assert key in item
    assert set(item["sources"][0]) == {"file", "section", "lines"}
    rlhf = _json(["bank", "list", "--category", "RLHF", "--json"])
    assert rlhf and all(q["category"] == "alignment" for q in rlhf)  # an alias resolves to the slug
    assert _json(["bank", "list", "-c", "对齐与强化学习", "--json"]) == rlhf
    # the shipped bank has no difficulty-3 rag question (the old "-d 3" case passed on an empty list)
    rag_2 = _json(["bank", "list", "-c", "rag", "-d", "2", "--json"])
    assert rag_2 and all(q["category"] == "rag" and q["difficulty"] == 2 for q in rag_2)
    assert len(rag_2) < len([q for q in everything if q["category"] == "rag"])


def test_list_human() -> None:
    result = runner.invoke(app, ["bank", "list", "-c", "position"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "位置编码与长上下文" in result.stdout


def test_unknown_category_and_bad_difficulty() -> None:
    result = runner.invoke(app, ["bank", "list", "--category", "cooking"])
    assert isinstance(result.exception, UsageError) and result.exception.exit_code == 2
    assert "cooking" in str(result.exception) and "alignment" in (result.exception.hint or "")
    result = runner.invoke(app, ["bank", "list", "-d", "5"])
    assert isinstance(result.exception, UsageError)


def test_show() -> None:
    merged = next(q for q in load_bank() if len(q.sources) >= 3 and q.followups)
    result = runner.invoke(app, ["bank", "show", merged.id])
    assert result.exit_code == 0
    out = result.stdout
    assert merged.id in out and "参考要点" in out and "可能追问" in out and "出处" in out
    assert all(s.file in out.replace("\n", "") or s.file[:20] in out for s in merged.sources)
    data = _json(["bank", "show", merged.id, "--json"])
    assert isinstance(data, dict) and data["id"] == merged.id


def test_show_unknown_id() -> None:
    result = runner.invoke(app, ["bank", "show", "nope-123"])
    assert isinstance(result.exception, UsageError) and "nope-123" in str(result.exception)


def test_cli_reads_the_home_bank_when_present(isolated_home: Path) -> None:
    write_bank(load_bank()[:2], isolated_home / "bank.jsonl")
    assert len(_json(["bank", "list", "--json"])) == 2


@pytest.mark.parametrize("args", [["bank", "--help"], ["bank", "list", "--help"]])
def test_help(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "--" in result.stdout


def test_list_adapts_to_the_terminal_width() -> None:
    narrow = CliRunner().invoke(app, ["bank", "list"], env={"COLUMNS": "80"}).stdout
    wide = CliRunner().invoke(app, ["bank", "list"], env={"COLUMNS": "200"}).stdout
    n = len(load_bank())
    rows = [line for line in narrow.splitlines() if line.startswith("│")]
    assert len(rows) == n  # one line per question at 80 columns (not ~4 lines each, folded mid-word)
    assert all(len(line) <= 80 for line in narrow.splitlines()) and "mockint bank show ID" in narrow
    assert "对齐与强化学习" in wide and len([ln for ln in wide.splitlines() if ln.startswith("│")]) < 2 * n


def test_gaps_lists_exactly_the_questions_without_a_reference_answer() -> None:
    bank = load_bank()
    data = _json(["bank", "gaps", "--json"])
    expected = {q.id for q in bank if not q.reference_points}
    assert expected and {q["id"] for q in data["questions"]} == expected  # the shipped notes do have gaps
    assert data["total"] == len(expected) == data["knowledge"] + data["project"]
    assert sum(data["by_category"].values()) == len(expected)
    by_id = {q.id: q for q in bank}
    for note, ids in data["by_note"].items():  # every gap is listed under each note it comes from
        assert ids and all(note in {s.file for s in by_id[i].sources} for i in ids)
    rag = _json(["bank", "gaps", "-c", "rag", "--json"])
    assert rag["questions"] and all(q["category"] == "rag" for q in rag["questions"])
    assert rag["total"] == sum(1 for q in bank if q.category == "rag" and not q.reference_points)


def test_gaps_human_names_notes_and_how_to_fill_them() -> None:
    result = runner.invoke(app, ["bank", "gaps"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "没有参考答案" in result.stdout and "agent-question-bank-theory.md" in result.stdout
    assert "mockint ingest" in result.stdout
