"""Bad input matrix (issue 7 part 3), through the real CLI entry point ``agent.cli.main`` (which turns a
MockintError into one line + exit code): odd answers are graded, not crashed on; bad files and flags give one
clear line and exit 2 (usage) — never a traceback. Interview runs use a fake bank / retriever / grader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_main as run
from cli_helpers import use_fake_stack

from agent.interview.nodes.references import TRUNCATION_NOTICE

CATS = ["-c", "rlhf", "--seed", "1"]


@pytest.fixture
def fake_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_stack(monkeypatch)


def one_line_error(code: int, err: str, expected_code: int, needle: str) -> None:
    assert code == expected_code, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert lines and lines[0].startswith("错误:") and needle in err, err
    assert len(lines) <= 3  # the error line, maybe a hint (soft-wrapped at most once)


def interview(capsys: Any, monkeypatch: Any, tmp_path: Path, answers: list[str], n: int = 1) -> dict[str, Any]:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=True), encoding="utf-8")  # \ud800 survives as an escape
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, monkeypatch, "interview", "--answers", str(path), "-n", str(n), "--out", str(out_dir),
                         *CATS)
    assert code == 0, err
    data = json.loads((out_dir / "transcript.json").read_text(encoding="utf-8"))
    data["_stdout"] = out
    return data


# ---------------------------------------------------------------- answers
@pytest.mark.parametrize("blank", ["", "   \n\t  "])
def test_empty_and_whitespace_answers_score_zero(blank: str, fake_stack: None, capsys: Any, monkeypatch: Any,
                                                 tmp_path: Path):
    data = interview(capsys, monkeypatch, tmp_path, [blank] * 3)
    main_turn = data["turns"][0]
    assert main_turn["grade"]["score"] == 0
    assert all(p["status"] == "missing" and p["quote"] == "" for p in main_turn["grade"]["points"])


def test_100kb_answer_is_graded_on_a_bounded_prefix_with_a_notice(fake_stack: None, capsys: Any, monkeypatch: Any,
                                                                  tmp_path: Path):
    huge = "奖励模型" + "很长的废话。" * 17000 + "PPO KL 惩罚"  # ~100 KB; the tail is past the graded prefix
    assert len(huge.encode("utf-8")) > 100_000
    data = interview(capsys, monkeypatch, tmp_path, [huge, "不知道", "不知道"])
    turn = data["turns"][0]
    assert turn["answer"] == huge  # the transcript keeps the whole answer
    notice = TRUNCATION_NOTICE.format(n=len(huge), limit=4000)
    assert notice in turn["grade"]["notices"] and "提示" in data["_stdout"]
    status = {p["point"]: p["status"] for p in turn["grade"]["points"]}
    assert status["奖励模型"] == "covered" and status["PPO"] == "missing"  # the tail was not graded


def test_control_characters_and_invalid_surrogates_are_cleaned(fake_stack: None, capsys: Any, monkeypatch: Any,
                                                                tmp_path: Path):
    nasty = "奖励\x00模型\x07 和 PPO\x1b[31m 红色\ud800 结束\x7f"
    data = interview(capsys, monkeypatch, tmp_path, [nasty, "不知道", "不知道"])
    answer = data["turns"][0]["answer"]
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in answer) and "\x7f" not in answer
    assert "\ud800" not in answer and "PPO" in answer and "结束" in answer
    assert "\x1b" not in data["_stdout"] and "\x00" not in data["_stdout"]  # nothing raw reaches the terminal
    assert data["turns"][0]["grade"]["score"] > 0


def test_rtl_emoji_and_english_answers_are_kept_and_graded(fake_stack: None, capsys: Any, monkeypatch: Any,
                                                           tmp_path: Path):
    rtl = "مرحبا \u202eمخفي\u202c 👋🏽 奖励模型 🚀 PPO 👨‍👩‍👧 KL 惩罚"
    english = "Preference pairs are fitted with a Bradley-Terry model, then PPO optimises the policy with a KL penalty."
    data = interview(capsys, monkeypatch, tmp_path, [rtl, english, "不知道", "不知道", "不知道"], n=2)
    answers = [t["answer"] for t in data["turns"]]
    assert answers[0] == rtl.replace("\u202e", "").replace("\u202c", "") and english in answers
    assert "👨\u200d👩\u200d👧" in answers[0] and "مخفي" in answers[0]  # emoji ZWJ kept, bidi overrides dropped
    assert data["turns"][0]["grade"]["score"] >= 8
    english_turn = next(t for t in data["turns"] if t["answer"] == english)
    assert any(p["status"] == "covered" for p in english_turn["grade"]["points"])
    md = (tmp_path / "out" / "transcript.md").read_text(encoding="utf-8")
    assert "👋🏽" in md


# ---------------------------------------------------------------- answers file and flags
@pytest.mark.parametrize(("content", "needle"), [
    (None, "答案文件不存在"),
    (b"", "答案文件是空的"),
    (b"  \n \n", "答案文件是空的"),
    (b'{"answer": "x"}', "答案文件"),
    (b"[1, 2, 3]", "字符串数组"),
    ("奖励模型，PPO".encode("gbk"), "不是 UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "不是 UTF-8"),
])
def test_bad_answers_files_exit_2(content: bytes | None, needle: str, fake_stack: None, capsys: Any,
                                  monkeypatch: Any, tmp_path: Path):
    path = tmp_path / "answers.txt"
    if content is not None:
        path.write_bytes(content)
    code, _, err = run(capsys, monkeypatch, "interview", "--answers", str(path), *CATS)
    one_line_error(code, err, 2, needle)


def test_answers_path_is_a_directory(fake_stack: None, capsys: Any, monkeypatch: Any, tmp_path: Path):
    code, _, err = run(capsys, monkeypatch, "interview", "--answers", str(tmp_path), *CATS)
    one_line_error(code, err, 2, "答案文件不存在")


@pytest.mark.parametrize(("args", "needle"), [
    (["-n", "0"], "-n 必须是正整数"),
    (["-n", "-2"], "-n 必须是正整数"),
    (["-c", "量子计算"], "未知的分类: 量子计算"),
    (["--difficulty", "0"], "1-3"),
])
def test_bad_flags_exit_2(args: list[str], needle: str, fake_stack: None, capsys: Any, monkeypatch: Any):
    code, _, err = run(capsys, monkeypatch, "interview", *args)
    one_line_error(code, err, 2, needle)


@pytest.mark.parametrize("args", [["interview", "-n", "abc"], ["interview", "--no-such-flag"], ["no-such-command"]])
def test_click_usage_errors_exit_2_without_traceback(args: list[str], capsys: Any, monkeypatch: Any):
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 2 and err.strip() and not out.strip()


def test_unknown_category_lists_the_valid_ones(fake_stack: None, capsys: Any, monkeypatch: Any):
    code, _, err = run(capsys, monkeypatch, "interview", "-c", "nope")
    one_line_error(code, err, 2, "可选分类")
    assert "rlhf" in err and "lora" in err


# ---------------------------------------------------------------- notes
def test_binary_note_is_refused_before_anything_is_written(capsys: Any, monkeypatch: Any, tmp_path: Path,
                                                           isolated_home: Path):
    note = tmp_path / "image.md"
    note.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 100)
    code, _, err = run(capsys, monkeypatch, "ingest", str(note))
    one_line_error(code, err, 1, "二进制")
    assert not (isolated_home / "chroma").exists() and not (isolated_home / "bank.jsonl").exists()


def test_note_over_20_mb_is_refused_without_reading_it(capsys: Any, monkeypatch: Any, tmp_path: Path,
                                                       isolated_home: Path):
    note = tmp_path / "huge.md"
    with note.open("wb") as fh:
        fh.truncate(20 * 1024 * 1024 + 1)  # sparse: the size check must come before any read
    code, _, err = run(capsys, monkeypatch, "ingest", str(note))
    one_line_error(code, err, 1, "太大")
    assert "拆分" in err and not (isolated_home / "chroma").exists()


def test_empty_note_alone_is_a_clear_error(capsys: Any, monkeypatch: Any, tmp_path: Path, fake_bank: None):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "empty.md").write_bytes(b"")
    code, _, err = run(capsys, monkeypatch, "ingest", str(tmp_path / "notes"))
    one_line_error(code, err, 1, "解析出任何问题")


def test_gbk_and_empty_notes_next_to_good_ones(capsys: Any, monkeypatch: Any, small_corpus: Path, fake_bank: None):
    (small_corpus / "gbk.md").write_bytes("# 笔记\n\n## 什么是梯度裁剪？\n\n限制梯度范数，防止梯度爆炸。\n".encode("gbk"))
    (small_corpus / "empty.md").write_bytes(b"")
    code, out, err = run(capsys, monkeypatch, "ingest", str(small_corpus), "--only", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert "gbk.md" in report["added"] and report["questions"] == 6  # the GBK note's question is in the bank
    assert any("empty.md" in w for w in report["warnings"])  # the empty one is named, not silently skipped
    code, out, _ = run(capsys, monkeypatch, "retrieve", "梯度裁剪 防止梯度爆炸", "--json")
    assert code == 0 and any(h["source"] == "gbk.md" and "梯度爆炸" in h["text"] for h in json.loads(out))


def test_missing_note_path_is_a_usage_error(capsys: Any, monkeypatch: Any, tmp_path: Path):
    code, _, err = run(capsys, monkeypatch, "ingest", str(tmp_path / "nope.md"))
    one_line_error(code, err, 2, "路径不存在")
