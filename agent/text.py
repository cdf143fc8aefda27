"""The text primitives every layer shares: the one jieba set-up and tokenizer, the one n-gram helper, the one
language detector. Standard library only (``import jieba`` happens on first use, so ``mockint --help`` stays fast).

* :func:`tokenize` — jieba words (stripped, lower-cased, with a word character), minus a caller's stop words.
  Retrieval (``knowledge.retrieval.tokenize``: search mode), question dedupe (``knowledge.dedupe.tokens``: a
  private dictionary, synonyms, no lone Chinese characters) and the grader (``grading.text.content_tokens``:
  Chinese runs only, English words stemmed there) call it with their own stop lists and options.
* :func:`ngrams` / :func:`cjk_bigrams` — character n-grams; the grader's ``char_ngrams``, evidence's
  ``content_grams``, drill's sibling tokens and the reference-point picker's bigrams are built from them.
* :func:`language` — "zh" / "en" / None, thresholds per caller; :func:`is_cjk` — Chinese script share (the
  grader's Chinese thresholds).
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
LATIN_WORD = re.compile(r"[A-Za-z]+")
_WORD_CHAR = re.compile(r"\w")

# English function words: a text that has enough of them is an English sentence, not a list of terms
EN_STOP = frozenset(
    """a an the of to in on for and or is are was were be been being it its this that these those with as by at
    from into than then so such can could will would should may might must do does did done has have had having
    not no nor but if else when while which who whom what where why how all any each other some more most very
    also just only there their they them we you your i me my he she his her our us one two use used using""".split()
)


# ---------------------------------------------------------------- jieba: the one set-up
class Segmenter(Protocol):
    """What a jieba tokenizer (the module or a ``jieba.Tokenizer``) offers."""

    def lcut(self, sentence: str) -> list[str]: ...

    def lcut_for_search(self, sentence: str) -> list[str]: ...


_lock = threading.Lock()
_ready = False


def _cache_dir() -> str:
    folder = Path(tempfile.gettempdir()) / "mockint-jieba"
    folder.mkdir(exist_ok=True)
    return str(folder)


def shared_jieba() -> Segmenter:
    """The process-wide ``jieba`` module, initialised once (thread-safe): quiet logging, its dictionary cache under
    ``$TMPDIR/mockint-jieba``, the default dictionary."""
    global _ready
    import jieba

    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.dt.tmp_dir = _cache_dir()
            jieba.initialize()
            _ready = True
    segmenter: Segmenter = jieba
    return segmenter


def private_tokenizer(words: Iterable[str], freq: int = 100000) -> Segmenter:
    """A separate ``jieba.Tokenizer`` with extra dictionary words (they do not leak into :func:`shared_jieba`)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = _cache_dir()
    for word in words:
        tokenizer.add_word(word, freq=freq)
    segmenter: Segmenter = tokenizer
    return segmenter


# ---------------------------------------------------------------- the one tokenizer
def tokenize(text: str, stop: frozenset[str] | set[str] = frozenset(), *, search: bool = False,
             segmenter: Segmenter | None = None, synonyms: Mapping[str, str] | None = None,
             lone_chars: bool = True) -> list[str]:
    """jieba words of ``text`` in order: stripped, lower-cased, at least one word character, mapped through
    ``synonyms``, and not in ``stop``.

    ``search``: jieba's search mode (long words also give their sub-words: retrieval's recall).
    ``segmenter``: a private tokenizer (dedupe's extra dictionary words) instead of :func:`shared_jieba`.
    ``lone_chars=False`` drops one-character non-ASCII words (dedupe: "过" of 过拟合 says nothing)."""
    jb = segmenter or shared_jieba()
    out: list[str] = []
    for word in jb.lcut_for_search(text) if search else jb.lcut(text):
        w = word.strip().lower()
        if not w or not _WORD_CHAR.search(w):
            continue
        if synonyms:
            w = synonyms.get(w, w)
        if w in stop or (not lone_chars and len(w) == 1 and not w.isascii()):
            continue
        out.append(w)
    return out


# ---------------------------------------------------------------- the one n-gram helper
def ngrams(text: str, n: int = 2) -> list[str]:
    """Overlapping character n-grams of ``text`` (none when it is shorter than ``n``)."""
    return [text[i : i + n] for i in range(len(text) - n + 1)]


def cjk_bigrams(text: str, *, lone: bool = False, run: re.Pattern[str] = CJK_RUN) -> set[str]:
    """Character bigrams of each Chinese run of ``text`` (``run``: what a run is); ``lone``: a one-character run
    counts as itself (else it gives nothing)."""
    grams: set[str] = set()
    for r in run.findall(text):
        grams.update(ngrams(r, 2) if len(r) > 1 or not lone else (r,))
    return grams


# ---------------------------------------------------------------- the one language detector
def language(text: str, *, min_words: int = 6, min_function_share: float = 0.25, min_letters: int = 0,
             word: re.Pattern[str] = LATIN_WORD, cjk: re.Pattern[str] = CJK_CHAR) -> str | None:
    """"zh" when ``text`` has ≥ 2 Chinese characters (``cjk``: what counts as one); "en" when it has at least
    ``min_words`` Latin words (``word``), ``min_function_share`` of them English function words and
    ``min_letters`` characters in them all; else None (too short to tell).

    The defaults are the grader's rule for spans and points: English means an English *sentence* (6+ words, a
    quarter function words), so code, a lone term or a list of names is never "cross-language".
    ``grading.evidence`` asks for any Latin fragment of 4+ characters instead (a model's quote "KV cache" is
    English there) and counts Chinese from U+3400; unifying the two rules would change which quotes pass, so
    each keeps its thresholds."""
    if len(cjk.findall(text)) >= 2:
        return "zh"
    words = word.findall(text)
    if not words:
        return None
    function_words = sum(1 for w in words if w.lower() in EN_STOP)
    english = (len(words) >= min_words and function_words / len(words) >= min_function_share
               and sum(len(w) for w in words) >= min_letters)
    return "en" if english else None


def is_cjk(text: str) -> bool:
    """Chinese text (technical Chinese mixes in many Latin terms): ≥ 2 Chinese characters or ≥ 10 % of letters.
    Not :func:`language`: a yes/no for the grader's Chinese thresholds, where a lone 的 among a few letters counts."""
    letters = sum(1 for ch in text if ch.isalpha())
    cjk = len(CJK_CHAR.findall(text))
    return cjk >= 2 or (letters > 0 and cjk / letters >= 0.1)
