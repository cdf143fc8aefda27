"""Ingest: notes → question bank + Chroma chunks and questions, as one atomic step.

* **Never deletes what the user did not name.** The store is built from *sources* (:mod:`agent.knowledge.ingest_plan`):
  the shipped notes plus every path ever ingested. ``ingest(paths)`` adds or updates those paths and keeps the
  rest; ``only=True`` / ``remove=[name]`` are the only ways to drop a source. A file that vanished from a source
  the user did not name this run is kept (with a warning).
* **Atomic.** Under the exclusive store lock (:func:`agent.knowledge.store_state.store_lock`) a whole new generation of
  collections and its bank file are written next to the current ones; ``store.json`` is then replaced in one
  rename (the commit). A failure or a kill before that changes nothing: the next ingest rolls the half-built
  generation back. Readers (a running interview) keep the previous generation until the ingest after this one.
* **Incremental where it costs.** Texts whose vector is known (current generation, or the shipped vectors of
  :mod:`agent.knowledge.shipped_vectors`) are never embedded again; only new or edited chunks/questions are.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import config
from agent.errors import MockintError, StoreError, UsageError
from agent.knowledge.chunking import CHUNKER_VERSION, chunk_note
from agent.knowledge.ingest_plan import Plan, describe, plan_sources, registered
from agent.knowledge.notes.shapes import SHAPES
from agent.knowledge.store_state import BUILTIN, SourceRecord, StoreState, read_state, store_lock, write_state
from agent.schemas import Chunk, Question
from agent.textio import decode_note, iter_note_files, read_note_bytes

if TYPE_CHECKING:
    from agent.knowledge.store import Store

Notify = Callable[[str], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # files gone from disk but kept (their source was not named)
    sources: list[str] = field(default_factory=list)
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
    text: str  # decoded once here; chunking and the bank builder use this text


def collect_files(paths: list[Path]) -> list[_NoteFile]:
    """Expand the given files/folders into note files with their corpus-relative names, content hashes and
    decoded texts: each file is found once, read once and decoded once."""
    found: dict[str, _NoteFile] = {}
    for root in paths:
        for file in iter_note_files([root]):
            source = file.relative_to(root).as_posix() if root.is_dir() else file.name
            if source in found and found[source].path.resolve() != file.resolve():
                raise UsageError(f"两个笔记文件同名: {found[source].path} 和 {file}，请重命名其中一个")
            data = read_note_bytes(file)
            digest = hashlib.sha256(data).hexdigest()
            found[source] = _NoteFile(source, file, f"{CHUNKER_VERSION}:{digest}", decode_note(data, str(file)))
    return list(found.values())


def _now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _shipped_bank_count() -> int:
    return _bank_size(StoreState(generation=0, bank=None))


def _unchanged_builtin_only(plan: Plan, files: dict[str, list[_NoteFile]]) -> bool:
    """Only the shipped notes, byte for byte as shipped: their exported bank is the bank (no parsing)."""
    from agent.knowledge.shipped_vectors import content_hash, read_meta

    if [p.record.kind for p in plan.sources] != [BUILTIN] or not config.bank_path().exists():
        return False
    meta = read_meta()
    return meta is not None and meta.get("content_hash") == content_hash() and bool(files.get(BUILTIN))


def _questions_of(questions: list[Question], names: set[str]) -> int:
    return sum(1 for q in questions if any(s.file in names for s in q.sources))


class _Build:
    """One ingest run (inside the lock)."""

    def __init__(self, plan: Plan, state: StoreState | None, rebuild: bool, report: IngestReport) -> None:
        self.plan, self.state, self.rebuild, self.report = plan, state, rebuild, report
        self.files: dict[str, list[_NoteFile]] = {}
        self.kept: dict[str, set[str]] = {}  # source name -> file names kept from the current generation

    def collect(self) -> None:
        seen: dict[str, str] = {}
        for planned in self.plan.sources:
            rec = planned.record
            root = rec.root()
            present = collect_files([root]) if root.exists() else []
            if not root.exists():
                self.report.warnings.append(f"来源 {rec.name} 的路径 {root} 已不存在，保留上次导入的内容"
                                            f"（移除请运行 mockint sources remove {rec.name}）")
            self.files[rec.name] = present
            names = {f.source for f in present}
            if not planned.named:
                gone = set(rec.files) - names
                if gone and root.exists():
                    self.report.warnings.append(f"{rec.name}: {len(gone)} 个文件已不在磁盘上，仍保留在知识库中"
                                                f"（要同步删除，请运行 mockint ingest {root}）")
                if gone:
                    self.kept[rec.name] = gone
                    self.report.kept.extend(sorted(gone))
            for name in names | self.kept.get(rec.name, set()):
                if name in seen and seen[name] != rec.name:
                    raise UsageError(f"来源 {seen[name]} 和 {rec.name} 中有同名笔记 {name}，请重命名其中一个")
                seen[name] = rec.name

    def digests(self) -> dict[str, str]:
        out = {f.source: f.digest for files in self.files.values() for f in files}
        for planned in self.plan.sources:
            for name in self.kept.get(planned.record.name, set()):
                out[name] = planned.record.files[name]
        return out


def ingest(paths: list[Path] | None = None, rebuild: bool = False, show_progress: bool = False, *,
           only: bool = False, remove: list[str] | None = None, notify: Notify | None = None,
           shipped: bool = True) -> IngestReport:
    """Add/update ``paths`` as sources (default: re-read the registered ones) and commit a new store generation.
    ``shipped=False`` ignores the shipped vectors (the benchmark's from-scratch figure)."""
    with store_lock(wait=False):
        return _ingest_locked(list(paths or []), rebuild, show_progress, only, remove, notify, shipped)


def _open_current(rebuild: bool, report: IngestReport) -> tuple[Any, int | None, Store | None]:
    """A client, the committed generation and its store (None when rebuilding or there is none); rolls back
    the leftovers of an interrupted ingest. With ``rebuild`` an unreadable store is wiped instead of refused."""
    from agent.knowledge import store as store_mod

    try:
        client = store_mod.client()
        current = store_mod.current_generation(client)
        existing = store_mod.existing_generations(client)
    except StoreError:
        if not rebuild:
            raise
        store_mod.wipe()
        return store_mod.client(), None, None
    leftovers = {g for g in existing if current is None or g > current}
    if leftovers:
        store_mod.drop_generations(client, keep=existing - leftovers)
        report.warnings.append("检测到上次被中断的导入（未完成的数据已回滚；之前的知识库未受影响）")
    if current is None:
        return client, None, None
    try:
        old = store_mod.open_store(create=False)
    except StoreError:
        if not rebuild:
            raise
        old = None
    return client, current, old


def _ingest_locked(paths: list[Path], rebuild: bool, show_progress: bool, only: bool, remove: list[str] | None,
                   notify: Notify | None, shipped: bool = True) -> IngestReport:
    from agent.knowledge import store as store_mod
    from agent.knowledge.ingest_write import Progress, VectorPool, copy_records, write_chunks, write_questions

    started = time.perf_counter()
    report = IngestReport()
    state = read_state() if not rebuild else _state_or_none()
    plan = plan_sources(state, paths, only, remove)
    build = _Build(plan, state, rebuild, report)
    build.collect()
    texts = {f.source: f.text for files in build.files.values() for f in files}
    old_digests = {n: d for r in registered(state) for n, d in r.files.items()} if state is not None else {}
    new_digests = build.digests()
    for name, digest in sorted(new_digests.items()):
        bucket = report.unchanged if old_digests.get(name) == digest else (
            report.changed if name in old_digests else report.added)
        bucket.append(name)
    report.removed = sorted(set(old_digests) - set(new_digests))
    report.sources = [p.record.name for p in plan.sources]
    if (not rebuild and state is not None and not plan.dropped and old_digests == new_digests
            and [r.name for r in state.sources] == report.sources):
        report.chunks, report.questions = sum(r.chunks for r in state.sources), _bank_size(state)
        report.seconds = time.perf_counter() - started
        return report

    questions, write_bank_file = _bank(build, state)
    named_files = {f.source for p in plan.sources if p.named for f in build.files[p.record.name]}
    if (paths and not _questions_of(questions, named_files)) or not questions:
        names = "、".join(str(p) for p in paths) or "所有来源"
        raise MockintError(f"没有从 {names} 中解析出任何问题；知识库没有改动，仍是：{describe(state, _shipped_bank_count())}",
                           hint=SHAPES)
    client, current, old = _open_current(rebuild, report)
    chunks: list[Chunk] = [c for name in sorted(texts) for c in chunk_note(texts[name], name)]
    ef = old.ef if old is not None else store_mod.embeddings.make_embedding_function()
    embedder = store_mod.embeddings.embedder_id(ef)
    pool = VectorPool(embedder, old if not rebuild else None, shipped)
    todo_chunks = pool.missing([c.text for c in chunks])
    todo_questions = [t for t in pool.missing([q.text for q in questions]) if t not in set(todo_chunks)]
    if (todo_chunks or todo_questions) and notify:
        notify(f"需要向量化 {len(todo_chunks) + len(todo_questions)} 段新文本"
               f"（其余 {len(chunks) + len(questions) - len(todo_chunks) - len(todo_questions)} 段复用已有向量）…")
    with Progress(show_progress).run(len(todo_chunks) + len(todo_questions)) as progress:
        pool.embed(ef, todo_chunks, progress, "笔记片段")
        pool.embed(ef, todo_questions, progress, "题库")
    gen = max(store_mod.existing_generations(client) | {current or 0}) + 1
    cols = store_mod.new_generation(client, ef, gen)
    write_chunks(cols[store_mod.CHUNKS], chunks, pool)
    kept_names = set().union(*build.kept.values()) if build.kept else set()
    if kept_names and old is not None:
        copy_records(cols[store_mod.CHUNKS], old.chunks.get(where={"source": {"$in": sorted(kept_names)}},
                                                            include=["documents", "metadatas", "embeddings"]))
    write_questions(cols[store_mod.QUESTIONS], questions, pool)
    new_ids = {c.chunk_id for c in chunks}
    old_ids = set(old.chunks.get(include=[])["ids"]) if old is not None else set()
    report.chunks = cols[store_mod.CHUNKS].count()
    report.questions = len(questions)
    report.chunks_embedded, report.questions_embedded = len(todo_chunks), len(todo_questions)
    report.chunks_deleted = len({i for i in old_ids if i not in new_ids} - _ids_of(old, kept_names))
    bank_name = None
    if write_bank_file:
        from agent.knowledge.bank import write_bank

        bank_name = f"bank-g{gen}.jsonl"
        write_bank(questions, config.home() / bank_name)
    records = _records(build, questions, chunks, old)
    write_state(StoreState(generation=gen, bank=bank_name, sources=records, embedder=embedder))  # the commit
    _collect_garbage(client, keep={gen, current if current is not None else gen},
                     banks={bank_name, state.bank if state else None})
    report.seconds = time.perf_counter() - started
    return report


def _state_or_none() -> StoreState | None:
    try:
        return read_state()
    except StoreError:
        return None


def _ids_of(old: Store | None, names: set[str]) -> set[str]:
    if old is None or not names:
        return set()
    return set(old.chunks.get(where={"source": {"$in": sorted(names)}}, include=[])["ids"])


def _bank_size(state: StoreState) -> int:
    path = _bank_path(state)
    try:
        return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    except OSError:
        return 0


def _bank(build: _Build, state: StoreState | None) -> tuple[list[Question], bool]:
    """The bank of this run, and whether it must be written (False: the shipped export is the bank)."""
    import importlib

    bank_mod = importlib.import_module("agent.knowledge.bank")  # via sys.modules: tests may stand in a fake bank builder

    if not build.kept and _unchanged_builtin_only(build.plan, build.files):
        return bank_mod.load_bank(config.bank_path()), False
    built = bank_mod.build_bank_from_notes(_bank_notes(build))  # the texts collect() decoded, not read again
    build.report.warnings.extend(built.warnings)
    questions = list(built.questions)
    named = {s.file for q in questions for s in q.sources}
    empty = [f.source for files in build.files.values() for f in files
             if f.source not in named and not any(f.source in w for w in built.warnings)]
    build.report.warnings.extend(f"{name}: 没有解析出任何问题（仍会作为检索资料入库）" for name in empty)
    kept_names = set().union(*build.kept.values()) if build.kept else set()
    if kept_names and state is not None:
        ids = {q.id for q in questions}
        previous = bank_mod.load_bank(_bank_path(state))
        questions += [q for q in previous if q.id not in ids and any(s.file in kept_names for s in q.sources)]
    return questions, True


def _bank_notes(build: _Build) -> list[tuple[str, str]]:
    """(name, text) of every note file of this run for the bank builder, each file once (by its real path)."""
    seen: set[Path] = set()
    notes = []
    for planned in build.plan.sources:
        for f in build.files[planned.record.name]:
            if f.path.resolve() not in seen:
                seen.add(f.path.resolve())
                notes.append((f.source, f.text))
    return notes


def _bank_path(state: StoreState | None) -> Path:
    return config.home() / state.bank if state is not None and state.bank else config.bank_path()


def _records(build: _Build, questions: list[Question], chunks: list[Chunk], old: Store | None) -> list[SourceRecord]:
    out = []
    for planned in build.plan.sources:
        rec = planned.record
        files = {f.source: f.digest for f in build.files[rec.name]}
        for name in build.kept.get(rec.name, set()):
            files[name] = rec.files[name]
        names = set(files)
        changed = files != rec.files or build.rebuild or planned.named
        out.append(SourceRecord(
            name=rec.name, path=rec.path, kind=rec.kind, files=files, questions=_questions_of(questions, names),
            chunks=sum(1 for c in chunks if c.source in names) + len(_ids_of(old, build.kept.get(rec.name, set()))),
            ingested_at=_now() if changed or not rec.ingested_at else rec.ingested_at,
        ))
    return out


def _collect_garbage(client: Any, keep: set[int], banks: set[str | None]) -> None:
    """Drop generations older than the previous one (kept for readers mid-session) and their bank files."""
    from agent.knowledge import store as store_mod

    store_mod.drop_generations(client, keep)
    for file in config.home().glob("bank-g*.jsonl"):
        if file.name not in banks:
            file.unlink(missing_ok=True)


def ensure_store(notify: Notify | None = None, show_progress: bool = True) -> Store:
    """Open the store; the first command that needs it builds it from the shipped notes (with a notice): from the
    shipped vectors in a few seconds, or by embedding when the embedder is not the one they were made with."""
    from agent.knowledge import store as store_mod

    opened = store_mod.open_store(create=False)
    if opened is not None and opened.chunks.count() > 0:
        return opened
    if notify:
        notify(f"首次使用：正在从 {config.default_sources_dir()} 建立知识库（只需一次）…")
    with store_lock(wait=True):  # another process may be building it right now: wait, then use theirs
        opened = store_mod.open_store(create=False)
        if opened is not None and opened.chunks.count() > 0:
            return opened
        _ingest_locked([], False, show_progress, False, None, notify)
    built = store_mod.open_store(create=True)  # the generation just committed (the checks above found none)
    assert built is not None  # create=True never answers None
    return built
