"""The interview graph's state (checkpointed after every node).

Everything is plain JSON data (pydantic models are stored as ``model_dump(mode="json")`` dicts) so checkpoints
stay portable across SQLite / Postgres and readable by ``mockint sessions``. Loop counters live here, their
limits in :class:`agent.interview.context.Context`.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from agent.schemas import QuestionKind, Status


def merge_dicts(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    return {**(old or {}), **(new or {})}


# pydantic models are stored as their JSON dumps (``model_dump(mode="json")``); these TypedDicts are those dumps
# (tests/test_state_types.py keeps their keys equal to the models' fields)
class RefPointState(TypedDict):
    """An :class:`agent.schemas.RefPoint`."""

    point: str
    chunk_id: str


class GradeRequestState(TypedDict):
    """An :class:`agent.schemas.GradeRequest`: what the turn in progress is graded against."""

    question: str
    kind: QuestionKind
    reference_points: list[RefPointState]
    answer: str
    no_reference: bool
    critique: str | None


class PointVerdictState(TypedDict):
    """An :class:`agent.schemas.PointVerdict`."""

    point: str
    chunk_id: str
    quote: str
    status: Status


class FactCheckState(TypedDict):
    """An :class:`agent.schemas.FactCheck` (``--engine local``)."""

    engine: str
    offline_score: float
    score: float
    checked: int
    changes: list[dict[str, str]]
    rejected_unquoted: int
    usage: dict[str, int]


class GradeState(TypedDict):
    """An :class:`agent.schemas.Grade`: the latest grade of the turn in progress."""

    points: list[PointVerdictState]
    errors: list[str]
    feedback: str
    model_answer: str
    score: float
    rubric_version: str
    engine: str
    no_reference: bool
    notices: list[str]
    self_rating: Literal["again", "hard", "good", "easy"] | None
    fact_check: FactCheckState | None


class ReflectionState(TypedDict):
    """An :class:`agent.schemas.Reflection`: how the accepted grade was checked."""

    attempts: int
    verified: bool
    problems: list[str]


class TurnState(TypedDict, total=False):
    """The turn in progress (``State.turn``): set by ``select`` / ``follow_up``, the answer added by ``ask``."""

    kind: Literal["main", "followup"]
    question: str  # the text asked (the main question, or the follow-up)
    targets: list[RefPointState]  # RefPoints a follow-up aims at; [] for a main question
    asked_at: str
    answer: str  # the visible answer, cut to the graded prefix when longer (agent.interview.answer_store)
    answer_chars: int  # the full answer's length when it was cut
    answer_file: str  # where the full answer is kept when it was cut
    input_notices: list[str]  # notices about the input (truncated, invisible characters removed...)
    skipped: bool
    answered_at: str


# the dump of a larger model, named by the model it is a dump of
QuestionDump = dict[str, Any]  # agent.schemas.Question


class State(TypedDict, total=False):
    session_id: str
    settings: dict[str, Any]  # Context.settings() at the start, so resume can rebuild the context
    seed: int  # selection seed (deterministic question order)
    started_at: str
    finished_at: str

    asked_ids: list[str]  # main questions asked so far (never repeated)
    planned: int  # questions planned so far (drill retries included; the number actually asked once finished)
    difficulty_now: int  # adaptive target difficulty
    current: QuestionDump | None  # the Question being discussed

    turn: TurnState | None  # the turn in progress
    request: GradeRequestState | None  # GradeRequest for the turn in progress
    retrieved_ids: list[str]
    notices: list[str]  # notices for the turn in progress (answer truncated, retrieval unavailable...)
    main_points: list[RefPointState]  # RefPoints of the current question's main turn (follow-ups target them)
    grade: GradeState | None  # latest Grade for the turn in progress
    problems: list[str]  # deterministic check problems of the latest grade
    critique: str | None
    reflection: ReflectionState | None  # Reflection of the accepted grade

    grade_attempts: int  # grades of the turn in progress (1 + retries)
    followups_asked: int  # follow-ups asked for the current question
    followup_texts: list[str]  # follow-ups asked for the current question (never the same twice)
    targeted_points: list[str]  # reference points a follow-up already aimed at
    point_status: dict[str, str]  # best status per reference point of the current question
    question_scores: list[float]  # scores of the current question's turns (main first)

    turns: Annotated[list[dict[str, Any]], operator.add]  # finished Turns (append-only)
    # turn index -> file of its full answer when longer than the graded prefix (agent.interview.answer_store)
    answer_files: Annotated[dict[str, str], merge_dicts]
    results: Annotated[list[dict[str, Any]], operator.add]  # finished questions (QuestionSummary dicts)
    summary: dict[str, Any] | None
