"""Offline stand-ins for a tool-calling chat model (the benchmark's zero-latency model, the injection eval's
obeying model, the graph tests' scripted model): one base class, and readers / writers of the grade prompt.

Imported only by those fakes (never by the CLI at start-up): it loads ``langchain_core``.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

_ANSWER = re.compile(r"<answer>\n(.*)\n</answer>", re.S)
_POINT = re.compile(r"^- (.+?) \| (\S+)$", re.M)


class FakeToolChat(BaseChatModel):
    """A chat model answered by :meth:`reply`. ``bind_tools`` returns self, so
    ``with_structured_output(..., method="function_calling")`` reads the tool call :meth:`reply` returns."""

    @property
    def _llm_type(self) -> str:
        return type(self).__name__

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def reply(self, messages: list[BaseMessage]) -> AIMessage:
        raise NotImplementedError

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.reply(messages))])


def is_grade_call(messages: list[BaseMessage]) -> bool:
    """A grading call (its system prompt asks for ``GradeOutput``), not a critic or follow-up call."""
    return "GradeOutput" in str(messages[0].content)


def prompt_answer(human: str) -> str:
    """The candidate's answer as the grade prompt carries it (HTML-escaped inside ``<answer>``)."""
    match = _ANSWER.search(human)
    return match.group(1) if match else ""


def prompt_points(human: str) -> list[tuple[str, str]]:
    """The grade prompt's reference points: ``(point, chunk_id)`` pairs."""
    return _POINT.findall(human)


def grade_call(args: dict[str, Any]) -> AIMessage:
    """An assistant message calling the ``GradeOutput`` tool with ``args``."""
    return AIMessage(content="", tool_calls=[{"name": "GradeOutput", "args": args, "id": "call-1",
                                              "type": "tool_call"}])
