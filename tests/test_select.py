"""Question selection: filters, never repeats, balances categories, adapts difficulty, deterministic."""

from __future__ import annotations

from graph_fakes import BANK

from agent.interview.select import adapt_difficulty, choose_next
from agent.schemas import Question


def first(*args, **kw) -> Question:
    q = choose_next(*args, **kw)
    assert q is not None
    return q


def pick_all(n: int, **kw):
    asked: list[str] = []
    for _ in range(n):
        q = choose_next(BANK, asked, **kw)
        if q is None:
            break
        asked.append(q.id)
    return asked


def test_never_repeats_and_stops_when_exhausted():
    asked = pick_all(20, categories=("rlhf", "lora"), seed=1)
    assert sorted(asked) == ["lora-1", "lora-2", "rlhf-1", "rlhf-2"]


def test_balances_categories():
    asked = pick_all(3, categories=("rlhf", "lora", "rag"), seed=5)
    cats = [a.split("-")[0] for a in asked]
    assert sorted(cats) == ["lora", "rag", "rlhf"]
    asked = pick_all(6, categories=("rlhf", "lora", "rag"), seed=5)
    first, second = asked[:3], asked[3:]
    assert {a.split("-")[0] for a in first} == {a.split("-")[0] for a in second}


def test_prefers_target_difficulty():
    assert first(BANK, [], categories=("lora",), target_difficulty=1).id == "lora-1"
    assert first(BANK, [], categories=("lora",), target_difficulty=2).id == "lora-2"
    assert first(BANK, [], categories=("rlhf",), target_difficulty=3).id == "rlhf-2"


def test_deterministic_given_seed():
    assert pick_all(5, seed=42) == pick_all(5, seed=42)
    orders = {tuple(pick_all(5, seed=s)) for s in range(10)}
    assert len(orders) > 1  # the seed matters


def test_preset_ids_followed_in_order_skipping_unknown_and_asked():
    preset = ("lora-2", "nope", "rlhf-1", "lora-1")
    assert first(BANK, [], preset_ids=preset).id == "lora-2"
    assert first(BANK, ["lora-2"], preset_ids=preset).id == "rlhf-1"
    assert choose_next(BANK, ["lora-2", "rlhf-1", "lora-1"], preset_ids=preset) is None


def test_weights_rank_after_category_balance():
    q = first(BANK, [], categories=("rag",), weights={"rag-2": 5.0}, target_difficulty=2)
    assert q.id == "rag-2"


def test_adapt_difficulty():
    assert adapt_difficulty(2, 8) == 3 and adapt_difficulty(3, 9.5) == 3
    assert adapt_difficulty(2, 4) == 1 and adapt_difficulty(1, 0) == 1
    assert adapt_difficulty(2, 6) == 2
