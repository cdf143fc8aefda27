"""Incremental ingest: unchanged skipped, changed file re-embeds only its changed chunks, removed file disappears,
interrupted runs complete on re-run, clear errors for bad input, CLI summary shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.cli import knowledge as cli_store
from agent.errors import MockintError, UsageError
from agent.knowledge import ingest as ingest_mod
from agent.knowledge import store
from agent.knowledge.bank import home_bank_path
from agent.knowledge.ingest import ingest

runner = CliRunner()
app = typer.Typer()  # only our commands: isolates these tests from other areas' CLI modules
cli_store.register(app)


def _sources() -> set[str]:
    opened = store.open_store(create=False)
    assert opened is not None
    return {m["source"] for m in opened.chunks.get(include=["metadatas"])["metadatas"]}


def test_incremental_ingest(small_corpus: Path, fake_bank, embedded: list[str], isolated_home: Path) -> None:
    first = ingest([small_corpus], only=True)
    assert sorted(first.added) == ["kv.md", "lora.md", "rag.md"]
    assert first.chunks == first.chunks_embedded > 0 and first.questions == 5
    assert home_bank_path().read_text(encoding="utf-8").count("\n") == 5
    embedded.clear()

    again = ingest([small_corpus], only=True)
    assert sorted(again.unchanged) == ["kv.md", "lora.md", "rag.md"] and not again.added and not again.changed
    assert again.chunks_embedded == 0 and again.questions_embedded == 0 and embedded == []

    kv = small_corpus / "kv.md"
    kv.write_text(kv.read_text(encoding="utf-8").replace("减少显存碎片", "几乎消除显存碎片"), encoding="utf-8")
    changed = ingest([small_corpus], only=True)
    assert changed.changed == ["kv.md"] and sorted(changed.unchanged) == ["lora.md", "rag.md"]
    assert changed.chunks_embedded == 1 and changed.chunks_deleted == 1
    assert len(embedded) == 1 and "几乎消除显存碎片" in embedded[0]
    assert changed.chunks == first.chunks
    embedded.clear()

    (small_corpus / "rag.md").unlink()
    removed = ingest([small_corpus], only=True)
    assert removed.removed == ["rag.md"] and embedded == []
    assert _sources() == {"kv.md", "lora.md"} and removed.questions == 4


def test_moved_chunks_reuse_their_vectors(small_corpus: Path, fake_bank, embedded: list[str]) -> None:
    ingest([small_corpus], only=True)
    embedded.clear()
    lora = small_corpus / "lora.md"
    lora.write_text("\n\n\n" + lora.read_text(encoding="utf-8"), encoding="utf-8")  # every line moves
    report = ingest([small_corpus], only=True)
    assert report.changed == ["lora.md"] and report.chunks_deleted > 0
    assert embedded == [] and report.chunks_embedded == 0  # same texts, new ids: vectors reused


def test_interrupted_ingest_is_rolled_back_and_completes_on_rerun(small_corpus: Path, fake_bank, monkeypatch) -> None:
    from agent.knowledge import ingest_write

    ingest([small_corpus / "lora.md"], only=True)
    before = _sources()
    real = ingest_write.write_questions

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # after the new generation's chunks are written, before the commit

    monkeypatch.setattr(ingest_write, "write_questions", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest([small_corpus], only=True)
    assert _sources() == before  # readers still see the committed store, not the half-built one
    monkeypatch.setattr(ingest_write, "write_questions", real)
    report = ingest([small_corpus], only=True)
    assert any("中断" in w for w in report.warnings)
    assert _sources() == {"kv.md", "lora.md", "rag.md"} and report.questions == 5
    assert {store.generation_of(c.name) for c in store.client().list_collections()} == {1, 2}  # the half-built 2 was rolled back, then rebuilt
    assert ingest([small_corpus], only=True).chunks_embedded == 0


def test_bad_inputs_give_clear_errors(tmp_path: Path, fake_bank) -> None:
    with pytest.raises(UsageError, match="路径不存在"):
        ingest([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="没有 .md / .txt"):
        ingest([tmp_path / "empty"])
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\x00\x01\x02PNG" * 50)
    with pytest.raises(MockintError, match="二进制"):
        ingest([binary])
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "diary.md").write_text("# 日记\n\n今天没有问题，只有流水账。\n", encoding="utf-8")
    with pytest.raises(MockintError, match="解析出任何问题"):
        ingest([plain])
    opened = store.open_store(create=False)
    assert opened is None or opened.chunks.count() == 0  # nothing embedded before the error


def test_gbk_note_is_decoded_and_note_without_questions_warns(small_corpus: Path, fake_bank) -> None:
    (small_corpus / "gbk.md").write_bytes("# 笔记\n\n## 什么是梯度裁剪？\n\n限制梯度范数，防止梯度爆炸。\n".encode("gbk"))
    (small_corpus / "diary.md").write_text("# 日记\n\n今天只有流水账，没有面试题。\n", encoding="utf-8")
    report = ingest([small_corpus], only=True)
    assert "gbk.md" in report.added and report.questions == 6
    assert any("diary.md" in w and "没有解析出任何问题" in w for w in report.warnings)
    assert "gbk.md" in _sources() and "diary.md" in _sources()


def test_ensure_store_builds_default_corpus_once(monkeypatch, fake_bank, small_corpus: Path) -> None:
    monkeypatch.setenv("MOCKINT_KNOWLEDGE", str(small_corpus.parent))
    (small_corpus.parent / "sources").symlink_to(small_corpus)
    notices: list[str] = []
    opened = ingest_mod.ensure_store(notify=notices.append, show_progress=False)
    assert opened.chunks.count() > 0 and "首次" in notices[0]
    seen = len(notices)
    ingest_mod.ensure_store(notify=notices.append, show_progress=False)
    assert len(notices) == seen


def test_cli_ingest_json_and_errors(small_corpus: Path, fake_bank, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(small_corpus), "--only", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"added", "changed", "unchanged", "removed", "chunks", "questions", "seconds", "sources"} <= set(summary)
    assert summary["questions"] == 5
    human = runner.invoke(app, ["ingest", str(small_corpus)])
    assert human.exit_code == 0 and "未变 3" in human.stdout
    missing = runner.invoke(app, ["ingest", str(tmp_path / "missing")])
    assert isinstance(missing.exception, UsageError) and missing.exception.exit_code == 2


def test_each_note_is_walked_read_and_decoded_once(small_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real bank builder gets the texts ingest decoded: no second walk, read or decode of a note."""
    from collections import Counter

    from agent import textio
    from agent.knowledge import bank

    calls: Counter[str] = Counter()

    def counted(name: str, fn):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    walk = counted("walk", textio.iter_note_files)
    monkeypatch.setattr(ingest_mod, "iter_note_files", walk)
    monkeypatch.setattr(bank, "iter_note_files", walk)
    decode = counted("decode", textio.decode_note)
    monkeypatch.setattr(textio, "decode_note", decode)
    monkeypatch.setattr(ingest_mod, "decode_note", decode)
    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: (calls.update(["read"]) if self.suffix == ".md" else None)
                        or real_read(self))
    report = ingest([small_corpus], only=True)
    assert sorted(report.added) == ["kv.md", "lora.md", "rag.md"] and report.questions > 0
    assert calls == {"walk": 1, "read": 3, "decode": 3}
