"""Parsing the user's interview notes into :class:`RawQuestion` s, one parser per note shape.

Shapes (detected by content, see :mod:`agent.knowledge.notes.detect`): ``numbered`` (``## N. question`` + Answer /
numbered lists under ``#`` topics with 考察点), ``qa_map`` (问题 / 答案要点 / 可能追问), ``cards``
(``#### Qn:`` cards with 难度 ⭐, 标签, 公司), ``table`` (tab-separated 序号/问题/答案) and ``generic``
Markdown (question headings, bold Q&As, ``Q:``/``A:`` lines).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent.knowledge.notes.cards import parse_cards
from agent.knowledge.notes.detect import FORMATS, detect_format
from agent.knowledge.notes.generic import parse_generic
from agent.knowledge.notes.model import ParsedNote, RawQuestion
from agent.knowledge.notes.numbered import parse_numbered
from agent.knowledge.notes.qa_map import parse_qa_map
from agent.knowledge.notes.table import parse_table

PARSERS: dict[str, Callable[[str, str], list[RawQuestion]]] = {
    "table": parse_table,
    "cards": parse_cards,
    "qa_map": parse_qa_map,
    "numbered": parse_numbered,
    "generic": parse_generic,
}

__all__ = ["FORMATS", "ParsedNote", "RawQuestion", "detect_format", "parse_file", "parse_text"]


def parse_text(text: str, file: str, fmt: str | None = None) -> ParsedNote:
    """Parse note text (format detected unless given). ``file`` is the name recorded as provenance."""
    shape = fmt or detect_format(text)
    questions = PARSERS[shape](text, file)
    if not questions and shape != "generic":
        questions = parse_generic(text, file)  # a misdetected shape still gets the generic reading
    return ParsedNote(file=file, fmt=shape, questions=questions)


def parse_file(path: Path, name: str | None = None) -> ParsedNote:
    """Read (UTF-8 / GBK, binary refused — see :mod:`agent.textio`) and parse one note file."""
    from agent.textio import read_note_text

    return parse_text(read_note_text(path), name or path.name)
