"""Q&A shapes people write in plain Markdown, rewritten line by line (the line count is kept, so provenance line
numbers stay true) into the ``Q:`` / ``A:`` lines the generic parser reads:

* list-item Q&A: ``- 问：…`` / ``  答：…``, ``- Q: …`` / ``  A: …``, ``* **Q:** …`` / ``  **A:** …``, also
  numbered (``1. Q: …``);
* bold Q&A lines: ``**Q:** …`` / ``**问：** …`` (and ``**A:** …``);
* numbered questions: ``1. 什么是…？`` at the start of a line, the answer on the following lines;
* ``<details><summary>question</summary> answer </details>`` blocks.

List markers, bold markers and the ``Q:``/``A:`` labels never reach the question or point text.
"""

from __future__ import annotations

import re

from agent.knowledge.notes.markdown import FENCE_RE, heading

_MARK = r"(?:[-*+•]|\d{1,3}[.、)）])"
_LIST_Q = re.compile(rf"^ {{0,3}}{_MARK}\s+(?:\*\*)?(?:Q|问|问题)\s*\d*\s*[:：](?:\*\*)?\s*(.+?)\s*$", re.IGNORECASE)
_BOLD_Q = re.compile(r"^ {0,3}\*\*(?:Q|问|问题)\s*\d*\s*[:：]\s*(?:\*\*)?\s*(.+?)\s*$", re.IGNORECASE)
_A = re.compile(rf"^\s*(?:{_MARK}\s+)?(?:\*\*)?(?:A|答|答案|回答)\s*[:：]\s*(?:\*\*)?\s*(.*?)\s*$", re.IGNORECASE)
_NUMBERED_Q = re.compile(r"^\d{1,3}[.、)）]\s*(\S.*[？?])\s*$")
_SUMMARY = re.compile(r"<summary[^>]*>\s*(.*?)\s*</summary>", re.IGNORECASE)
_DETAILS = re.compile(r"</?details\b[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"</?(b|strong|em|i|p)\b[^>]*>", re.IGNORECASE)

SHAPES = ("支持的笔记格式：## 标题式问题、**问：**/**答：** 加粗问答、Q:/A: 或 问：/答： 行、"  # told when a note
          "列表问答（- 问：… / 答：…、- Q: … / A: …）、编号问答（1. 问题？ 后接答案）、<details> 折叠块、"  # yields
          "带 front-matter 的 Markdown、序号/问题/答案 表格")  # no question


def _bare(text: str) -> str:
    return _TAGS.sub("", text).strip().strip("*").strip()


def normalise_qa(text: str) -> str:
    """The note with every recognised Q&A line rewritten as ``Q: …`` / ``A: …`` (same number of lines)."""
    lines = text.split("\n")
    numbered = sum(1 for line in lines if _NUMBERED_Q.match(line))
    out: list[str] = []
    in_fence = False
    in_qa = False
    for line in lines:
        if FENCE_RE.match(line):
            in_fence = not in_fence
        if in_fence or FENCE_RE.match(line):
            out.append(line)
            continue
        if heading(line.strip()):
            in_qa = False
            out.append(line)
            continue
        summary = _SUMMARY.search(line)
        if summary:
            rest = _DETAILS.sub("", _SUMMARY.sub("", line)).strip()
            out.append(f"Q: {_bare(summary.group(1))}" + (f" {rest}" if rest else ""))
            in_qa = True
            continue
        if _DETAILS.search(line) and not _DETAILS.sub("", line).strip():
            out.append("")
            continue
        q = _LIST_Q.match(line) or _BOLD_Q.match(line)
        if q is None and numbered >= 2:
            q = _NUMBERED_Q.match(line)
        if q:
            out.append(f"Q: {_bare(q.group(1))}")
            in_qa = True
            continue
        a = _A.match(line) if in_qa else None
        out.append(f"A: {_bare(a.group(1))}" if a else line)
    return "\n".join(out)


def count_qa_lines(text: str) -> int:
    """How many lines look like list-item / bold ``Q:`` lines or ``<summary>`` questions (shape detection)."""
    return sum(1 for line in text.split("\n") if _LIST_Q.match(line) or _BOLD_Q.match(line) or _SUMMARY.search(line))
