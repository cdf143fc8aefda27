"""The interview's grading path as a small compiled graph: ``grade ─▶ reflect ─┬─(check failed, retries left)─▶ grade``
                                                                           ``└─(accepted)─▶ END``

The nodes are the interview graph's own :func:`agent.interview.nodes.grading.grade` and :func:`agent.interview.nodes.grading.reflect`
(deterministic check, evidence check for LLM grades, critique and re-grade up to ``max_grade_retries``, offline
fallback for an LLM grade that still fails), so ``mockint eval`` measures what an interview does. Retrieval is the
one step it leaves out: an eval row brings its own reference points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from langgraph.graph import END, START, StateGraph

from agent.interview.context import Context
from agent.interview.nodes.grading import grade, reflect
from agent.interview.state import GradeRequestState, State
from agent.schemas import Grade, GradeRequest, Reflection

if TYPE_CHECKING:
    from agent.interview.graph import InterviewGraph


def _accepted(state: State) -> dict[str, Any]:
    """Where the interview continues with ``follow_up``, the grading path ends."""
    return {}


def build_grading_graph() -> InterviewGraph:
    builder = StateGraph(State, context_schema=Context)
    builder.add_node("grade", grade)
    builder.add_node("reflect", reflect)
    builder.add_node("follow_up", _accepted)
    builder.add_node("self_rate", _accepted)  # an eval row has no candidate to ask
    builder.add_edge(START, "grade")
    builder.add_edge("grade", "reflect")
    builder.add_edge("follow_up", END)
    builder.add_edge("self_rate", END)
    return builder.compile()


def grade_checked(graph: InterviewGraph, ctx: Context, request: GradeRequest) -> tuple[Grade, Reflection]:
    """One answer through grade → reflect (with retries), as in an interview turn."""
    ids = [p.chunk_id for p in request.reference_points]
    state: State = {"request": cast(GradeRequestState, request.model_dump(mode="json")), "retrieved_ids": ids,
                    "notices": [], "grade_attempts": 0, "critique": None, "problems": []}
    out = graph.invoke(state, context=ctx, config={"recursion_limit": 4 + 2 * (ctx.max_grade_retries + 1)})
    return Grade.model_validate(out["grade"]), Reflection.model_validate(out["reflection"])
