"""What the store currently is, and who may change it.

``$MOCKINT_HOME/store.json`` is the single commit point of an ingest: it names the current *generation* of the
Chroma collections (``mockint_chunks.g3`` …), the bank file built with it (``bank-g3.jsonl``; ``null`` means the
shipped bank) and the sources it was built from. An ingest builds a whole new generation next to the current one
and then replaces this file atomically (write to a temp file, fsync, rename), so a reader sees either the old
store or the new one, never a half-built one. A generation that is newer than the one named here was left by an
interrupted ingest: the next ingest removes it before building (rolled back).

``$MOCKINT_HOME/store.lock`` (``flock``) makes ingests exclusive: a second ``mockint ingest`` gets one clear line;
the first-use build (:func:`agent.knowledge.ingest.ensure_store`) waits for a running one instead.
"""

from __future__ import annotations

import json
import os
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent import config
from agent.errors import StoreError

STATE_FILE = "store.json"
LOCK_FILE = "store.lock"
BUILTIN = "builtin"  # the name and kind of the shipped notes' source


@dataclass
class SourceRecord:
    """One thing the user (or the first run) ingested: a folder or a file, or the shipped notes."""

    name: str
    path: str  # absolute path; for the shipped notes the marker ``builtin`` (resolved at run time)
    kind: str = "user"  # "builtin" | "user"
    files: dict[str, str] = field(default_factory=dict)  # corpus-relative file name -> content digest
    questions: int = 0
    chunks: int = 0
    ingested_at: str = ""

    def root(self) -> Path:
        return config.default_sources_dir() if self.kind == BUILTIN else Path(self.path)


@dataclass
class StoreState:
    generation: int
    bank: str | None  # file name under the home, or None for the shipped bank
    sources: list[SourceRecord] = field(default_factory=list)
    embedder: str = ""

    def source(self, name: str) -> SourceRecord | None:
        return next((s for s in self.sources if s.name == name), None)


def state_path() -> Path:
    return config.home() / STATE_FILE


def read_state() -> StoreState | None:
    """The committed state, or None for a home that has never been ingested into (or a pre-generation store)."""
    path = state_path()
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return StoreState(
            generation=int(data["generation"]), bank=data.get("bank"), embedder=str(data.get("embedder", "")),
            sources=[SourceRecord(**s) for s in data.get("sources", [])],
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"知识库状态文件 {path} 损坏（{type(exc).__name__}）；运行 mockint ingest --rebuild 重建") from None


def write_state(state: StoreState) -> None:
    """Atomically replace ``store.json`` (the commit point of an ingest)."""
    path = state_path()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    text = json.dumps(asdict(state), ensure_ascii=False, indent=1)
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def store_lock(wait: bool) -> AbstractContextManager[None]:
    """Hold the exclusive store lock. ``wait=False``: a held lock is one clear :class:`StoreError` line."""
    from agent.locks import pid_lock

    def busy(holder: str) -> StoreError:
        return StoreError(f"另一个 mockint ingest（pid {holder}）正在更新知识库 {config.home()}；等它完成后再运行",
                          hint="正在进行的面试不受影响：它继续使用更新前的知识库")

    def unopenable(exc: OSError) -> StoreError:
        return StoreError(f"数据目录 {config.home()} 不可写（{exc.strerror}），无法更新知识库",
                          hint="检查 MOCKINT_HOME 的目录权限，或把 MOCKINT_HOME 指向一个可写的目录")

    return pid_lock(config.home() / LOCK_FILE, busy, wait=wait, unopenable=unopenable)
