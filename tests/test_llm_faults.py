"""LLM faults through the real HTTP path (issue 7 part 1): ChatOpenAI → 127.0.0.1 fake OpenAI server.

Slow answers (client timeout), 429 + Retry-After (capped), 500, malformed JSON, schema-violating grades and empty
choices are retried with bounded backoff (ours only: the openai client never retries), then graded offline and
marked; whole sessions where every call fails finish with every answer, in bounded time. A missing / rejected
key or an unreachable server is one line and exit 4 before any session is saved.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_main as run_cli
from cli_helpers import use_fake_stack
from fake_openai import FakeOpenAI
from graph_fakes import BANK, FakeRetriever, substring_grade
from langgraph.checkpoint.memory import InMemorySaver

from agent.config import LLMSettings, llm_settings, sessions_db, transcripts_dir
from agent.engines import make_engine
from agent.engines.llm import LLMEngine
from agent.engines.offline import OfflineEngine
from agent.errors import LLMConfigError
from agent.interview.context import Context
from agent.interview.sessions import run_session
from agent.llm.client import chat_model, preflight
from agent.llm.faults import CallGuard, RetryPolicy, retry_after_seconds
from agent.schemas import Grade, GradeOutput, GradeRequest, PointVerdict, RefPoint

SHORT = 0.25  # per-attempt timeout where the server is scripted to be slow
SAFE = 5.0  # elsewhere: a loaded 2-core machine must not turn a scripted fault into a timeout
REQ = GradeRequest(question="LoRA 的 B 矩阵怎么初始化？", answer="B 初始化为零，推理时合并权重",
                   reference_points=[RefPoint(point="初始化为零", chunk_id="bank:lora-2#0"),
                                     RefPoint(point="合并权重", chunk_id="bank:lora-2#1")])
GOOD = GradeOutput(points=[PointVerdict(point="初始化为零", chunk_id="bank:lora-2#0", quote="初始化为零", status="covered"),
                           PointVerdict(point="合并权重", chunk_id="bank:lora-2#1", quote="合并权重", status="covered")],
                   feedback="完整。", score=9.0).model_dump(mode="json")


def use_server(monkeypatch: pytest.MonkeyPatch, server: FakeOpenAI, retries: int = 1, key: str = "sk-test",
               timeout: float = SAFE) -> None:
    monkeypatch.setenv("MOCKINT_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("MOCKINT_LLM_TIMEOUT", str(timeout))
    monkeypatch.setenv("MOCKINT_LLM_RETRIES", str(retries))


class Sleeps(list[float]):
    """Records the backoff sleeps and really sleeps them (the wall time is part of what is tested)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(seconds)


def engine_from_env(**policy: Any) -> tuple[LLMEngine, Sleeps]:
    """The configured engine (make_engine → ChatOpenAI), fast offline fallback, small backoff for tests."""
    engine = make_engine("llm")
    assert isinstance(engine, LLMEngine)
    engine.fallback = OfflineEngine(substring_grade)  # the real offline grader is tested elsewhere (slow to load)
    engine.guard.policy = replace(engine.guard.policy, **{"backoff_base_s": 0.02, **policy})
    engine.guard.sleep = sleeps = Sleeps()
    return engine, sleeps


def fallback_grade(out: GradeOutput) -> Grade:
    assert isinstance(out, Grade), "expected the offline fallback's marked Grade"
    return out


# ---------------------------------------------------------------- one call, each fault, real HTTP
FAULTS = [
    (("slow", 2.0), "请求超时（>0.25 秒）"),
    (("429", 0), "请求被限流（HTTP 429）"),
    (("500", None), "服务端错误（HTTP 500）"),
    (("malformed", None), "返回内容不是合法的 JSON"),
    (("empty", None), "返回结果为空（没有 choices）"),
    (("ok", {**GOOD, "score": 42}), "返回的评分不符合格式（字段缺失或取值越界）"),
    (("ok", {"feedback": "缺字段", "points": [{"point": "x"}]}), "返回的评分不符合格式（字段缺失或取值越界）"),
    (("text", "我觉得 10 分"), "返回的评分不符合格式（字段缺失或取值越界）"),  # no tool call at all
]


@pytest.mark.parametrize(("behaviour", "label"), FAULTS, ids=[f[0][0] + str(i) for i, f in enumerate(FAULTS)])
def test_each_fault_is_retried_then_graded_offline_and_marked(monkeypatch: pytest.MonkeyPatch, behaviour: Any,
                                                             label: str):
    with FakeOpenAI(default=behaviour) as server:
        use_server(monkeypatch, server, retries=2, timeout=SHORT if behaviour[0] == "slow" else SAFE)
        engine, sleeps = engine_from_env()
        start = time.monotonic()
        grade = fallback_grade(engine.grade(REQ))
        elapsed = time.monotonic() - start
        requests = len(server.requests)
    assert requests == 3  # 1 + MOCKINT_LLM_RETRIES attempts, no hidden client-side retries
    assert sleeps == ([0.0, 0.0] if behaviour[0] == "429" else [0.02, 0.04])  # Retry-After 0 / exponential backoff
    assert grade.engine == "offline-fallback" and grade.score == 9.0  # the offline grade of the same answer
    assert grade.notices[-1] == f"大模型调用失败（{label}，已尝试 3 次），本题已改用离线评分"
    assert elapsed < engine.guard.policy.worst_case_s() + 1.0


def test_the_notice_names_every_distinct_fault_of_the_call(monkeypatch: pytest.MonkeyPatch):
    with FakeOpenAI([("slow", 2.0), ("429", 0), ("500", None)]) as server:
        use_server(monkeypatch, server, retries=2, timeout=SHORT)
        engine, _ = engine_from_env()
        grade = fallback_grade(engine.grade(REQ))
    assert grade.notices[-1] == ("大模型调用失败（服务端错误（HTTP 500），已尝试 3 次（此前：请求超时（>0.25 秒）；"
                                 "请求被限流（HTTP 429））），本题已改用离线评分")


def test_a_failed_attempt_then_success_keeps_the_model_grade(monkeypatch: pytest.MonkeyPatch):
    with FakeOpenAI([("500", None), ("malformed", None), ("ok", GOOD)]) as server:
        use_server(monkeypatch, server, retries=2)
        engine, sleeps = engine_from_env()
        grade = engine.grade(REQ)
        assert len(server.requests) == 3
    assert not isinstance(grade, Grade) and grade.score == 9.0  # the model's own grade (not a fallback Grade)
    assert sleeps == [0.02, 0.04] and engine.guard.failures == 0


def test_client_side_retries_are_off_so_attempts_are_never_multiplied(monkeypatch: pytest.MonkeyPatch):
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", model="m", api_key="k", max_retries=5)
    assert chat_model(settings).max_retries == 0  # type: ignore[attr-defined]
    for retries, expected in ((0, 1), (1, 2)):
        with FakeOpenAI(default=("500", None)) as server:
            use_server(monkeypatch, server, retries=retries)
            engine, _ = engine_from_env()
            engine.grade(REQ)
            assert len(server.requests) == expected  # not expected × (1 + openai's default 2)


def test_retry_after_is_honoured_but_capped(monkeypatch: pytest.MonkeyPatch):
    with FakeOpenAI([("429", 0.3), ("429", 3600), ("ok", GOOD)]) as server:
        use_server(monkeypatch, server, retries=2)
        engine, sleeps = engine_from_env(retry_after_cap_s=0.5)
        start = time.monotonic()
        grade = engine.grade(REQ)
        elapsed = time.monotonic() - start
    assert sleeps == [0.3, 0.5]  # the server's wait, then the cap instead of an hour
    assert 0.8 <= elapsed < 3.0 and not isinstance(grade, Grade)
    assert RetryPolicy().retry_after_cap_s == 5.0


def test_rejected_key_mid_session_is_not_retried_and_opens_the_breaker(monkeypatch: pytest.MonkeyPatch):
    with FakeOpenAI(default=("401", None)) as server:
        use_server(monkeypatch, server, retries=2)
        engine, sleeps = engine_from_env()
        first, second = fallback_grade(engine.grade(REQ)), fallback_grade(engine.grade(REQ))
        assert len(server.requests) == 1 and sleeps == []
    assert "API key 被拒绝（HTTP 401）" in first.notices[-1] and "已尝试" not in first.notices[-1]
    assert second.engine == "offline-fallback" and second.notices[-1].startswith("大模型暂不可用")


# ---------------------------------------------------------------- policy arithmetic and breaker (no HTTP)
def test_backoff_bound_and_retry_after_parsing():
    policy = RetryPolicy(attempts=4, timeout_s=10, backoff_base_s=0.5, backoff_max_s=1.5, retry_after_cap_s=5)
    assert [policy.delay(i) for i in range(4)] == [0.5, 1.0, 1.5, 1.5]
    assert policy.delay(0, retry_after=2) == 2 and policy.delay(0, retry_after=99) == 5
    assert policy.worst_case_s() == 4 * 10 + 3 * 5
    assert retry_after_seconds({"retry-after": "7"}) == 7 and retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "soon"}) is None and retry_after_seconds({}) is None
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 < (retry_after_seconds({"retry-after": http_date}) or 0) <= 30
    assert RetryPolicy.from_settings(LLMSettings(None, "m", None, timeout_s=7, max_retries=2)).attempts == 3


def test_breaker_skips_calls_while_open_then_probes_once():
    now = [0.0]
    guard = CallGuard(RetryPolicy(attempts=3, breaker_threshold=2, breaker_cooldown_s=60), sleep=lambda s: None,
                      clock=lambda: now[0])
    calls = []

    def failing() -> None:
        calls.append(1)
        raise ValueError("bad grade")

    from agent.llm.faults import LLMUnavailable

    for _ in range(2):
        with pytest.raises(LLMUnavailable):
            guard.call(failing)
    assert len(calls) == 6 and guard.is_open
    with pytest.raises(LLMUnavailable) as skipped:
        guard.call(failing)
    assert skipped.value.skipped and len(calls) == 6  # no request while open
    now[0] = 61.0
    with pytest.raises(LLMUnavailable):
        guard.call(failing)
    assert len(calls) == 7 and guard.is_open  # one probe, failed: open again
    now[0] = 122.0
    assert guard.call(lambda: "ok") == "ok" and not guard.is_open and guard.failures == 0


# ---------------------------------------------------------------- whole sessions where every call fails
CYCLE = [("slow", 2.0), ("429", 0), ("500", None), ("malformed", None), ("empty", None),
         ("ok", {**GOOD, "score": 42})]
ANSWERS = ["奖励模型 PPO", "不知道", "低秩分解 冻结原权重", "初始化为零", "合并权重"]


@pytest.mark.parametrize("breaker", [False, True], ids=["every-call-tried", "breaker"])
def test_session_where_every_llm_call_fails_finishes_with_every_answer(monkeypatch: pytest.MonkeyPatch,
                                                                       breaker: bool):
    with FakeOpenAI(CYCLE * 20, default=("500", None)) as server:
        use_server(monkeypatch, server, retries=1, timeout=SHORT)
        engine, _ = engine_from_env(**({} if breaker else {"breaker_threshold": 10**6}))
        ctx = Context(engine_kind="llm", bank=BANK, retriever=FakeRetriever(), engine=engine, record_review=False,
                      question_ids=("rlhf-1", "lora-1", "lora-2"), max_followups=1)
        queue = list(ANSWERS)
        start = time.monotonic()
        result = run_session(ctx, lambda p: queue.pop(0) if queue else None, checkpointer=InMemorySaver())
        elapsed = time.monotonic() - start
        requests = len(server.requests)
    turns = result.transcript.turns
    assert result.status == "finished"
    assert [t.answer for t in turns] == ANSWERS[: len(turns)] and len(turns) >= 4  # every answer, in order
    assert sum(t.kind == "main" for t in turns) == 3
    for turn in turns:
        assert turn.grade is not None and turn.grade.engine == "offline-fallback"
        assert any("离线评分" in n for n in turn.grade.notices)
    worst = engine.guard.policy.worst_case_s()
    if breaker:  # two given-up calls, then the model is not called again in this session
        assert requests == 4 and elapsed < 2 * worst + 3.0
        assert turns[-1].grade is not None and turns[-1].grade.notices[-1].startswith("大模型暂不可用")
    else:  # each answer: a grade call and maybe a follow-up call, each at most `worst`
        assert requests >= 2 * len(turns) and elapsed < 2 * len(turns) * worst + 3.0


# ---------------------------------------------------------------- CLI: fallback session, preflight
@pytest.fixture
def llm_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_stack(monkeypatch, engine=lambda kind: engine_from_env()[0])


def cli_interview_llm(capsys: Any, monkeypatch: Any, tmp_path: Path) -> tuple[int, str, str]:
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(ANSWERS * 2), encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "300")  # keep each notice on one line of the panel
    return run_cli(capsys, monkeypatch, "interview", "--engine", "llm", "--answers", str(answers), "-n", "2",
                   "-c", "lora", "--seed", "1", "--out", str(tmp_path / "out"))


def test_cli_interview_with_a_failing_model_finishes_offline(llm_stack: None, capsys: Any, monkeypatch: Any,
                                                             tmp_path: Path):
    with FakeOpenAI(default=("500", None)) as server:
        use_server(monkeypatch, server)
        code, out, err = cli_interview_llm(capsys, monkeypatch, tmp_path)
        assert server.gets == ["/v1/models"]  # the preflight, once (remembered for the run_session check)
    assert code == 0, err
    data = json.loads((tmp_path / "out" / "transcript.json").read_text(encoding="utf-8"))
    assert data["turns"] and [t["answer"] for t in data["turns"]] == (ANSWERS * 2)[: len(data["turns"])]
    assert {t["grade"]["engine"] for t in data["turns"]} == {"offline-fallback"}
    assert "服务端错误（HTTP 500）" in out and "面试结束" in out


def one_line(code: int, err: str, needle: str) -> None:
    assert code == 4, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert lines[0].startswith("错误:") and needle in lines[0] and len(lines) <= 3, err


@pytest.mark.parametrize(("models", "needle"), [("401", "API key 被拒绝（HTTP 401"), ("403", "API key 被拒绝（HTTP 403"),
                                                (("slow", 2.0), "秒内没有响应")])
def test_rejected_key_or_silent_server_fails_before_the_session(llm_stack: None, capsys: Any, monkeypatch: Any,
                                                                tmp_path: Path, models: Any, needle: str):
    with FakeOpenAI(default=("ok", GOOD), models=models) as server:
        use_server(monkeypatch, server, key="sk-wrong", timeout=SHORT if isinstance(models, tuple) else SAFE)
        code, _, err = cli_interview_llm(capsys, monkeypatch, tmp_path)
        assert server.requests == []  # no chat call
    one_line(code, err, needle)
    assert not (tmp_path / "out").exists() and not transcripts_dir().exists() and not sessions_db().exists()


def test_unreachable_server_and_missing_key_are_one_line(llm_stack: None, capsys: Any, monkeypatch: Any,
                                                        tmp_path: Path):
    with socket.socket() as sock:  # a closed port on 127.0.0.1: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MOCKINT_LLM_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    code, _, err = cli_interview_llm(capsys, monkeypatch, tmp_path)
    one_line(code, err, f"无法连接大模型服务 http://127.0.0.1:{port}/v1（连接被拒绝）")
    monkeypatch.delenv("OPENAI_API_KEY")
    code, _, err = cli_interview_llm(capsys, monkeypatch, tmp_path)
    one_line(code, err, "大模型模式缺少配置: api_key")


@pytest.mark.parametrize("models", ["404", "500"])
def test_server_without_models_endpoint_does_not_block(llm_stack: None, capsys: Any, monkeypatch: Any,
                                                       tmp_path: Path, models: str):
    with FakeOpenAI(default=("ok", GOOD), models=models) as server:
        use_server(monkeypatch, server)
        code, _, err = cli_interview_llm(capsys, monkeypatch, tmp_path)
        assert server.requests  # the session went on to grade with the model
    assert code == 0, err


def test_resume_checks_the_key_before_continuing(llm_stack: None, capsys: Any, monkeypatch: Any, tmp_path: Path):
    one = tmp_path / "one.txt"
    one.write_text(ANSWERS[0], encoding="utf-8")
    with FakeOpenAI(default=("500", None)) as server:
        use_server(monkeypatch, server)
        code, out, err = run_cli(capsys, monkeypatch, "interview", "--engine", "llm", "--answers", str(one), "-n", "2",
                                 "-c", "lora", "--session", "paused-1")
    assert code == 0 and "mockint resume paused-1" in out.replace("\n", ""), err
    with FakeOpenAI(default=("ok", GOOD), models="401") as server:
        use_server(monkeypatch, server, key="sk-revoked")
        code, _, err = run_cli(capsys, monkeypatch, "resume", "paused-1", "--answers", str(one))
        assert server.requests == []
    one_line(code, err, "API key 被拒绝（HTTP 401")


def test_run_session_checks_the_key_for_every_mode(monkeypatch: pytest.MonkeyPatch):
    """Every session runner (drill, review, simulate use run_session) preflights a configured engine."""
    with FakeOpenAI(default=("ok", GOOD), models="401") as server:
        use_server(monkeypatch, server, key="sk-rejected")
        engine, _ = engine_from_env()
        ctx = Context(engine_kind="llm", bank=BANK, retriever=FakeRetriever(), engine=engine, record_review=False,
                      question_ids=("lora-2",), max_followups=0)
        saver = InMemorySaver()
        with pytest.raises(LLMConfigError, match="API key 被拒绝"):
            run_session(ctx, lambda p: "初始化为零", checkpointer=saver, session_id="s1")
        assert server.requests == [] and saver.get_tuple({"configurable": {"thread_id": "s1"}}) is None
        with pytest.raises(LLMConfigError):
            preflight(llm_settings())


# ---------------------------------------------------------------- settings
def test_timeout_and_retries_settings(monkeypatch: pytest.MonkeyPatch, isolated_home: Path):
    (isolated_home / "config.toml").write_text("[llm]\ntimeout_s = 3\nmax_retries = 0\n", encoding="utf-8")
    assert (llm_settings().timeout_s, llm_settings().max_retries) == (3.0, 0)  # 0 retries is a valid choice
    monkeypatch.setenv("MOCKINT_LLM_TIMEOUT", "0.5")
    monkeypatch.setenv("MOCKINT_LLM_RETRIES", "4")
    assert (llm_settings().timeout_s, llm_settings().max_retries) == (0.5, 4)
    monkeypatch.setenv("MOCKINT_LLM_TIMEOUT", "fast")
    with pytest.raises(LLMConfigError, match="MOCKINT_LLM_TIMEOUT"):
        llm_settings()
    monkeypatch.setenv("MOCKINT_LLM_TIMEOUT", "0")
    monkeypatch.setenv("MOCKINT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    with pytest.raises(LLMConfigError, match="超时时间必须大于 0"):
        make_engine("llm")
