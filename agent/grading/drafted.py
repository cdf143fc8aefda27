"""Model-drafted reference points for questions the notes give no answer to (LLM / local engines only).

The points are shown as 「参考要点由模型生成，不是来自你的笔记」, cached per question in
``$MOCKINT_HOME/drafted_points.json`` (the same question is never drafted twice, so a grade is repeatable), and
``mockint bank points QID --accept`` writes them into the user's notes file ``$MOCKINT_HOME/notes/accepted-points.md``
(ingested as a source), so the bank grows with points the candidate has checked.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.config import home, writable_dir
from agent.errors import MockintError, UsageError
from agent.schemas import Question, RefPoint
from agent.textio import atomic_write_text

log = logging.getLogger(__name__)
GENERATED_PREFIX = "generated:"
GENERATED_NOTICE = "参考要点由模型生成，不是来自你的笔记（核对后可用 mockint bank points {qid} --accept 写进笔记）"
ACCEPTED_NOTE = "accepted-points.md"


def cache_path() -> Path:
    return home() / "drafted_points.json"


def _key(question: Question) -> str:
    return hashlib.sha256(question.text.encode("utf-8")).hexdigest()[:12]


def read_cache() -> dict[str, Any]:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cached(question: Question) -> dict[str, Any] | None:
    """The drafted entry of this question (None when none, or when its text changed since)."""
    entry = read_cache().get(question.id)
    return entry if isinstance(entry, dict) and entry.get("key") == _key(question) else None


def drafted_points(engine: object, question: Question, notes: str) -> list[RefPoint]:
    """The cached points of ``question``, else drafted by ``engine.draft_points`` and cached; [] when the engine
    cannot draft (offline) or the call is given up."""
    entry = cached(question)
    if entry is None:
        draft = getattr(engine, "draft_points", None)
        points = draft(question, notes) if callable(draft) else []
        if not points:
            return []
        entry = {"key": _key(question), "question": question.text, "points": points,
                 "model": getattr(engine, "model_name", ""), "drafted_at": datetime.now(UTC).isoformat(timespec="seconds")}
        data = read_cache()
        data[question.id] = entry
        try:
            writable_dir(home(), "数据目录")
            atomic_write_text(cache_path(), json.dumps(data, ensure_ascii=False, indent=1))
        except (MockintError, OSError):  # a read-only home still grades with the drafted points, uncached
            log.warning("drafted points for %s not cached", question.id)
    return [RefPoint(point=p, chunk_id=f"{GENERATED_PREFIX}{question.id}#{i}") for i, p in enumerate(entry["points"])]


def accepted_note_text(question: Question, points: list[str]) -> str:
    """One ``问：/答：`` block in the shape the note parser reads (list items become the points)."""
    body = "\n".join(f"- {p}" for p in points)
    return f"问：{question.text}\n答：\n{body}\n\n"


def accept(question: Question) -> tuple[Path, list[str]]:
    """Append the cached points of ``question`` to the accepted-points note; returns (note path, points)."""
    entry = cached(question)
    if entry is None:
        raise UsageError(f"题目 {question.id} 没有模型生成的参考要点",
                         hint="先用 --engine llm 或 --engine local 练一次这道题（mockint drill ID），再接受要点")
    folder = writable_dir(home() / "notes", "笔记目录")
    note = folder / ACCEPTED_NOTE
    old = note.read_text(encoding="utf-8") if note.exists() else "# 接受的参考要点（由 mockint bank points --accept 写入）\n\n"
    atomic_write_text(note, old + accepted_note_text(question, list(entry["points"])))
    return note, list(entry["points"])
