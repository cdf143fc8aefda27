"""Slow: the real local model (xllamacpp on 127.0.0.1) through hybrid grading, a follow-up and a critique.

Run with ``MOCKINT_LOCAL_MODEL=/path/model.gguf .venv/bin/python -m pytest -m slow tests/test_local_real.py``;
skipped when that file or xllamacpp is absent (the default suite never needs a model).
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from pathlib import Path

import pytest

MODEL = os.environ.get("MOCKINT_LOCAL_MODEL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MODEL or not Path(MODEL).is_file(),
                       reason="no local model: set MOCKINT_LOCAL_MODEL to a GGUF (mockint models fetch qwen2.5-coder-0.5b)"),
    pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None, reason="xllamacpp not installed (pip install 'mockint[local]')"),
]

SWAPPED = ("DPO 其实是在 PPO 的基础上多加了一步：它要先训练一个更强的奖励模型，再用这个奖励模型在线采样做强化学习。"
           "PPO 反而不需要奖励模型，它直接在偏好对上算一个对比损失就能训练，是纯离线的。")
POINTS = ["PPO 通常需要训练一个奖励模型，再用策略梯度在线优化策略", "DPO 不需要单独的奖励模型，直接在偏好数据上用对比损失优化"]


@pytest.fixture()
def engine(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MOCKINT_LOCAL_MODEL", MODEL)
    monkeypatch.setenv("MOCKINT_LOCAL_THREADS", os.environ.get("MOCKINT_LOCAL_THREADS", "2"))
    from agent.engines import make_engine
    from agent.llm.local import stop_local

    eng = make_engine("local")
    yield eng
    stop_local()


def _request(answer: str = SWAPPED):  # type: ignore[no-untyped-def]
    from agent.schemas import GradeRequest, RefPoint

    return GradeRequest(question="PPO 与 DPO 的区别", answer=answer,
                        reference_points=[RefPoint(point=p, chunk_id=f"c{i}") for i, p in enumerate(POINTS)])


def test_real_turn_followup_and_critique(engine) -> None:  # type: ignore[no-untyped-def]
    from agent.engines.base import FollowUpPlan
    from agent.grading.rubric import check_grade
    from agent.interview.context import Context
    from agent.interview.grading_path import build_grading_graph, grade_checked
    from agent.schemas import Question, RefPoint

    req = _request()
    grade, reflection = grade_checked(build_grading_graph(), Context(engine_kind="local", engine=engine,
                                                                     record_review=False), req)
    assert grade.engine in ("hybrid", "offline")
    assert not check_grade(req, grade) or not reflection.verified
    for verdict in grade.points:
        assert verdict.quote in req.answer  # quotes verbatim
    if grade.fact_check is not None:
        assert grade.fact_check.usage.get("prompt_tokens", 0) <= 700
        assert all(change["quote"] in req.answer for change in grade.fact_check.changes)
    question = Question(id="q", text=req.question, category="对齐", section="s", difficulty=2)
    text = engine.follow_up(question, FollowUpPlan(target=RefPoint(point=POINTS[1], chunk_id="c1"), answer=SWAPPED))
    assert text.strip() and "\n" not in text
    critique = engine.critique(req, grade, ["分数与要点覆盖情况不符"])
    assert critique.strip()


def test_server_killed_mid_grade_keeps_the_answer(engine) -> None:  # type: ignore[no-untyped-def]
    from agent.llm import local

    req = _request()
    out: list = []  # type: ignore[type-arg]
    worker = threading.Thread(target=lambda: out.append(engine.grade(req)))
    worker.start()
    time.sleep(1.5)
    assert local._server is not None and local._server.proc is not None
    local._server.proc.kill()
    worker.join(timeout=120)
    assert out, "grade never returned after the server was killed"
    grade = out[0]
    assert grade.engine in ("offline-fallback", "hybrid")  # the call may have finished before the kill
    assert grade.points and req.answer == SWAPPED
