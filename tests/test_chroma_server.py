"""Ingest + retrieve against a real Chroma server (``chroma run`` on 127.0.0.1) via CHROMA_HOST / CHROMA_PORT."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import stop_process

from agent.knowledge import retrieval, store
from agent.knowledge.ingest import ingest

CHROMA_BIN = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    if not CHROMA_BIN.exists():
        pytest.skip("chroma CLI not installed in this venv")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [str(CHROMA_BIN), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma run did not start: {(tmp_path / 'chroma.log').read_text(errors='replace')[-500:]}")
            time.sleep(0.2)
        yield port
    finally:
        stop_process(proc)
        log.close()


def test_ingest_and_retrieve_through_http_client(chroma_server: int, small_corpus: Path, fake_bank, monkeypatch,
                                                  isolated_home: Path) -> None:
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server))
    report = ingest([small_corpus], only=True)
    assert sorted(report.added) == ["kv.md", "lora.md", "rag.md"] and report.questions == 5
    assert not (isolated_home / "chroma").exists()  # nothing went to the embedded store
    opened = store.open_store(create=False)
    assert opened is not None and opened.location == f"http://127.0.0.1:{chroma_server}"
    assert type(opened.client).__name__ != "PersistentClient"
    result = retrieval.get_retriever().search("vLLM 怎样管理 KV Cache 的显存", k=3)
    assert result.relevant and result.hits[0].source == "kv.md"
    assert ingest([small_corpus], only=True).chunks_embedded == 0  # incremental against the server too
