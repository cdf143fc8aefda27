"""One writer per store: a second ingest gets one clear line, two rebuilds at once never traceback or lose data,
and a reader (an interview's retriever) keeps working while rebuilds swap new generations in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_helpers import run_main

from agent.knowledge import store
from agent.knowledge.ingest import ensure_store, ingest
from agent.knowledge.retrieval import HybridRetriever
from agent.knowledge.store_state import read_state, store_lock

MOCKINT = str(Path(sys.executable).with_name("mockint"))


def test_second_ingest_while_one_runs_gets_one_line(capsys, monkeypatch) -> None:
    ensure_store(show_progress=False)
    before = read_state()
    with store_lock(wait=False):  # another ingest holds the store
        code, out, err = run_main(capsys, monkeypatch, "ingest", "--rebuild")
    assert code == 3 and "另一个 mockint ingest" in err and str(os.getpid()) in err
    assert len([line for line in err.splitlines() if line.startswith("错误")]) == 1
    assert read_state() == before


def test_two_rebuilds_at_once_never_traceback_or_lose_data(isolated_home: Path) -> None:
    ensure_store(show_progress=False)
    env = {**os.environ, "MOCKINT_HOME": str(isolated_home)}
    procs = [subprocess.Popen([MOCKINT, "ingest", "--rebuild", "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for code, _, err in results:
        assert "Traceback" not in err and code in (0, 3), err
        if code == 3:
            assert "另一个 mockint ingest" in err
    assert any(code == 0 for code, _, _ in results)
    opened = store.open_store(create=False)
    assert opened is not None and opened.chunks.count() > 200 and opened.questions.count() > 200


def test_reader_keeps_working_across_rebuilds(small_corpus: Path, fake_bank) -> None:
    ingest([small_corpus], only=True)
    reader = HybridRetriever(store.open_store(create=False))  # what a running interview holds
    first = reader.search("KV Cache 为什么能加速推理", k=3)
    assert first.relevant
    for _ in range(3):  # each rebuild swaps a new generation in; the reader's one is dropped after the second
        ingest([small_corpus], rebuild=True, only=True)
    again = reader.search("KV Cache 为什么能加速推理", k=3)
    assert again.relevant and [h.chunk_id for h in again.hits] == [h.chunk_id for h in first.hits]
    assert reader.store.generation == read_state().generation  # reconnected to the current generation
    assert reader.search_questions("KV Cache", k=1)
