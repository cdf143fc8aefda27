"""Offline grader guards found wrong on human-graded answers: question copies and recitals."""

from __future__ import annotations

from agent.grading.guards import data_spans
from agent.grading.offline import _copies_question, _letters

QUESTION = "什么是大模型的幻觉？如何缓解？"
POINTS = [
    "幻觉指模型生成看似合理但与事实不符或无法验证的内容",
    "可以用检索增强生成（RAG）把回答建立在可靠资料上",
    "降低采样温度、要求引用来源、事后做事实核查都能缓解幻觉",
]


def test_answers_in_the_questions_words_are_not_copies_of_it() -> None:
    question = "在单链表、双链表和循环单链表中，若仅知道指针p指向某节点，能否将节点p删去？若可以，时间复杂度各为多少？"
    q = _letters(question)
    assert not _copies_question("双链表可以，时间复杂度为 O(1)；", q)
    assert not _copies_question("O(n)", q)
    assert _copies_question("若仅知道指针p指向某节点，能否将节点p删去？", q)
    english = _letters("How are overloaded functions differentiated by the compiler?")
    assert not _copies_question("The compiler differentiates overloaded functions by their signature.", english)


def test_a_verbatim_copy_of_part_of_the_reference_earns_credit_all_of_it_none() -> None:
    half = f"{POINTS[0]}。{POINTS[1]}。"
    bad, _ = data_spans(QUESTION, half, POINTS)
    assert bad == []
    whole = f"{POINTS[0]}；{POINTS[1]}；{POINTS[2]}。"
    bad, _ = data_spans(QUESTION, whole, POINTS)
    assert len(bad) == 1 and bad[0] == (0, len(whole))

