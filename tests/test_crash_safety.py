"""Crash safety (issue 7 part 2): SIGKILL at precise points of a scripted session, resume, nothing lost or
double-counted; corrupt / locked SQLite files and a corrupt Chroma dir give one clear line and a recovery command.

The subprocess is the real CLI (``agent.cli.main``: typer, SQLite checkpoints, review state, transcripts) run by
this file as a script with a fake bank / retriever / grader (tests/graph_fakes.py) and a test-only pause hook:
``CRASH_PAUSE_AT=<point>:<n>`` makes the process write ``CRASH_PAUSE_FILE`` and sleep the n-th time it reaches
``<point>``; the test then SIGKILLs it. The hook wraps module functions from outside — the product has no hook.
Points: ``answer_recorded`` (retrieve node: the answer is checkpointed, nothing graded), ``grading`` (inside the
grader), ``reflection`` (inside the check), ``between_questions`` (select node), ``review_written`` (right after
the review transaction committed, before the node's checkpoint), ``answer_checkpoint`` (the n-th answer's task
writes are committed but the checkpoint of that step is not: the window in which ``[reflection:2]`` once lost an
answer — resume saw an empty ``next`` and reported the session finished).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve()
SESSION = "crash-1"
ANSWERS = [f"第{i}条回答：奖励模型" + ("，低秩分解" if i % 2 else "") for i in range(1, 13)]
CLI_ARGS = ["-n", "3", "-c", "rlhf", "-c", "lora", "--seed", "1"]


# ---------------------------------------------------------------- the subprocess side
def _pause_hooks(point: str, nth: int, marker: Path) -> None:
    import agent.interview.nodes.flow as flow
    import agent.interview.nodes.grading as grading
    import agent.practice.review as review

    count = {"n": 0}

    def wrap(func: Any, after: bool = False) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs) if after else None
            count["n"] += 1
            if count["n"] == nth:
                marker.write_text(point, encoding="utf-8")
                time.sleep(3600)  # the test SIGKILLs us here
            return result if after else func(*args, **kwargs)

        return wrapper

    if point == "answer_recorded":
        grading.build_request = wrap(grading.build_request)  # type: ignore[assignment]
    elif point == "reflection":
        grading.check_grade = wrap(grading.check_grade)  # type: ignore[assignment]
    elif point == "between_questions":
        flow.choose_next = wrap(flow.choose_next)  # type: ignore[assignment]
    elif point == "review_written":
        review.record_grade = wrap(review.record_grade, after=True)  # type: ignore[assignment]
    elif point == "grading":
        import graph_fakes

        graph_fakes.substring_grade = wrap(graph_fakes.substring_grade)  # type: ignore[assignment]
    elif point == "answer_checkpoint":  # the n-th answer's task writes are saved, its step checkpoint is not yet
        from langgraph.checkpoint.sqlite import SqliteSaver

        real_put = SqliteSaver.put

        def put(self: Any, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
            turn = checkpoint.get("channel_values", {}).get("turn") or {}
            if turn.get("answer") == ANSWERS[nth - 1]:
                marker.write_text(point, encoding="utf-8")
                time.sleep(3600)  # the test SIGKILLs us here
            return real_put(self, config, checkpoint, metadata, new_versions)

        SqliteSaver.put = put  # type: ignore[method-assign]


def _driver(argv: list[str]) -> None:
    sys.path.insert(0, str(HERE.parent))
    pause = os.environ.get("CRASH_PAUSE_AT")
    if pause:
        point, nth = pause.split(":")
        _pause_hooks(point, int(nth), Path(os.environ["CRASH_PAUSE_FILE"]))
    import graph_fakes

    import agent.cli.terminal as terminal
    import agent.interview.context as context_mod
    import agent.knowledge.bank as bank_mod
    from agent.engines.offline import OfflineEngine

    bank_mod.load_bank_or_fail = lambda: list(graph_fakes.BANK)  # type: ignore[assignment]
    terminal.ensure_store_quietly = lambda: terminal.OpenedStore()  # type: ignore[assignment]
    context_mod._default_retriever = lambda: graph_fakes.FakeRetriever()  # type: ignore[assignment]
    context_mod._default_engine = lambda kind: OfflineEngine(lambda req: graph_fakes.substring_grade(req))  # type: ignore[assignment]
    from agent.cli.app import main

    sys.argv = ["mockint", *argv]
    main()


# ---------------------------------------------------------------- the test side
def cli(home: Path, *args: str, pause: str | None = None, marker: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "MOCKINT_HOME": str(home), "MOCKINT_CONFIG": str(home / "config.toml"),
           "PYTHONPATH": str(HERE.parent.parent)}
    env.pop("CRASH_PAUSE_AT", None)
    if pause:
        env.update(CRASH_PAUSE_AT=pause, CRASH_PAUSE_FILE=str(marker))
    return subprocess.Popen([sys.executable, str(HERE), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def write_answers(path: Path, answers: list[str]) -> Path:
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return path


def recorded_answers(home: Path) -> list[str]:
    """Answers in the session's last checkpoint: finished turns plus the turn in progress (if answered)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    from agent.interview.graph import build_graph

    conn = sqlite3.connect(home / "sessions.sqlite", check_same_thread=False)
    try:
        values = build_graph(checkpointer=SqliteSaver(conn)).get_state({"configurable": {"thread_id": SESSION}}).values
    finally:
        conn.close()
    answers = [t["answer"] for t in values.get("turns", [])]
    turn = values.get("turn") or {}
    if "answer" in turn:  # recorded by ask, not yet a finished turn
        answers.append(turn["answer"])
    return answers


def question_reviews(home: Path) -> list[tuple[str, str, float]]:
    conn = sqlite3.connect(home / "review.sqlite")
    try:
        return conn.execute(
            "SELECT r.turn_key, r.card_id, r.score FROM reviews r JOIN cards c ON c.card_id = r.card_id"
            " WHERE c.kind = 'question' AND r.session_id = ? ORDER BY r.id", (SESSION,)).fetchall()
    finally:
        conn.close()


PAUSES = ["answer_recorded:2", "grading:3", "reflection:2", "between_questions:2", "review_written:1",
          "answer_checkpoint:2", "answer_checkpoint:4"]


@pytest.mark.parametrize("pause", PAUSES)
def test_sigkill_then_resume_keeps_every_answer_once_and_review_matches(pause: str, tmp_path: Path):
    kill_and_resume(pause, tmp_path)


@pytest.mark.slow
def test_sigkill_matrix_twenty_loops(tmp_path: Path):
    """The whole SIGKILL matrix 20 times in a row (issue 11): the guarantee must not be flaky."""
    for loop in range(20):
        for i, pause in enumerate(PAUSES):
            kill_and_resume(pause, tmp_path / f"{loop}-{i}")


def kill_and_resume(pause: str, tmp_path: Path) -> None:
    tmp_path.mkdir(parents=True, exist_ok=True)
    home, marker = tmp_path / "home", tmp_path / "paused"
    home.mkdir()
    proc = cli(home, "interview", "--answers", str(write_answers(tmp_path / "a.json", ANSWERS)),
               "--session", SESSION, *CLI_ARGS, pause=pause, marker=marker)
    deadline = time.monotonic() + 120
    try:
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "pause point never reached"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)  # never leave the paused child behind
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    before = recorded_answers(home)
    assert before == ANSWERS[: len(before)] and before  # nothing answered was lost by the kill
    code, out, err = finish(cli(home, "resume", SESSION, "--answers",
                                str(write_answers(tmp_path / "rest.json", ANSWERS[len(before):]))))
    assert code == 0 and "Traceback" not in err, err[-2000:]
    assert "面试结束" in out

    data = json.loads((home / "transcripts" / SESSION / "transcript.json").read_text(encoding="utf-8"))
    given = [t["answer"] for t in data["turns"]]
    assert given == ANSWERS[: len(given)]  # every answer exactly once, in order
    assert len(given) >= len(before)
    questions = data["summary"]["questions"]
    assert len(questions) == 3 and sum(t["kind"] == "main" for t in data["turns"]) == 3
    reviews = question_reviews(home)  # one review per finished question, with its final score
    assert sorted((card, score) for _, card, score in reviews) == sorted((q["question_id"], q["score"]) for q in questions)
    assert len({key for key, _, _ in reviews}) == 3


# ---------------------------------------------------------------- damaged files: message + recovery, no loss
def run_cli(home: Path, *args: str) -> tuple[int, str, str]:
    return finish(cli(home, *args))


def assert_clear_error(code: int, err: str, exit_code: int, *needles: str) -> None:
    assert code == exit_code, err
    assert "Traceback" not in err and err.startswith("错误:")
    for needle in needles:
        assert needle in err, err


def test_corrupt_sessions_db_message_keeps_file_and_recovers(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    garbage = b"this is not a sqlite database" * 100
    (home / "sessions.sqlite").write_bytes(garbage)
    code, _, err = run_cli(home, "sessions")
    assert_clear_error(code, err, 3, "会话数据库", "mv ")
    answers = write_answers(tmp_path / "a.json", ANSWERS)
    code, _, err = run_cli(home, "interview", "--answers", str(answers), *CLI_ARGS)
    assert_clear_error(code, err, 3, "会话数据库")
    assert (home / "sessions.sqlite").read_bytes() == garbage  # never silently replaced
    (home / "sessions.sqlite").rename(home / "sessions.sqlite.bak")  # the documented recovery
    code, out, err = run_cli(home, "interview", "--answers", str(answers), *CLI_ARGS)
    assert code == 0 and "面试结束" in out, err


def test_corrupt_review_db_stops_with_message_then_resume_loses_nothing(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "review.sqlite").write_bytes(b"garbage" * 500)
    answers = write_answers(tmp_path / "a.json", ANSWERS)
    code, _, err = run_cli(home, "interview", "--answers", str(answers), "--session", SESSION, *CLI_ARGS)
    assert_clear_error(code, err, 3, "复习记录数据库", f"mv {home / 'review.sqlite'}")
    before = recorded_answers(home)
    assert before and before == ANSWERS[: len(before)]  # the answers given before the failure are checkpointed
    (home / "review.sqlite").rename(home / "review.sqlite.bak")
    code, _, err = run_cli(home, "resume", SESSION, "--answers", str(write_answers(tmp_path / "r.json", ANSWERS[len(before):])))
    assert code == 0, err
    data = json.loads((home / "transcripts" / SESSION / "transcript.json").read_text(encoding="utf-8"))
    assert [t["answer"] for t in data["turns"]] == ANSWERS[: len(data["turns"])]
    assert len(question_reviews(home)) == 3


def test_locked_sessions_db_gives_clear_message(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    holder = sqlite3.connect(home / "sessions.sqlite", isolation_level=None)
    holder.execute("CREATE TABLE x(a)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = run_cli(home, "sessions")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_clear_error(code, err, 3, "会话数据库")


def test_corrupt_chroma_dir_points_to_rebuild(tmp_path: Path, small_corpus: Path, fake_bank: None):
    from agent.knowledge.ingest import ingest

    home = Path(os.environ["MOCKINT_HOME"])
    ingest([small_corpus], only=True)
    db = home / "chroma" / "chroma.sqlite3"
    db.write_bytes(b"\x00garbage" * 4096)
    code, _, err = run_cli(home, "retrieve", "LoRA 的原理")
    assert_clear_error(code, err, 3, "mockint ingest --rebuild")
    assert db.read_bytes().startswith(b"\x00garbage")  # not silently wiped by a read


if __name__ == "__main__":
    _driver(sys.argv[1:])
