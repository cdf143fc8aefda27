"""report: the session summary (per-question scores, per-category means, strong/weak points, what to study)."""

from __future__ import annotations

from typing import Any

from agent.interview.nodes.common import now_iso
from agent.interview.state import State
from agent.interview.transcript import build_summary


def report(state: State) -> dict[str, Any]:
    summary = build_summary(state.get("turns", []), state.get("results", []))
    return {"summary": summary.model_dump(mode="json"), "finished_at": now_iso(), "turn": None}
