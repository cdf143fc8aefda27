"""The fitted offline score: its generated parameters, its features, and what it changes in a grade."""

from __future__ import annotations

import numpy as np

from agent.grading.guards import data_spans
from agent.grading.offline import _copies_question, grade_offline, usable_text
from agent.grading.scorer import FEATURES, answer_features, fitted_score
from agent.grading.scorer_params import PARAMS
from agent.schemas import GradeRequest, RefPoint

QUESTION = "什么是大模型的幻觉？如何缓解？"
POINTS = [
    "幻觉指模型生成看似合理但与事实不符或无法验证的内容",
    "可以用检索增强生成（RAG）把回答建立在可靠资料上",
    "降低采样温度、要求引用来源、事后做事实核查都能缓解幻觉",
]
PARAPHRASE = "幻觉就是模型一本正经地编造事实，说得很像真的但其实是错的。缓解办法有接入外部知识库做检索增强、把温度调低、让它给出出处再核对。"
OTHER = "LoRA 冻结预训练权重，只训练两个低秩矩阵，推理时可以把它们合并回原权重。"
FLUFF = "这个问题非常重要，在实际工作中经常会遇到。我认为需要结合具体的业务场景来分析，总的来说要根据实际需求选择合适的方案。"


def _grade(answer: str) -> float:
    refs = [RefPoint(point=p, chunk_id=f"c{i}") for i, p in enumerate(POINTS)]
    return grade_offline(GradeRequest(question=QUESTION, reference_points=refs, answer=answer)).score


def test_generated_parameters_match_the_feature_list() -> None:
    assert PARAMS["features"] == list(FEATURES)
    for key in ("mean", "scale", "coef"):
        assert len(PARAMS[key]) == len(FEATURES)
    assert all(s > 0 for s in PARAMS["scale"])


def test_features_are_deterministic_and_rank_a_paraphrase_above_other_topics() -> None:
    def score(answer: str) -> float:
        _, _, sentences, clean = usable_text(QUESTION, answer, POINTS)
        x = answer_features(QUESTION, POINTS, clean, sentences)
        assert np.array_equal(x, answer_features(QUESTION, POINTS, clean, sentences))
        return fitted_score(x)

    good, other, fluff = score(PARAPHRASE), score(OTHER), score(FLUFF)
    assert good > other + 1 and good > fluff + 1


def test_a_correct_paraphrase_gets_real_credit_and_off_topic_answers_do_not() -> None:
    good = _grade(PARAPHRASE)
    assert good >= 5.0, good  # in the candidate's own words: no shared phrasing with the notes
    assert _grade(OTHER) <= 2.0
    assert _grade(FLUFF) <= 2.0


def test_answers_in_the_questions_words_are_not_copies_of_it() -> None:
    question = "在单链表、双链表和循环单链表中，若仅知道指针p指向某节点，能否将节点p删去？若可以，时间复杂度各为多少？"
    assert not _copies_question("双链表可以，时间复杂度为 O(1)；", question)
    assert not _copies_question("O(n)", question)
    assert _copies_question("若仅知道指针p指向某节点，能否将节点p删去？", question)
    english = "How are overloaded functions differentiated by the compiler?"
    assert not _copies_question("The compiler differentiates overloaded functions by their signature.", english)


def test_a_verbatim_copy_of_part_of_the_reference_earns_credit_all_of_it_none() -> None:
    half = f"{POINTS[0]}。{POINTS[1]}。"
    bad, _ = data_spans(QUESTION, half, POINTS)
    assert bad == []
    whole = f"{POINTS[0]}；{POINTS[1]}；{POINTS[2]}。"
    bad, _ = data_spans(QUESTION, whole, POINTS)
    assert len(bad) == 1 and bad[0] == (0, len(whole))
