"""Hybrid retrieval on the full default corpus (session-built store): right chunks, calibrated scores, gate, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.cli import knowledge as cli_store
from agent.errors import UsageError
from agent.knowledge import retrieval
from agent.knowledge.ingest import ingest

runner = CliRunner()
app = typer.Typer()
cli_store.register(app)

CASES = [  # paraphrased queries → (source, expected line range)
    ("PagedAttention 和 continuous batching 怎么让 vLLM 推理变快", "llm-interview-qa-table.txt", (213, 232)),
    ("旋转位置编码 RoPE 和 absolute PE 相比好在哪、差在哪", "agent-question-bank-theory.md", (135, 184)),
    ("SFT 冷启动为什么要做均衡采样，防止模型偏科", "sft-data-and-finetuning-qa.md", (21, 40)),
    ("YaRN 这类 RoPE scaling 方法怎样把上下文窗口拉长", "project-study-notes.md", (265, 277)),
]
OFF_TOPIC = ["今天天气怎么样", "how to bake bread", "红烧肉怎么做才好吃"]


def _overlaps(hit, source: str, lines: tuple[int, int]) -> bool:
    first, last = (int(x) for x in hit.chunk_id.split(":")[-2].split("-"))
    return hit.source == source and first <= lines[1] and lines[0] <= last


@pytest.mark.parametrize(("query", "source", "lines"), CASES)
def test_finds_the_answering_chunk(use_built_home: Path, query: str, source: str, lines: tuple[int, int]) -> None:
    result = retrieval.get_retriever().search(query, k=5)
    assert result.relevant
    assert any(_overlaps(h, source, lines) for h in result.hits[:3]), [h.chunk_id for h in result.hits]
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert all(s >= retrieval.THRESHOLD for s in scores)


@pytest.mark.parametrize("query", OFF_TOPIC)
def test_gate_rejects_off_topic(use_built_home: Path, query: str) -> None:
    result = retrieval.get_retriever().search(query, k=5)
    assert not result.relevant and result.hits == []
    assert result.best_score < retrieval.THRESHOLD and result.candidates  # the noise exists, it is just gated


def test_retriever_is_cached_per_store_state(use_built_home: Path) -> None:
    assert retrieval.get_retriever() is retrieval.get_retriever()


def test_cache_follows_store_changes(small_corpus: Path, fake_bank) -> None:
    ingest([small_corpus], only=True)
    first = retrieval.get_retriever()
    assert first.search("QLoRA 的 NF4 量化", k=3).hits[0].source == "lora.md"
    (small_corpus / "extra.md").write_text("# 新笔记\n\n## 什么是梯度裁剪？\n\n把梯度范数限制在阈值内，防止梯度爆炸导致训练发散。\n",
                                           encoding="utf-8")
    ingest([small_corpus], only=True)
    second = retrieval.get_retriever()
    assert second is not first
    assert second.search("梯度爆炸怎么办，梯度裁剪", k=3).hits[0].source == "extra.md"


def test_search_questions_over_the_bank(small_corpus: Path, fake_bank) -> None:
    ingest([small_corpus], only=True)
    hits = retrieval.search_questions("KV Cache 加速推理", k=2)
    assert hits[0].text == "KV Cache 为什么能加速推理？" and 0 <= hits[0].score <= 1
    assert hits[0].category == "llm" and hits[0].difficulty == 2


def test_tokenizer_drops_stop_words_and_punctuation() -> None:
    tokens = retrieval.tokenize("什么是 KV Cache？它为什么能加速推理！")
    assert "kv" in tokens and "cache" in tokens and "加速" in tokens
    assert "什么" not in tokens and "？" not in tokens


def test_cli_retrieve_json_and_human(use_built_home: Path) -> None:
    result = runner.invoke(app, ["retrieve", "KV Cache 为什么能提升推理速度", "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert 1 <= len(hits) <= 3
    assert all(set(h) == {"chunk_id", "source", "section", "text", "score"} for h in hits)
    off = runner.invoke(app, ["retrieve", "今天天气怎么样", "--json"])
    assert json.loads(off.stdout) == []
    human = runner.invoke(app, ["retrieve", "今天天气怎么样"])
    assert human.exit_code == 0 and "没有找到" in human.stdout
    table = runner.invoke(app, ["retrieve", "LoRA 低秩分解"])
    assert "相关度" in table.stdout


def test_cli_retrieve_rejects_bad_arguments(use_built_home: Path) -> None:
    for args in (["retrieve", "  "], ["retrieve", "LoRA", "-k", "0"]):
        result = runner.invoke(app, args)
        assert isinstance(result.exception, UsageError) and result.exception.exit_code == 2
