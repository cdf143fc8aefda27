"""A data home on a truly read-only file system (a read-only bind mount in a private mount namespace, so even
root cannot write): read-only commands work, writing commands say "不可写" in one line, nothing is touched.

Skipped (with the reason) where ``unshare -m`` + ``mount`` are not allowed (not root / no CAP_SYS_ADMIN).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MOCKINT = str(Path(sys.executable).with_name("mockint"))
READ_ONLY = {  # command → what its output must contain
    "retrieve 注意力 --json": '"chunk_id"',
    "bank list --json": '"id"',
    "sessions --json": '"ro-1"',
    "history --json": '"ro-1"',
    "report ro-1 --format json": '"session_id"',
    "review --list --json": '"question_id"',
    "sources --json": '"name"',
}
WRITING = ("interview -n 1 --answers {answers}", "ingest", "drill RoPE -n 1 --answers {answers}")


def _can_mount_read_only(tmp: Path) -> str | None:
    if not shutil.which("unshare"):
        return "unshare is not installed"
    probe = tmp / "probe"
    probe.mkdir()
    script = f"mount --bind {probe} {probe} && mount -o remount,bind,ro {probe} && ! touch {probe}/x 2>/dev/null"
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    return None if done.returncode == 0 else f"no read-only bind mount here: {done.stderr.strip()[:100]}"


@pytest.fixture(scope="module")
def read_only_run(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("ro")
    reason = _can_mount_read_only(tmp)
    if reason:
        pytest.skip(reason)
    home = tmp / "home"
    shutil.copytree(built_home, home)
    answers = tmp / "answers.json"
    answers.write_text(json.dumps(["旋转位置编码把位置信息编码成旋转矩阵，作用在 Q 和 K 上。", "/skip"]), encoding="utf-8")
    env = {**os.environ, "MOCKINT_HOME": str(home), "MOCKINT_CONFIG": str(home / "config.toml"), "COLUMNS": "200"}
    first = subprocess.run([MOCKINT, "interview", "-n", "1", "--answers", str(answers), "--session", "ro-1"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-1000:]
    before = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
    lines = [f"mount --bind {home} {home} && mount -o remount,bind,ro {home} || exit 9"]
    commands = list(READ_ONLY) + [c.format(answers=answers) for c in WRITING]
    for i, command in enumerate(commands):
        lines.append(f"{MOCKINT} {command} >{tmp}/out{i} 2>{tmp}/err{i}; echo $? >{tmp}/rc{i}")
    done = subprocess.run(["unshare", "-m", "sh", "-c", "\n".join(lines)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    results = {}
    for i, command in enumerate(commands):
        results[command.split(" --answers")[0]] = (
            int((tmp / f"rc{i}").read_text()), (tmp / f"out{i}").read_text(), (tmp / f"err{i}").read_text())
    after = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
    return {"results": results, "unchanged": before == after}


def test_read_only_commands_still_work_on_a_read_only_home(read_only_run: dict[str, Any]):
    for command, needle in READ_ONLY.items():
        rc, out, err = read_only_run["results"][command]
        assert rc == 0 and needle in out, (command, err[-500:])
        assert "Traceback" not in err


def test_writing_commands_say_not_writable_in_one_line_and_touch_nothing(read_only_run: dict[str, Any]):
    for command in WRITING:
        rc, _, err = read_only_run["results"][command.split(" --answers")[0]]
        assert rc != 0 and "不可写" in err and "Traceback" not in err, (command, err[-500:])
        assert "--rebuild" not in err and "损坏" not in err  # a permissions problem, not a corrupt store
    assert read_only_run["unchanged"]
