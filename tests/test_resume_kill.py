"""The real stack end to end on a tiny note corpus (bank + Chroma store + offline grader): grading quality
through the graph, ``mockint interview --answers`` writing both transcripts, and a session SIGKILLed between
answers that resumes with ``mockint resume ID`` without losing an answer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

NOTE = """# 面试问题清单（含答案要点与可能追问）

### 微调

1. **问题:** LoRA 的原理是什么？
   **答案要点:** 把权重更新分解为两个低秩矩阵的乘积；训练时冻结原始预训练权重，只训练低秩矩阵；推理时可以把低秩矩阵合并回原权重，没有额外延迟。
   **可能追问:**
   - **秩:** LoRA 的秩 r 怎么选？

2. **问题:** RLHF 的三个阶段是什么？
   **答案要点:** 监督微调 SFT 得到初始策略；用人类偏好数据训练奖励模型；用 PPO 强化学习优化策略并加 KL 惩罚防止偏离。
   **可能追问:**
   - **对比:** DPO 与 PPO 有什么区别？

3. **问题:** RAG 系统的基本流程是什么？
   **答案要点:** 把文档切分成块并向量化建立索引；根据用户问题检索相关片段并重排；把检索到的片段放进提示词让大模型生成答案。
   **可能追问:**
   - **分块:** 分块大小如何影响效果？
"""

STRONG = {
    "LoRA": "LoRA 用两个低秩矩阵的乘积表示权重更新，训练时冻结原始权重只训练低秩矩阵，推理时合并回原权重没有额外延迟。",
    "RLHF": "第一步监督微调 SFT 得到初始策略模型；第二步收集人类偏好数据训练一个奖励模型；"
    "第三步用 PPO 强化学习优化策略，同时加 KL 惩罚防止策略偏离参考模型太远。",
    "RAG": "先把文档切成块、做向量化建立索引；用户提问时根据问题检索相关片段并重排；最后把检索到的片段放进提示词让大模型生成答案。",
}
PARTIAL_RLHF = "先做监督微调 SFT 得到初始策略。"
MOCKINT = str(Path(sys.executable).with_name("mockint"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data home with the tiny corpus ingested (bank + store), built once for this module."""
    knowledge = tmp_path_factory.mktemp("knowledge")
    (knowledge / "sources").mkdir()
    (knowledge / "sources" / "tiny.md").write_text(NOTE, encoding="utf-8")
    (knowledge / "bank.jsonl").write_text("", encoding="utf-8")
    home = tmp_path_factory.mktemp("stack-home")
    env = {**os.environ, "MOCKINT_HOME": str(home), "MOCKINT_KNOWLEDGE": str(knowledge),
           "MOCKINT_CONFIG": str(home / "config.toml")}
    subprocess.run([MOCKINT, "ingest"], env=env, check=True, capture_output=True, timeout=300)
    assert next(home.glob("bank-g*.jsonl")).read_text(encoding="utf-8").count("\n") == 3
    return {"MOCKINT_HOME": str(home), "MOCKINT_KNOWLEDGE": str(knowledge), "MOCKINT_CONFIG": str(home / "config.toml")}


@pytest.fixture
def real_env(stack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key, value in stack.items():
        monkeypatch.setenv(key, value)
    import agent.interview.context as context_mod

    for cached in (context_mod._default_bank, context_mod._default_retriever, context_mod._default_engine):
        cached.cache_clear()
    return {**os.environ, **stack}


def topic(payload: dict[str, Any]) -> str:
    text = payload["main_question"]
    return next(k for k in STRONG if k in text)


def test_real_grader_strong_partial_empty_through_the_graph(real_env: dict[str, str]):
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.interview.context import Context
    from agent.interview.sessions import run_session

    plan = {"LoRA": STRONG["LoRA"], "RLHF": PARTIAL_RLHF, "RAG": ""}

    def persona(payload: dict[str, Any]) -> str:
        return plan[topic(payload)] if payload["kind"] == "main" else "不记得了"

    ctx = Context(n_questions=3, record_review=False, max_followups=1)
    result = run_session(ctx, persona, checkpointer=InMemorySaver(), seed=5)
    mains = {topic({"main_question": t.question}): t for t in result.transcript.turns if t.kind == "main"}
    score = {name: turn.grade.score if turn.grade else -1.0 for name, turn in mains.items()}
    assert score["LoRA"] >= 8
    assert 0 <= score["RAG"] <= 2
    assert 2 < score["RLHF"] < 8
    follow = [t for t in result.transcript.turns if t.kind == "followup"]
    rlhf_follow = next(t for t in follow if "RLHF" not in t.question and t.question_id == mains["RLHF"].question_id)
    targeted = " ".join(v.point for v in rlhf_follow.grade.points) if rlhf_follow.grade else ""
    assert any(p in targeted for p in ("奖励模型", "PPO"))  # aimed at (and graded on) a missing point
    assert not any(p in rlhf_follow.question for p in ("奖励模型", "PPO"))  # without naming the answer


def test_cli_interview_answers_file_end_to_end(real_env: dict[str, str], tmp_path: Path):
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join([STRONG["LoRA"], STRONG["RLHF"], STRONG["RAG"]] * 3), encoding="utf-8")
    out = tmp_path / "out"
    run = subprocess.run([MOCKINT, "interview", "--answers", str(answers), "-n", "3", "--out", str(out)],
                         env=real_env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    data = json.loads((out / "transcript.json").read_text(encoding="utf-8"))
    assert (out / "transcript.md").read_text(encoding="utf-8").startswith("# 模拟面试记录")
    assert sum(t["kind"] == "main" for t in data["turns"]) == 3 and data["summary"]["questions"]
    assert data["engine"]["kind"] == "offline"
    session_dir = Path(real_env["MOCKINT_HOME"]) / "transcripts" / data["session_id"]
    assert (session_dir / "transcript.json").exists()


def _wait_for_turns(path: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:  # being written
                data = {}
            if len(data.get("turns", [])) >= n:
                return data
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.1)
    raise AssertionError("the session did not record the answer in time")


def test_sigkill_between_answers_then_resume_loses_nothing(real_env: dict[str, str], tmp_path: Path):
    sid = "kill-1"
    proc = subprocess.Popen([MOCKINT, "interview", "-n", "2", "--session", sid, "--seed", "3"], env=real_env,
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None
    first = "第一条回答：" + STRONG["RAG"]
    proc.stdin.write(first + "\n\n")
    proc.stdin.flush()
    transcript = Path(real_env["MOCKINT_HOME"]) / "transcripts" / sid / "transcript.json"
    _wait_for_turns(transcript, 1, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    listing = subprocess.run([MOCKINT, "sessions", "--json"], env=real_env, capture_output=True, text=True, timeout=120)
    info = next(i for i in json.loads(listing.stdout) if i["session_id"] == sid)
    assert info["status"] == "paused" and info["answered"] == 1

    rest = ["第二条回答：不太清楚"] + ["/skip"] * 6  # skips keep the test fast (no grading)
    answers = tmp_path / "rest.json"
    answers.write_text(json.dumps(rest, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([MOCKINT, "resume", sid, "--answers", str(answers)], env=real_env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    data = json.loads(transcript.read_text(encoding="utf-8"))
    given = [t["answer"] for t in data["turns"]]
    assert given[0] == first and given.count(first) == 1  # the answer before the kill, exactly once
    assert given[1] == rest[0] and given.count(rest[0]) == 1  # then the resumed answers, in order
    assert all(t["skipped"] and t["answer"] == "" for t in data["turns"][2:])
    assert data["summary"] is not None and sum(t["kind"] == "main" for t in data["turns"]) == 2
