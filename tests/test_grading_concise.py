"""Concise, correct Chinese answers (evals/datasets/concise.jsonl): clause spans and label hits give them credit,
while concise wrong answers and keyword lists stay low."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.engines.offline import OfflineEngine
from agent.evals import evaluation as ev
from agent.grading import text as tx
from agent.grading.labels import label_hit, label_terms
from agent.grading.offline import grade_offline

CONCISE = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "concise.jsonl"
IN_BAND = ["sft-d90e31a5:concise-freeze", "alignment-3b124ecd:concise-a", "position-9fc1c9bb:concise-a",
           "rag-7ae171f0:concise-wrong"]


@pytest.fixture(scope="module")
def rows() -> dict[str, ev.Row]:
    return {r.id: r for r in ev.load_dataset(CONCISE)}


def test_dataset_shape(rows: dict[str, ev.Row]) -> None:
    right = [r for r in rows.values() if r.ladder_kind == "concise"]
    wrong = [r for r in rows.values() if r.ladder_kind == "concise_wrong"]
    assert len(right) >= 20 and len(wrong) >= 5
    assert all(len(r.reference_points) >= 4 and r.band is not None for r in rows.values())
    assert all(r.band is not None and tuple(r.band) == (0.0, 2.5) for r in wrong)


def test_concise_cases_in_band(rows: dict[str, ev.Row]) -> None:
    preds = ev.run([rows[i] for i in IN_BAND], OfflineEngine().grade)
    bands = ev.band_violations(preds)
    assert sum(v["violations"] for v in bands.values()) == 0, bands


def test_user_case_names_lora_and_ewc(rows: dict[str, ev.Row]) -> None:
    """The reported case: every point was "missing" (score 2); LoRA and EWC, named and explained, are now partial."""
    grade = grade_offline(ev.grade_request(rows["sft-d90e31a5:concise-user"]))
    by_point = {v.point.split("：")[0]: v for v in grade.points}
    lora, ewc = by_point["使用低秩适应（LoRA）"], by_point["弹性权重巩固（EWC）"]
    assert lora.status == "partial" and lora.quote.startswith("用 LoRA 这类参数高效方法")
    assert ewc.status == "partial" and "EWC 限制重要参数" in ewc.quote
    assert by_point["知识蒸馏"].status == "missing"  # not mentioned
    assert grade.score >= 3.0


def test_chinese_clauses_are_spans() -> None:
    answer = "可以在微调数据里混入一部分通用数据做回放，降低学习率，用 LoRA 训练少量参数。"
    assert "降低学习率" in [answer[s:e].rstrip("，。") for s, e in tx.candidate_spans(answer)]
    english = "Use a stack, push each item, then pop."  # English: short sentences are not split
    assert [english[s:e] for s, e in tx.candidate_spans(english)] == [english]


def test_label_needs_explanation_and_distinctive_label() -> None:
    point = "弹性权重巩固（EWC）：通过对模型参数施加额外约束来保护重要的权重。"
    terms = label_terms(point, ["知识蒸馏：让学生模型模仿教师模型。"], set())
    assert label_hit(terms, "还可以加正则比如 EWC 限制重要参数的变化")
    assert not label_hit(terms, "EWC")  # a bare term is keyword stuffing, not an explanation
    assert not label_hit(terms, "还可以加正则限制重要参数的变化")  # the label is not named
    shared = "INNER JOIN：如果某行在其中一个表中没有匹配的行，则该行不会包含在结果集中。"
    assert label_terms(shared, ["INNER JOIN 只返回两个表中连接条件相匹配的行。"], set()) == (set(), set())
    assert label_terms("优点：无需训练，泛化性好。", [], set()) == (set(), set())  # generic label
