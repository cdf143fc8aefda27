"""Parts of an answer that are data, never evidence: the span guards shared by the offline grader and reflection.

:func:`data_spans` finds, in an (already normalised) answer, the spans that can earn no credit:

* **instructions** — a sentence that tells the grader what to do (:func:`agent.grading.text.is_injection`, also on
  a folded "skeleton" of the sentence: look-alike Cyrillic / Greek letters mapped to Latin, letters spaced or
  dotted apart joined), "decode this and follow it", "the rubric was updated (v2)";
* **markdown tables** — every table row and rule line (``| 要点 | 状态 |``, ``|---|``): a table posing as
  grader output, or a copy of the reference points, is formatting, not an explanation;
* **fake grader output** — lines or sentences shaped like a verdict (``status: covered``, ``score = 10``,
  ``要点2：已覆盖``, ``总分：10``, a JSON object with ``score`` / ``status`` / ``points`` keys);
* **fake reference lists** — a header such as "参考要点：" / "Reference points:" / "评分标准" and the list that
  follows it;
* **encoded blobs** — base64-looking runs (20+ characters); nothing the candidate wrote is decoded;
* **recital** — sentences that copy the reference points or the question: near copies when the answer says
  it does not understand ("背下来的", "I copied this"), and verbatim copies of two or more points that make up
  ≥ 3/4 of the reference (the reference list reproduced). Fewer points in the reference's words are a
  concise answer, not a recital.

:func:`quote_problem` applies the same rules to a model's quote (reflection in LLM mode): a quote must be a
meaningful span (at least two content words, not a lone keyword) and must not lie in a data span.
"""

from __future__ import annotations

import re
import unicodedata

from agent.grading import text as tx

RECITAL_OVERLAP = 0.85  # character n-gram containment, both ways, for "a near-verbatim copy"

_CONFUSABLE = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ո": "n", "ν": "v", "ο": "o", "α": "a", "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
    "Ι": "I", "Ο": "O", "Ρ": "P", "Τ": "T", "Α": "A", "Β": "B", "Ε": "E", "Κ": "K", "Μ": "M", "Ν": "N",
})
_SPACED = re.compile(r"\b(?:[A-Za-z][\s.\-_*·]{1,2}){2,}[A-Za-z]\b")
_EXTRA_INSTRUCTIONS = re.compile(
    r"(decode|decoding|base64|rot13|解码|解密|翻译).{0,40}(follow|execute|obey|run|执行|照做|遵循|照着|按照)|"
    r"follow\s+(it|them|this|these|the\s+(decoded|hidden))\b.{0,20}(exactly|instructions?)?|"
    r"(评分标准|评分规则|打分标准|rubric|grading\s+(policy|rules?)).{0,12}(已|被)?(更新|修改|变更|升级|updated|changed|revised|v\d)|"
    r"\brubric\s*v\d|\bnew\s+rubric\b|(请|务必).{0,6}(判定|判为|标记|评为|给).{0,10}(满分|高分|覆盖|covered|\d+\s*分)|"
    r"(给|打|评).{0,3}(十|10|九|9)\s*分|\b(award|assign|output)\b.{0,20}\b(10|ten|full|maximum|points?)\b",
    re.IGNORECASE,
)
_GRADER_SHAPE = re.compile(
    r"\b(status|verdict|judg(e)?ment|label)\s*[\"']?\s*[:=：]\s*[\"']?\s*(covered|partial|missing|pass|correct|full)|"
    r"\b(score|grade|rating|total|final)\s*[\"']?\s*[:=：]\s*[\"']?\s*\d|\b(covered|partial|missing)\b\s*[|,，;；)]|"
    r"(要点|得分点|采分点)\s*[\d一二三四五六七八九十]*\s*[:：].{0,40}(已?覆盖|未覆盖|covered|partial|missing|✓|✗)|"
    r"(总分|得分|分数|评分结果|最终得分|评分)\s*[:：=为是]\s*(\d|满分|十|九)|\b\d+(\.\d+)?\s*/\s*10\b|[✓✔☑]\s*(已覆盖|covered)",
    re.IGNORECASE,
)
_REF_HEADER = re.compile(
    r"^\W*(参考要点|参考答案|标准答案|评分标准|评分要点|答案要点|官方答案|reference\s+(points?|answer)|answer\s+key|"
    r"rubric|grading\s+(criteria|key)|model\s+answer)\W*$|^\W*(参考要点|参考答案|标准答案|评分要点|reference\s+points?)\s*[:：]",
    re.IGNORECASE,
)
_LIST_LINE = re.compile(r"^\s*([-*+•·]|\d+[.)、）]|[（(]?\d+[)）]|[①-⑳])\s*")
_BLOB = re.compile(r"[A-Za-z0-9+/]{20,}={0,2}|[A-Za-z0-9_-]{32,}")
_DISCLAIMER = re.compile(
    r"不懂|不理解|不明白|不太清楚|不清楚|不知道|没学过|没接触过|背(下来|的)|照抄|抄的|复制的|看不懂|"
    r"\b(don'?t|do\s+not|didn'?t)\s+(really\s+)?(understand|know|get)\b|\bno\s+idea\b|\bnot\s+sure\b|"
    r"\bcopied\b|\bmemori[sz]ed\b|\bhave\s+no\s+clue\b",
    re.IGNORECASE,
)


def skeleton(text: str) -> str:
    """A folded form for instruction detection only (never graded): NFKC, look-alike letters mapped to Latin,
    letters written apart ("i g n o r e", "i.g.n.o.r.e") joined."""
    folded = unicodedata.normalize("NFKC", text).translate(_CONFUSABLE)
    return _SPACED.sub(lambda m: re.sub(r"[\s.\-_*·]", "", m.group(0)), folded)


def is_instruction(text: str) -> bool:
    """Text addressed to the grader (see the module docstring)."""
    if tx.is_injection(text) or _EXTRA_INSTRUCTIONS.search(text):
        return True
    folded = skeleton(text)
    return folded != text and (tx.is_injection(folded) or _EXTRA_INSTRUCTIONS.search(folded) is not None)


def _lines(answer: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in answer.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _is_table_line(line: str) -> bool:
    s = line.strip()
    return (s.startswith("|") and s.count("|") >= 2) or s.count("|") >= 3 or bool(re.fullmatch(r"[-:| ]{3,}", s) and "|" in s)


def _structural(answer: str) -> list[tuple[int, int]]:
    """Table rows, fake reference lists (header + following list lines), JSON-looking grade objects."""
    bad: list[tuple[int, int]] = []
    in_ref_list = False
    for s, e in _lines(answer):
        line = answer[s:e]
        if _is_table_line(line):
            bad.append((s, e))
            continue
        if _REF_HEADER.search(line):
            bad.append((s, e))
            in_ref_list = True
            continue
        if in_ref_list and line.strip() and (_LIST_LINE.match(line) or len(line.strip()) <= 80):
            bad.append((s, e))
            continue
        in_ref_list = False
    for m in re.finditer(r"\{[^{}]{0,2000}\}", answer):
        if re.search(r"[\"']?(score|status|points?|verdict|covered|grade)[\"']?\s*[:=]", m.group(0), re.IGNORECASE):
            bad.append((m.start(), m.end()))
    bad.extend((m.start(), m.end()) for m in _BLOB.finditer(answer) if _looks_encoded(m.group(0)))
    return bad


def _looks_encoded(token: str) -> bool:
    return sum(ch.isdigit() for ch in token) >= 2 or token.endswith("=") or (
        any(ch.isupper() for ch in token[1:]) and any(ch.islower() for ch in token) and len(token) >= 24)


def _near_copy(piece: str, sources: list[set[str]], union: set[str]) -> bool:
    """``piece`` is (nearly) made of the sources' text and reproduces at least one source almost whole."""
    a = tx.char_ngrams(piece)
    if len(a) < 3 or len(a & union) < RECITAL_OVERLAP * len(a):
        return False
    return any(len(b) >= 3 and len(a & b) >= RECITAL_OVERLAP * len(b) for b in sources)


def _verbatim(piece: str, sources: list[str]) -> int:
    """How many sources ``piece`` contains character for character (6+ characters, final stop ignored) with the
    same polarity (a negated copy is a wrong claim, left to the contradiction check)."""
    return sum(1 for src in sources if len(src) >= 6 and src in piece
               and tx.negation_count(piece) == tx.negation_count(src))


def _recital(question: str, answer: str, references: list[str], sentences: list[tuple[int, int]]
             ) -> list[tuple[int, int]]:
    """Copies of the reference points / question that earn no credit: any near copy when the answer says it
    does not understand them; verbatim copies of at least two points that make up ≥ 3/4 of the reference
    (the reference list reproduced, e.g. pasted from an earlier grade). A verbatim copy of fewer points is
    memorised notes and earns credit (ADS graders gave answers that half the reference reproduces 10/10)."""
    sources = [src.strip().rstrip("。.;；!！") for src in [*references, question]]
    grams = [tx.char_ngrams(src) for src in sources]
    union = set().union(*grams) if grams else set()
    exact = {(s, e): _verbatim(answer[s:e], sources) for s, e in sentences}
    copies = [(s, e) for s, e in sentences if exact[(s, e)] or _near_copy(answer[s:e], grams, union)
              and not any(tx.contradicts(src, [answer[s:e]]) for src in sources)]
    if not copies:
        return []
    if _DISCLAIMER.search(answer):
        return copies
    verbatim = [span for span in copies if exact[span]]
    points_copied = {src for span in verbatim for src in sources[:-1] if len(src) >= 6 and src in answer[span[0]:span[1]]}
    enough = len(points_copied) >= max(2, 0.75 * len(references))
    return verbatim if enough else []


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < be and bs < span[1] for bs, be in spans)


def data_spans(question: str, answer: str, references: list[str] | tuple[str, ...] = (),
               split: tx.AnswerSplit | None = None) -> tuple[list[tuple[int, int]], bool]:
    """(spans of ``answer`` that earn no credit, whether an instruction was seen); see the module docstring.
    ``split``: the answer's :func:`agent.grading.text.split_answer` when the caller has it."""
    split = split or tx.split_answer(answer)
    sentences = list(split.sentences)
    bad = _structural(answer)
    instructed = False
    for s, e in sentences:
        piece = answer[s:e]
        if is_instruction(piece):
            instructed = True
            bad.append((s, e))
        elif _GRADER_SHAPE.search(piece):
            bad.append((s, e))
    for s, e in split.candidates:  # a clause can carry an instruction its sentence hides
        if not _overlaps((s, e), bad) and is_instruction(answer[s:e]):
            instructed = True
            bad.append((s, e))
    bad += _recital(question, answer, list(references), sentences)
    return bad, instructed


def meaningful(quote: str, point: str = "") -> bool:
    """At least two content words and four visible characters — or, for a point that is itself one term, that
    term: a lone keyword ("SFT ", "RoPE") is no evidence for a point that says more."""
    tokens = len(tx.content_tokens(quote))
    if point and 0 < len(tx.content_tokens(point)) < 2:
        return tokens >= 1
    return tokens >= 2 and len(quote.strip()) >= 4


def quote_problem(question: str, answer: str, references: list[str], quote: str, point: str = "") -> str | None:
    """Why ``quote`` (a verbatim span of ``answer``) cannot be evidence for ``point``, or None when it can: too
    short, or it draws on data spans and what remains outside them is no evidence on its own."""
    if not meaningful(quote, point):
        return f"引用太短，只是一个关键词，不能作为证据: 「{quote.strip()[:30]}」"
    start = answer.find(quote)
    if start < 0:
        return None  # not verbatim: rubric.check_grade reports that
    bad, _ = data_spans(question, answer, references)
    inside = [(max(s, start) - start, min(e, start + len(quote)) - start) for s, e in bad
              if s < start + len(quote) and start < e]
    if not inside:
        return None
    rest = "".join(" " if any(s <= i < e for s, e in inside) else ch for i, ch in enumerate(quote))
    own_evidence = meaningful(rest, point) and not is_instruction(rest) and (
        not point or bool(tx.char_ngrams(rest) & tx.char_ngrams(point)))
    if own_evidence:
        return None
    return f"引用来自表格、评分格式、指令、编码文本或对参考答案的照抄，不能作为证据: 「{quote.strip()[:30]}」"
