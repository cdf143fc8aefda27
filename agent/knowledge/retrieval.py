"""Hybrid retrieval over the note chunks: dense (Chroma, e5) + lexical (jieba + BM25), fused with RRF.

Ranking: each list contributes ``1 / (RRF_K + rank)`` per chunk (reciprocal rank fusion, rank from 1).

Relevance score in [0, 1] (what ``RetrievedChunk.score`` means), per chunk:

* dense part: e5 cosines are squeezed (anything vs anything is ~0.7+), so the cosine is rescaled linearly from
  ``[COS_FLOOR, COS_CEIL]`` to ``[0, 1]`` and clipped;
* lexical part: the IDF-weighted share of the query's content tokens that occur in the chunk (``0..1``);
* ``score = DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * lexical``.

Gate: a chunk is a hit only if ``score >= THRESHOLD``; when no chunk passes, the result says "nothing relevant"
(``relevant=False``, ``hits=[]``). The constants were chosen from measurements on the eval set
(``evals/datasets/retrieval.jsonl``: in-domain queries) against off-topic queries (``evals/retrieval_bench.py``
prints both score distributions); see ``evals/results/retrieval.json``. Measured on the default corpus
(267 chunks): the best score of the 50 in-domain queries is ≥ 0.559 (p10 0.705, median 0.83), that of the 15
off-topic queries ≤ 0.396 (median 0.23); ``THRESHOLD = 0.48`` sits in the middle of that gap. Top-1 cosines
alone overlap little but sit close (in-domain min 0.883 / median 0.922, off-topic max 0.866 / median 0.844), hence
the rescaling to [0.80, 0.92] and the lexical term that widens the gap.

Latency is dominated by the e5 query embedding (~8 ms idle; Chroma ~1.5 ms, BM25 ~0.7 ms over 267 chunks).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.schemas import RetrievedChunk
from agent.text import tokenize as text_tokenize

if TYPE_CHECKING:
    from agent.knowledge.store import Store

RRF_K = 60
CANDIDATES = 30
COS_FLOOR = 0.80
COS_CEIL = 0.92
DENSE_WEIGHT = 0.6
THRESHOLD = 0.48

_STOP = set(
    "的 了 是 在 和 与 及 或 有 吗 呢 吧 啊 什么 怎么 怎样 如何 为什么 哪些 哪个 一个 一下 这个 那个 我们 你 我 它 "
    "他 她 请 说 讲 介绍 解释 一些 可以 能 会 要 用 对 把 被 从 到 为 就 都 也 还 又 而 并 等 中 上 下 时 里 吗？ "
    "the a an of to in on for and or is are was be how what why which do does with about".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-cased jieba search-mode tokens without punctuation and stop words (:func:`agent.text.tokenize`)."""
    return text_tokenize(text, _STOP, search=True)


@dataclass
class RetrievalResult:
    hits: list[RetrievedChunk]  # only chunks that pass the gate, best first
    relevant: bool
    best_score: float = 0.0
    threshold: float = THRESHOLD
    candidates: list[RetrievedChunk] = field(default_factory=list)  # top-k before the gate (diagnostics)


@dataclass
class QuestionHit:
    question_id: str
    text: str
    category: str
    difficulty: int
    kind: str
    score: float  # cosine similarity rescaled like chunk scores (dense only)


def dense_score(cosine: float) -> float:
    return min(1.0, max(0.0, (cosine - COS_FLOOR) / (COS_CEIL - COS_FLOOR)))


class HybridRetriever:
    """Hybrid retriever over one opened store; BM25 is built lazily over all chunks."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.key = store.state_key()
        self._lock = threading.Lock()
        self._bm25: Any = None
        self._ids: list[str] = []
        self._position: dict[str, int] = {}  # chunk id -> index into _ids / _docs / _metas / _tokens
        self._docs: list[str] = []
        self._metas: list[dict[str, Any]] = []
        self._tokens: list[set[str]] = []
        self._idf: dict[str, float] = {}
        self._idf_max = 1.0  # the weight of a query token no chunk contains
        self._generation: Any = getattr(store, "generation", None)

    def _lexical_index(self) -> Any:
        with self._lock:
            if self._bm25 is None or self._generation != getattr(self.store, "generation", None):
                self._generation = getattr(self.store, "generation", None)  # a swapped-in rebuild: re-index
                from rank_bm25 import BM25Okapi

                data = self.store.chunks.get(include=["documents", "metadatas"])
                self._ids, self._docs = list(data["ids"]), list(data["documents"] or [])
                self._position = {cid: i for i, cid in enumerate(self._ids)}
                self._metas = [m or {} for m in data["metadatas"] or []]
                tokenized = [tokenize(d) for d in self._docs] or [[""]]
                self._tokens = [set(t) for t in tokenized]
                n = len(self._tokens)
                df: dict[str, int] = {}
                for toks in self._tokens:
                    for t in toks:
                        df[t] = df.get(t, 0) + 1
                self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
                self._idf_max = max(self._idf.values(), default=1.0)
                self._bm25 = BM25Okapi(tokenized)
            return self._bm25

    def _lexical(self, q_tokens: list[str], index: int) -> float:
        """IDF-weighted share of the query tokens present in chunk ``index`` (unknown tokens weigh the max)."""
        if not q_tokens:
            return 0.0
        weights = {t: self._idf.get(t, self._idf_max) for t in set(q_tokens)}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in self._tokens[index]) / total if total else 0.0

    def search(self, query: str, k: int = 5) -> RetrievalResult:
        bm25 = self._lexical_index()
        if not self._ids or not query.strip():
            return RetrievalResult(hits=[], relevant=False)
        n = min(CANDIDATES, len(self._ids))
        qv = np.asarray(self.store.ef.embed_query([query])[0], dtype=np.float32)
        dense = self.store.chunks.query(query_embeddings=[qv], n_results=n, include=["distances"])
        cosine = {cid: 1.0 - d for cid, d in zip(dense["ids"][0], dense["distances"][0], strict=False)}
        q_tokens = tokenize(query)
        fused: dict[str, float] = {}
        for rank, cid in enumerate(dense["ids"][0], start=1):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank)
        if q_tokens:
            scores = bm25.get_scores(q_tokens)
            top = sorted(range(len(scores)), key=lambda i: -scores[i])[:n]
            for rank, i in enumerate((i for i in top if scores[i] > 0), start=1):
                fused[self._ids[i]] = fused.get(self._ids[i], 0.0) + 1.0 / (RRF_K + rank)
        ranked = sorted(fused, key=lambda c: -fused[c])[:k]
        missing = [c for c in ranked if c not in cosine]
        if missing:  # lexical-only candidates: their cosine from the cached chunk vectors
            got = self.store.chunks.get(ids=missing, include=["embeddings"])
            for cid, emb in zip(got["ids"], got["embeddings"], strict=False):
                cosine[cid] = float(np.dot(qv, np.asarray(emb, dtype=np.float32)))
        candidates = [self._hit(cid, cosine.get(cid, 0.0), q_tokens, self._position[cid]) for cid in ranked
                      if cid in self._position]
        candidates.sort(key=lambda h: -h.score)  # within the fused top-k, best calibrated score first
        hits = [h for h in candidates if h.score >= THRESHOLD]
        best = max((h.score for h in candidates), default=0.0)
        return RetrievalResult(hits=hits, relevant=bool(hits), best_score=best, candidates=candidates)

    def _hit(self, cid: str, cos: float, q_tokens: list[str], index: int) -> RetrievedChunk:
        score = DENSE_WEIGHT * dense_score(cos) + (1 - DENSE_WEIGHT) * self._lexical(q_tokens, index)
        meta = self._metas[index]
        return RetrievedChunk(chunk_id=cid, source=str(meta.get("source", "")), section=str(meta.get("section", "")),
                              text=self._docs[index], score=round(score, 4))

    def search_questions(self, query: str, k: int = 5) -> list[QuestionHit]:
        """Bank questions closest to ``query`` (dense), e.g. for ``mockint drill TOPIC``."""
        count = self.store.questions.count()
        if not count or not query.strip():
            return []
        res = self.store.questions.query(query_texts=[query], n_results=min(k, count), include=["documents", "metadatas", "distances"])
        out = []
        for qid, doc, meta, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=False):
            meta = meta or {}
            out.append(QuestionHit(qid, doc, str(meta.get("category", "")), int(meta.get("difficulty", 1)),
                                   str(meta.get("kind", "knowledge")), round(dense_score(1.0 - dist), 4)))
        return out


_cache_lock = threading.Lock()
_cached: HybridRetriever | None = None


def get_retriever(store: Store | None = None) -> HybridRetriever:
    """A process-wide retriever, rebuilt when the store location or content changes."""
    global _cached
    if store is None:
        from agent.knowledge.store import open_store

        store = open_store(create=True)
    key = store.state_key()
    with _cache_lock:
        if _cached is None or _cached.key != key:
            _cached = HybridRetriever(store)
        return _cached


class TopicRetriever:
    """A retriever opened only if a free-text drill topic needs it (``prepare`` builds the store on first use);
    without a usable store it finds nothing and drills use the bank alone."""

    def __init__(self, prepare: Callable[[], object]) -> None:
        self.prepare = prepare

    def search_questions(self, query: str, k: int) -> list[QuestionHit]:
        from agent.errors import MockintError

        try:
            self.prepare()
            return get_retriever().search_questions(query, k)
        except MockintError:
            return []


def search_questions(query: str, k: int = 5) -> list[QuestionHit]:
    return get_retriever().search_questions(query, k)
