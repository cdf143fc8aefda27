"""Reports of a graded transcript: ``render(transcript, fmt)`` with fmt ``md`` | ``json`` | ``html``."""

from __future__ import annotations

from agent.errors import UsageError
from agent.schemas import Transcript

FORMATS = ("md", "json", "html")


def render(transcript: Transcript, fmt: str = "md") -> str:
    """The transcript as Markdown, JSON (the transcript model itself) or a standalone HTML page."""
    if fmt == "md":
        from agent.report.markdown import render_markdown

        return render_markdown(transcript)
    if fmt == "json":
        return transcript.model_dump_json(indent=2)
    if fmt == "html":
        from agent.report.html import render_html

        return render_html(transcript)
    raise UsageError(f"未知的报告格式: {fmt}（可选 {' / '.join(FORMATS)}）")
