"""The benchmark behind ``mockint bench`` and ``evals/bench.py``: the agent's own costs, measured honestly.

Sections (each runs in a throw-away ``MOCKINT_HOME``, never the user's data):

* **overhead** — the graph with a zero-latency fake chat model and an instant retriever, through the real
  session runner (SQLite checkpoints, review state, transcript files): per answered turn, the wall time from the
  answer to the next question minus the time spent inside the model and the retriever (≈ 0). Also LLM calls and
  prompt tokens per answered turn (main answers and follow-up answers alike), from the prompts actually sent.
* **ingest** — full ingest of the corpus into an empty store embedding every text (the shipped vectors are not
  used here), then the same ingest again (nothing changed).
* **retrieval** — warm hybrid search latency (``k = Context.retrieval_k``) over the built store.
* **session** — an offline simulated session of 10 questions end to end (real bank, store, offline grader,
  checkpoints, review state, transcripts) with a scripted persona, in this (warm) process.
* **cold start** — ``mockint --help`` in a fresh subprocess, median of several runs.
* **first run** — ``mockint interview`` in a fresh subprocess and a fresh temporary home: seconds until the
  first question is shown (``first_run_s``; the store is loaded from the shipped vectors).
* **web** — ``mockint web`` in process (:mod:`agent.evals.bench.web`): page load p95 and offline grade after submit.
* **memory** — peak RSS of this process (``ru_maxrss``).

Token counts are estimates (no tokenizer can be downloaded offline): see :data:`TOKEN_METHOD`.
This module runs the sections and summarizes them; the sections are in :mod:`agent.evals.bench.sections`, the
measurement helpers (clocks, percentiles, token estimate, throw-away home) in :mod:`agent.evals.bench.measure`.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.config import default_sources_dir
from agent.evals.bench.measure import TOKEN_METHOD, estimate_tokens, machine_info, percentile, temp_home
from agent.evals.bench.sections import (
    bench_cold_start,
    bench_first_run,
    bench_ingest,
    bench_overhead,
    bench_retrieval,
    bench_session,
)

__all__ = ["COLUMNS", "GOALS", "RESULTS_NAME", "TOKEN_METHOD", "BenchConfig", "estimate_tokens", "percentile",
           "run_bench", "summarize", "table_rows", "write_results"]

GOALS = {
    "overhead_p95_ms": 50.0,
    "llm_calls_per_question": 2.0,
    "retrieval_p95_ms": 30.0,
    "cold_start_s": 0.5,
    "session_10q_s": 10.0,
    "first_run_s": 10.0,
    "web_page_p95_ms": 200.0,
    "web_grade_p95_ms": 1000.0,
}
RESULTS_NAME = "bench.json"  # written under MOCKINT_HOME unless --out says otherwise

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
        corpus = corpus or default_sources_dir()
        try:
            log("graph overhead (zero-latency fake model)…")
            sections["overhead"] = bench_overhead(config.overhead_questions)
            log(f"ingest {corpus}…")
            sections["ingest"] = bench_ingest(corpus)
            log("retrieval…")
            sections["retrieval"] = bench_retrieval(config.retrieval_queries)
            log(f"offline {config.session_questions}-question session…")
            sections["session"] = bench_session(config.session_questions)
            log("web app (page loads, offline grade after submit)…")
            from agent.evals.bench.web import bench_web

            sections["web"] = bench_web(config.session_questions)
        finally:
            if corpus.name.endswith("-notes") and corpus.parent == home.parent:
                shutil.rmtree(corpus, ignore_errors=True)
    log("cold start…")
    sections["cold_start"] = bench_cold_start(config.cold_start_runs)
    log("first run (fresh home, first interview question)…")
    sections["first_run"] = bench_first_run()
    return summarize(sections, config, machine, time.perf_counter() - started)


def summarize(sections: dict[str, Any], config: BenchConfig, machine: dict[str, Any], seconds: float) -> dict[str, Any]:
    o, r, i, s, c, f = (sections[k] for k in ("overhead", "retrieval", "ingest", "session", "cold_start", "first_run"))
    figures = {
        "overhead_p50_ms": o["p50_ms"], "overhead_p95_ms": o["p95_ms"],
        "llm_calls_per_question": o["llm_calls_per_question"], "prompt_tokens_per_question": o["prompt_tokens_per_question"],
        "retrieval_p50_ms": r["p50_ms"], "retrieval_p95_ms": r["p95_ms"], "cold_start_s": c["median_s"],
        "ingest_full_s": i["full_s"], "ingest_unchanged_s": i["unchanged_s"], "session_10q_s": s["seconds"],
        "first_run_s": f["first_question_s"],
        "web_page_p95_ms": sections["web"]["page_p95_ms"], "web_grade_p95_ms": sections["web"]["grade_p95_ms"],
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
    ("全量导入（全部重新向量化）", "ingest_full_s", "s", None),
    ("未变化时再次导入", "ingest_unchanged_s", "s", None),
    ("离线模拟面试（端到端）", "session_10q_s", "s", "session_10q_s"),
    ("新家目录首次 mockint interview 出第一题", "first_run_s", "s", "first_run_s"),
    ("网页加载 p95（mockint web）", "web_page_p95_ms", "ms", "web_page_p95_ms"),
    ("网页提交后离线评分 p95", "web_grade_p95_ms", "ms", "web_grade_p95_ms"),
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
