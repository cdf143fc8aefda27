"""Measurement primitives of the benchmark (:mod:`agent.evals.bench.runner`): token estimate, percentiles, wall / CPU clocks,
a throw-away data home, a timed session run, the machine description."""

from __future__ import annotations

import math
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.config import use_home

TOKEN_METHOD = (
    "estimate: 1 token per CJK character, ceil(len/4) per ASCII letter/digit run, 1 per other symbol; "
    "grade calls include the GradeOutput function schema sent with them"
)
_TOKEN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z0-9_]+|[^\sA-Za-z0-9_\u3400-\u9fff\uf900-\ufaff]")


def estimate_tokens(text: str) -> int:
    """Token estimate (see :data:`TOKEN_METHOD`)."""
    total = 0
    for match in _TOKEN_RE.finditer(text):
        piece = match.group(0)
        total += math.ceil(len(piece) / 4) if piece[0].isascii() and (piece[0].isalnum() or piece[0] == "_") else 1
    return total


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..1) of a non-empty list — the one percentile (and median, q=0.5)
    of every benchmark and eval (``mockint bench``, ``evals/retrieval_bench.py``)."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def ms_stats(seconds: list[float], cpu: list[float]) -> dict[str, float]:
    """Wall-clock and CPU (this process, all threads) percentiles in ms. CPU time does not count waiting for a
    core, so on a loaded machine it is the better estimate of the agent's own cost."""
    return {"p50_ms": round(percentile(seconds, 0.5) * 1000, 2), "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
            "max_ms": round(max(seconds) * 1000, 2), "cpu_p50_ms": round(percentile(cpu, 0.5) * 1000, 2),
            "cpu_p95_ms": round(percentile(cpu, 0.95) * 1000, 2), "n": len(seconds)}


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


@contextmanager
def temp_home() -> Iterator[Path]:
    """A throw-away data home (env vars restored and the folder removed afterwards)."""
    path = Path(tempfile.mkdtemp(prefix="mockint-bench-"))
    try:
        with use_home(path):
            yield path
    finally:
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
    from agent.interview.sessions import run_session

    timing = SessionTiming([], [], 0.0, 0.0, None)
    mark: dict[str, float] = {}

    def close_turn() -> None:
        wall, cpu = clock()
        cost = costs() - mark["cost"]
        timing.per_turn.append(max(0.0, wall - mark["t"] - cost))
        timing.per_turn_cpu.append(max(0.0, cpu - mark["cpu"] - cost))

    def provide(payload: dict[str, Any]) -> str:
        if mark:
            close_turn()
        text = answer(payload)
        wall, cpu = clock()
        mark.update(t=wall, cpu=cpu, cost=costs())
        return text

    wall0, cpu0 = clock()
    timing.result = run_session(ctx, provide, seed=seed)
    if mark:
        close_turn()
    wall1, cpu1 = clock()
    timing.total, timing.total_cpu = wall1 - wall0, cpu1 - cpu0
    return timing


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
