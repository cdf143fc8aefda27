"""Pydantic models shared by ingest, the interview graph, the graders and the reports.

LLM-facing models (``PointVerdict``, ``GradeOutput``) put reasons and evidence *before* the verdict, so a
model that writes fields in order has committed to its evidence before it scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent.normalize import normalize_answer

Status = Literal["covered", "partial", "missing"]
QuestionKind = Literal["knowledge", "project"]
TurnKind = Literal["main", "followup"]


# ---------------------------------------------------------------- knowledge bank
class Source(BaseModel):
    """Where a question (or chunk) comes from. ``lines`` is ``[first, last]``, 1-based, inclusive."""

    file: str
    section: str
    lines: tuple[int, int]


RETRY_SUFFIX = "#retry"  # a drill's re-ask of a failed point: the question's id + this (drill and review agree)


class Question(BaseModel):
    """One unique question of the bank (near-duplicates across notes merged into one)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    category: str  # one of agent.knowledge.taxonomy's unified categories
    section: str  # the note's own section heading of the first source
    difficulty: int = Field(ge=1, le=3)
    kind: QuestionKind = "knowledge"
    reference_points: list[str] = Field(default_factory=list)
    followups: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    companies: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)


class Chunk(BaseModel):
    """A piece of a note stored in Chroma."""

    chunk_id: str
    source: str  # file name relative to the corpus root
    section: str
    text: str
    lines: tuple[int, int]


class RetrievedChunk(BaseModel):
    """A retrieval hit. ``score`` is a calibrated relevance in [0, 1]; the gate compares it to a threshold."""

    chunk_id: str
    source: str
    section: str
    text: str
    score: float


class SearchResult(Protocol):
    """What a retriever's ``search`` returns: the gated hits and whether anything passed the gate."""

    @property
    def hits(self) -> Sequence[RetrievedChunk]: ...

    @property
    def relevant(self) -> bool: ...


class QuestionSearch(Protocol):
    """What a drill needs to find questions for a free-text topic (hits: objects or dicts with an id)."""

    def search_questions(self, query: str, k: int) -> Sequence[object]: ...


class Retriever(Protocol):
    """What the interview needs from retrieval (:class:`agent.knowledge.retrieval.HybridRetriever`, or a test
    double / :class:`agent.evals.simulate.NullRetriever`)."""

    def search(self, query: str, k: int) -> SearchResult: ...


# ---------------------------------------------------------------- grading
class RefPoint(BaseModel):
    """A reference point handed to a grader, with the id of the chunk (or bank entry) it comes from."""

    point: str
    chunk_id: str


class GradeRequest(BaseModel):
    """Everything a grader needs for one answer. Built by the graph's retrieve node and by ``mockint eval``."""

    question: str
    kind: QuestionKind = "knowledge"
    reference_points: list[RefPoint] = Field(default_factory=list)
    answer: str
    no_reference: bool = False  # the relevance gate found nothing: grade by rubric alone
    critique: str | None = None  # problems found by reflection, for a re-grade

    @field_validator("answer")
    @classmethod
    def _visible_text(cls, value: str) -> str:
        """Every grader sees the text a person sees (invisible / format characters removed)."""
        return normalize_answer(value)


class PointVerdict(BaseModel):
    """Evidence first: which point, from which chunk, the verbatim quote, then the status."""

    point: str = Field(description="the reference point being checked, copied from the list")
    chunk_id: str = Field(description="id of the reference chunk this point comes from")
    quote: str = Field(description="verbatim span of the candidate's answer that supports this point, or ''")
    status: Status = Field(description="covered / partial / missing")


class GradeOutput(BaseModel):
    """What a grader (offline or LLM) produces. Field order = reasoning order; score comes last."""

    points: list[PointVerdict] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list, description="factual errors or misconceptions in the answer")
    feedback: str = Field(default="", description="中文反馈: what was good, what is missing")
    model_answer: str = Field(default="", description="a short model answer built from the reference points")
    score: float = Field(ge=0, le=10, description="0-10 on the published rubric")


class FactCheck(BaseModel):
    """``--engine local``'s model fact check of an offline grade: both scores, what changed and why (quoted)."""

    engine: str = ""  # "local:<model file stem>"
    offline_score: float = 0.0
    score: float = 0.0
    checked: int = 0  # points sent to the model
    changes: list[dict[str, str]] = Field(default_factory=list)  # point, verdict, quote, reason
    rejected_unquoted: int = 0  # model verdicts dropped because their quote is not in the answer
    usage: dict[str, int] = Field(default_factory=dict)  # prompt_tokens / completion_tokens of the call


class Grade(GradeOutput):
    """A stored grade: the grader's output plus provenance."""

    rubric_version: str = ""
    engine: str = ""  # "offline" | "llm" | "offline-fallback"
    no_reference: bool = False
    notices: list[str] = Field(default_factory=list)  # e.g. answer truncated, LLM fell back to offline
    # the candidate's own rating of a question the notes don't answer (agent.grading.self_rating); sets score
    self_rating: Literal["again", "hard", "good", "easy"] | None = None
    fact_check: FactCheck | None = None  # --engine local: the offline grade's score and the model's changes

    @staticmethod
    def notices_of(out: GradeOutput) -> list[str]:
        """A grader's own notices: a Grade's, none for a bare GradeOutput."""
        return list(out.notices) if isinstance(out, Grade) else []

    @classmethod
    def from_output(cls, out: GradeOutput, *, engine: str, notices: list[str] | None = None, rubric_version: str = "",
                    no_reference: bool = False, fact_check: FactCheck | None = None, feedback: str | None = None
                    ) -> Grade:
        """The one Grade-from-GradeOutput builder: ``out``'s grader fields (points, errors, feedback — or
        ``feedback`` —, model answer, score) with this provenance. Nothing of ``out``'s own provenance is carried
        over unless passed; ``notices`` defaults to its own (:meth:`notices_of`)."""
        base = out.model_dump(include=set(GradeOutput.model_fields))
        if feedback is not None:
            base["feedback"] = feedback
        return cls(**base, rubric_version=rubric_version, engine=engine, no_reference=no_reference,
                   notices=cls.notices_of(out) if notices is None else notices, fact_check=fact_check)


class DraftedPoints(BaseModel):
    """Reference points a model drafts for a question the notes give no answer to (shown as generated)."""

    reasoning: str = ""  # what a correct answer must contain, before the points
    points: list[str] = Field(default_factory=list, max_length=8)


class Reflection(BaseModel):
    attempts: int = 1
    verified: bool = True
    problems: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- transcript
class Turn(BaseModel):
    question_id: str
    question: str
    category: str
    difficulty: int
    kind: TurnKind = "main"
    answer: str
    skipped: bool = False
    grade: Grade | None = None
    reflection: Reflection = Field(default_factory=Reflection)
    asked_at: str = ""
    answered_at: str = ""
    sources: list[Source] = Field(default_factory=list)


class EngineInfo(BaseModel):
    kind: str  # offline | llm
    model: str = ""
    prompt_versions: dict[str, str] = Field(default_factory=dict)


class QuestionSummary(BaseModel):
    question_id: str
    question: str
    category: str
    score: float  # final score: the best of the main answer and its follow-ups
    followups: int = 0


class StudyItem(BaseModel):
    point: str
    question_id: str
    file: str
    section: str


class Summary(BaseModel):
    overall: float = 0.0
    questions: list[QuestionSummary] = Field(default_factory=list)
    by_category: dict[str, float] = Field(default_factory=dict)
    strongest: list[str] = Field(default_factory=list)
    weakest: list[str] = Field(default_factory=list)
    study_next: list[StudyItem] = Field(default_factory=list)


class Transcript(BaseModel):
    """The graded transcript (``transcript.json``). Stable keys: session_id, engine, turns, summary."""

    session_id: str
    mode: str = "interview"  # interview | drill | simulate | review
    started_at: str = ""
    finished_at: str = ""
    engine: EngineInfo
    settings: dict = Field(default_factory=dict)
    turns: list[Turn] = Field(default_factory=list)
    summary: Summary | None = None
