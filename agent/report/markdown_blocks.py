"""Markdown pieces shared by the renderers (``report.md`` and ``transcript.md``): tables, quotes, the document."""

from __future__ import annotations

from collections.abc import Iterable

from agent.textio import escape_markdown_html


def table_head(*columns: str) -> list[str]:
    """A table's header row and its separator."""
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def table_row(cells: Iterable[str]) -> str:
    """One table row; a ``|`` or line break inside a cell (answer / note text) cannot break the table."""
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def quote_block(text: str) -> list[str]:
    """``text`` as a Markdown block quote (blank lines as ``>``); empty text as ``> （空）``."""
    lines = text.strip().splitlines() or ["（空）"]
    return [f"> {line}" if line.strip() else ">" for line in lines]


def document(lines: list[str]) -> str:
    """The lines as one Markdown document with raw HTML disarmed: answer / note text is shown, never run
    (see :func:`agent.textio.escape_markdown_html`)."""
    return escape_markdown_html("\n".join(lines))
