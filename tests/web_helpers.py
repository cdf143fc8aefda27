"""Helpers for the web tests: the app behind a TestClient on 127.0.0.1, and a session driven to its end."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from agent.web.app import WebSettings, create_app

PROMPT_KEYS = {"question", "kind", "question_id", "category", "difficulty", "index", "total"}
GOOD = "奖励模型 PPO KL 惩罚 低秩分解 冻结原权重 初始化为零 合并权重 检索 重排 生成 分块 偏好数据 Bradley-Terry"


def client(**settings: Any) -> TestClient:
    settings.setdefault("build_store", False)
    return TestClient(create_app(WebSettings(**settings)), base_url="http://127.0.0.1:8765")


def finish(c: TestClient, session_id: str, answer: str = GOOD, limit: int = 40) -> list[dict[str, Any]]:
    """Answer every prompt until the session is done; the responses in order."""
    steps = []
    for _ in range(limit):
        r = c.post(f"/api/sessions/{session_id}/answer", json={"answer": answer})
        assert r.status_code == 200, r.text
        steps.append(r.json())
        if r.json()["done"]:
            return steps
    raise AssertionError("session did not finish")
