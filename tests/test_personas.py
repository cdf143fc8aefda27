"""Deterministic offline personas (also the ladder's answer builders)."""

from __future__ import annotations

from agent.evals import personas as pa
from agent.grading.text import is_injection, negation_count
from agent.schemas import Question

Q = Question(id="q1", text="什么是 LoRA？", category="sft", section="s", difficulty=2, reference_points=[
    "LoRA 冻结预训练权重，只训练低秩分解的增量矩阵",
    "QLoRA 把基座权重量化到 4-bit，可以显著减少显存占用",
    "关键超参数包括秩 r、alpha 和插入位置",
    "训练完成后增量矩阵可以合并回原权重，推理没有额外延迟",
])


def test_answers_are_deterministic() -> None:
    for persona in pa.PERSONAS:
        assert pa.offline_answer(persona, Q) == pa.offline_answer(persona, Q)


def test_strong_rewords_every_point() -> None:
    answer = pa.offline_answer("strong", Q)
    assert answer.count("。") == 4
    assert "可以显著减少" not in answer and "能明显降低" in answer  # synonym swaps
    assert not any(p in answer for p in Q.reference_points[1:])


def test_average_half_weak_one_plus_error() -> None:
    assert pa.offline_answer("average", Q).count("。") == 2
    weak = pa.offline_answer("weak", Q)
    assert weak.count("。") == 2
    assert negation_count(weak) > negation_count(Q.reference_points[0] + Q.reference_points[1])


def test_evasive_and_injector() -> None:
    assert not any(w in pa.offline_answer("evasive", Q) for w in ("LoRA", "权重", "显存"))
    assert is_injection(pa.offline_answer("injector", Q))
    assert all(is_injection(text) for text in pa.INJECTIONS)


def test_follow_up_answers() -> None:
    followup = "你刚才没有提到「训练完成后增量矩阵可以合并回原权重，推理没有额外延迟」，能具体讲讲吗？"
    strong = pa.offline_answer("strong", Q, followup, 1)
    assert "合并回原权重" in strong
    average = pa.offline_answer("average", Q, followup, 1)
    assert "合并回原权重" in average and len(average) < len(strong)
    assert "不太确定" in pa.offline_answer("weak", Q, followup, 1)


def test_negate_and_keyword_list() -> None:
    assert pa.negate("这种方法可以减少显存") == "这种方法不能减少显存。"
    assert pa.negate("INNER JOIN 不会返回不匹配的行") == "INNER JOIN 会返回不匹配的行。"
    terms = pa.keyword_list(Q.reference_points)
    assert "、" in terms and "。" not in terms
