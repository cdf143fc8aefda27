"""The benchmark's sections (:mod:`agent.evals.bench.runner` runs them in a throw-away home): graph overhead with a
zero-latency fake model, ingest, retrieval latency, an offline session end to end, CLI cold start."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agent.config import PROJECT_ROOT
from agent.errors import MockintError
from agent.evals.bench.measure import clock, ms_stats, percentile, timed_session

DATASET = PROJECT_ROOT / "evals" / "datasets" / "retrieval.jsonl"


def bench_overhead(n_questions: int) -> dict[str, Any]:
    from agent.engines.llm import LLMEngine
    from agent.evals.bench.fakes import counting_model, synthetic_bank
    from agent.evals.simulate import NullRetriever
    from agent.interview.context import Context

    bank = synthetic_bank(n_questions)
    model = counting_model()
    ctx = Context(engine_kind="llm", n_questions=n_questions, bank=bank, retriever=NullRetriever(),
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
        **ms_stats(timing.per_turn, timing.per_turn_cpu), "answered_turns": answered, "main_questions": n_questions,
        "total_s": round(timing.total, 3),
        "llm_calls": model.calls, "llm_calls_by_kind": dict(model.kinds),
        "llm_calls_per_question": round(model.calls / answered, 3),
        "llm_calls_per_main_question": round(model.calls / n_questions, 3),
        "prompt_tokens": model.tokens, "prompt_tokens_per_question": round(model.tokens / answered, 1),
        "checkpointer": "sqlite", "status": result.status,
    }


def bench_ingest(corpus: Path) -> dict[str, Any]:
    from agent.knowledge.embeddings import get_e5
    from agent.knowledge.ingest import ingest

    started = time.perf_counter()
    get_e5()
    load_s = time.perf_counter() - started
    cpu0 = time.process_time()
    full = ingest([corpus], only=True, shipped=False)  # from scratch: every text embedded
    cpu1 = time.process_time()
    again = ingest([corpus], only=True)
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
        from agent.knowledge.bank import load_bank

        queries = [q.text for q in load_bank()]
    return queries[:limit] if limit else queries


def bench_retrieval(limit: int, k: int = 3) -> dict[str, Any]:
    from agent.knowledge.retrieval import get_retriever

    retriever = get_retriever()
    queries = retrieval_queries(limit)
    started = time.perf_counter()
    retriever.search(queries[0], k)  # first call builds BM25 and loads jieba
    warmup = time.perf_counter() - started
    times, cpu = [], []
    for query in queries:
        wall0, cpu0 = clock()
        retriever.search(query, k)
        wall1, cpu1 = clock()
        times.append(wall1 - wall0)
        cpu.append(cpu1 - cpu0)
    return {**ms_stats(times, cpu), "k": k, "first_query_s": round(warmup, 3)}


def bench_session(n: int) -> dict[str, Any]:
    from agent.engines.offline import OfflineEngine
    from agent.interview.context import Context
    from agent.knowledge.bank import load_bank
    from agent.knowledge.retrieval import get_retriever

    wall0, cpu0 = clock()
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
    wall1, cpu1 = clock()
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


FIRST_QUESTION = "第 1/"  # the first question panel's title


def bench_first_run(timeout_s: float = 300.0) -> dict[str, Any]:
    """``mockint interview`` in a fresh subprocess and a fresh temporary home: seconds until the first question
    is on screen (store built from the shipped vectors, bank loaded, graph started)."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mockint-first-run-") as home:
        answers = Path(home) / "answers.txt"
        answers.write_text("不清楚\n", encoding="utf-8")
        env = {**os.environ, "MOCKINT_HOME": home, "MOCKINT_CONFIG": str(Path(home) / "config.toml"),
               "PYTHONUNBUFFERED": "1", "COLUMNS": "100"}
        for key in ("MOCKINT_KNOWLEDGE", "CHROMA_HOST", "CHROMA_PORT", "MOCKINT_EMBEDDER"):
            env.pop(key, None)
        started = time.perf_counter()
        proc = subprocess.Popen(mockint_command() + ["interview", "-n", "1", "--answers", str(answers)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        first = None
        assert proc.stdout is not None
        for line in proc.stdout:
            if first is None and FIRST_QUESTION in line:
                first = time.perf_counter() - started
        code = proc.wait(timeout=timeout_s)
        total = time.perf_counter() - started
    if first is None or code != 0:
        raise MockintError(f"首次运行测试失败：mockint interview 退出码 {code}，没有看到第一题")
    return {"first_question_s": round(first, 3), "session_s": round(total, 3), "home": "fresh temporary"}


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
    return {"median_s": round(percentile(times, 0.5), 3), "min_s": round(min(times), 3), "runs": len(times),
            "cpu_median_s": round(percentile(cpu, 0.5), 3),
            "command": " ".join(command[-2:])}
