"""Shape 2: a knowledge map, then a question list where each item has ``**问题:**``, ``**答案要点:**``
and ``**可能追问:**`` (bulleted follow-ups, each optionally led by a bold label)."""

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
from agent.knowledge.notes.points import select_points, split_points

_FIELD = re.compile(
    r"^\s*(?:\d+[.、]\s*|[-*+]\s*)?\*{0,2}(问题|题目|Q|答案要点|答案|参考答案|要点|可能追问|追问|延伸问题)\s*[:：]\s*\*{0,2}\s*[:：]?\s*(.*)$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*[-*+•]\s+(.*)$")


def _followup_text(line: str) -> str:
    text = clean_inline(line)
    m = re.match(r"^([^：:？?]{1,10})[:：]\s*(.+)$", text)
    return m.group(2).strip() if m else text


def parse_qa_map(text: str, file: str) -> list[RawQuestion]:
    lines = text.split("\n")
    mask = fence_mask(lines)
    out: list[RawQuestion] = []
    section = ""
    current: RawQuestion | None = None
    mode = ""
    answer: list[str] = []

    def close(end: int) -> None:
        nonlocal current
        if current is None:
            return
        current.answer = "\n".join(answer).strip()
        flat = "\n".join(re.sub(r"[；;]\s*", "；\n", a) for a in answer)
        current.points = select_points(split_points(flat, max_points=100))
        current.end_at(lines, end)
        out.append(current)
        current = None
        answer.clear()

    for i in range(strip_front_matter(lines), len(lines)):
        line = lines[i]
        if mask[i]:
            continue
        h = heading(line.strip())
        if h or line.strip() == "---":
            close(i)
            mode = ""
            if h:
                section = clean_section(h[1])
            continue
        m = _FIELD.match(line)
        if m:
            name, rest = m.group(1), m.group(2).strip()
            if name in ("问题", "题目") or name.upper() == "Q":
                close(i)
                current = RawQuestion(text=clean_inline(rest), file=file, section=section, lines=(i + 1, i + 1),
                                      fmt="qa_map")
                mode = "q"
            elif current is not None and name in ("可能追问", "追问", "延伸问题"):
                mode = "f"
                if rest:
                    current.followups.append(_followup_text(rest))
            elif current is not None:
                mode = "a"
                if rest:
                    answer.append(rest)
            continue
        if current is None or not line.strip():
            continue
        if line.lstrip().startswith(">"):
            close(i)
            continue
        if mode == "f":
            b = _BULLET.match(line)
            if b:
                current.followups.append(_followup_text(b.group(1)))
        elif mode == "a":
            answer.append(line)
    close(len(lines))
    return [q for q in out if q.text]
