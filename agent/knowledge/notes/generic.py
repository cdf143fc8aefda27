"""Shape 4 and any other Markdown: study notes with headings and bold Q&As.

A question starts at
  * a heading that reads as a question (ends with ？/? or has a cue word: 什么/如何/为什么/原理/区别…);
  * a whole-line bold paragraph that reads as a question (``**请解释…？**``);
  * a ``Q:`` / ``问：`` / ``问题：`` line (a following ``A:`` / ``答：`` line starts the answer), after the list-item,
    bold, numbered and ``<details>`` shapes of :mod:`agent.knowledge.notes.shapes` are rewritten into such lines;
  * a short plain line with a strong cue (e.g. ``微调方式，不同方式有何区别``) outside any question.
Its answer runs to the next question or to the next heading of the same or a higher level. A bold question
that only refers back (``为什么它对大模型至关重要``) becomes a follow-up of the question before it.
Non-question headings become the ``section`` of the questions below them.
"""

from __future__ import annotations

import re

from agent.knowledge.notes.markdown import (
    QUESTION_CUES,
    clean_inline,
    clean_section,
    fence_mask,
    heading,
    is_question_like,
    strip_front_matter,
)
from agent.knowledge.notes.model import RawQuestion
from agent.knowledge.notes.points import split_points
from agent.knowledge.notes.shapes import normalise_qa

_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*\s*[:：]?\s*$")
_QA_PREFIX = re.compile(r"^(?:Q|问|问题)\s*\d*\s*[:：.]\s*(.+)$", re.IGNORECASE)
_A_PREFIX = re.compile(r"^(?:A|答|答案|回答)\s*[:：]\s*", re.IGNORECASE)
_LIST = re.compile(r"^\s*([-*+•]\s|\d+[.、)）]|[a-zA-Z][.)]\s|\|)")
_STRONG = re.compile(r"[？?]$|有何|什么|如何|怎么|为什么|为何|哪些|区别|是否")
_BACKREF = re.compile(r"^(那么|那)?(为什么|为何|如何|怎么)?\s*(它|其|这种|这个|该)")
_IMPERATIVE = re.compile(r"^(简述|请|介绍|说说|谈谈|讲讲|解释|描述|阐述|比较|对比|说明)")
_INTERROGATIVE = re.compile(r"什么|如何|怎么|怎样|为什么|为何|哪些|哪个|多少|是否|有何|吗|呢")
_NOUN_END = re.compile(r"(原理|作用|优势|缺陷|区别|机制|流程|方法|思路|步骤)$")


def as_question(text: str) -> str:
    """Give a heading-style question a question form (documented in the module docstring of agent.knowledge.bank)."""
    t = text.strip().rstrip(":：，,。").strip()
    if not t or "?" in t or "？" in t or _IMPERATIVE.match(t):
        return t
    if _INTERROGATIVE.search(t):
        return t + "？"
    if _NOUN_END.search(t):
        return t + "是什么？"
    return t + "？"


def _heading_is_question(text: str) -> bool:
    t = clean_inline(text)
    return len(t) >= 4 and is_question_like(t) and not re.fullmatch(r"[\W\d_]*", t)


def parse_generic(text: str, file: str) -> list[RawQuestion]:
    lines = normalise_qa(text).split("\n")  # list-item / bold / numbered / <details> Q&A → Q: / A: lines
    mask = fence_mask(lines)
    out: list[RawQuestion] = []
    stack: list[tuple[int, str]] = []  # enclosing non-question headings
    current: RawQuestion | None = None
    level = 99  # heading level of the open question (99 = not from a heading)
    origin = ""
    body: list[str] = []

    def close(end: int) -> None:
        nonlocal current
        if current is None:
            return
        answer = "\n".join(body).strip()
        last = current.end_at(lines, end)
        prev = out[-1] if out else None
        if origin == "bold" and prev is not None and prev.section == current.section and _BACKREF.match(current.text):
            prev.followups.append(current.text)
            prev.answer = (prev.answer + "\n" + answer).strip()
            prev.points = split_points(prev.answer)
            prev.lines = (prev.lines[0], last)
        else:
            current.answer = answer
            current.points = split_points(answer)
            out.append(current)
        current = None
        body.clear()

    def open_q(raw: str, lineno: int, how: str, lvl: int = 99) -> None:
        nonlocal current, level, origin
        section = " / ".join(t for _, t in stack[-2:] if t)
        current = RawQuestion(text=as_question(clean_inline(raw)), file=file, section=section,
                              lines=(lineno, lineno), fmt="generic")
        level, origin = lvl, how

    for i in range(strip_front_matter(lines), len(lines)):
        line, stripped = lines[i], lines[i].strip()
        if mask[i]:
            if current is not None:
                body.append(line)
            continue
        h = heading(stripped)
        if h:
            is_q = _heading_is_question(h[1])
            if current is not None and (h[0] <= level or is_q):
                close(i)
            if current is None:
                while stack and stack[-1][0] >= h[0]:
                    stack.pop()
            if is_q:
                open_q(h[1], i + 1, "heading", h[0])
            elif current is None:
                stack.append((h[0], clean_section(h[1])))
            else:
                body.append(line)
            continue
        bold = _BOLD_LINE.match(stripped)
        qa = _QA_PREFIX.match(stripped)
        if (bold and is_question_like(clean_inline(bold.group(1)))) or qa:
            close(i)
            open_q((bold or qa).group(1), i + 1, "bold" if bold else "qa")  # type: ignore[union-attr]
            continue
        if (current is None and stripped and len(stripped) <= 40 and not _LIST.match(line)
                and not stripped.endswith(("。", ".", "；", ";", "：", ":", "！")) and _STRONG.search(stripped)
                and QUESTION_CUES.search(stripped) and (i == 0 or not lines[i - 1].strip())):
            open_q(stripped, i + 1, "plain")
            continue
        if current is not None:
            body.append(_A_PREFIX.sub("", line, count=1) if origin == "qa" else line)
    close(len(lines))
    return out
