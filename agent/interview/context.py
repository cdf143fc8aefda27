"""Run-time settings of one interview session (LangGraph ``context_schema``).

The context is *not* checkpointed: :meth:`Context.settings` is stored in the graph state at the start so a
resumed session can rebuild the same context with :meth:`Context.from_settings`. Dependencies (bank, retriever,
engine) may be injected (tests, drill/review); when left ``None`` they are built lazily on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from agent.normalize import ANSWER_CHAR_LIMIT

if TYPE_CHECKING:
    from agent.engines.base import Engine
    from agent.schemas import Question, Retriever

Mode = Literal["interview", "drill", "review", "simulate"]

SETTING = {"setting": True}  # field metadata: plain data, stored in state (everything else is a dependency)


def _setting(default: Any) -> Any:
    return field(default=default, metadata=SETTING)


@dataclass(frozen=True)
class Context:
    engine_kind: str = _setting("offline")  # offline | llm
    n_questions: int = _setting(5)
    categories: tuple[str, ...] = _setting(())
    difficulty: int | None = _setting(None)  # 1-3, None = any (adapts from 2)
    mode: Mode = _setting("interview")
    focus: str | None = _setting(None)  # e.g. "weak" (selection hook for drill/review)
    question_ids: tuple[str, ...] = _setting(())  # a preset ordered list (drill/review); overrides the selection
    max_followups: int = _setting(2)
    max_grade_retries: int = _setting(2)
    max_answer_chars: int = _setting(ANSWER_CHAR_LIMIT)  # longer answers are graded on this prefix, with a notice
    retrieval_k: int = _setting(3)
    record_review: bool = _setting(True)  # update the FSRS review state when a question is finalized
    self_rate: bool = _setting(False)  # ask for a self-rating when the notes give no answer (terminal sessions)
    # injectable dependencies (never stored)
    bank: Sequence[Question] | None = field(default=None, compare=False, repr=False)
    retriever: Retriever | None = field(default=None, compare=False, repr=False)
    engine: Engine | None = field(default=None, compare=False, repr=False)

    def settings(self) -> dict[str, Any]:
        """The JSON-safe settings (stored in state and in the transcript)."""
        out: dict[str, Any] = {}
        for name in setting_names():
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_settings(cls, settings: dict[str, Any], **deps: Any) -> Context:
        kwargs: dict[str, Any] = {}
        for name, value in settings.items():
            if name in setting_names():
                kwargs[name] = tuple(value) if isinstance(value, list) else value
        kwargs.update({k: v for k, v in deps.items() if v is not None})
        return cls(**kwargs)

    @classmethod
    def preset(cls, mode: Mode, question_ids: Sequence[str], engine_kind: str,
               bank: Sequence[Question] | None = None, retriever: Retriever | None = None) -> Context:
        """A drill / review session over an ordered list of question ids (CLI and web alike)."""
        return cls(engine_kind=engine_kind, mode=mode, question_ids=tuple(question_ids),
                   n_questions=len(question_ids), bank=bank, retriever=retriever)

    # ------------------------------------------------------------ lazily built dependencies
    def get_bank(self) -> Sequence[Question]:
        return self.bank if self.bank is not None else _default_bank()

    def get_retriever(self) -> Retriever:
        return self.retriever if self.retriever is not None else _default_retriever()

    def get_engine(self) -> Engine:
        return self.engine if self.engine is not None else _default_engine(self.engine_kind)


@lru_cache(maxsize=1)
def setting_names() -> tuple[str, ...]:
    """The fields marked as settings (:data:`SETTING` metadata), in declaration order."""
    return tuple(f.name for f in fields(Context) if f.metadata.get("setting"))


@lru_cache(maxsize=1)
def _default_bank() -> list[Question]:
    from agent.knowledge.bank import load_bank

    return list(load_bank())


@lru_cache(maxsize=1)
def _default_retriever() -> Retriever:
    from agent.knowledge.retrieval import get_retriever

    return get_retriever()


@lru_cache(maxsize=2)
def _default_engine(kind: str) -> Engine:
    from agent.engines import make_engine

    return make_engine(kind)
