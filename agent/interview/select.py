"""Question selection: never repeat, balance categories, adapt difficulty, deterministic from a seed.

Order of preference for the next question (after filtering by the requested categories and dropping asked
ones): the least-asked category, then the difficulty closest to the current target, then a seeded random tie
break. A preset id list (drill / review) is followed in order instead. The target difficulty moves +1 after a
strong answer (≥ 8) and −1 after a weak one (≤ 4), within 1-3.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from agent.schemas import Question

STRONG, WEAK = 8.0, 4.0
DEFAULT_DIFFICULTY = 2


def filter_bank(bank: Sequence[Question], categories: Sequence[str]) -> list[Question]:
    wanted = set(categories)
    return [q for q in bank if not wanted or q.category in wanted]


def choose_next(
    bank: Sequence[Question],
    asked_ids: Sequence[str],
    *,
    categories: Sequence[str] = (),
    target_difficulty: int | None = None,
    seed: int = 0,
    preset_ids: Sequence[str] = (),
    weights: dict[str, float] | None = None,
) -> Question | None:
    """The next question, or ``None`` when nothing is left. ``weights`` (question id → weight, e.g. from
    ``agent.practice.review.weak_weights`` for ``--focus weak``) ranks heavier questions first after category balance."""
    asked = set(asked_ids)
    if preset_ids:
        by_id = {q.id: q for q in bank}
        return next((by_id[i] for i in preset_ids if i in by_id and i not in asked), None)
    pool = [q for q in filter_bank(bank, categories) if q.id not in asked]
    if not pool:
        return None
    by_cat = Counter(q.category for q in bank if q.id in asked)
    target = target_difficulty if target_difficulty is not None else DEFAULT_DIFFICULTY
    rng = random.Random(f"{seed}:{len(asked)}")
    weights = weights or {}
    keyed = [
        (by_cat[q.category], -weights.get(q.id, 1.0), abs(q.difficulty - target), rng.random(), q.id, q)
        for q in pool
    ]
    keyed.sort(key=lambda item: item[:5])
    return keyed[0][5]


def adapt_difficulty(current: int, score: float) -> int:
    if score >= STRONG:
        return min(3, current + 1)
    if score <= WEAK:
        return max(1, current - 1)
    return current
