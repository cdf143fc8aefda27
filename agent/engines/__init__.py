"""The two grading engines behind one protocol (:class:`agent.engines.base.Engine`)."""

from __future__ import annotations

from agent.engines.base import Engine, FollowUpPlan, plan_follow_up
from agent.errors import UsageError

ENGINE_KINDS = ("offline", "llm", "local")


def make_engine(kind: str) -> Engine:
    """Build the engine for ``kind`` (``llm`` checks the endpoint settings first: LLMConfigError if missing)."""
    if kind == "offline":
        from agent.engines.offline import OfflineEngine

        return OfflineEngine()
    if kind == "llm":
        from agent.engines.llm import LLMEngine

        return LLMEngine.from_settings()
    if kind == "local":
        from agent.grading.hybrid import HybridEngine

        return HybridEngine.from_local()
    raise UsageError(f"未知的评分引擎: {kind}（可选: {', '.join(ENGINE_KINDS)}）")


__all__ = ["ENGINE_KINDS", "Engine", "FollowUpPlan", "make_engine", "plan_follow_up"]
