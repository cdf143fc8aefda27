"""The benchmark behind ``mockint bench`` and ``evals/bench.py``: the agent's own costs, measured honestly.

Sections (each runs in a throw-away ``MOCKINT_HOME``, never the user's data):

* **overhead** — the graph with a zero-latency fake chat model and an instant retriever, through the real
  session runner (SQLite checkpoints, review state, transcript files): per answered turn, the wall time from the
  answer to the next question minus the time spent inside the model and the retriever (≈ 0). Also LLM calls and
  prompt tokens per answered turn (main answers and follow-up answers alike), from the prompts actually sent.
* **ingest** — full ingest of the corpus into an empty store, then the same ingest again (nothing changed).
* **retrieval** — warm hybrid search latency (``k = Context.retrieval_k``) over the built store.
* **session** — an offline simulated session of 10 questions end to end (real bank, store, offline grader,
  checkpoints, review state, transcripts) with a scripted persona, in this (warm) process.
* **cold start** — ``mockint --help`` in a fresh subprocess, median of several runs.
* **memory** — peak RSS of this process (``ru_maxrss``).

Token counts are estimates (no tokenizer can be downloaded offline): see :data:`TOKEN_METHOD`.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.config import PROJECT_ROOT
from agent.errors import MockintError

GOALS = {
    "overhead_p95_ms": 50.0,
    "llm_calls_per_question": 2.0,
    "retrieval_p95_ms": 30.0,
    "cold_start_s": 0.5,
    "session_10q_s": 10.0,
}
TOKEN_METHOD = (
    "estimate: 1 token per CJK character, ceil(len/4) per ASCII letter/digit run, 1 per other symbol; "
    "grade calls include the GradeOutput function schema sent with them"
)
DATASET = PROJECT_ROOT / "evals" / "datasets" / "retrieval.jsonl"
RESULTS = PROJECT_ROOT / "evals" / "results" / "bench.json"
_HOME_ENV = ("MOCKINT_HOME", "MOCKINT_CONFIG", "MOCKINT_KNOWLEDGE", "CHROMA_HOST", "CHROMA_PORT", "MOCKINT_EMBEDDER")
_TOKEN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z0-9_]+|[^\sA-Za-z0-9_\u3400-\u9fff\uf900-\ufaff]")

TINY_NOTE = """# 面试问题清单（含答案要点与可能追问）

### 微调

1. **问题:** LoRA 的原理是什么？
   **答案要点:** 把权重更新分解为两个低秩矩阵的乘积；训练时冻结原始预训练权重，只训练低秩矩阵；推理时可以把低秩矩阵合并回原权重。

2. **问题:** RLHF 的三个阶段是什么？
   **答案要点:** 监督微调 SFT 得到初始策略；用人类偏好数据训练奖励模型；用 PPO 优化策略并加 KL 惩罚。

3. **问题:** RAG 系统的基本流程是什么？
   **答案要点:** 把文档切分成块并向量化建立索引；检索相关片段并重排；把片段放进提示词让大模型生成答案。
"""


@dataclass(frozen=True)
class BenchConfig:
    quick: bool = False
    overhead_questions: int = 20
    retrieval_queries: int = 0  # 0 = every query of the retrieval eval set
    cold_start_runs: int = 5
    session_questions: int = 10
    corpus: Path | None = None  # None: the shipped corpus (quick: a built-in 3-question note)

    @classmethod
    def quick_config(cls, corpus: Path | None = None) -> BenchConfig:
        return cls(quick=True, overhead_questions=4, retrieval_queries=5, cold_start_runs=1, session_questions=3,
                   corpus=corpus)


# ---------------------------------------------------------------- small helpers
def estimate_tokens(text: str) -> int:
    """Token estimate (see :data:`TOKEN_METHOD`)."""
    total = 0
    for match in _TOKEN_RE.finditer(text):
        piece = match.group(0)
        total += math.ceil(len(piece) / 4) if piece[0].isascii() and (piece[0].isalnum() or piece[0] == "_") else 1
    return total


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _ms(seconds: list[float], cpu: list[float]) -> dict[str, float]:
    """Wall-clock and CPU (this process, all threads) percentiles in ms. CPU time does not count waiting for a
    core, so on a loaded machine it is the better estimate of the agent's own cost."""
    return {"p50_ms": round(percentile(seconds, 0.5) * 1000, 2), "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
            "max_ms": round(max(seconds) * 1000, 2), "cpu_p50_ms": round(percentile(cpu, 0.5) * 1000, 2),
            "cpu_p95_ms": round(percentile(cpu, 0.95) * 1000, 2), "n": len(seconds)}


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


@contextmanager
def temp_home() -> Iterator[Path]:
    """A throw-away data home (env vars restored and the folder removed afterwards)."""
    saved = {k: os.environ.get(k) for k in _HOME_ENV}
    path = Path(tempfile.mkdtemp(prefix="mockint-bench-"))
    for key in _HOME_ENV:
        os.environ.pop(key, None)
    os.environ["MOCKINT_HOME"] = str(path)
    os.environ["MOCKINT_CONFIG"] = str(path / "config.toml")
    try:
        yield path
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if "chromadb" in sys.modules:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class SessionTiming:
    per_turn: list[float]  # wall seconds per answered turn (answer → next question, or → the end)
    per_turn_cpu: list[float]
    total: float
    total_cpu: float
    result: Any


def timed_session(ctx: Any, answer: Callable[[dict[str, Any]], str], costs: Callable[[], float],
                  seed: int = 1) -> SessionTiming:
    """Run a session; per answered turn, the time from the answer to the next question (or the end) minus
    ``costs()`` (seconds spent in fakes) meanwhile."""
    from agent.sessions import run_session

    timing = SessionTiming([], [], 0.0, 0.0, None)
    mark: dict[str, float] = {}

    def close_turn() -> None:
        wall, cpu = _clock()
        cost = costs() - mark["cost"]
        timing.per_turn.append(max(0.0, wall - mark["t"] - cost))
        timing.per_turn_cpu.append(max(0.0, cpu - mark["cpu"] - cost))

    def provide(payload: dict[str, Any]) -> str:
        if mark:
            close_turn()
        text = answer(payload)
        wall, cpu = _clock()
        mark.update(t=wall, cpu=cpu, cost=costs())
        return text

    wall0, cpu0 = _clock()
    timing.result = run_session(ctx, provide, seed=seed)
    if mark:
        close_turn()
    wall1, cpu1 = _clock()
    timing.total, timing.total_cpu = wall1 - wall0, cpu1 - cpu0
    return timing


# ---------------------------------------------------------------- sections
def bench_overhead(n_questions: int) -> dict[str, Any]:
    from agent.bench_fakes import InstantRetriever, counting_model, synthetic_bank
    from agent.context import Context
    from agent.engines.llm import LLMEngine

    bank = synthetic_bank(n_questions)
    model = counting_model()
    ctx = Context(engine_kind="llm", n_questions=n_questions, bank=bank, retriever=InstantRetriever(),
                  engine=LLMEngine(model, model_name="zero-latency-fake"))
    points = {q.id: q.reference_points for q in bank}

    def answer(payload: dict[str, Any]) -> str:  # even questions: everything; odd: one point, then "不清楚"
        qid = payload["question_id"]
        if payload["kind"] != "main":
            return "这个不太清楚。"
        ref = points[qid] if int(qid.split("-")[1]) % 2 == 0 else points[qid][:1]
        return "我的回答：" + "，".join(ref) + "。"

    timing = timed_session(ctx, answer, lambda: model.seconds)
    result = timing.result
    answered = len(result.transcript.turns)
    return {
        **_ms(timing.per_turn, timing.per_turn_cpu), "answered_turns": answered, "main_questions": n_questions,
        "total_s": round(timing.total, 3),
        "llm_calls": model.calls, "llm_calls_by_kind": dict(model.kinds),
        "llm_calls_per_question": round(model.calls / answered, 3),
        "llm_calls_per_main_question": round(model.calls / n_questions, 3),
        "prompt_tokens": model.tokens, "prompt_tokens_per_question": round(model.tokens / answered, 1),
        "checkpointer": "sqlite", "status": result.status,
    }


def bench_ingest(corpus: Path) -> dict[str, Any]:
    from agent.embeddings import get_e5
    from agent.ingest import ingest

    started = time.perf_counter()
    get_e5()
    load_s = time.perf_counter() - started
    cpu0 = time.process_time()
    full = ingest([corpus])
    cpu1 = time.process_time()
    again = ingest([corpus])
    cpu2 = time.process_time()
    return {
        "model_load_s": round(load_s, 3), "full_s": round(full.seconds, 3), "unchanged_s": round(again.seconds, 3),
        "full_cpu_s": round(cpu1 - cpu0, 3), "unchanged_cpu_s": round(cpu2 - cpu1, 3),
        "files": len(full.added), "chunks": full.chunks, "chunks_embedded": full.chunks_embedded,
        "questions": full.questions, "unchanged_files": len(again.unchanged), "unchanged_embedded": again.chunks_embedded,
    }


def retrieval_queries(limit: int) -> list[str]:
    queries: list[str] = []
    if DATASET.exists():
        for line in DATASET.read_text(encoding="utf-8").splitlines():
            if line.strip():
                queries.append(json.loads(line)["query"])
    if not queries:
        from agent.bank import load_bank

        queries = [q.text for q in load_bank()]
    return queries[:limit] if limit else queries


def bench_retrieval(limit: int, k: int = 3) -> dict[str, Any]:
    from agent.retrieval import get_retriever

    retriever = get_retriever()
    queries = retrieval_queries(limit)
    started = time.perf_counter()
    retriever.search(queries[0], k)  # first call builds BM25 and loads jieba
    warmup = time.perf_counter() - started
    times, cpu = [], []
    for query in queries:
        wall0, cpu0 = _clock()
        retriever.search(query, k)
        wall1, cpu1 = _clock()
        times.append(wall1 - wall0)
        cpu.append(cpu1 - cpu0)
    return {**_ms(times, cpu), "k": k, "first_query_s": round(warmup, 3)}


def bench_session(n: int) -> dict[str, Any]:
    from agent.bank import load_bank
    from agent.context import Context
    from agent.engines.offline import OfflineEngine
    from agent.retrieval import get_retriever

    wall0, cpu0 = _clock()
    bank = load_bank()
    n = min(n, len(bank))
    ctx = Context(n_questions=n, bank=bank, retriever=get_retriever(), engine=OfflineEngine())
    by_id = {q.id: q for q in bank}

    def answer(payload: dict[str, Any]) -> str:  # strong / partial / empty in turn, follow-ups: "不清楚"
        if payload["kind"] != "main":
            return "不太清楚。"
        points = by_id[payload["question_id"]].reference_points
        style = payload["number"] % 3
        return "；".join(points) if style == 1 else (points[0] if points and style == 2 else "")

    timing = timed_session(ctx, answer, lambda: 0.0)
    wall1, cpu1 = _clock()
    result = timing.result
    summary = result.transcript.summary
    return {
        "seconds": round(wall1 - wall0, 3), "cpu_s": round(cpu1 - cpu0, 3), "questions": n,
        "answered_turns": len(result.transcript.turns), "status": result.status,
        "per_turn_p50_ms": round(percentile(timing.per_turn, 0.5) * 1000, 1),
        "per_turn_cpu_p50_ms": round(percentile(timing.per_turn_cpu, 0.5) * 1000, 1),
        "overall": summary.overall if summary else None, "process": "warm (store and embedder loaded)",
    }


def mockint_command() -> list[str]:
    script = Path(sys.executable).with_name("mockint")
    return [str(script)] if script.exists() else [sys.executable, "-m", "agent.cli"]


def bench_cold_start(runs: int) -> dict[str, Any]:
    command = mockint_command() + ["--help"]
    times, cpu = [], []
    for _ in range(max(1, runs)):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            raise MockintError(f"冷启动测试失败：mockint --help 退出码 {done.returncode}（{tail[0][:200]}）")
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3), "runs": len(times),
            "cpu_median_s": round(statistics.median(cpu), 3),
            "command": " ".join(command[-2:])}


def machine_info() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "load_avg_1m": round(os.getloadavg()[0], 2)}


# ---------------------------------------------------------------- the whole run
def run_bench(config: BenchConfig | None = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    config = config or BenchConfig()
    log = log or (lambda _msg: None)
    machine = machine_info()
    sections: dict[str, Any] = {}
    started = time.perf_counter()
    with temp_home() as home:
        corpus = config.corpus
        if corpus is None and config.quick:
            corpus = home.parent / f"{home.name}-notes"
            corpus.mkdir()
            (corpus / "tiny.md").write_text(TINY_NOTE, encoding="utf-8")
        corpus = corpus or PROJECT_ROOT / "knowledge" / "sources"
        try:
            log("graph overhead (zero-latency fake model)…")
            sections["overhead"] = bench_overhead(config.overhead_questions)
            log(f"ingest {corpus}…")
            sections["ingest"] = bench_ingest(corpus)
            log("retrieval…")
            sections["retrieval"] = bench_retrieval(config.retrieval_queries)
            log(f"offline {config.session_questions}-question session…")
            sections["session"] = bench_session(config.session_questions)
        finally:
            if corpus.name.endswith("-notes") and corpus.parent == home.parent:
                shutil.rmtree(corpus, ignore_errors=True)
    log("cold start…")
    sections["cold_start"] = bench_cold_start(config.cold_start_runs)
    return summarize(sections, config, machine, time.perf_counter() - started)


def summarize(sections: dict[str, Any], config: BenchConfig, machine: dict[str, Any], seconds: float) -> dict[str, Any]:
    o, r, i, s, c = (sections[k] for k in ("overhead", "retrieval", "ingest", "session", "cold_start"))
    figures = {
        "overhead_p50_ms": o["p50_ms"], "overhead_p95_ms": o["p95_ms"],
        "llm_calls_per_question": o["llm_calls_per_question"], "prompt_tokens_per_question": o["prompt_tokens_per_question"],
        "retrieval_p50_ms": r["p50_ms"], "retrieval_p95_ms": r["p95_ms"], "cold_start_s": c["median_s"],
        "ingest_full_s": i["full_s"], "ingest_unchanged_s": i["unchanged_s"], "session_10q_s": s["seconds"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    cpu_figures = {  # CPU time of the same measurements (not inflated by waiting for a core on a busy machine)
        "overhead_cpu_p95_ms": o["cpu_p95_ms"], "retrieval_cpu_p95_ms": r["cpu_p95_ms"],
        "cold_start_cpu_s": c["cpu_median_s"], "ingest_full_cpu_s": i["full_cpu_s"], "session_10q_cpu_s": s["cpu_s"],
    }
    passed = {k: figures[k] <= goal for k, goal in GOALS.items()}
    return {
        **figures, **cpu_figures, "goals": GOALS, "pass": passed, "token_method": TOKEN_METHOD, "sections": sections,
        "machine": {**machine, "load_avg_1m_end": round(os.getloadavg()[0], 2)},
        "config": {**asdict(config), "corpus": str(config.corpus) if config.corpus else None},
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"), "bench_seconds": round(seconds, 1),
    }


def write_results(result: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


ROWS = (
    ("图开销 p50（每答一题，零延迟假模型）", "overhead_p50_ms", "ms", None),
    ("图开销 p95", "overhead_p95_ms", "ms", "overhead_p95_ms"),
    ("每答一题的 LLM 调用次数", "llm_calls_per_question", "", "llm_calls_per_question"),
    ("每答一题的提示词 token（估算）", "prompt_tokens_per_question", "", None),
    ("检索 p50", "retrieval_p50_ms", "ms", None),
    ("检索 p95", "retrieval_p95_ms", "ms", "retrieval_p95_ms"),
    ("mockint --help 冷启动（中位数）", "cold_start_s", "s", "cold_start_s"),
    ("全量导入", "ingest_full_s", "s", None),
    ("未变化时再次导入", "ingest_unchanged_s", "s", None),
    ("离线模拟面试（端到端）", "session_10q_s", "s", "session_10q_s"),
    ("峰值内存 (ru_maxrss)", "peak_rss_mb", "MB", None),
)


CPU_KEYS = {"overhead_p95_ms": "overhead_cpu_p95_ms", "retrieval_p95_ms": "retrieval_cpu_p95_ms",
            "cold_start_s": "cold_start_cpu_s", "ingest_full_s": "ingest_full_cpu_s", "session_10q_s": "session_10q_cpu_s"}
COLUMNS = ("指标", "墙钟", "CPU 时间", "目标", "结果")


def table_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Rows of the printed table; goals are judged on wall-clock time (CPU time shown for busy machines)."""
    rows = []
    for label, key, unit, goal_key in ROWS:
        goal = f"≤ {GOALS[goal_key]:g} {unit}".strip() if goal_key else ""
        verdict = ("[green]达标[/]" if result["pass"][goal_key] else "[red]未达标[/]") if goal_key else ""
        cpu = f"{result[CPU_KEYS[key]]:g} {unit}".strip() if key in CPU_KEYS else ""
        if key == "session_10q_s":
            label = label.replace("（", f"（{result['sections']['session']['questions']} 题，")
        rows.append((label, f"{result[key]:g} {unit}".strip(), cpu, goal, verdict))
    return rows
