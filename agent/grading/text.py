"""Text helpers for the offline grader: verbatim spans, tokens (jieba / English stems), cue detection.

Every span is a ``(start, end)`` pair into the original answer, so a quote is always ``answer[start:end]``.
An answer is cut once per grade (:func:`split_answer`) and the :class:`AnswerSplit` is passed on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from agent.text import CJK_CHAR, CJK_RUN, EN_STOP, cjk_bigrams, is_cjk, ngrams, tokenize

_SENT_END = re.compile(r"[。！？!?\n]+|\.(?=\s|$)")
_CLAUSE_END = re.compile(r"[，,：:；;]")
_CLAUSE_END_ZH = re.compile(r"[，,；;、\n]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+\-]*|\d+(?:\.\d+)?")
_LIST_SEP = re.compile(r"[、,，/;；|\s]+")
_LIST_SEP_EN = re.compile(r"\s*[,;/|\n]\s*")

ZH_STOP = frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 而 并 对 把 被 让 这 那 这个 那个 一个 一些 可以 会 能 要 我们 我 你 他 它 "
    "其 之 中 上 下 等 为 以 于 从 到 时 所 着 过 很 更 最 还 又 如果 因为 所以 通过 进行 使用 什么 怎么 如何 "
    "哪些 为什么 吗 呢 啊 吧 嗯".split()
)

INJECTION_PATTERNS = re.compile(
    r"(忽略|无视|忽视|忘记|不要管).{0,4}(以上|上面|之前|前面|所有|上述|规则|指令|评分)|直接给.{0,4}(满分|高分|10分|十分)|给我.{0,4}(满分|高分|10分)|"
    r"满分|打.{0,3}(满分|高分|10分)|评分规则|系统提示|system\s*prompt|你现在是|作为评分|"
    r"ignore\s+(all\s+|the\s+)?(previous|above|prior)|disregard|full\s+(marks|score)|score\s*(of\s*)?10|"
    r"give\s+(me\s+)?(a\s+)?(10|ten|full|perfect|maximum)|grade\s+this\s+(as\s+)?(perfect|10)|"
    r"^\W*(system|assistant|developer)\s*[:：]|【?系统(提示|消息|指令)|评分规则已更新|\bas\s+an\s+ai\b|\binstructions?\b.{0,20}\b(ignore|override)|"
    r"\b(mark|set|label)\s+(every|all|each)\b.{0,30}\b(covered|status|points?)\b|\bAI\s+grader\b|请判定|给\s*\d+\s*分|"
    r"要点.{0,8}(全部)?覆盖",
    re.IGNORECASE,
)

NEGATIONS_ZH = frozenset({"不", "没有", "没", "无法", "无需", "并非", "未", "非", "别", "勿", "无", "不用", "未必"})
NEGATIONS_EN = frozenset({"not", "no", "never", "cannot", "can't", "don't", "doesn't", "isn't", "aren't", "won't",
                          "without", "neither", "nor", "none", "n't"})
UP_WORDS = ("增加", "增大", "提高", "提升", "上升", "加快", "升高", "变大", "更快", "越大", "increase", "higher",
            "faster", "larger")
DOWN_WORDS = ("减少", "减小", "降低", "下降", "减慢", "变小", "更慢", "越小", "decrease", "lower", "slower", "smaller")


def _pieces(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = start
    for m in pattern.finditer(text, start, end):
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, end))
    return [trimmed for s, e in spans if (trimmed := _trim(text, s, e)) is not None]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and (text[start].isspace() or text[start] in "，,。.；;：:、!！?？-*•·0123456789)）"
                            and not _starts_number(text, start, end)):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start < 2 or not any(ch.isalnum() for ch in text[start:end]):
        return None
    return start, end


def _starts_number(text: str, start: int, end: int) -> bool:
    """Keep a leading number that is content ("4 heads"), drop list markers ("1." / "2)")."""
    m = re.match(r"\d+[.)）、]", text[start:end])
    return text[start].isdigit() and m is None


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of the answer (Chinese and English punctuation, line breaks)."""
    return _pieces(text, 0, len(text), _SENT_END)


def candidate_spans(text: str, max_whole: int = 400, sentences: Sequence[tuple[int, int]] | None = None
                    ) -> list[tuple[int, int]]:
    """Spans a reference point may be matched against: sentences, clauses (every clause of a Chinese sentence,
    split on ，；、; clauses of long English sentences), the whole answer. ``sentences``: the text's
    :func:`sentence_spans` when the caller has them already."""
    sents = list(sentences) if sentences is not None else sentence_spans(text)
    spans = list(sents)
    for s, e in sents:
        if is_cjk(text[s:e]):  # every clause of a Chinese sentence: concise answers pack one idea per clause
            clauses = _pieces(text, s, e, _CLAUSE_END_ZH)
            if len(clauses) > 1:
                spans.extend(c for c in clauses if c[1] - c[0] >= 4 and content_tokens(text[c[0] : c[1]]))
        elif e - s > 40:
            clauses = _pieces(text, s, e, _CLAUSE_END)
            if len(clauses) > 1:
                spans.extend(c for c in clauses if c[1] - c[0] >= 10 and len(content_tokens(text[c[0] : c[1]])) >= 2)
    if 1 < len(sents) <= 3:
        whole = _trim(text, sents[0][0], sents[-1][1])
        if whole and whole[1] - whole[0] <= max_whole:
            spans.append(whole)
    return list(dict.fromkeys(spans))


def stem(word: str) -> str:
    """A light English stemmer (plural / -ing / -ed / -ly / -ation), enough for overlap counting."""
    w = word.lower()
    for suffix, repl in (("ational", "ate"), ("ization", "ize"), ("ation", "ate"), ("iveness", "ive"),
                         ("fulness", "ful"), ("ies", "y"), ("ing", ""), ("edly", ""), ("ed", ""), ("ly", ""),
                         ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    return w


@dataclass(frozen=True)
class AnswerSplit:
    """An answer cut once: its sentences and the candidate spans built from them (one grade's only split)."""

    sentences: tuple[tuple[int, int], ...]
    candidates: tuple[tuple[int, int], ...]

    def one_sentence(self, span: tuple[int, int]) -> bool:
        """The span lies inside one sentence (a sentence or a clause, not the joined whole answer) — what
        ``len(sentence_spans(answer[s:e])) == 1`` says of a candidate span, without cutting it again."""
        return any(s <= span[0] and span[1] <= e for s, e in self.sentences)


def split_answer(text: str) -> AnswerSplit:
    """:func:`sentence_spans` and :func:`candidate_spans` of ``text``, the sentences computed once."""
    sentences = sentence_spans(text)
    return AnswerSplit(tuple(sentences), tuple(candidate_spans(text, sentences=sentences)))


@lru_cache(maxsize=20000)
def content_tokens(text: str) -> tuple[str, ...]:
    """Content tokens: stemmed English words, then the jieba words (:func:`agent.text.tokenize`) of each Chinese
    run; stop words removed."""
    out: list[str] = []
    for m in _WORD.finditer(text):
        w = m.group(0).lower()
        if w not in EN_STOP and len(w) > 1:
            out.append(stem(w))
    for run in CJK_RUN.findall(text):
        out.extend(tokenize(run, ZH_STOP))
    return tuple(out)


def char_ngrams(text: str) -> set[str]:
    """Character bigrams of Chinese runs and trigrams of English words (spelling-robust overlap)."""
    grams = cjk_bigrams(text)
    for m in _WORD.finditer(text.lower()):
        grams.update(ngrams(f"#{m.group(0)}#", 3))
    return grams


def negation_count(text: str) -> int:
    """Negation words (whole jieba tokens for Chinese, so 非常 / 未来 don't count; not / never / n't for English)."""
    low = text.lower()
    count = sum(1 for w in re.findall(r"[a-z']+", low) if w in NEGATIONS_EN or w.endswith("n't"))
    count += sum(1 for run in CJK_RUN.findall(text) for t in tokenize(run)
                 if t in NEGATIONS_ZH or (t.startswith("不") and len(t) <= 3))
    return count


def has_negation(text: str) -> bool:
    return negation_count(text) > 0


def _direction(text: str) -> tuple[int, int]:
    low = text.lower()
    return sum(low.count(w) for w in UP_WORDS), sum(low.count(w) for w in DOWN_WORDS)


def antonym_flip(point: str, span: str) -> bool:
    """True when the span's direction words oppose the point's (point says 提高, span only says 降低...)."""
    up_p, down_p = _direction(point)
    up_s, down_s = _direction(span)
    return (up_p > 0 and up_s == 0 and down_s > down_p) or (down_p > 0 and down_s == 0 and up_s > up_p)


def clauses(text: str) -> list[str]:
    return [text[s:e] for s, e in _pieces(text, 0, len(text), re.compile(r"[，,：:；;。！？!?\n]|\.(?=\s|$)"))]


_TERM = re.compile(r"[A-Za-z][A-Za-z0-9\-]{1,}")


def compared_terms(question: str) -> set[str]:
    """The things a comparison question names ("PPO与DPO的区别" → {ppo, dpo}): its Latin terms, when 2+."""
    terms = {t.lower() for t in _TERM.findall(question)}
    return terms if len(terms) >= 2 else set()


def swapped_roles(point: str, answer_clauses: list[str], terms: set[str], min_overlap: float = 0.6,
                  all_points: list[str] | None = None) -> str | None:
    """An answer clause that says of one compared thing what a point clause says of the other (same polarity,
    the rest aligned by character n-grams): "DPO 需要训练奖励模型" against the point "PPO 需要训练奖励模型".
    A clause that some point (of ``all_points``) states of that other thing too is a correct statement, not a swap."""
    stated = [pc for p in (all_points or []) for pc in clauses(p)]
    for pc in clauses(point):
        named = {t.lower() for t in _TERM.findall(pc)} & terms
        if len(named) != 1:
            continue
        (own,) = named
        grams = char_ngrams(re.sub(own, "", pc, flags=re.IGNORECASE))
        if len(grams) < 4:
            continue
        for ac in answer_clauses:
            in_ac = {t.lower() for t in _TERM.findall(ac)} & terms
            if own in in_ac or len(in_ac) != 1:
                continue
            other = next(iter(in_ac))
            rest = char_ngrams(re.sub(other, "", ac, flags=re.IGNORECASE))
            if (len(grams & rest) / len(grams) >= min_overlap and negation_count(ac) == negation_count(pc)
                    and not antonym_flip(pc, ac) and not _states(stated, other, ac, min_overlap)):
                return ac
    return None


def _states(point_clauses: list[str], term: str, clause: str, min_overlap: float) -> bool:
    """Some point clause naming ``term`` says what ``clause`` says (character n-gram overlap)."""
    grams = char_ngrams(clause)
    return any(term in pc.lower() and grams and len(char_ngrams(pc) & grams) / len(grams) >= min_overlap
               for pc in point_clauses)


def contradicts(point: str, answer_sentences: list[str], min_overlap: float = 0.6,
                terms: set[str] | None = None, all_points: list[str] | None = None) -> str | None:
    """The answer clause that states a point's clause with the opposite polarity (不 / not added or dropped,
    提高 ↔ 降低), aligned clause by clause by character n-grams, or (``terms``: the things a comparison question
    names) with the roles of the two swapped; None when nothing contradicts."""
    answer_clauses = [c for s in answer_sentences for c in clauses(s)]
    if terms:
        swapped = swapped_roles(point, answer_clauses, terms, min_overlap, all_points)
        if swapped is not None:
            return swapped
    for pc in clauses(point):
        grams = char_ngrams(pc)
        if len(grams) < 4:
            continue
        best, best_overlap = None, 0.0
        for ac in answer_clauses:
            ov = len(grams & char_ngrams(ac)) / len(grams)
            if ov > best_overlap:
                best, best_overlap = ac, ov
        if best is not None and best_overlap >= min_overlap:
            if negation_count(best) != negation_count(pc) or antonym_flip(pc, best):
                return best
    return None


def is_injection(text: str) -> bool:
    return INJECTION_PATTERNS.search(text) is not None


def list_items(text: str) -> list[str]:
    """Items of a list; spaces separate items only in Chinese text (English words are separated by spaces)."""
    sep = _LIST_SEP if CJK_CHAR.search(text) else _LIST_SEP_EN
    return [t for t in sep.split(text) if t.strip()]


# words that explain rather than list: a line with one of them is a sentence, not a keyword list
_EXPLAINING = frozenset("是 用来 用于 因为 所以 也就是说 就是 意味着 导致 使得 拿到".split())


def looks_like_keyword_list(text: str) -> bool:
    """Terms listed without explanation: at least 5 short items, at most one sentence, few multi-word items, and
    no explaining word (是 / 用来 / 因为 / 也就是说 ...)."""
    items = list_items(text.strip().rstrip("。.!！"))
    if len(items) < 5 or len(sentence_spans(text)) > 1:
        return False
    if CJK_CHAR.search(text) and _EXPLAINING & set(tokenize(text)):
        return False
    short = sum(1 for t in items if len(content_tokens(t)) <= 2 and len(t) <= (10 if CJK_CHAR.search(t) else 24))
    return short / len(items) >= 0.8


def overlap(tokens: Iterable[str], reference: Iterable[str]) -> float:
    """Share of ``reference`` tokens that appear in ``tokens`` (recall of the reference)."""
    ref = set(reference)
    if not ref:
        return 0.0
    return len(ref & set(tokens)) / len(ref)
