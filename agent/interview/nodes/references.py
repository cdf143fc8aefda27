"""Reference points for one turn, only from where they belong: the question's own note answer, or its own card.

Rules:
  * ``project`` questions: the STAR rubric (背景/目标/做法/结果/反思) as points, ids ``rubric:star#<i>``; a
    follow-up on one STAR element is graded on the element(s) it asks about. A project-tagged question whose note
    gives an answer, or that asks a technical comparison / mechanism, is graded on content like a knowledge one
    (:func:`graded_on_content`, with a notice).
  * main turn: the question's bank points (``bank:<qid>#<i>``, its 答案要点 / answer block in its note) and only
    those — never padded with retrieved text from another question.
  * a question whose note gives no answer: retrieval runs with the **question** (never the candidate's answer),
    and a hit becomes a source of points only when it is the question's own card (same note file, lines
    overlapping the question's lines); its content sentences (no questions, no interview-log lines) are the points.
  * follow-up turn: the targeted point(s); a follow-up taken from the notes is graded against its own card the same
    way.
  * nothing qualifies → ``no_reference=True`` with the notice 「笔记里没有这道题的参考答案」 and the closest note
    sections as reading; graded on the rubric alone, never against another topic.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.grading.rubric import star_points
from agent.schemas import GradeRequest, Question, RefPoint, RetrievedChunk, Retriever
from agent.text import ngrams

if TYPE_CHECKING:
    from agent.interview.state import TurnState

log = logging.getLogger(__name__)

MAX_CHUNK_POINTS = 3
CHUNK_POINT_CHARS = 100
MIN_SENTENCE_CHARS = 8  # shorter lines are labels / headings, not content
NO_ANSWER_NOTICE = "笔记里没有这道题的参考答案"
READING_NOTICE = "可以先读笔记：{sections}"
TRUNCATION_NOTICE = "回答过长（{n} 字），只评了前 {limit} 字"
CONTENT_NOTICE = "这道题标为项目题，但问的是技术内容：按内容（参考要点）评分，而不只按 STAR 结构"
# a technical comparison or mechanism inside a project-tagged question
_TECHNICAL = re.compile(r"(和|与|跟|对比|比较).{1,24}(相比|对比|比较|区别|不同|优缺点|优势|劣势)|优缺点|有什么区别|"
                        r"核心优势|如何帮助|怎么帮助|的原理|损失函数")
RETRIEVAL_NOTICE = "检索不可用（{error}），本题只用题库要点评分"


def bank_points(question: Question) -> list[RefPoint]:
    return [RefPoint(point=p, chunk_id=f"bank:{question.id}#{i}") for i, p in enumerate(question.reference_points)]


_META = re.compile(r"^(难度|岗位|标签|公司|来源|问题|题目|可能追问|追问|延伸问题|考察点)\s*[:：]")
_ASKING = re.compile(r"讲一下|讲讲|介绍一下|说说|谈谈|聊聊|什么|为什么|如何|怎么|怎样|哪些|是否|吗|呢|^\d{1,2}[.、]\s*问")
_ENUM = re.compile(r"^\d{1,2}[.、]\s*")
_LABEL = re.compile(r"^(答案要点|参考答案|答案|要点|Answer|A)\s*[:：]\s*", re.IGNORECASE)
_QUOTE = re.compile(r"^\s*>\s?")
_SOURCES = re.compile(r"^(sources?|来源|参考资料|参考链接)\s*[:：]", re.IGNORECASE)
# lines of interview logs (面经): "项目深挖：…聊了半小时（百度）", "一面：问了…"
_INTERVIEW_LOG = re.compile(r"[一二三四]面|HR面|面试官|聊了|问了|面经|[（(][^）)]{1,12}[）)]\s*$")
_MARKUP = re.compile(r"\*\*|__|==|`|\$+|^#+\s*|^\s*(?:[-*+•]|\d+[.、)])\s+", re.MULTILINE)


def _bigrams(text: str) -> set[str]:
    """Bigrams of every character but white space (Latin and punctuation too, unlike the grader's
    :func:`agent.grading.text.char_ngrams`): which chunk sentences become points depends on it, so it stays."""
    return set(ngrams(re.sub(r"\s+", "", text.lower()), 2))


def chunk_sentences(text: str, section: str = "") -> list[str]:
    """Content sentences of a chunk: no heading path, markup, metadata lines, code blocks, quotes or questions.

    Table rows become their cells joined with "，" (the separator row is dropped).
    """
    lines = text.split("\n")
    if lines and (" > " in lines[0] or lines[0].strip() == section.strip()):
        lines = lines[1:]
    out: list[str] = []
    in_code = False
    for raw in lines:
        if raw.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        line = _LABEL.sub("", _MARKUP.sub("", _QUOTE.sub("", raw)).strip())
        if line.count("|") >= 2:
            line = "，".join(cell.strip() for cell in line.strip("| ").split("|") if cell.strip())
        if not line or set(line) <= set("-=|:，, ") or _META.match(line) or _SOURCES.match(line):
            continue
        for sentence in re.split(r"(?<=[。！；;!？?])|(?<=\D)(?=\d{1,2}[.、]\s*[^\d\s])", line):
            sentence = _ENUM.sub("", sentence.strip())
            if (len(sentence) >= MIN_SENTENCE_CHARS and not sentence.endswith((":", "：")) and not _is_question(sentence)
                    and not _INTERVIEW_LOG.search(sentence)):
                out.append(_clip(sentence))
    return out


def _clip(sentence: str) -> str:
    """At most CHUNK_POINT_CHARS characters, cut at the last clause boundary before the limit."""
    if len(sentence) <= CHUNK_POINT_CHARS:
        return sentence
    head = sentence[:CHUNK_POINT_CHARS]
    cut = max(head.rfind(mark) for mark in "，,、；;")
    return head[: cut if cut >= CHUNK_POINT_CHARS // 2 else CHUNK_POINT_CHARS].rstrip("，,、；; ")


def _is_question(sentence: str) -> bool:
    """Interview questions listed in notes (面经) are not reference content."""
    if sentence.endswith(("？", "?")) or sentence.startswith("请"):
        return True
    asks = bool(_ASKING.search(sentence))
    return asks and (bool(_ENUM.match(sentence)) or len(sentence) < 40)


def chunk_points(hits: list[RetrievedChunk], query: str, limit: int) -> list[RefPoint]:
    """Up to ``limit`` reference points from retrieved chunks: single content sentences, the ones sharing most
    character bigrams with ``query`` first (ties: retrieval order), near-duplicates skipped."""
    wanted = _bigrams(query)
    candidates: list[tuple[int, int, str, str]] = []
    for rank, hit in enumerate(hits):
        for sentence in chunk_sentences(hit.text, hit.section):
            candidates.append((-len(_bigrams(sentence) & wanted), rank, sentence, hit.chunk_id))
    chosen: list[RefPoint] = []
    for _overlap, _rank, sentence, chunk_id in sorted(candidates, key=lambda c: (c[0], c[1])):
        grams = _bigrams(sentence)
        if any(len(grams & _bigrams(p.point)) > 0.6 * max(len(grams), 1) for p in chosen):
            continue
        chosen.append(RefPoint(point=sentence, chunk_id=chunk_id))
        if len(chosen) >= limit:
            break
    return chosen


def chunk_point(hit: RetrievedChunk, query: str) -> RefPoint | None:
    """The one sentence of a chunk most related to ``query``, or None when the chunk has no content."""
    points = chunk_points([hit], query, 1)
    return points[0] if points else None


def _search(retriever: Retriever, query: str, k: int) -> list[RetrievedChunk]:
    result = retriever.search(query, k)
    return list(result.hits) if result.relevant else []


def _chunk_lines(chunk_id: str) -> tuple[int, int] | None:
    """The ``first-last`` line range encoded in a chunk id (``file:first-last:digest``)."""
    m = re.search(r":(\d+)-(\d+):[^:]*$", chunk_id)
    return (int(m.group(1)), int(m.group(2))) if m else None


def own_card(hit: RetrievedChunk, question: Question) -> bool:
    """A hit is the question's own card: same note file and lines overlapping one of the question's sources."""
    lines = _chunk_lines(hit.chunk_id)
    if lines is None:
        return False
    return any(src.file == hit.source and lines[0] <= src.lines[1] and src.lines[0] <= lines[1]
               for src in question.sources)


def is_reading_notice(notice: str) -> bool:
    """True for the 「可以先读笔记：…」 notice of :func:`reading_notice`."""
    return notice.startswith(READING_NOTICE.split("{")[0])


def reading_notice(hits: list[RetrievedChunk], limit: int = 2) -> str | None:
    """The closest note sections (file › section) as reading for a question the notes don't answer."""
    seen = list(dict.fromkeys(f"{h.source} › {h.section.split(' > ')[-1][:40]}" for h in hits if h.section))[:limit]
    return READING_NOTICE.format(sections="；".join(seen)) if seen else None


def graded_on_content(question: Question) -> bool:
    """Knowledge questions, and ``project``-tagged ones whose note gives an answer or that ask a technical
    comparison / mechanism ("和 PPO 相比…优缺点", "KV-cache 如何帮助推理加速"): graded on content, not STAR."""
    return question.kind != "project" or bool(question.reference_points) or bool(_TECHNICAL.search(question.text))


def build_request(
    question: Question, turn: TurnState, retriever_factory: Callable[[], Retriever], k: int, max_chars: int
) -> tuple[GradeRequest, list[str], list[str]]:
    """(request, allowed chunk ids, notices) for the turn in progress."""
    answer: str = turn.get("answer", "")
    notices: list[str] = []
    full_chars = max(int(turn.get("answer_chars") or 0), len(answer))  # ask keeps only the prefix of a long answer
    if full_chars > max_chars:
        notices.append(TRUNCATION_NOTICE.format(n=full_chars, limit=max_chars))
        answer = answer[:max_chars]
    followup = turn.get("kind") == "followup"
    targets = [RefPoint(**p) for p in turn.get("targets", [])] if followup else []
    if question.kind == "project" and not graded_on_content(question):  # a STAR follow-up: that element only
        points = targets or star_points()
        return GradeRequest(question=turn["question"], kind="project", reference_points=points, answer=answer), [
            p.chunk_id for p in points
        ], notices
    if question.kind == "project" and not followup:
        notices.append(CONTENT_NOTICE)
    if followup:
        points = targets
        query = None if points else turn["question"]
    else:
        points = bank_points(question)
        query = None if points else question.text  # the question, never the candidate's answer
    hits: list[RetrievedChunk] = []
    if query is not None:
        try:
            hits = _search(retriever_factory(), query, k)
        except Exception as exc:  # noqa: BLE001 - a broken store degrades to bank points, with a notice
            log.warning("retrieval failed: %s", exc)
            notices.append(RETRIEVAL_NOTICE.format(error=str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__))
        points = chunk_points([h for h in hits if own_card(h, question)], query, MAX_CHUNK_POINTS)
        if not points:
            notices.append(NO_ANSWER_NOTICE)
            reading = reading_notice(hits)
            if reading:
                notices.append(reading)
    ids = sorted({p.chunk_id for p in points} | {h.chunk_id for h in hits})
    request = GradeRequest(
        question=turn["question"], kind="knowledge", reference_points=points, answer=answer, no_reference=not points
    )
    return request, ids, notices
