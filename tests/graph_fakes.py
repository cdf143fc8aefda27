"""Fakes for the interview-graph tests: a tiny bank, a retriever, a substring grader, a counting chat model."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from agent.schemas import (
    GradeOutput,
    GradeRequest,
    PointVerdict,
    Question,
    RetrievedChunk,
    Source,
)
from agent.testing.fake_chat import FakeToolChat, grade_call, prompt_answer, prompt_points


def q(qid: str, category: str, difficulty: int, points: list[str], followups: list[str] | None = None,
      kind: str = "knowledge") -> Question:
    return Question(
        id=qid, text=f"请解释 {qid} 的原理" if kind == "knowledge" else f"介绍一下你的 {qid} 项目", category=category, section=f"{category} 基础", difficulty=difficulty,
        kind=kind,  # type: ignore[arg-type]
        reference_points=points, followups=followups or [],
        sources=[Source(file=f"{category}.md", section=f"{category} 基础", lines=(1, 10))],
    )


BANK = [
    q("rlhf-1", "rlhf", 2, ["奖励模型", "PPO", "KL 惩罚"], ["DPO 和 PPO 有什么区别？"]),
    q("rlhf-2", "rlhf", 3, ["偏好数据", "Bradley-Terry"]),
    q("lora-1", "lora", 1, ["低秩分解", "冻结原权重"], ["LoRA 的秩怎么选？"]),
    q("lora-2", "lora", 2, ["初始化为零", "合并权重"]),
    q("rag-1", "rag", 2, ["检索", "重排", "生成"]),
    q("rag-2", "rag", 3, ["分块"]),
    q("proj-1", "project", 2, [], kind="project"),
]


class FakeRetriever:
    """Returns one relevant chunk for queries mentioning a known topic, nothing otherwise."""

    def __init__(self, relevant: bool = True, hits: list[RetrievedChunk] | None = None) -> None:
        self.relevant = relevant
        self.queries: list[str] = []
        self.hits = hits

    def search(self, query: str, k: int) -> Any:
        from types import SimpleNamespace

        self.queries.append(query)
        hits = self.hits or [RetrievedChunk(chunk_id="rag.md#3", source="rag.md", section="RAG", text="分块大小影响召回。",
                                            score=0.9)]
        return SimpleNamespace(hits=hits if self.relevant else [], relevant=self.relevant)


def substring_grade(req: GradeRequest) -> GradeOutput:
    """Covered when the point text occurs in the answer; score inside the rubric bounds."""
    verdicts = []
    for p in req.reference_points:
        key = p.point.split("：")[0]
        found = key in req.answer
        verdicts.append(PointVerdict(point=p.point, chunk_id=p.chunk_id, quote=key if found else "",
                                     status="covered" if found else "missing"))
    n = len(verdicts)
    c = sum(v.status == "covered" for v in verdicts) / n if n else (1.0 if req.answer.strip() else 0.0)
    score = 9.0 if c >= 0.999 else 7.5 if c >= 0.7 else 5.0 if c >= 0.4 else 3.0 if c > 0 else 0.0
    return GradeOutput(points=verdicts, feedback="测试反馈", score=score)


class ScriptedChat(FakeToolChat):
    """A chat model that counts calls and answers with ``respond(messages)`` (an AIMessage)."""

    respond: Callable[[list[BaseMessage]], AIMessage]
    calls: int = 0
    prompts: list[str] = []

    def reply(self, messages: list[BaseMessage]) -> AIMessage:
        self.calls += 1
        self.prompts.append("\n".join(str(m.content) for m in messages))
        return self.respond(messages)


def answer_of(messages: list[BaseMessage]) -> str:
    return prompt_answer(str(messages[-1].content))


def points_of(messages: list[BaseMessage]) -> list[tuple[str, str]]:
    return prompt_points(str(messages[-1].content))


def tool_grade(out: GradeOutput) -> AIMessage:
    return grade_call(json.loads(out.model_dump_json()))


def llm_like_grader(messages: list[BaseMessage]) -> AIMessage:
    """Grades like :func:`substring_grade` from the rendered prompt; plain text for critic / follow-up calls."""
    system = str(messages[0].content)
    if "GradeOutput" not in system:
        return AIMessage(content="能具体说说这一点吗？" if "追问" in system else "引用必须来自回答原文。")
    from agent.schemas import RefPoint

    req = GradeRequest(question="q", answer=answer_of(messages),
                       reference_points=[RefPoint(point=p, chunk_id=c) for p, c in points_of(messages)])
    return tool_grade(substring_grade(req))
