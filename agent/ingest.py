"""Incremental ingest: notes → question bank (``$MOCKINT_HOME/bank.jsonl``) + Chroma chunks and questions.

How it stays incremental and safe to interrupt:

* A manifest (the ``mockint_files`` collection) holds, per note file, the sha256 of its bytes and the chunker
  version. A file whose hash matches is skipped without being read twice or re-chunked into the store.
* A changed file is re-chunked; chunk ids that still exist are kept, stale ids are deleted, and a new id whose
  *text* already has a stored vector (e.g. the chunk only moved lines) reuses that vector — only really new or
  edited chunks are embedded.
* A file's manifest record is written only after its chunks are committed, so an interrupted run leaves the
  file "changed" and the next run completes it. Files missing from this run are removed from the store.
* Bank questions are synced the same way (by question id + text hash); the bank is not rebuilt when no file
  changed and ``bank.jsonl`` exists.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent import config
from agent.chunking import chunk_note
from agent.errors import MockintError, UsageError
from agent.schemas import Chunk, Question
from agent.textio import iter_note_files, read_note_text

CHUNKER_VERSION = "3"
BANK_RECORD = "__bank__"
_EMBED_BATCH = 16
_UPSERT_BATCH = 1000  # below Chroma's max batch size

Notify = Callable[[str], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks: int = 0  # chunks in the store after the run
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    questions: int = 0
    questions_embedded: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _NoteFile:
    source: str  # path relative to the folder given (or the file name)
    path: Path
    digest: str


def collect_files(paths: list[Path]) -> list[_NoteFile]:
    """Expand the given files/folders into note files with their corpus-relative names and content hashes."""
    found: dict[str, _NoteFile] = {}
    for root in paths:
        for file in iter_note_files([root]):
            source = file.relative_to(root).as_posix() if root.is_dir() else file.name
            if source in found and found[source].path.resolve() != file.resolve():
                raise UsageError(f"两个笔记文件同名: {found[source].path} 和 {file}，请重命名其中一个")
            try:
                digest = hashlib.sha256(file.read_bytes()).hexdigest()
            except OSError as exc:
                raise MockintError(f"无法读取 {file}: {exc.strerror}") from None
            found[source] = _NoteFile(source, file, f"{CHUNKER_VERSION}:{digest}")
    return list(found.values())


def _bank_signature(files: list[_NoteFile]) -> str:
    text = "\n".join(sorted(f"{f.source}={f.digest}" for f in files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def local_bank_path() -> Path:
    return config.home() / "bank.jsonl"


def _build_bank(roots: list[Path], files: list[_NoteFile], report: IngestReport) -> list[Question]:
    """Build and write the bank (:func:`local_bank_path`)."""
    from agent.bank import build_bank, write_bank

    built = build_bank(roots)  # same roots as ours, so provenance names match our chunk sources
    questions = built.questions
    warnings = built.warnings
    report.warnings.extend(warnings)
    named = {s.file for q in questions for s in q.sources}
    empty = [f.source for f in files if f.source not in named and not any(f.source in w for w in warnings)]
    if questions and empty:
        report.warnings.extend(f"{name}: 没有解析出任何问题（仍会作为检索资料入库）" for name in empty)
    if not questions:
        names = "、".join(f.source for f in files[:5]) + ("…" if len(files) > 5 else "")
        raise MockintError(f"没有从任何笔记中解析出问题（{names}），请检查笔记格式（见 README 支持的笔记格式）")
    write_bank(questions, local_bank_path())
    return questions


class _Progress:
    """A rich progress bar on stderr (or silence)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    @contextmanager
    def run(self, total: int) -> Iterator[_Progress]:
        if not self.enabled or total == 0:
            yield self
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            self._bar, self._task = bar, bar.add_task("向量化", total=total)
            yield self
        self._bar = None

    def advance(self, n: int, label: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=n, description=f"向量化 {label}")


def _embed(store: Any, texts: list[str], progress: _Progress, label: str) -> list[Any]:
    vectors: list[Any] = []
    for start in range(0, len(texts), _EMBED_BATCH):
        batch = texts[start : start + _EMBED_BATCH]
        vectors.extend(store.ef(batch))
        progress.advance(len(batch), label)
    return vectors


def _chunk_meta(chunk: Chunk) -> dict[str, Any]:
    return {"source": chunk.source, "section": chunk.section, "line_start": chunk.lines[0], "line_end": chunk.lines[1]}


def _sync_file(store: Any, note: _NoteFile, chunks: list[Chunk], progress: _Progress, report: IngestReport) -> None:
    old = store.chunks.get(where={"source": note.source}, include=["documents", "embeddings"])
    old_ids = set(old["ids"])
    reuse = {_text_key(doc): emb for doc, emb in zip(old["documents"] or [], _as_list(old.get("embeddings")), strict=False)}
    new = [c for c in chunks if c.chunk_id not in old_ids]
    to_embed = [c for c in new if _text_key(c.text) not in reuse]
    fresh = dict(zip((c.chunk_id for c in to_embed), _embed(store, [c.text for c in to_embed], progress, note.source), strict=True))
    for start in range(0, len(new), _UPSERT_BATCH):
        part = new[start : start + _UPSERT_BATCH]
        store.chunks.upsert(
            ids=[c.chunk_id for c in part],
            documents=[c.text for c in part],
            metadatas=[_chunk_meta(c) for c in part],
            embeddings=[fresh[c.chunk_id] if c.chunk_id in fresh else reuse[_text_key(c.text)] for c in part],
        )
    progress.advance(len(chunks) - len(to_embed), note.source)  # kept or reused chunks
    stale = sorted(old_ids - {c.chunk_id for c in chunks})
    if stale:
        store.chunks.delete(ids=stale)
    store.files.upsert(ids=[note.source], embeddings=[[1.0]], metadatas=[{"hash": note.digest, "chunks": len(chunks)}])
    report.chunks_embedded += len(to_embed)
    report.chunks_deleted += len(stale)


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else list(value)


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _question_meta(q: Question) -> dict[str, Any]:
    first = q.sources[0] if q.sources else None
    return {
        "category": q.category, "difficulty": q.difficulty, "kind": q.kind, "section": q.section,
        "hash": _text_key(q.text), "source": first.file if first else "",
        "sources": json.dumps([s.model_dump() for s in q.sources], ensure_ascii=False),
    }


def _sync_questions(store: Any, questions: list[Question], progress: _Progress, report: IngestReport) -> None:
    old = store.questions.get(include=["metadatas"])
    old_hash = {i: (m or {}).get("hash") for i, m in zip(old["ids"], old["metadatas"] or [], strict=False)}
    todo = [q for q in questions if old_hash.get(q.id) != _text_key(q.text)]
    progress.advance(len(questions) - len(todo), "题库")
    for start in range(0, len(todo), _EMBED_BATCH * 4):
        batch = todo[start : start + _EMBED_BATCH * 4]
        store.questions.upsert(
            ids=[q.id for q in batch], documents=[q.text for q in batch],
            metadatas=[_question_meta(q) for q in batch],
            embeddings=_embed(store, [q.text for q in batch], progress, "题库"),
        )
    stale = sorted(set(old_hash) - {q.id for q in questions})
    if stale:
        store.questions.delete(ids=stale)
    report.questions_embedded += len(todo)


def ingest(paths: list[Path] | None = None, rebuild: bool = False, show_progress: bool = False) -> IngestReport:
    """Build or update the bank and the store from ``paths`` (default: the shipped corpus)."""
    from agent import store as store_mod

    started = time.perf_counter()
    report = IngestReport()
    roots = list(paths) if paths else [config.default_sources_dir()]
    files = collect_files(roots)
    # decoding errors (binary, unknown encoding) surface before anything is written
    texts = {f.source: read_note_text(f.path) for f in files}
    if rebuild:
        store_mod.wipe()
    store = store_mod.open_store(create=True)
    assert store is not None
    manifest = store.files.get(include=["metadatas"])
    known = {i: (m or {}) for i, m in zip(manifest["ids"], manifest["metadatas"] or [], strict=False)}
    bank_meta = known.pop(BANK_RECORD, {})
    todo = []
    for f in files:
        if known.get(f.source, {}).get("hash") == f.digest:
            report.unchanged.append(f.source)
        else:
            (report.changed if f.source in known else report.added).append(f.source)
            todo.append(f)
    current = {f.source for f in files}
    report.removed = sorted(s for s in known if s not in current)

    signature = _bank_signature(files)
    questions = None
    if todo or report.removed or bank_meta.get("signature") != signature or not local_bank_path().exists():
        questions = _build_bank(roots, files, report)
    chunked = {f.source: chunk_note(texts[f.source], f.source) for f in todo}
    total = sum(len(c) for c in chunked.values()) + (len(questions) if questions else 0)
    with _Progress(show_progress).run(total) as progress:
        for f in todo:
            _sync_file(store, f, chunked[f.source], progress, report)
        for source in report.removed:
            stale = store.chunks.get(where={"source": source}, include=[])["ids"]
            if stale:
                store.chunks.delete(ids=stale)
            report.chunks_deleted += len(stale)
            store.files.delete(ids=[source])
        if questions is not None:
            _sync_questions(store, questions, progress, report)
            store.files.upsert(ids=[BANK_RECORD], embeddings=[[1.0]],
                               metadatas=[{"signature": signature, "questions": len(questions)}])
    report.chunks = store.chunks.count()
    report.questions = store.questions.count()
    report.seconds = time.perf_counter() - started
    return report


def ensure_store(notify: Notify | None = None, show_progress: bool = True) -> Any:
    """Open the store; the first command that needs it builds it from the default corpus (with a notice)."""
    from agent import store as store_mod

    opened = store_mod.open_store(create=False)
    if opened is not None and opened.chunks.count() > 0:
        return opened
    if notify:
        notify(f"首次使用：正在从 {config.default_sources_dir()} 建立知识库（约 1 分钟，只需一次）…")
    ingest(None, show_progress=show_progress)
    return store_mod.open_store(create=True)
