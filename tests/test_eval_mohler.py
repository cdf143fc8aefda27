"""Benchmark: the offline grader on the full mohler set (slow; run with ``pytest -m slow``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

MOHLER = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "mohler.jsonl"


@pytest.mark.slow
@pytest.mark.skipif(not MOHLER.exists(), reason="benchmark file not available")
def test_offline_grader_agrees_with_humans_on_mohler() -> None:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "agent.cli", "eval", "--dataset", str(MOHLER), "--json"],
                         capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - start
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(run.stdout)
    assert data["n"] == 2273
    assert data["pearson"] >= 0.55, data
    assert elapsed < 180, f"took {elapsed:.0f} s"


@pytest.mark.slow
def test_ladder_has_zero_band_violations() -> None:
    ladder = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "ladder.jsonl"
    run = subprocess.run([sys.executable, "-m", "agent.cli", "eval", "--dataset", str(ladder), "--json"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(run.stdout)
    assert data["band_violations"] == 0, data["bands"]
