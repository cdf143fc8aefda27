"""Format detection by content: which of the note shapes a text looks like.

Scores each shape by its signature lines and picks the strongest; ``generic`` (headings / bold Q&As)
is the fallback. Thresholds are small counts so a short user note of a known shape is still recognised.
"""

from __future__ import annotations

import re

from agent.knowledge.notes.shapes import count_qa_lines
from agent.knowledge.notes.table import RECORD_RE

FORMATS = ("table", "cards", "qa_map", "numbered", "generic")

_CARD = re.compile(r"^#{2,6}\s*Q\d+\s*[:：.、]", re.IGNORECASE | re.MULTILINE)
_CARD_FIELD = re.compile(r"^\*\*(难度|标签|公司|岗位)\*\*", re.MULTILINE)
_MAP_Q = re.compile(r"^\s*(?:\d+[.、]\s*|[-*+]\s*)?\*\*(问题|题目)\s*[:：]?\*\*", re.MULTILINE)
_MAP_A = re.compile(r"\*\*(答案要点|可能追问)\s*[:：]?\*\*")
_NUM_HEADING = re.compile(r"^##\s+\d{1,3}[.、]\s*\S.*[？?]\s*$", re.MULTILINE)
_NUM_LINE = re.compile(r"^\d{1,3}[.、]\s*\S.*[？?]\s*$", re.MULTILINE)
_KAOCHA = re.compile(r"^考察点\s*[:：]", re.MULTILINE)


def detect_format(text: str) -> str:
    """One of :data:`FORMATS`."""
    if sum(1 for line in text.split("\n") if RECORD_RE.match(line)) >= 2:
        return "table"
    cards = len(_CARD.findall(text))
    if cards >= 1 and (len(_CARD_FIELD.findall(text)) >= 1 or cards >= 3):
        return "cards"
    if len(_MAP_Q.findall(text)) >= 1 and _MAP_A.search(text):
        return "qa_map"
    if count_qa_lines(text) >= 2:  # list-item / bold Q: lines, <details> blocks: the generic reader
        return "generic"
    numbered = len(_NUM_HEADING.findall(text)) + len(_NUM_LINE.findall(text))
    if numbered >= 3 or (numbered >= 1 and _KAOCHA.search(text)):
        return "numbered"
    return "generic"
