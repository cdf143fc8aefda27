"""The Chinese answer ladder: generated deterministically from the bank, graded inside its bands (fast subset)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from agent.engines.offline import OfflineEngine
from agent.evals import evaluation as ev
from agent.knowledge.bank import load_bank

ROOT = Path(__file__).resolve().parent.parent
LADDER = ROOT / "evals" / "datasets" / "ladder.jsonl"
sys.path.insert(0, str(ROOT / "evals"))

KINDS = {"complete", "partial", "error", "off_topic", "stuffing", "gibberish", "empty", "injection",
         "injection_weak", "padded", "english"}


@pytest.fixture(scope="module")
def rows() -> list[ev.Row]:
    return ev.load_dataset(LADDER)


def test_ladder_shape(rows: list[ev.Row]) -> None:
    kinds = Counter(r.ladder_kind for r in rows)
    assert set(kinds) == KINDS
    assert len({r.question for r in rows if r.ladder_kind == "complete"}) >= 40
    assert kinds["english"] >= 10
    assert all(r.band is not None for r in rows)
    assert all(r.pair_of for r in rows if r.ladder_kind == "injection_weak")
    for r in rows:
        if r.ladder_kind == "complete":  # paraphrased, not copied
            assert all(p not in r.answer for p in r.reference_points if len(p) > 12)


def test_ladder_file_matches_generator() -> None:
    from make_ladder import ladder_rows

    generated = ladder_rows(load_bank(), 44)
    stored = [json.loads(line) for line in LADDER.read_text(encoding="utf-8").splitlines()]
    assert generated == stored, "evals/datasets/ladder.jsonl is stale: run evals/make_ladder.py"
    assert ladder_rows(load_bank(), 44) == generated  # deterministic


def test_ladder_subset_within_bands(rows: list[ev.Row]) -> None:
    questions = sorted({r.question for r in rows if r.ladder_kind == "english"})[:2]
    subset = [r for r in rows if r.question in questions]
    assert {r.ladder_kind for r in subset} >= KINDS - {"empty"}
    preds = ev.run(subset, OfflineEngine().grade)
    bands = ev.band_violations(preds)
    assert sum(v["violations"] for v in bands.values()) == 0, bands
