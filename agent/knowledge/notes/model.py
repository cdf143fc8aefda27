"""The parsers' common output: one question as written in one note, before merging."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RawQuestion:
    """A question exactly as one note states it (``lines`` is 1-based, inclusive).

    ``points`` are the reference points already split from ``answer`` (see :mod:`agent.knowledge.notes.points`);
    ``difficulty`` is the ⭐ count when the note gives one, else ``None``; ``kind_hint`` is ``"project"``
    when the note's own structure says so (the bank also detects it from the text).
    """

    text: str
    file: str
    section: str
    lines: tuple[int, int]
    fmt: str
    answer: str = ""
    points: list[str] = field(default_factory=list)
    followups: list[str] = field(default_factory=list)
    difficulty: int | None = None
    tags: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    kind_hint: str | None = None

    def end_at(self, lines: list[str], end: int, also_blank: tuple[str, ...] = ()) -> int:
        """Make the question's lines end at line ``end`` (1-based) of the note ``lines``, minus trailing blank
        lines (and lines that are one of ``also_blank``, e.g. a ``---`` rule); returns the last line kept."""
        first, last = self.lines[0], end
        while last > first and (not lines[last - 1].strip() or lines[last - 1].strip() in also_blank):
            last -= 1
        self.lines = (first, max(first, last))
        return self.lines[1]


@dataclass
class ParsedNote:
    """One note file parsed: its detected shape and its questions (empty = nothing recognised)."""

    file: str
    fmt: str
    questions: list[RawQuestion] = field(default_factory=list)
