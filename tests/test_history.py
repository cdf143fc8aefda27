"""History: sessions over time, per-category averages, trend and sparkline; finding a transcript."""

from __future__ import annotations

from pathlib import Path

import pytest
from practice_data import make_transcript, write_transcript

from agent.errors import UsageError
from agent.practice.history import find_transcript, load_history, sparkline


def test_sparkline_fixed_scale() -> None:
    assert sparkline([0, 5, 10]) == "▁▅█"
    assert sparkline([]) == ""


def test_history_orders_sessions_and_computes_trend(isolated_home: Path) -> None:
    write_transcript(isolated_home, make_transcript("b-late", "drill", "2026-01-03T00:00:00+00:00", (9.0, 7.0)))
    write_transcript(isolated_home, make_transcript("a-early", "interview", "2026-01-01T00:00:00+00:00", (4.0, 1.0)))
    write_transcript(isolated_home, make_transcript("c-mid", "review", "2026-01-02T00:00:00+00:00", (6.0, 2.0)))
    bad = isolated_home / "transcripts" / "broken"
    bad.mkdir()
    (bad / "transcript.json").write_text("{not json", encoding="utf-8")
    data = load_history()
    assert [s["session_id"] for s in data["sessions"]] == ["a-early", "c-mid", "b-late"]
    assert [s["mode"] for s in data["sessions"]] == ["interview", "review", "drill"]
    assert all(s["finished"] for s in data["sessions"])
    assert data["skipped"] == [str(bad / "transcript.json")]
    cats = {c["category"]: c for c in data["categories"]}
    # main 4 / follow-up 6 → the graph's final score max(4, (4 + 6) / 2) = 5, not the best turn
    assert cats["RLHF 对齐"]["series"] == [5.0, 6.0, 9.0]
    assert cats["RLHF 对齐"]["trend"] == 4.0
    assert cats["微调"]["series"] == [1.0, 2.0, 7.0] and cats["微调"]["sparkline"] == "▁▂▆"
    assert cats["RAG"]["average"] == 0.0
    # weakest category first
    assert data["categories"][0]["category"] == "RAG"


def test_empty_history(isolated_home: Path) -> None:
    assert load_history() == {"sessions": [], "categories": [], "skipped": [], "hidden_simulated": 0}


def test_find_transcript_by_id_prefix_path_and_errors(isolated_home: Path) -> None:
    path = write_transcript(isolated_home, make_transcript("abc-123"))
    write_transcript(isolated_home, make_transcript("abd-456"))
    assert find_transcript("abc-123").session_id == "abc-123"
    assert find_transcript("abc").session_id == "abc-123"
    assert find_transcript(str(path)).session_id == "abc-123"
    assert find_transcript(str(path.parent)).session_id == "abc-123"
    with pytest.raises(UsageError, match="不唯一"):
        find_transcript("ab")
    with pytest.raises(UsageError, match="找不到"):
        find_transcript("zzz")
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(UsageError, match="无法读取"):
        find_transcript("abc-123")
