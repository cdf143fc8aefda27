"""``mockint interview / sessions / resume`` in-process (bank, retriever and grader faked; the real-stack end to
end and the SIGKILL test are in tests/test_resume_kill.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import use_fake_stack
from typer.testing import CliRunner

from agent.cli.app import app
from agent.errors import MockintError


@pytest.fixture(autouse=True)
def fake_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_stack(monkeypatch)


class Run:
    def __init__(self, code: int, out: str, error: str) -> None:
        self.code, self.out, self.error = code, out, error


def cli(*args: str, input: str | None = None) -> Run:
    result = CliRunner().invoke(app, list(args), input=input)
    exc = result.exception
    if isinstance(exc, MockintError):
        return Run(exc.exit_code, result.stdout, str(exc) + (f" {exc.hint}" if exc.hint else ""))
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    return Run(result.exit_code, result.stdout, result.stderr if result.stderr_bytes is not None else "")


def answers_file(tmp_path: Path, answers: list[str], as_json: bool = True) -> Path:
    path = tmp_path / ("answers.json" if as_json else "answers.txt")
    path.write_text(json.dumps(answers, ensure_ascii=False) if as_json else "\n".join(answers), encoding="utf-8")
    return path


def test_interview_with_answers_file_writes_both_transcripts(tmp_path: Path):
    answers = answers_file(tmp_path, ["奖励模型 PPO KL 惩罚 偏好数据 Bradley-Terry 低秩分解 冻结原权重 初始化为零 合并权重"] * 3
                           + ["不知道"] * 6, as_json=False)
    run = cli("interview", "--answers", str(answers), "-n", "3", "--out", str(tmp_path / "out"),
              "-c", "rlhf", "-c", "lora", "--seed", "1")
    assert run.code == 0, run.out + run.error
    data = json.loads((tmp_path / "out" / "transcript.json").read_text(encoding="utf-8"))
    assert (tmp_path / "out" / "transcript.md").exists()
    assert sum(t["kind"] == "main" for t in data["turns"]) == 3
    assert {t["category"] for t in data["turns"]} == {"rlhf", "lora"}
    assert data["summary"]["questions"] and "面试结束" in run.out and "面试报告" in run.out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-n", "0"], "-n 必须是正整数"),
        (["-n", "-3"], "-n 必须是正整数"),
        (["--difficulty", "5"], "1-3"),
        (["--engine", "gpt"], "未知的评分引擎"),
        (["-c", "量子计算"], "未知的分类: 量子计算"),
        (["--answers", "/nonexistent/answers.txt"], "答案文件不存在"),
        (["--session", "../etc"], "会话 id"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(args: list[str], needle: str):
    run = cli("interview", *args)
    assert run.code == 2 and needle in run.error


def test_unknown_category_lists_valid_ones():
    run = cli("interview", "-c", "nope")
    assert run.code == 2 and "可选分类" in run.error and "rlhf" in run.error and "lora" in run.error


@pytest.mark.parametrize(("content", "needle"), [("", "空的"), ("  \n\n", "空的"), ("[1, 2]", "字符串数组"),
                                                 ("{\"a\": 1}", "字符串数组"), ("[]", "字符串数组")])
def test_bad_answers_files(tmp_path: Path, content: str, needle: str):
    path = tmp_path / "a.txt"
    path.write_text(content, encoding="utf-8")
    run = cli("interview", "--answers", str(path))
    assert run.code == 2 and needle in run.error


def test_llm_engine_without_config_fails_before_session():
    run = cli("interview", "--engine", "llm", "-n", "1")
    assert run.code == 4 and "base_url" in run.error
    assert cli("sessions", "--json").out.strip() == "[]"  # nothing was started


def test_answers_run_out_then_resume_and_sessions_listing(tmp_path: Path):
    full = "低秩分解 冻结原权重 初始化为零 合并权重"
    first = answers_file(tmp_path, [full])
    run = cli("interview", "--answers", str(first), "-n", "2", "-c", "lora", "--session", "s-abc",
              "--out", str(tmp_path / "out"))
    assert run.code == 0 and "mockint resume s-abc" in run.out and "答案文件已用完" in run.out
    listing = json.loads(cli("sessions", "--json").out)
    assert listing[0]["session_id"] == "s-abc" and listing[0]["status"] == "paused"
    assert listing[0]["answered"] == 1 and listing[0]["planned"] == 2 and listing[0]["score"] is None

    second = answers_file(tmp_path, [full + "。"])
    run = cli("resume", "s-abc", "--answers", str(second), "--out", str(tmp_path / "out"))
    assert run.code == 0 and "面试结束" in run.out
    data = json.loads((tmp_path / "out" / "transcript.json").read_text(encoding="utf-8"))
    assert [t["answer"] for t in data["turns"]] == [full, full + "。"]
    info = json.loads(cli("sessions", "--json").out)[0]
    assert info["status"] == "finished" and info["score"] == data["summary"]["overall"]
    assert "s-abc" in cli("sessions").out


def test_resume_shows_the_question_and_last_grade_before_the_pending_followup(tmp_path: Path):
    first = answers_file(tmp_path, ["奖励模型"])  # a partial answer: a follow-up is pending when answers run out
    run = cli("interview", "--answers", str(first), "-n", "1", "-c", "rlhf", "--session", "s-fu",
              "--out", str(tmp_path / "out"))
    assert run.code == 0 and "mockint resume s-fu" in run.out
    main = json.loads(cli("sessions", "--json").out)[0]
    assert main["status"] == "paused"
    run = cli("resume", "s-fu", "--answers", str(answers_file(tmp_path, ["不知道", "不知道"])),
              "--out", str(tmp_path / "out"))
    assert run.code == 0
    context, _, rest = run.out.partition("追问 1/")
    assert "继续：正在讨论的题目" in context and "请解释 rlhf-" in context  # the main question first
    assert "评分" in context and "/ 10" in context  # and its last grade, before the follow-up prompt
    assert rest


def test_resume_unknown_session_is_usage_error():
    run = cli("resume", "no-such")
    assert run.code == 2 and "找不到会话" in run.error


def test_interactive_multiline_skip_and_quit(tmp_path: Path):
    typed = "低秩分解\n冻结原权重\n\n/skip\n/quit\n"
    run = cli("interview", "-n", "3", "-c", "lora", "-c", "rag", "--session", "i-1", "--out", str(tmp_path), input=typed)
    assert run.code == 0, run.out
    assert "第 1/3 题" in run.out and "空行结束" in run.out and "mockint resume i-1" in run.out
    data = json.loads((tmp_path / "transcript.json").read_text(encoding="utf-8"))
    assert data["turns"][0]["answer"] == "低秩分解\n冻结原权重"
    assert data["turns"][1]["skipped"] and data["turns"][1]["grade"]["score"] == 0
    assert data["summary"] is None


def test_interactive_eof_saves_session():
    run = cli("interview", "-n", "1", "--session", "eof-1", input="")
    assert run.code == 0 and "mockint resume eof-1" in run.out


def test_schema_flag_prints_json_schema():
    run = cli("interview", "--schema")
    schema: dict[str, Any] = json.loads(run.out)
    assert schema["title"] == "Transcript" and "turns" in schema["properties"]


def test_quit_line_in_answers_file_pauses(tmp_path: Path):
    path = answers_file(tmp_path, ["低秩分解 冻结原权重 初始化为零 合并权重", "/quit", "不会被用到"], as_json=False)
    run = cli("interview", "--answers", str(path), "-n", "2", "-c", "lora", "--session", "q-1", "--out", str(tmp_path))
    assert run.code == 0 and "mockint resume q-1" in run.out
    data = json.loads((tmp_path / "transcript.json").read_text(encoding="utf-8"))
    assert [t["answer"] for t in data["turns"]] == ["低秩分解 冻结原权重 初始化为零 合并权重"]


def test_markup_like_answers_are_shown_verbatim(tmp_path: Path):
    weird = "[/] [bold]低秩分解[/bold] [red] 冻结原权重 初始化为零 合并权重"
    path = answers_file(tmp_path, [weird] * 4)
    run = cli("interview", "--answers", str(path), "-n", "1", "-c", "lora", "--out", str(tmp_path))
    assert run.code == 0 and "[bold]低秩分解[/bold]" in run.out


def test_corrupt_sessions_db_is_a_clear_store_error():
    from agent.config import sessions_db

    sessions_db().write_bytes(b"this is not a sqlite database" * 100)
    run = cli("sessions")
    assert run.code == 3 and "会话数据库" in run.error and "mv" in run.error


def test_help_lists_categories_and_shows_no_bool_metavars():
    from agent.knowledge.taxonomy import CATEGORIES

    for args in (["interview", "--help"], ["bank", "list", "--help"], ["ingest", "--help"], ["history", "--help"]):
        out = CliRunner().invoke(app, args, env={"COLUMNS": "200"}).stdout
        assert "<bool>" not in out and "list[" not in out, args
    out = CliRunner().invoke(app, ["interview", "--help"], env={"COLUMNS": "200"}).stdout
    assert all(c.slug in out for c in CATEGORIES)


@pytest.mark.parametrize(("bank_written", "loads"), [(False, 1), (True, 2)])
def test_interview_loads_the_bank_once_unless_the_first_build_wrote_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bank_written: bool, loads: int) -> None:
    """A first-use build from the shipped notes keeps the shipped bank (not read again); a build that wrote a bank
    of its own (edited notes) is the one the session uses."""
    from graph_fakes import BANK

    import agent.cli.terminal as terminal
    import agent.knowledge.bank as bank_mod

    files = iter([tmp_path / "bank.jsonl", tmp_path / ("bank-g1.jsonl" if bank_written else "bank.jsonl")])
    monkeypatch.setattr(bank_mod, "bank_file", lambda: next(files))
    read: list[int] = []
    monkeypatch.setattr(bank_mod, "load_bank_or_fail", lambda: read.append(1) or list(BANK))
    monkeypatch.setattr(terminal, "ensure_store_quietly", lambda: terminal.OpenedStore(built=True))
    run = cli("interview", "-n", "1", "--answers", str(answers_file(tmp_path, ["不知道"] * 4)))
    assert run.code == 0, run.error
    assert len(read) == loads
