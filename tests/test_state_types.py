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
