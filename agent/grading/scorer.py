"""The offline grader's fitted score: a small question-independent linear model over whole-answer features.

Fitted by ``evals/fit_offline.py`` on human grades (Mohler 2011 + ADS train, leave-one-question-out figures in
:mod:`agent.grading.scorer_params`); never fitted at run time. Features (all computed on the answer with
injection text and copies of the question removed, against the reference points joined into one text):

- ``use_cos``      USE cosine of the whole answer and the whole reference;
- ``use_recall``   mean over reference points of the best USE cosine with an answer sentence;
- ``e5_gap``       e5 cosine of answer and reference above the reference's cosine to generic anchor sentences;
- ``token_recall`` share of the reference's content tokens (question words left out) found in the answer;
- ``char_recall``  share of the reference's character n-grams found in the answer;
- ``log_length``   log(1 + characters of the answer).

The score it gives is evidence-bound in :mod:`agent.grading.offline`: clamped into the rubric bounds of the
per-point statuses, so a fluent answer that matches no point still scores 0–2.
"""

from __future__ import annotations

import math

import numpy as np

from agent.grading import text as tx
from agent.grading.embed import embed, embed_use
from agent.grading.features import ANCHORS
from agent.grading.scorer_params import PARAMS

FEATURES = ("use_cos", "use_recall", "e5_gap", "token_recall", "char_recall", "log_length")


def answer_features(question: str, points: list[str], answer: str, sentences: list[str]) -> np.ndarray:
    """The model's features for one answer (``answer``: the usable text; ``sentences``: its usable sentences)."""
    reference = "\n".join(points)
    u = embed_use([answer, reference, *points, *sentences])
    use_cos = float(u[0] @ u[1])
    pv, sv = u[2 : 2 + len(points)], u[2 + len(points) :]
    use_recall = float((pv @ sv.T).max(axis=1).mean()) if len(sentences) and len(points) else use_cos
    anchors = ANCHORS[tx.is_cjk(answer)]
    e = embed([answer, reference, *anchors])
    e5_gap = float(e[0] @ e[1]) - float((e[2:] @ e[1]).mean())
    q_tokens = set(tx.content_tokens(question))
    ref_tokens = {t for t in tx.content_tokens(reference) if t not in q_tokens} or set(tx.content_tokens(reference))
    a_tokens = set(tx.content_tokens(answer))
    token_recall = len(ref_tokens & a_tokens) / len(ref_tokens) if ref_tokens else 0.0
    ref_grams = tx.char_ngrams(reference)
    char_recall = len(ref_grams & tx.char_ngrams(answer)) / len(ref_grams) if ref_grams else 0.0
    return np.array([use_cos, use_recall, e5_gap, token_recall, char_recall, math.log1p(len(answer))])


def fitted_score(features: np.ndarray, params: dict = PARAMS) -> float:
    """0..10 from the standardised linear model (clipped)."""
    mean, scale, coef = (np.asarray(params[k], dtype=float) for k in ("mean", "scale", "coef"))
    value = float(params["intercept"]) + float(((features - mean) / scale) @ coef)
    return min(10.0, max(0.0, value))
