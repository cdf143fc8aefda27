"""One writer per session (issue 11 item 3, session side): a second process on the same session gets one line
and exit 5 while the first runs — never a silent loss — and the first one's answers all survive.
Real subprocesses of the CLI (the crash-safety driver with its pause hook)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from test_crash_safety import ANSWERS, CLI_ARGS, SESSION, cli, finish, recorded_answers, write_answers


def test_second_writer_on_a_session_is_refused_and_nothing_is_lost(tmp_path: Path):
    home, marker = tmp_path / "home", tmp_path / "paused"
    home.mkdir()
    first = cli(home, "interview", "--answers", str(write_answers(tmp_path / "a.json", ANSWERS)), "--session", SESSION,
                *CLI_ARGS, pause="between_questions:2", marker=marker)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert first.poll() is None, first.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "pause point never reached"
            time.sleep(0.05)
        other = write_answers(tmp_path / "b.json", ["另一个进程的回答"] * 12)
        for args in (["interview", "--answers", str(other), "--session", SESSION, *CLI_ARGS],
                     ["resume", SESSION, "--answers", str(other)]):
            code, out, err = finish(cli(home, *args))
            assert code == 5 and "Traceback" not in err, err
            assert err.startswith("错误:") and "正在被另一个 mockint 进程使用" in err and "面试结束" not in out
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    before = recorded_answers(home)
    assert before == ANSWERS[: len(before)] and "另一个进程的回答" not in before  # the refused writer changed nothing
    code, out, err = finish(cli(home, "resume", SESSION, "--answers",
                                str(write_answers(tmp_path / "rest.json", ANSWERS[len(before):]))))
    assert code == 0 and "面试结束" in out, err  # the lock died with the killed process
    data = json.loads((home / "transcripts" / SESSION / "transcript.json").read_text(encoding="utf-8"))
    assert [t["answer"] for t in data["turns"]] == ANSWERS[: len(data["turns"])]
