"""``mockint bench``: the JSON document's shape on the tiny quick configuration (no timing assertions), the
token estimate and the percentile helper, and the happy-path LLM call count measured by the benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.evals.bench.runner import GOALS, estimate_tokens, percentile, table_rows

MOCKINT = str(Path(sys.executable).with_name("mockint"))
REQUIRED = ("first_run_s", "overhead_p95_ms", "llm_calls_per_question", "prompt_tokens_per_question", "retrieval_p95_ms",
            "cold_start_s", "session_10q_s", "peak_rss_mb")


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    home = tmp_path_factory.mktemp("bench-home")
    out = home / "result.json"
    env = {**os.environ, "MOCKINT_HOME": str(home), "MOCKINT_CONFIG": str(home / "config.toml")}
    run = subprocess.run([MOCKINT, "bench", "--quick", "--json", "--out", str(out)], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    return json.loads(run.stdout), run.stdout, out


def test_json_is_one_object_with_the_required_figures(quick: tuple[dict[str, Any], str, Path]):
    result, stdout, out = quick
    assert stdout.strip().count("\n") == 0  # exactly one JSON document on stdout, nothing else
    for key in REQUIRED:
        assert isinstance(result[key], int | float) and result[key] >= 0, key
    assert result["cold_start_s"] > 0 and result["peak_rss_mb"] > 50
    assert set(result["goals"]) == set(GOALS) and set(result["pass"]) == set(GOALS)
    assert all(isinstance(v, bool) for v in result["pass"].values())
    assert json.loads(out.read_text(encoding="utf-8")) == result  # the file holds the same document
    assert result["config"]["quick"] is True and result["machine"]["cores"] >= 1
    assert "CJK" in result["token_method"]
    for key in ("overhead_cpu_p95_ms", "retrieval_cpu_p95_ms", "cold_start_cpu_s", "session_10q_cpu_s"):
        assert isinstance(result[key], int | float) and result[key] >= 0, key


def test_sections_measure_what_they_claim(quick: tuple[dict[str, Any], str, Path]):
    sections = quick[0]["sections"]
    overhead = sections["overhead"]
    assert overhead["status"] == "finished" and overhead["answered_turns"] > overhead["main_questions"]  # follow-ups
    assert overhead["n"] == overhead["answered_turns"]  # one timing per answered turn
    assert quick[0]["llm_calls_per_question"] <= 2  # happy path: grade + at most one follow-up phrasing
    assert "critique" not in overhead["llm_calls_by_kind"]  # consistent grades pass reflection without a critic
    assert overhead["prompt_tokens_per_question"] > 200  # the grade prompt + function schema are counted
    ingest = sections["ingest"]
    assert ingest["chunks"] >= 1 and ingest["questions"] == 3
    assert ingest["unchanged_files"] == ingest["files"] and ingest["unchanged_embedded"] == 0
    assert sections["session"]["status"] == "finished" and sections["session"]["questions"] == 3
    assert sections["retrieval"]["n"] == 5 and sections["cold_start"]["runs"] == 1
    assert sections["web"]["pages"] >= 6 and sections["web"]["answers"] >= 1  # real page loads and graded answers


def test_table_rows_show_every_goal(quick: tuple[dict[str, Any], str, Path]):
    rows = table_rows(quick[0])
    assert len(rows) == 14
    goals = [r for r in rows if r[3]]
    assert len(goals) == len(GOALS) and all(("达标" in r[4]) for r in goals)
    timed = [r for r in goals if "调用" not in r[0] and "首次" not in r[0] and "网页" not in r[0]]  # first run: a wall-clock figure only
    assert all(r[2].endswith(("ms", "s")) for r in timed)  # CPU time next to wall time


def test_first_run_is_measured_in_a_fresh_home(quick: tuple[dict[str, Any], str, Path]):
    first = quick[0]["sections"]["first_run"]
    assert quick[0]["first_run_s"] == first["first_question_s"] > 0
    assert first["session_s"] >= first["first_question_s"] and first["home"] == "fresh temporary"


def test_token_estimate():
    assert estimate_tokens("") == 0
    assert estimate_tokens("你好世界") == 4  # one per CJK character
    assert estimate_tokens("attention") == 3  # ceil(9 / 4)
    assert estimate_tokens("LoRA：低秩") == 1 + 1 + 2


def test_percentile_interpolates():
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile(list(map(float, range(101))), 0.95) == pytest.approx(95.0)


def test_temp_home_isolates_and_restores_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from agent.config import home
    from agent.evals.bench.measure import temp_home

    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("MOCKINT_HOME", str(tmp_path))
    monkeypatch.delenv("MOCKINT_EMBEDDER", raising=False)
    with temp_home() as path:
        assert home() == path and os.environ["MOCKINT_CONFIG"] == str(path / "config.toml")
        assert "CHROMA_HOST" not in os.environ  # a fresh home: no server / knowledge / embedder overrides
        os.environ["MOCKINT_EMBEDDER"] = "set-inside"
    assert not path.exists()
    assert os.environ["CHROMA_HOST"] == "127.0.0.1" and os.environ["MOCKINT_HOME"] == str(tmp_path)
    assert "MOCKINT_EMBEDDER" not in os.environ  # unset before: unset again
