"""The interview state's TypedDicts are the JSON dumps of the pydantic models they name: same keys."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from agent.interview import state
from agent.schemas import FactCheck, Grade, GradeRequest, PointVerdict, Reflection, RefPoint


def _keys(typed: Any) -> set[str]:
    return set(typed.__required_keys__) | set(typed.__optional_keys__)


@pytest.mark.parametrize(("typed", "model"), [
    (state.RefPointState, RefPoint), (state.GradeRequestState, GradeRequest), (state.PointVerdictState, PointVerdict),
    (state.FactCheckState, FactCheck), (state.GradeState, Grade), (state.ReflectionState, Reflection),
])
def test_state_dicts_have_the_models_fields(typed: Any, model: type[BaseModel]) -> None:
    assert _keys(typed) == set(model.model_fields)


def test_a_graded_request_dump_fills_its_typed_dict() -> None:
    request = GradeRequest(question="q", answer="a", reference_points=[RefPoint(point="p", chunk_id="c")])
    dumped = request.model_dump(mode="json")
    assert set(dumped) == _keys(state.GradeRequestState)
    assert set(dumped["reference_points"][0]) == _keys(state.RefPointState)


def test_grade_from_output_keeps_the_grader_fields_and_sets_provenance() -> None:
    from agent.engines.base import offline_fallback
    from agent.engines.hybrid import _label
    from agent.interview.nodes.grading import to_grade
    from agent.schemas import GradeOutput

    verdict = PointVerdict(point="p", chunk_id="c", quote="q", status="covered")
    out = GradeOutput(points=[verdict], errors=["e"], feedback="f", model_answer="m", score=7.5)
    own = Grade.from_output(out, engine="local", notices=["mine"], fact_check=FactCheck(score=7.0))
    graded = {"points": [verdict.model_dump()], "errors": ["e"], "model_answer": "m", "score": 7.5}
    assert own.model_dump(include=set(graded)) == graded and own.feedback == "f" and own.notices == ["mine"]

    fallback = offline_fallback(own, "gave up")  # a Grade's own notices first; its other provenance dropped
    assert (fallback.engine, fallback.notices, fallback.fact_check) == ("offline-fallback", ["mine", "gave up"], None)
    labelled = _label(out, "m", None)
    assert labelled.engine == "offline" and labelled.model_dump(exclude={"engine"}) == Grade(
        **out.model_dump()).model_dump(exclude={"engine"})
    request = GradeRequest(question="q", answer="a", no_reference=True)
    stored = to_grade(own, "llm", request, ["from state"])
    assert (stored.engine, stored.no_reference, stored.fact_check) == ("local", True, own.fact_check)
    assert stored.notices == ["from state", "mine"] and stored.feedback.endswith("f") and stored.feedback != "f"
    assert stored.rubric_version
