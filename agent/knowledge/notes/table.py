"""Shape 5: a tab-separated ``序号 / 问题 / 答案`` table whose answer cells span many lines.

A record starts at a line ``<number>\\t``; every following line up to the next record belongs to it.
Cells may be quoted (``"…"`` with ``""`` escapes, newlines allowed inside); trailing tabs are ignored.
When the question cell holds several lines, its first line is the question and the rest opens the answer.
Extra columns (e.g. a 备注 column) are kept as follow-up hints only when they are questions.
"""

from __future__ import annotations

import re

from agent.knowledge.notes.markdown import clean_inline, front_matter_title, strip_front_matter
from agent.knowledge.notes.model import RawQuestion
from agent.knowledge.notes.points import split_points

RECORD_RE = re.compile(r"^\s*\d{1,4}\t")
_Q_HEADERS = ("问题", "题目", "question")
_A_HEADERS = ("答案", "回答", "解答", "answer")


def split_cells(record: str) -> list[str]:
    """Split one record on tabs, honouring double-quoted cells."""
    cells: list[str] = []
    i, n = 0, len(record)
    while i <= n:
        if i < n and record[i] == '"':
            j, buf = i + 1, []
            while j < n:
                if record[j] == '"' and j + 1 < n and record[j + 1] == '"':
                    buf.append('"')
                    j += 2
                elif record[j] == '"':
                    break
                else:
                    buf.append(record[j])
                    j += 1
            end = record.find("\t", j)
            cells.append("".join(buf) + (record[j + 1 : end] if end != -1 else record[j + 1 :]))
            i = n + 1 if end == -1 else end + 1
        else:
            end = record.find("\t", i)
            cells.append(record[i:] if end == -1 else record[i:end])
            i = n + 1 if end == -1 else end + 1
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def _columns(header: str) -> tuple[int, int]:
    cells = [c.strip().lower() for c in header.split("\t")]
    q = next((i for i, c in enumerate(cells) if c in _Q_HEADERS), 1)
    a = next((i for i, c in enumerate(cells) if c in _A_HEADERS), q + 1)
    return q, a


def parse_table(text: str, file: str) -> list[RawQuestion]:
    lines = text.split("\n")
    start = strip_front_matter(lines)
    starts = [i for i in range(start, len(lines)) if RECORD_RE.match(lines[i])]
    if not starts:
        return []
    header = next((lines[i] for i in range(start, starts[0]) if "\t" in lines[i]), "")
    q_col, a_col = _columns(header)
    title = front_matter_title(lines) or file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    out: list[RawQuestion] = []
    for k, first in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        record = "\n".join(lines[first:end])
        cells = split_cells(record)
        if len(cells) <= q_col:
            continue
        q_lines = [ln for ln in cells[q_col].split("\n")]
        question = clean_inline(q_lines[0])
        answer_parts = ["\n".join(q_lines[1:]).strip()]
        if len(cells) > a_col:
            answer_parts.append(cells[a_col].strip())
        answer = "\n".join(p for p in answer_parts if p)
        extras = [clean_inline(c) for i, c in enumerate(cells) if i not in (0, q_col, a_col) and c.strip()]
        last = end
        while last > first + 1 and not lines[last - 1].strip("\t \n"):
            last -= 1
        if not question:
            continue
        out.append(RawQuestion(
            text=question, file=file, section=title,
            lines=(first + 1, last), fmt="table", answer=answer, points=split_points(answer),
            followups=[e for e in extras if e.endswith(("?", "？"))],
        ))
    return out
