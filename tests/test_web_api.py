"""The web app's JSON API (issue #14's contract) through FastAPI's TestClient, on the graph tests' fake stack
(tiny bank, fake retriever, substring grader) behind the real graph, checkpointer, review DB and transcripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_main, use_fake_stack
from graph_fakes import BANK, FakeRetriever
from web_helpers import GOOD, PROMPT_KEYS, client, finish

from agent.config import transcripts_dir
from agent.practice import review as review_store
from agent.schemas import Grade, Transcript


class QuestionSearch(FakeRetriever):
    def search_questions(self, query: str, k: int) -> list[Any]:
        return []


@pytest.fixture(autouse=True)
def fake_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.knowledge import retrieval

    monkeypatch.setenv("MOCKINT_FSRS_FUZZ", "0")
    use_fake_stack(monkeypatch)
    monkeypatch.setattr(retrieval, "get_retriever", lambda store=None: QuestionSearch())


def test_interview_with_follow_ups_end_to_end() -> None:
    c = client()
    assert c.get("/api/health").json()["status"] == "ok"
    r = c.post("/api/sessions", json={"mode": "interview", "categories": ["rlhf"], "difficulty": 2, "n": 2,
                                      "engine": "offline"})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"session_id", "prompt"} and set(body["prompt"]) == PROMPT_KEYS
    assert body["prompt"]["kind"] == "main" and body["prompt"]["index"] == 1 and body["prompt"]["total"] == 2
    assert body["prompt"]["category"] == "rlhf"
    sid = body["session_id"]
    # a partial answer draws a follow-up on the missing points
    r = c.post(f"/api/sessions/{sid}/answer", json={"answer": "奖励模型"})
    step = r.json()
    assert set(step) == {"grade", "prompt", "done"} and step["done"] is False
    assert set(step["grade"]) == set(Grade.model_fields)
    assert {p["status"] for p in step["grade"]["points"]} == {"covered", "missing"}
    assert step["prompt"]["kind"] == "followup" and set(step["prompt"]) == PROMPT_KEYS
    steps = finish(c, sid)
    assert steps[-1]["done"] is True and steps[-1]["prompt"] is None
    t = c.get(f"/api/sessions/{sid}").json()
    Transcript.model_validate(t)
    assert t["summary"] is not None and any(turn["kind"] == "followup" for turn in t["turns"])
    # the same transcript the CLI reads (mockint report / history)
    on_disk = json.loads((transcripts_dir() / sid / "transcript.json").read_text(encoding="utf-8"))
    assert on_disk["turns"] == t["turns"] and on_disk["summary"] == t["summary"]
    listed = {s["session_id"]: s for s in c.get("/api/sessions").json()}
    assert listed[sid]["status"] == "finished"
    assert [s["session_id"] for s in c.get("/api/history").json()["sessions"]] == [sid]
    r = c.post(f"/api/sessions/{sid}/answer", json={"answer": "again"})
    assert r.status_code == 409 and "已经结束" in r.json()["error"]


def test_skip_scores_zero_and_moves_on() -> None:
    c = client()
    sid = c.post("/api/sessions", json={"mode": "interview", "n": 2}).json()["session_id"]
    step = c.post(f"/api/sessions/{sid}/skip").json()
    assert step["grade"]["score"] == 0 and all(p["status"] == "missing" for p in step["grade"]["points"])
    assert step["prompt"]["kind"] == "main" and step["prompt"]["index"] == 2


def test_web_session_resumes_in_cli_and_cli_session_in_web(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    c = client()
    sid = c.post("/api/sessions", json={"n": 2, "categories": ["lora"]}).json()["session_id"]
    c.post(f"/api/sessions/{sid}/answer", json={"answer": GOOD})
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps([GOOD] * 6, ensure_ascii=False), encoding="utf-8")
    code, out, err = run_main(capsys, monkeypatch, "resume", sid, "--answers", str(answers))
    assert code == 0, err
    assert c.get(f"/api/sessions/{sid}").json()["finished_at"]
    # the other way: a CLI session whose answers ran out continues in the web app
    answers.write_text(json.dumps([GOOD], ensure_ascii=False), encoding="utf-8")
    code, out, err = run_main(capsys, monkeypatch, "interview", "-n", "2", "-c", "rag", "--answers", str(answers),
                              "--session", "cli-1")
    assert code == 0 and "会话已保存" in out
    state = c.get("/api/sessions/cli-1/state").json()
    assert state["status"] == "question" and state["prompt"]["index"] == 2
    assert finish(c, "cli-1")[-1]["done"] is True
    assert len([t for t in c.get("/api/sessions/cli-1").json()["turns"] if t["kind"] == "main"]) == 2


def test_drill_and_review_sessions() -> None:
    c = client()
    r = c.post("/api/sessions", json={"mode": "drill", "topic": "RLHF", "n": 2})
    assert r.status_code == 201 and r.json()["prompt"]["category"] == "rlhf"
    sid = r.json()["session_id"]
    finish(c, sid)
    assert c.get(f"/api/sessions/{sid}").json()["mode"] == "drill"
    assert c.post("/api/sessions", json={"mode": "drill", "n": 2}).status_code == 400  # no topic
    r = c.post("/api/sessions", json={"mode": "review"})
    assert r.status_code == 409 and "没有到期" in r.json()["error"]
    now = datetime.now(UTC)
    review_store.record_grade("old", "1", BANK[4], Grade(score=1.0), now - timedelta(days=3))
    due = c.get("/api/review/due").json()["due"]
    assert [d["question_id"] for d in due] == ["rag-1"] and due[0]["last_rating"] == "Again"
    r = c.post("/api/sessions", json={"mode": "review", "n": 5})
    assert r.status_code == 201 and r.json()["prompt"]["question_id"] == "rag-1"
    finish(c, r.json()["session_id"], "检索 重排 生成 分块大小影响召回。")
    assert c.get("/api/review/due").json()["due"] == []


@pytest.mark.parametrize(("method", "path", "body", "status", "needle"), [
    ("post", "/api/sessions", {"mode": "chat"}, 400, "mode"),
    ("post", "/api/sessions", {"n": 0}, 400, "n"),
    ("post", "/api/sessions", {"difficulty": 7}, 400, "difficulty"),
    ("post", "/api/sessions", {"engine": "gpt"}, 400, "engine"),
    ("post", "/api/sessions", {"categories": ["no-such-cat"]}, 400, "未知的分类"),
    ("post", "/api/sessions", {"color": "red"}, 400, "不认识的字段"),
    ("post", "/api/sessions", [1, 2], 400, "请求参数无效"),
    ("post", "/api/sessions/nope-1/answer", {"answer": "x"}, 404, "找不到会话"),
    ("post", "/api/sessions/..%2f..%2fetc/answer", {"answer": "x"}, 404, "找不到"),
    ("get", "/api/sessions/nope-1", None, 404, "找不到会话"),
    ("get", "/api/nothing-here", None, 404, "找不到"),
])
def test_bad_input_is_one_chinese_error_line(method: str, path: str, body: Any, status: int, needle: str) -> None:
    c = client()
    r = c.request(method, path, json=body) if body is not None else c.request(method, path)
    assert r.status_code == status
    error = r.json()["error"]
    assert needle in error and "\n" not in error and "Traceback" not in r.text


def test_answer_errors_keep_the_session_where_it_was() -> None:
    c = client()
    sid = c.post("/api/sessions", json={"n": 1}).json()["session_id"]
    for body in ({"answer": "   "}, {"answer": "x" * 20_001}, {"text": "x"}, {"answer": 5}):
        r = c.post(f"/api/sessions/{sid}/answer", json=body)
        assert r.status_code == 400 and r.json()["error"]
    r = c.post(f"/api/sessions/{sid}/answer", content=b"\xff\xfe{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = c.post(f"/api/sessions/{sid}/answer", json={"answer": "x", "question_id": "other"})
    assert r.status_code == 409 and "刷新" in r.json()["error"]
    assert c.get(f"/api/sessions/{sid}/state").json()["status"] == "question"
    assert c.get(f"/api/sessions/{sid}").json()["turns"] == []  # nothing was recorded by the failed requests


def test_posts_need_json_and_same_origin_and_loopback_host() -> None:
    c = client()
    r = c.post("/api/sessions", data={"mode": "interview"})  # a form post (what a cross-site page can send)
    assert r.status_code == 415 and "JSON" in r.json()["error"]
    r = c.post("/api/sessions", json={}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = c.post("/api/sessions", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = c.get("/api/health", headers={"Host": "evil.example:8765"})  # DNS rebinding
    assert r.status_code == 403
    r = c.post("/api/sessions", json={"n": 1}, headers={"Origin": "http://127.0.0.1:8765"})
    assert r.status_code == 201
    page = c.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_token_required_off_loopback(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCKINT_WEB_TOKEN", raising=False)
    code, _, err = run_main(capsys, monkeypatch, "web", "--host", "0.0.0.0")
    assert code == 2 and "MOCKINT_WEB_TOKEN" in err
    c = client(host="0.0.0.0", token="s3cret-token")
    assert c.get("/api/sessions").status_code == 401
    assert c.get("/history", follow_redirects=False).headers["location"] == "/login"
    assert c.get("/api/sessions", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert c.get("/api/sessions", headers={"X-Mockint-Token": "wrong"}).status_code == 401
    assert c.post("/api/login", json={"token": "wrong"}).status_code == 401
    assert c.post("/api/login", json={"token": "s3cret-token"}).status_code == 200
    assert c.get("/api/sessions").status_code == 200  # the login cookie


def test_one_request_writes_a_session_at_a_time() -> None:
    from agent.web.locks import session_lock

    c = client()
    sid = c.post("/api/sessions", json={"n": 1}).json()["session_id"]
    with session_lock(sid):  # another worker is grading this session
        r = c.post(f"/api/sessions/{sid}/answer", json={"answer": GOOD})
        assert r.status_code == 409 and "评分中" in r.json()["error"]
        assert c.get(f"/api/sessions/{sid}/state").json()["status"] == "grading"
        assert "评分中" in c.get(f"/s/{sid}").text
    assert c.post(f"/api/sessions/{sid}/answer", json={"answer": GOOD}).status_code == 200


def test_grade_interrupted_by_a_crash_survives_a_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server dies while grading: the answer is in the checkpoint; the reloaded page resumes the grade."""
    from graph_fakes import substring_grade

    import agent.interview.context as context_mod
    from agent.engines.offline import OfflineEngine

    calls = {"n": 0}

    def flaky(req: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker killed mid-grade")
        return substring_grade(req)

    monkeypatch.setattr(context_mod, "_default_engine", lambda kind: OfflineEngine(flaky))
    c = TestClientNoRaise()
    sid = c.post("/api/sessions", json={"n": 1, "categories": ["lora"]}).json()["session_id"]
    r = c.post(f"/api/sessions/{sid}/answer", json={"answer": GOOD})
    assert r.status_code == 500 and "Traceback" not in r.text and "worker killed" not in r.text
    state = c.get(f"/api/sessions/{sid}/state").json()
    assert state["status"] == "stalled" and state["pending_answer"] == GOOD
    page = c.get(f"/s/{sid}").text
    assert 'data-status="stalled"' in page and GOOD in page
    step = c.post(f"/api/sessions/{sid}/resume").json()
    assert step["grade"]["score"] == 9.0 and step["done"] is True


def TestClientNoRaise() -> Any:  # noqa: N802 - a factory named like the class it returns
    from fastapi.testclient import TestClient

    from agent.web.app import WebSettings, create_app

    return TestClient(create_app(WebSettings(build_store=False)), base_url="http://127.0.0.1:8765",
                      raise_server_exceptions=False)


def test_web_command_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code, _, err = run_main(capsys, monkeypatch, "web", "--port", str(busy.getsockname()[1]))
    assert code == 2 and "无法监听" in err and len(err.strip().splitlines()) == 2  # the error line + the hint
    code, _, err = run_main(capsys, monkeypatch, "web", "--engine", "gpt")
    assert code == 2 and "未知的评分引擎" in err
