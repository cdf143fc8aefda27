"""The two grading engines behind one protocol (:class:`agent.engines.base.Engine`)."""

from __future__ import annotations

from typing import Literal, cast, get_args

from agent.engines.base import Engine, FollowUpPlan, plan_follow_up
from agent.errors import UsageError

EngineKind = Literal["offline", "llm", "local"]  # the engine names of --engine, the web API and the settings
ENGINE_KINDS: tuple[EngineKind, ...] = get_args(EngineKind)


def check_engine_kind(kind: str) -> EngineKind:
    """``kind`` if it names an engine, else UsageError (exit 2) listing the engines — the one check of an engine name."""
    if kind not in ENGINE_KINDS:
        raise UsageError(f"未知的评分引擎: {kind}（可选: {', '.join(ENGINE_KINDS)}）")
    return cast(EngineKind, kind)


def make_engine(kind: str) -> Engine:
    """Build the engine for ``kind`` (``llm`` checks the endpoint settings first: LLMConfigError if missing)."""
    check_engine_kind(kind)
    if kind == "offline":
        from agent.engines.offline import OfflineEngine

        return OfflineEngine()
    if kind == "llm":
        from agent.engines.llm import LLMEngine

        return LLMEngine.from_settings()
    if kind == "local":
        from agent.engines.hybrid import HybridEngine

        return HybridEngine.from_local()
    raise AssertionError(kind)  # unreachable: check_engine_kind knows every kind


__all__ = ["ENGINE_KINDS", "Engine", "EngineKind", "check_engine_kind", "FollowUpPlan", "make_engine", "plan_follow_up"]
