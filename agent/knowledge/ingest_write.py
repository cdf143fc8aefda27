"""Writing one store generation: vectors reused by text (from the current generation, then the shipped vectors),
only really new texts embedded (with a progress bar and a time estimate), everything upserted in batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.knowledge.shipped_vectors import shipped_vectors, text_key
from agent.schemas import Chunk, Question

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.progress import Progress as Bar
    from rich.progress import TaskID

    from agent.knowledge.store import Store

    Vector = np.ndarray | Sequence[float]  # a shipped / stored vector, or one the embedder just made

_EMBED_BATCH = 16
_UPSERT_BATCH = 1000  # below Chroma's max batch size


class Progress:
    """A rich progress bar on stderr (or silence), with elapsed and estimated remaining time."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Bar | None = None
        self._task: TaskID | None = None

    @contextmanager
    def run(self, total: int) -> Iterator[Progress]:
        if not self.enabled or total == 0:
            yield self
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as Bar,
        )

        with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                 TextColumn("预计还需"), TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
            self._bar, self._task = bar, bar.add_task("向量化", total=total)
            yield self
        self._bar = None

    def advance(self, n: int, label: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=n, description=f"向量化 {label}")


class VectorPool:
    """Known vectors by text sha1: the current generation's (unless rebuilding) and the shipped ones."""

    def __init__(self, embedder: str, old: Store | None = None, shipped: bool = True) -> None:
        self.known: dict[str, Vector] = dict(shipped_vectors(embedder)) if shipped else {}
        if old is not None:
            for col in (old.chunks, old.questions):
                data = col.get(include=["documents", "embeddings"])
                for doc, emb in zip(data["documents"] or [], _as_list(data.get("embeddings")), strict=False):
                    self.known[text_key(doc)] = emb

    def missing(self, texts: list[str]) -> list[str]:
        return list(dict.fromkeys(t for t in texts if text_key(t) not in self.known))

    def embed(self, ef: Any, texts: list[str], progress: Progress, label: str) -> None:
        for start in range(0, len(texts), _EMBED_BATCH):
            batch = texts[start : start + _EMBED_BATCH]
            for text, vector in zip(batch, ef(batch), strict=True):
                self.known[text_key(text)] = vector
            progress.advance(len(batch), label)

    def get(self, text: str) -> np.ndarray:
        return np.asarray(self.known[text_key(text)], dtype=np.float32)


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else list(value)


def chunk_meta(chunk: Chunk) -> dict[str, Any]:
    return {"source": chunk.source, "section": chunk.section, "line_start": chunk.lines[0], "line_end": chunk.lines[1]}


def question_meta(q: Question) -> dict[str, Any]:
    first = q.sources[0] if q.sources else None
    return {
        "category": q.category, "difficulty": q.difficulty, "kind": q.kind, "section": q.section,
        "hash": text_key(q.text), "source": first.file if first else "",
        "sources": json.dumps([s.model_dump() for s in q.sources], ensure_ascii=False),
    }


def write_chunks(col: Any, chunks: list[Chunk], pool: VectorPool) -> None:
    for start in range(0, len(chunks), _UPSERT_BATCH):
        part = chunks[start : start + _UPSERT_BATCH]
        col.upsert(ids=[c.chunk_id for c in part], documents=[c.text for c in part],
                   metadatas=[chunk_meta(c) for c in part], embeddings=[pool.get(c.text) for c in part])


def copy_records(col: Any, data: dict[str, Any]) -> None:
    """Upsert records read from another generation (``get(include=[documents, metadatas, embeddings])``)."""
    ids = list(data["ids"])
    for start in range(0, len(ids), _UPSERT_BATCH):
        end = start + _UPSERT_BATCH
        col.upsert(ids=ids[start:end], documents=list(data["documents"][start:end]),
                   metadatas=list(data["metadatas"][start:end]), embeddings=list(data["embeddings"][start:end]))


def write_questions(col: Any, questions: list[Question], pool: VectorPool) -> None:
    for start in range(0, len(questions), _UPSERT_BATCH):
        part = questions[start : start + _UPSERT_BATCH]
        col.upsert(ids=[q.id for q in part], documents=[q.text for q in part],
                   metadatas=[question_meta(q) for q in part], embeddings=[pool.get(q.text) for q in part])
