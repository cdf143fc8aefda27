"""``self_rate``: a question the notes give no answer to is rated by the candidate (Again / Hard / Good / Easy).

Runs after ``reflect`` for the main turn of a knowledge question graded ``no_reference`` in a session that asks
for it (``Context.self_rate``: terminal sessions). The interrupt payload carries the reading notice; the rating
sets the grade's ``score`` and ``self_rating`` (FSRS takes the rating as given), an empty reply keeps the
rubric-only grade. Nothing before ``interrupt`` has side effects (the node re-runs from its top on resume).
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent.grading.self_rating import LABELS, SCORES, SELF_RATED_NOTICE, parse_rating
from agent.interview.context import Context
from agent.interview.nodes.common import current_question
from agent.interview.nodes.references import is_reading_notice
from agent.interview.state import State
from agent.schemas import Grade


def wants_self_rating(state: State, ctx: Context, grade: Grade) -> bool:
    turn = state.get("turn") or {}
    request = state.get("request")
    return (ctx.self_rate and grade.no_reference and turn.get("kind") == "main" and not turn.get("skipped")
            and request is not None and request.get("kind") == "knowledge")


def self_rate(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    question = current_question(dict(state))
    grade = Grade.model_validate(state["grade"])
    payload = {
        "kind": "self_rating", "question": question.text, "question_id": question.id,
        "category": question.category, "difficulty": question.difficulty, "score": grade.score,
        "reading": [n for n in grade.notices if is_reading_notice(n)],
    }
    rating = parse_rating(str(interrupt(payload) or ""))
    if rating is None:  # not rated: the rubric-only grade stands
        return {}
    notice = SELF_RATED_NOTICE.format(label=LABELS[rating], rubric=f"{grade.score:g}")
    rated = grade.model_copy(update={"self_rating": rating, "score": SCORES[rating],
                                     "notices": [notice, *grade.notices]})
    return {"grade": rated.model_dump(mode="json")}
