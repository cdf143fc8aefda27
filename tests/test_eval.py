"""``mockint eval``: dataset parsing and errors, metrics, band checks, the CLI's JSON and predictions output."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.app import app
from agent.errors import MockintError, UsageError
from agent.evals import evaluation as ev
from agent.schemas import GradeOutput, GradeRequest

ROW = {"id": "r1", "question": "What is a stack?", "reference": "A stack is a last-in first-out (LIFO) structure.",
       "answer": "A stack stores items so the last item pushed is the first popped, LIFO.", "score": 5, "max_score": 5}


def write(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def dataset(tmp_path: Path) -> Path:
    rows = [
        ROW,
        {**ROW, "id": "r2", "answer": "A stack is a queue where the first item in is the first out.", "score": 1.5},
        {**ROW, "id": "r3", "answer": "", "score": 0},
        {**ROW, "id": "r4", "answer": "I like turtles and sunny weather.", "score": 0.5},
    ]
    return write(tmp_path / "d.jsonl", rows)


# ------------------------------------------------------------------ metrics
def test_metrics_on_synthetic_data() -> None:
    human = [0, 1, 2, 3, 4, 5]
    perfect = ev.metrics(human, [0, 1, 2, 3, 4, 5])
    assert perfect["pearson"] == pytest.approx(1.0) and perfect["spearman"] == pytest.approx(1.0)
    assert perfect["rmse"] == 0 and perfect["qwk"] == pytest.approx(1.0)
    shifted = ev.metrics(human, [1, 2, 3, 4, 5, 6])
    assert shifted["pearson"] == pytest.approx(1.0) and shifted["rmse"] == pytest.approx(1.0)
    assert shifted["qwk"] < 1.0
    reversed_ = ev.metrics(human, [5, 4, 3, 2, 1, 0])
    assert reversed_["pearson"] == pytest.approx(-1.0) and reversed_["qwk"] < 0
    constant = ev.metrics(human, [2, 2, 2, 2, 2, 2])
    assert math.isnan(constant["pearson"])


def test_prediction_scaled_linearly_to_row_scale() -> None:
    row = ev.parse_row(ROW, "x")
    assert ev.Prediction(row=row, predicted10=8.0, seconds=0).predicted == pytest.approx(4.0)


def test_reference_split_into_points() -> None:
    row = ev.parse_row({**ROW, "reference": "First point. Second point; still second. Third!"}, "x")
    points = ev.reference_points(row)
    assert [p.point for p in points] == ["First point.", "Second point; still second.", "Third!"]
    assert len({p.chunk_id for p in points}) == 3
    own = ev.parse_row({**ROW, "reference_points": ["a", "b"]}, "x")
    assert [p.point for p in ev.reference_points(own)] == ["a", "b"]


def test_band_violations_and_injection_pairs() -> None:
    base = ev.parse_row({**ROW, "id": "weak", "band": [0, 5], "ladder_kind": "error"}, "x")
    inj = ev.parse_row({**ROW, "id": "inj", "band": [0, 5], "ladder_kind": "injection_weak", "pair_of": "weak"}, "x")
    preds = [ev.Prediction(base, 3.0, 0), ev.Prediction(inj, 4.0, 0)]
    bands = ev.band_violations(preds)
    assert bands["error"]["violations"] == 0
    assert bands["injection_weak"]["violations"] == 1 and bands["injection_weak"]["ids"] == ["inj=4"]
    report = ev.summarize(preds).to_dict()
    assert report["band_violations"] == 1


# ------------------------------------------------------------------ dataset errors
@pytest.mark.parametrize(("lines", "message"), [
    ([], "数据集为空"),
    (["{not json"], "第 1 行: 不是合法的 JSON"),
    ([ROW, {k: v for k, v in ROW.items() if k != "answer"}], "第 2 行: 缺少字段 answer"),
    ([{**ROW, "score": "high"}], "第 1 行: 字段 score 必须是数字"),
    ([{**ROW, "score": 7}], "第 1 行: 需要 0 ≤ score ≤ max_score"),
    (["[1, 2]"], "第 1 行: 每行必须是一个 JSON 对象"),
    ([ROW, ROW], "第 2 行: id r1 重复"),
])
def test_bad_dataset_errors_name_the_line(tmp_path: Path, lines: list, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines), encoding="utf-8")
    with pytest.raises(UsageError) as err:
        ev.load_dataset(path)
    assert message in str(err.value)
    assert err.value.exit_code == 2


def test_missing_dataset_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="数据集不存在"):
        ev.load_dataset(tmp_path / "nope.jsonl")


def test_limit(tmp_path: Path) -> None:
    assert [r.id for r in ev.load_dataset(dataset(tmp_path), limit=2)] == ["r1", "r2"]


# ------------------------------------------------------------------ CLI
def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, MockintError):
        return result.exception.exit_code, str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_eval_json_shape_and_predictions(tmp_path: Path) -> None:
    preds = tmp_path / "p.jsonl"
    code, out = run_cli("eval", "--dataset", str(dataset(tmp_path)), "--json", "--predictions", str(preds))
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"n", "pearson", "spearman", "rmse", "qwk", "seconds_per_answer"}
    assert data["n"] == 4 and data["pearson"] > 0.5 and data["seconds_per_answer"] > 0
    lines = [json.loads(x) for x in preds.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["r1", "r2", "r3", "r4"]
    assert all(set(x) == {"id", "score", "predicted"} for x in lines)
    assert all(0 <= x["predicted"] <= 5 for x in lines)
    by_id = {x["id"]: x["predicted"] for x in lines}
    assert by_id["r3"] == 0 and by_id["r1"] > by_id["r4"]


def test_eval_uses_the_graph_engine_grader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[GradeRequest] = []

    def fake(req: GradeRequest) -> GradeOutput:
        seen.append(req)
        return GradeOutput(score=10.0 if req.answer else 0.0)

    import agent.engines.offline as offline_engine

    monkeypatch.setattr(offline_engine, "_default_grader", lambda: fake)
    code, out = run_cli("eval", "-d", str(dataset(tmp_path)), "--json", "--limit", "3")
    assert code == 0 and json.loads(out)["n"] == 3
    assert [r.answer for r in seen][2] == "" and all(r.reference_points for r in seen)


def test_eval_bad_engine_and_bad_dataset(tmp_path: Path) -> None:
    code, msg = run_cli("eval", "-d", str(dataset(tmp_path)), "--engine", "gpt")
    assert code == 2 and "未知的评分引擎: gpt" in msg
    bad = write(tmp_path / "bad.jsonl", [ROW, {**ROW, "id": "x", "score": None}])
    code, msg = run_cli("eval", "-d", str(bad))
    assert code == 2 and "第 2 行" in msg and "score" in msg


def test_eval_llm_without_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    code, msg = run_cli("eval", "-d", str(dataset(tmp_path)), "--engine", "llm")
    assert code == 4 and "base_url" in msg
    # checked before the dataset is even read
    code, msg = run_cli("eval", "-d", str(tmp_path / "missing.jsonl"), "--engine", "llm")
    assert code == 4 and "base_url" in msg


def test_eval_subprocess_exit_code_and_single_json(tmp_path: Path) -> None:
    exe = [sys.executable, "-m", "agent.cli"]
    bad = write(tmp_path / "bad.jsonl", ["oops"])
    run = subprocess.run([*exe, "eval", "-d", str(bad), "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert "第 1 行" in run.stderr and "Traceback" not in run.stderr
    ok = subprocess.run([*exe, "eval", "-d", str(dataset(tmp_path)), "--json"], capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["n"] == 4
    assert len(ok.stdout.strip().splitlines()) == 1


def test_eval_llm_engine_against_local_openai_compatible_server(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``--engine llm`` grades through the LLM engine (function calling) and the interview's reflection: these
    scripted grades give no verdict for the row's points, so reflection sends them back, and a grade that still
    fails (or a failed call) is replaced by the offline grade and counted as a fallback."""
    from fake_openai import FakeOpenAI

    def args(score: float) -> dict:
        return GradeOutput(feedback="ok", score=score).model_dump(mode="json")

    script = [("ok", args(9.0)), ("ok", args(3.0)), ("500", None), ("ok", args(1.0))]
    with FakeOpenAI(script) as server:
        monkeypatch.setenv("MOCKINT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("MOCKINT_LLM_RETRIES", "0")
        code, out = run_cli("eval", "-d", str(dataset(tmp_path)), "--engine", "llm", "--json")
        bodies = list(server.requests)
    assert code == 0
    data = json.loads(out)
    assert data["engine"] == "llm" and data["n"] == 4 and data["fallbacks"] == 4 and data["regraded"] >= 1
    assert {"pearson", "spearman", "rmse", "qwk", "seconds_per_answer", "unverified"} <= set(data)
    assert len(bodies) > 4 and bodies[0]["tools"][0]["function"]["name"] == "GradeOutput"
    assert ROW["answer"] in bodies[0]["messages"][-1]["content"]


def test_band_summary_reports_mean_and_inflated_per_kind() -> None:
    from agent.evals.evaluation import Prediction, Row, band_violations

    def pred(i: str, kind: str, score: float, band: tuple[float, float]) -> Prediction:
        row = Row(id=i, question="q", reference="r", answer="a", score=5, max_score=10, band=band, ladder_kind=kind)
        return Prediction(row=row, predicted10=score, seconds=0.0)

    out = band_violations([pred("a", "wrong", 6.0, (0, 3)), pred("b", "wrong", 2.0, (0, 3)),
                           pred("c", "right", 4.0, (6, 9))])
    assert out["wrong"]["n"] == 2 and out["wrong"]["mean"] == 4.0
    assert out["wrong"]["inflated"] == 1 and out["wrong"]["violations"] == 1
    assert out["right"]["inflated"] == 0 and out["right"]["violations"] == 1


@pytest.mark.parametrize("name", ["heldout.jsonl", "heldout3.jsonl"])
def test_heldout_set_is_well_formed(name: str) -> None:
    from collections import Counter
    from pathlib import Path

    from agent.evals.evaluation import load_dataset

    rows = load_dataset(Path(__file__).resolve().parent.parent / "evals" / "datasets" / name)
    kinds = Counter(r.ladder_kind for r in rows)
    assert len(rows) >= 100 and len({r.id.split(":")[0] for r in rows}) >= 15
    assert set(kinds) >= {"concise_correct", "paraphrase_correct", "keyword_list", "fluent_wrong", "central_error",
                          "long_fluff", "other_question"}
    assert all(r.band is not None for r in rows)


def test_readme_rubric_table_is_rubric_py() -> None:
    from pathlib import Path

    from agent.grading.rubric import rubric_table, score_bounds
    from agent.schemas import GradeOutput, PointVerdict

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert rubric_table() in readme

    def bounds(*statuses: str) -> tuple[float, float]:
        points = [PointVerdict(point=f"p{i}", chunk_id="c", quote="q", status=s) for i, s in enumerate(statuses)]  # type: ignore[arg-type]
        return score_bounds(GradeOutput(points=points, score=0))

    assert bounds("covered", "covered") == (8.0, 10.0)
    assert bounds("partial", "missing") == (1.0, 4.5)  # a single partial point (c = 0.25) can never score 7
    assert bounds("missing") == (0.0, 2.0)


def test_eval_runs_the_interview_reflection_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A grade that breaks the rubric (9/10 with every point missing) is sent back by reflection, as in an
    interview; eval reports the re-grades and ends with a grade inside the rubric bounds."""
    from agent.grading.rubric import score_bounds
    from agent.schemas import PointVerdict

    calls: list[bool] = []

    def inflated(req: GradeRequest) -> GradeOutput:
        calls.append(bool(req.critique))
        points = [PointVerdict(point=p.point, chunk_id=p.chunk_id, quote="", status="missing")
                  for p in req.reference_points]
        return GradeOutput(points=points, score=9.0)

    import agent.engines.offline as offline_engine

    monkeypatch.setattr(offline_engine, "_default_grader", lambda: inflated)
    preds = tmp_path / "p.jsonl"
    code, out = run_cli("eval", "-d", str(dataset(tmp_path)), "--json", "--limit", "2", "--predictions", str(preds))
    data = json.loads(out)
    assert code == 0 and data["regraded"] == 2 and True in calls  # the re-grade carried the critique
    assert data["unverified"] == 0 and data["fallbacks"] == 0
    lo, hi = score_bounds(GradeOutput(points=[PointVerdict(point="p", chunk_id="c", quote="", status="missing")],
                                      score=0))
    assert all(lo <= json.loads(line)["predicted"] * 2 <= hi for line in preds.read_text().splitlines())
