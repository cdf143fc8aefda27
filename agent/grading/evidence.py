"""Does a model's evidence support its grade? The second half of reflection's deterministic check.

``rubric.check_grade`` verifies that quotes are verbatim, chunk ids known and the score inside the rubric's
bounds. A grade that *obeys* an injected instruction passes all of that: it quotes the injection verbatim, marks
every point covered and scores 10. :func:`evidence_problems` rejects such grades:

* every reference point of the request must have a verdict (dropping points would escape the score bounds);
* a quote containing instruction or grading meta-text ("忽略评分标准", "score: 10", "all points are covered")
  is never evidence for a technical point;
* a quote in the same language as its point must share content with it (a Chinese character bigram or a
  Latin word); across languages (English answer, Chinese point) only the meta-text test applies;
* a quote must be a meaningful span (not one keyword) and must not come from a part of the answer that is data
  (:func:`agent.grading.guards.quote_problem`: markdown tables, fake grader output or reference lists, encoded
  blobs, instructions, a recital of the reference).

:func:`evidence_problems` is the whole check for any model grade; ``mockint eval --engine llm`` can call it on
each row's grade the same way reflection does.

Applied to grades from a language model (``Grade.engine == "llm"``); the offline grader chooses its quotes by
its own calibrated matcher and drops injection spans before matching.
"""

from __future__ import annotations

import re

from agent.grading.guards import quote_problem
from agent.grading.text import contradicts, is_injection
from agent.schemas import GradeOutput, GradeRequest
from agent.text import cjk_bigrams, language

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")  # from CJK extension A: a quote's rarer characters count as Chinese
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z][a-z0-9+#.-]*[a-z0-9+#]|[a-z]{2}|\d+[a-z]+", re.I)
_STOP_BIGRAMS = frozenset("一个 可以 我们 这个 那个 什么 进行 使用 通过 就是 因为 所以 如果 没有 不是 然后 其中".split())
_STOP_WORDS = frozenset(
    "the and for with that this are was were is be to of in on by as an or it its can will from into at we you they "
    "not no use used using when which what how why".split()
)
_META = re.compile(
    r"忽略|无视|满分|评分|打分|给分|得分|分数|要点|覆盖|参考答案|评分标准|面试官|指令|系统提示|管理员|"
    r"\bscor(e|es|ed|ing)\b|\bgrad(e|er|ed|ing)\b|\brubric\b|\bcovered\b|\breference (points?|answer)\b|"
    r"\bfull marks\b|\bstatus\b|\binstructions?\b|\boverride\b|\bsystem\b|\bprompt\b|\bassistant\b|\b10\s*/\s*10\b",
    re.IGNORECASE,
)


def content_grams(text: str) -> set[str]:
    """Chinese character bigrams (a lone character when a run is one long) and lower-cased Latin words."""
    grams = cjk_bigrams(text, lone=True, run=_CJK_RUN) - _STOP_BIGRAMS
    grams.update(w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP_WORDS)
    return grams


def _language(text: str) -> str | None:
    """:func:`agent.text.language` with evidence's thresholds: any Latin fragment of 4+ characters is English
    (a quote "KV cache" has no English function words), Chinese counted from U+3400."""
    return language(text, min_words=0, min_function_share=0.0, min_letters=4, word=_WORD, cjk=_CJK_CHAR)


def is_meta_text(text: str, point: str = "") -> bool:
    """Instruction or grading meta-text (talks about scores, points, rules, the grader) rather than an answer.
    Meta words that the point itself uses (e.g. "打分" in a point about reward models) do not count."""
    in_point = point.lower()
    if any(m.group(0).lower() not in in_point for m in _META.finditer(text)):
        return True
    return is_injection(text)


def supports(quote: str, point: str) -> bool:
    """Whether ``quote`` can be evidence for ``point`` (see the module docstring)."""
    if is_meta_text(quote, point):
        return False
    q_lang, p_lang = _language(quote), _language(point)
    if q_lang and p_lang and q_lang != p_lang:
        return True  # cross-language: no lexical test possible; meta-text already excluded
    shared = content_grams(quote) & content_grams(point)
    return bool(shared) or not content_grams(point)


def evidence_problems(request: GradeRequest, grade: GradeOutput) -> list[str]:
    """Problems with the grade's evidence (empty list = the quotes support the statuses)."""
    problems: list[str] = []
    judged = {v.point.strip() for v in grade.points} | {v.chunk_id for v in grade.points}
    skipped = [p.point for p in request.reference_points if p.point.strip() not in judged and p.chunk_id not in judged]
    if skipped and not request.no_reference:
        problems.append(f"评分遗漏了 {len(skipped)} 条参考要点（例如「{skipped[0][:30]}」），每条要点都要给出判断")
    references = [p.point for p in request.reference_points]
    for verdict in grade.points:
        if verdict.status == "missing" or not verdict.quote:
            continue
        guard = quote_problem(request.question, request.answer, references, verdict.quote, verdict.point)
        if is_meta_text(verdict.quote, verdict.point):
            problems.append(f"引用是指令或评分说明，不是作答内容: 「{verdict.quote[:40]}」")
        elif guard:
            problems.append(guard)
        elif contradicts(verdict.point, [verdict.quote]):
            problems.append(f"引用与要点「{verdict.point[:30]}」相矛盾，不能判为已覆盖: 「{verdict.quote[:30]}」")
        elif not supports(verdict.quote, verdict.point):
            problems.append(f"引用与要点无关，不能作为证据: 「{verdict.quote[:30]}」→ {verdict.point[:30]}")
    return problems
