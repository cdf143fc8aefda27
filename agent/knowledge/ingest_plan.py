"""Which sources an ingest builds from: the registered ones (``store.json``) plus the paths the user named.

* ``mockint ingest PATH…`` adds a new source per path, or updates the registered source with that path; every
  other source stays (nothing is deleted that the user did not name).
* ``--only PATH…`` keeps only the named paths; ``mockint sources remove NAME`` drops a source by name.
* A fresh home starts with one source: the shipped notes (``builtin``); ``mockint ingest builtin`` brings them
  back after ``sources remove builtin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent import config
from agent.errors import UsageError
from agent.knowledge.store_state import BUILTIN, SourceRecord, StoreState


@dataclass
class PlannedSource:
    record: SourceRecord
    named: bool  # the user named it in this run (so files gone from it are really removed)


@dataclass
class Plan:
    sources: list[PlannedSource]
    dropped: list[SourceRecord]  # registered sources this run removes (--only / sources remove)


def registered(state: StoreState | None) -> list[SourceRecord]:
    if state is not None:
        return list(state.sources)
    return [SourceRecord(name=BUILTIN, path=BUILTIN, kind=BUILTIN)]


def _same_path(record: SourceRecord, path: Path) -> bool:
    try:
        return record.root().resolve() == path.resolve()
    except OSError:
        return False


def _new_name(path: Path, taken: set[str]) -> str:
    base = (path.resolve().name or "notes").replace("/", "_")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def _builtin_alias(path: Path) -> Path:
    """``mockint ingest builtin`` (when no such path exists) brings the shipped notes back after a removal."""
    return config.default_sources_dir() if str(path) == BUILTIN and not path.exists() else path


def plan_sources(state: StoreState | None, paths: list[Path], only: bool = False,
                 remove: list[str] | None = None) -> Plan:
    """The sources of this run, in registration order (new ones last)."""
    paths = [_builtin_alias(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise UsageError(f"路径不存在: {path}")
    current = registered(state)
    for name in remove or []:
        if not any(r.name == name for r in current):
            names = "、".join(r.name for r in current) or "（无）"
            raise UsageError(f"没有名为 {name!r} 的来源（现有：{names}）", hint="用 mockint sources 查看来源")
    planned: list[PlannedSource] = [PlannedSource(r, False) for r in current if r.name not in (remove or [])]
    dropped = [r for r in current if r.name in (remove or [])]
    for path in paths:
        match = next((p for p in planned if _same_path(p.record, path)), None)
        if match is not None:
            match.named = True
            continue
        if path.resolve() == config.default_sources_dir().resolve():
            planned.append(PlannedSource(SourceRecord(name=BUILTIN, path=BUILTIN, kind=BUILTIN), True))
            continue
        taken = {p.record.name for p in planned} | {BUILTIN}
        planned.append(PlannedSource(SourceRecord(name=_new_name(path, taken), path=str(path.resolve())), True))
    if only:
        dropped += [p.record for p in planned if not p.named]
        planned = [p for p in planned if p.named]
    if not planned:
        raise UsageError("移除后知识库将没有任何来源", hint="先用 mockint ingest PATH 导入其他笔记，再移除")
    return Plan(planned, dropped)


def describe(state: StoreState | None, shipped_questions: int) -> str:
    """What the store holds now, for "nothing was changed" messages."""
    if state is None:
        return f"内置笔记（{shipped_questions} 道题）"
    return "、".join(f"{s.name}（{s.questions} 道题、{s.chunks} 个片段）" for s in state.sources) or "（空）"
