"""Shape 1: ``#`` topic sections (with 考察点), ``## N. question`` headings followed by ``Answer:`` blocks,
and plain numbered question lists (``N. question``) inside a section."""

from __future__ import annotations

import re

from agent.knowledge.notes.markdown import (
    clean_inline,
    clean_section,
    fence_mask,
    heading,
    strip_front_matter,
)
from agent.knowledge.notes.model import RawQuestion
from agent.knowledge.notes.points import split_points

_NUM_Q = re.compile(r"^(\d{1,3})[.、．]\s*(.+)$")
_LABEL_PREFIX = re.compile(r"^([^：:？?，,。]{2,6})[：:]\s*(.{8,})$")
_ANSWER = re.compile(r"^\s*(answer|答案|答|回答)\s*[:：]\s*", re.IGNORECASE)


def split_label(text: str) -> tuple[str, str | None]:
    """``"幻觉与幅度： 什么是…？"`` → ``("什么是…？", "幻觉与幅度")``: a short topic label before the question."""
    m = _LABEL_PREFIX.match(text)
    if m and not re.search(r"[？?]", m.group(1)) and m.group(2).rstrip().endswith(("?", "？")):
        return m.group(2).strip(), m.group(1).strip()
    return text, None


def parse_numbered(text: str, file: str) -> list[RawQuestion]:
    lines = text.split("\n")
    mask = fence_mask(lines)
    start = strip_front_matter(lines)
    out: list[RawQuestion] = []
    section = ""
    current: RawQuestion | None = None
    body: list[str] = []
    in_heading_q = False  # inside a "## N. question": numbered lines are answer content

    def close(end: int) -> None:
        nonlocal current
        if current is None:
            return
        answer = "\n".join(body).strip()
        answer = _ANSWER.sub("", answer, count=1).strip()
        current.answer = answer
        current.points = split_points(answer)
        current.end_at(lines, end)
        out.append(current)
        current = None
        body.clear()

    def open_q(raw_text: str, lineno: int) -> None:
        nonlocal current
        q, label = split_label(clean_inline(raw_text))
        current = RawQuestion(text=q, file=file, section=section, lines=(lineno, lineno), fmt="numbered",
                              tags=[label] if label else [])

    for i in range(start, len(lines)):
        line, lineno = lines[i], i + 1
        h = None if mask[i] else heading(line.strip())
        if h and h[0] == 1:
            close(i)
            section, in_heading_q = clean_section(h[1]), False
            continue
        if h and h[0] >= 2:
            m = _NUM_Q.match(h[1])
            if m or h[1].rstrip().endswith(("?", "？")):
                close(i)
                open_q(m.group(2) if m else h[1], lineno)
                in_heading_q = True
                continue
        if not mask[i] and not in_heading_q and line == line.lstrip():
            m = _NUM_Q.match(line.strip())
            if m:
                close(i)
                open_q(m.group(2), lineno)
                continue
        if current is not None:
            body.append(line)
    close(len(lines))
    return [q for q in out if q.text]
