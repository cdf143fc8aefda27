"""Per-point evidence for the offline grader: for each reference point, the best-matching answer span.

A span's match with a point combines three signals (weights and calibration in ``calibration.json``):
  dense  — e5 cosine, rescaled from e5's squeezed range (different ranges for same- / cross-language pairs);
  lexical — share of the point's content tokens (question words demoted) found in the span (jieba / stems);
  chars  — share of the point's character n-grams found in the span (robust to spelling and segmentation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent.grading import text as tx
from agent.grading.calibration import CAL, Calibration
from agent.grading.embed import embed
from agent.text import is_cjk, language

# Generic sentences (same content in both languages): a point's mean cosine to them is its "unrelated"
# baseline, so the dense signal is the cosine *gap* above that baseline — e5 squeezes every cosine into
# ~0.75-1.0, and the squeeze differs by language pair and by point.
ANCHORS = {
    True: (
        "今天天气不错，我们去公园散步吧。", "这个问题我不太清楚，之前没有接触过。",
        "模型训练需要准备数据、选择损失函数并调整超参数。", "数据库索引可以加快查询速度。",
        "深度学习模型通常由多层神经网络组成。", "我觉得这个技术很重要，在工作中经常用到。",
        "程序由变量、函数和循环语句组成。", "这个方法有优点也有缺点，要看具体场景。",
    ),
    False: (
        "The weather is nice today, let's go for a walk.", "I am not sure about this question, I have not seen it before.",
        "Training a model requires data, a loss function and tuning hyperparameters.", "A database index makes queries faster.",
        "Deep learning models are made of many neural network layers.", "I think this technique is important and I use it often at work.",
        "A program is made of variables, functions and loops.", "This method has advantages and disadvantages depending on the case.",
    ),
}


def baselines(point_vectors: np.ndarray) -> dict[bool, np.ndarray]:
    """Mean cosine of each point to the Chinese (True) and English (False) anchors."""
    return {lang: (point_vectors @ embed(list(texts)).T).mean(axis=1) for lang, texts in ANCHORS.items()}


@dataclass(frozen=True)
class PointMatch:
    point: str
    span: tuple[int, int] | None  # best span in the answer, None when nothing usable
    dense: float  # cosine gap of the best span above the point's baseline
    lexical: float
    chars: float
    match: float  # combined 0..1
    contradiction: bool = False


def _topic_tokens(points: list[str]) -> set[str]:
    """Tokens shared by more than half of 3+ reference points: the topic, not what distinguishes a point."""
    if len(points) < 3:
        return set()
    counts: dict[str, int] = {}
    for p in points:
        for t in set(tx.content_tokens(p)):
            counts[t] = counts.get(t, 0) + 1
    return {t for t, c in counts.items() if c > len(points) / 2}


def _demoted(point_tokens: tuple[str, ...], question_tokens: set[str]) -> tuple[str, ...]:
    kept = tuple(t for t in point_tokens if t not in question_tokens)
    return kept if kept else point_tokens


def rescale_dense(gap: float, cross_language: bool, cal: Calibration = CAL) -> float:
    """Cosine gap above the point's baseline → 0..1 (separate ranges for same- and cross-language pairs)."""
    lo, hi = cal.dense_cross if cross_language else cal.dense_same
    return float(min(1.0, max(0.0, (gap - lo) / (hi - lo))))


@dataclass(frozen=True)
class Signals:
    """Raw evidence, arrays of shape (points, spans)."""

    gap: np.ndarray  # e5 cosine minus the point's baseline for the span's language
    lexical: np.ndarray
    chars: np.ndarray
    cross: np.ndarray  # bool: point and span in different languages


def signals(question: str, points: list[str], span_texts: list[str]) -> Signals:
    vectors = embed(points + span_texts)
    sims = vectors[: len(points)] @ vectors[len(points) :].T
    base = baselines(vectors[: len(points)])
    q_tokens = set(tx.content_tokens(question)) | _topic_tokens(points)
    span_tokens = [tx.content_tokens(t) for t in span_texts]
    span_grams = [tx.char_ngrams(t) for t in span_texts]
    span_lang = [language(t) for t in span_texts]
    span_cjk = np.array([is_cjk(t) for t in span_texts], dtype=bool)
    shape = (len(points), len(span_texts))
    lexical, chars = np.zeros(shape), np.zeros(shape)
    for i, point in enumerate(points):
        p_tokens = _demoted(tx.content_tokens(point), q_tokens)
        p_grams = tx.char_ngrams(point)
        for j in range(len(span_texts)):
            lexical[i, j] = tx.overlap(span_tokens[j], p_tokens)
            chars[i, j] = len(p_grams & span_grams[j]) / len(p_grams) if p_grams else 0.0
    # fragments of unknown language (code, a list of names) get the stricter of the two baselines
    unknown = np.array([lang is None for lang in span_lang], dtype=bool)
    strict = np.maximum(base[True], base[False])[:, None]
    gap = sims - np.where(unknown[None, :], strict, np.where(span_cjk[None, :], base[True][:, None], base[False][:, None]))
    p_lang = [language(p) for p in points]
    cross = np.array([[a is not None and b is not None and a != b for b in span_lang] for a in p_lang], dtype=bool)
    return Signals(gap, lexical, chars, cross)


def combine(sig: Signals, cal: Calibration = CAL) -> np.ndarray:
    """Combined match in [0, 1] per (point, span). Across languages only the dense signal and the shared
    technical terms (char n-grams of Latin words in a Chinese point) are available."""
    lo_s, hi_s = cal.dense_same
    lo_c, hi_c = cal.dense_cross
    dense = np.where(sig.cross, (sig.gap - lo_c) / (hi_c - lo_c), (sig.gap - lo_s) / (hi_s - lo_s)).clip(0, 1)
    w = cal.weights
    same = w[0] * dense + w[1] * sig.lexical + w[2] * sig.chars
    cross = np.maximum(dense, w[0] * dense + (w[1] + w[2]) * sig.chars)
    return np.where(sig.cross, cross, same).clip(0, 1)


def _with_labels(question: str, points: list[str], span_texts: list[str], one_sentence: list[bool],
                 table: np.ndarray) -> np.ndarray:
    """Chinese points: a short span (one sentence or clause, ≤ 80 chars) that names and explains the point's
    distinctive label is at least "partial" (see :mod:`agent.grading.labels`)."""
    from agent.grading import labels as lb

    rows = [i for i, p in enumerate(points) if is_cjk(p)]
    if not rows:
        return table
    table = table.copy()
    q_tokens = set(tx.content_tokens(question))
    floor = CAL.thresholds(True)[0]
    short = [j for j, t in enumerate(span_texts) if len(t) <= 80 and one_sentence[j]]
    for i in rows:
        terms = lb.label_terms(points[i], points[:i] + points[i + 1 :], q_tokens)
        for j in short:
            if table[i, j] < floor and lb.label_hit(terms, span_texts[j]):
                table[i, j] = floor
    return table


def match_points(question: str, points: list[str], answer: str, spans: list[tuple[int, int]],
                 split: tx.AnswerSplit | None = None) -> list[PointMatch]:
    """Best span per point (spans must be candidate spans of ``answer``, :func:`agent.grading.text.split_answer`
    — ``split`` when the caller has it); shorter spans win ties."""
    if not spans or not points:
        return [PointMatch(p, None, 0.0, 0.0, 0.0, 0.0) for p in points]
    split = split or tx.split_answer(answer)
    span_texts = [answer[s:e] for s, e in spans]
    sig = signals(question, points, span_texts)
    table = _with_labels(question, points, span_texts, [split.one_sentence(sp) for sp in spans], combine(sig))
    sentences = [answer[s:e] for s, e in split.sentences if (s, e) in set(spans)]
    terms = tx.compared_terms(question)
    out: list[PointMatch] = []
    for i, point in enumerate(points):
        j = int(np.argmax(table[i] + 1e-9 * -np.array([e - s for s, e in spans])))
        best = PointMatch(point, spans[j], float(sig.gap[i, j]), float(sig.lexical[i, j]), float(sig.chars[i, j]),
                          float(table[i, j]))
        # contradiction cues only for Chinese points: on English (mohler) they misfire on contrastive answers
        # ("an array that is not declared static...") and lowered Pearson from 0.561 to 0.517
        if is_cjk(point) and best.match >= CAL.thresholds(True)[0]:
            wrong = tx.contradicts(point, sentences, terms=terms, all_points=points)
            if wrong is not None:
                start = answer.find(wrong)
                best = PointMatch(point, (start, start + len(wrong)), best.dense, best.lexical, best.chars,
                                  best.match, True)
        out.append(best)
    return out


def relevance(question: str, answer_spans: list[str]) -> float:
    """Max rescaled e5 cosine between the question and any answer span (0..1)."""
    if not answer_spans:
        return 0.0
    vectors = embed([question, *answer_spans])
    base = baselines(vectors[:1])
    gaps = [float(v @ vectors[0]) - float(base[is_cjk(s)][0]) for v, s in zip(vectors[1:], answer_spans, strict=True)]
    cross = any(is_cjk(s) != is_cjk(question) for s in answer_spans)
    return rescale_dense(max(gaps), cross)
