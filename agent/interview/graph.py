"""The interview graph::

    START → select ─▶ ask (interrupt) ─▶ retrieve ─▶ grade ─▶ reflect ─┬─(check failed, retries left)─▶ grade
               ▲          │                                              ├─(accepted)─────────────────▶ follow_up
               ▲          │                                              └─(no note answer)─▶ self_rate ─▶ follow_up
               ▲          └─(/skip)────────────────────────────────────────────────────────────────────▶ follow_up
               └──────────(question finalized)── follow_up ─(open point, follow-ups left)─▶ ask
    select ─(n reached / nothing left)─▶ report → END

``self_rate`` (interrupt) asks the candidate to rate an answer the notes cannot grade (terminal sessions only).
Counters in state (``asked_ids``, ``followups_asked``, ``grade_attempts``), limits in :class:`Context`,
``recursion_limit`` (see :func:`recursion_limit`) as the backstop. ``graph`` (for ``langgraph dev``, see
``langgraph.json``) is compiled without a checkpointer; sessions use :func:`build_graph` with one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langgraph.graph import END, START, StateGraph

from agent.interview.context import Context
from agent.interview.nodes import ask, follow_up, grade, reflect, report, retrieve, select, self_rate
from agent.interview.state import State

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

    InterviewGraph = CompiledStateGraph[State, Context, State, State]


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> InterviewGraph:
    builder = StateGraph(State, context_schema=Context)
    builder.add_node("select", select)
    builder.add_node("ask", ask)
    builder.add_node("retrieve", retrieve)
    builder.add_node("grade", grade)
    builder.add_node("reflect", reflect)
    builder.add_node("self_rate", self_rate)
    builder.add_node("follow_up", follow_up)
    builder.add_node("report", report)
    builder.add_edge(START, "select")
    builder.add_edge("retrieve", "grade")
    builder.add_edge("grade", "reflect")
    builder.add_edge("self_rate", "follow_up")
    builder.add_edge("report", END)
    return builder.compile(checkpointer=checkpointer)


def recursion_limit(ctx: Context) -> int:
    """Supersteps one invocation may need: per question, the main turn and each follow-up take
    ask+retrieve+grade+reflect+self_rate+follow_up (+2 per re-grade), plus select; plus report and slack."""
    per_turn = 6 + 2 * ctx.max_grade_retries  # (+1: self_rate)
    n = len(ctx.question_ids) if ctx.question_ids else ctx.n_questions
    return n * (1 + per_turn * (1 + ctx.max_followups)) + 10


graph = build_graph()
