"""Zero-latency fakes for the benchmark's overhead section: a counting chat model and a synthetic bank (the
retriever is :class:`agent.evals.simulate.NullRetriever`). The model grades like a careful model (substring evidence,
rubric-consistent score) and phrases follow-ups, so the happy path is measured: no critic calls, at most one
follow-up phrasing per answer."""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

from agent.evals.bench.measure import estimate_tokens


def counting_model() -> Any:
    """A zero-latency chat model that grades like a careful model (substring evidence, rubric-consistent score),
    phrases follow-ups, and records every call: ``calls``, ``kinds``, ``tokens``, ``seconds``."""
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.utils.function_calling import convert_to_openai_tool

    from agent.schemas import GradeOutput
    from agent.testing.fake_chat import FakeToolChat, is_grade_call

    schema_tokens = estimate_tokens(json.dumps(convert_to_openai_tool(GradeOutput), ensure_ascii=False))

    class CountingChat(FakeToolChat):
        calls: int = 0
        tokens: int = 0
        seconds: float = 0.0
        kinds: dict[str, int] = {}

        def reply(self, messages: list[BaseMessage]) -> AIMessage:
            started = time.perf_counter()
            system, human = str(messages[0].content), str(messages[-1].content)
            kind = "grade" if is_grade_call(messages) else "followup" if "追问" in system else "critique"
            self.calls += 1
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            self.tokens += sum(estimate_tokens(str(m.content)) for m in messages)
            self.tokens += schema_tokens if kind == "grade" else 0
            message = _fake_grade(human) if kind == "grade" else AIMessage(content=_fake_followup(human))
            self.seconds += time.perf_counter() - started
            return message

    return CountingChat(kinds={})


def _fake_grade(human: str) -> Any:
    from agent.testing.fake_chat import grade_call, prompt_answer, prompt_points

    answer = html.unescape(prompt_answer(human))
    verdicts = [{"point": p, "chunk_id": c, "quote": p if p in answer else "",
                 "status": "covered" if p in answer else "missing"} for p, c in prompt_points(human)]
    c = sum(v["status"] == "covered" for v in verdicts) / len(verdicts) if verdicts else 0.0
    score = 9.0 if c >= 0.999 else 7.5 if c >= 0.7 else 5.0 if c >= 0.4 else 3.0 if c > 0 else 0.0
    return grade_call({"points": verdicts, "errors": [], "feedback": "反馈", "model_answer": "", "score": score})


def _fake_followup(human: str) -> str:
    match = re.search(r"要点（.+?）：(.+)", human)
    return f"能再具体讲讲「{match.group(1).strip() if match else '这一点'}」吗？"


def synthetic_bank(n: int) -> list[Any]:
    from agent.schemas import Question, Source

    categories = ("rlhf", "lora", "rag", "attention")
    return [
        Question(id=f"bench-{i}", text=f"请解释第 {i} 个概念的原理", category=categories[i % len(categories)],
                 section="bench", difficulty=1 + i % 3, reference_points=[f"要点{i}甲", f"要点{i}乙", f"要点{i}丙"],
                 sources=[Source(file="bench.md", section="bench", lines=(1, 2))])
        for i in range(n)
    ]
