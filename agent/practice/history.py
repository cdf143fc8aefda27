"""Progress over time, read from the transcripts under ``$MOCKINT_HOME/transcripts/<session_id>/``.

``load_history()`` returns the sessions (oldest first) with their overall and per-category scores, and per
category: the mean over all sessions, the per-session series, a trend (last minus first session average) and a
unicode sparkline. Unreadable transcripts are listed in ``skipped`` rather than crashing the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent import config
from agent.errors import UsageError
from agent.report.data import summarize
from agent.schemas import Transcript

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], lo: float = 0.0, hi: float = 10.0) -> str:
    """One block character per value on a fixed 0–10 scale (so lines are comparable across categories)."""
    span = (hi - lo) or 1.0
    return "".join(SPARKS[min(len(SPARKS) - 1, max(0, int((v - lo) / span * len(SPARKS))))] for v in values)


def _read(path: Path) -> Transcript:
    return Transcript.model_validate_json(path.read_text(encoding="utf-8"))


def iter_transcripts(root: Path | None = None) -> tuple[list[Transcript], list[str]]:
    """(transcripts sorted by start time, paths that could not be read)."""
    root = root or config.transcripts_dir()
    found: list[Transcript] = []
    skipped: list[str] = []
    for path in sorted(root.glob("*/transcript.json")) if root.exists() else []:
        try:
            found.append(_read(path))
        except (OSError, ValueError, ValidationError):
            skipped.append(str(path))
    found.sort(key=lambda t: (t.started_at, t.session_id))
    return found, skipped


def find_transcript(ref: str) -> Transcript:
    """A transcript by path (file or folder with ``transcript.json``), session id or unique id prefix."""
    path = Path(ref).expanduser()
    if path.is_dir():
        path = path / "transcript.json"
    if not path.is_file():
        root = config.transcripts_dir()
        exact = root / ref / "transcript.json" if "/" not in ref and ref not in ("", ".", "..") else None
        if exact is not None and exact.is_file():
            matches = [exact]
        else:  # a prefix of a session id, matched literally (``*`` / ``?`` / ``[`` are not patterns)
            folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
            matches = [p / "transcript.json" for p in folders
                       if p.name.startswith(ref) and (p / "transcript.json").is_file()] if ref else []
        if not matches:
            raise UsageError(f"找不到会话或文件: {ref}", hint="用 mockint history 查看已有会话")
        if len(matches) > 1:
            ids = "、".join(m.parent.name for m in matches[:5])
            raise UsageError(f"会话 id 前缀 {ref} 不唯一: {ids}…", hint="请给出更完整的会话 id")
        path = matches[0]
    try:
        return _read(path)
    except (OSError, ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"无法读取记录 {path}: {first}") from None


def session_row(transcript: Transcript) -> dict[str, Any]:
    summary = summarize(transcript)
    return {
        "session_id": transcript.session_id,
        "mode": transcript.mode,
        "started_at": transcript.started_at,
        "engine": transcript.engine.kind,
        "finished": bool(transcript.finished_at),
        "questions": len(summary.questions),
        "overall": summary.overall,
        "by_category": summary.by_category,
    }


SIMULATED = "simulate"  # the mode of ``mockint simulate`` / ``make demo`` sessions (not the user's own answers)


def load_history(root: Path | None = None, include_simulated: bool = False) -> dict[str, Any]:
    """Your sessions; simulated ones (``mockint simulate``, ``make demo``) only with ``include_simulated``
    (``hidden_simulated`` counts those left out)."""
    transcripts, skipped = iter_transcripts(root)
    hidden = 0 if include_simulated else sum(1 for t in transcripts if t.mode == SIMULATED)
    sessions = [session_row(t) for t in transcripts if include_simulated or t.mode != SIMULATED]
    series: dict[str, list[float]] = {}
    for row in sessions:
        for cat, avg in row["by_category"].items():
            series.setdefault(cat, []).append(float(avg))
    categories = [
        {
            "category": cat,
            "average": round(sum(values) / len(values), 2),
            "sessions": len(values),
            "series": values,
            "trend": round(values[-1] - values[0], 2) if len(values) > 1 else 0.0,
            "sparkline": sparkline(values),
        }
        for cat, values in sorted(series.items(), key=lambda kv: sum(kv[1]) / len(kv[1]))
    ]
    return {"sessions": sessions, "categories": categories, "skipped": skipped, "hidden_simulated": hidden}
