"""Helpers for the in-process CLI tests: the graph fakes behind the real CLI, and ``agent.cli.main`` run like
the console script (exit code, stdout, stderr; never a traceback)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from graph_fakes import BANK, FakeRetriever, substring_grade


def use_fake_stack(monkeypatch: pytest.MonkeyPatch, engine: Callable[[str], Any] | None = None) -> None:
    """The fake bank / retriever behind the CLI and the graph; the substring grader unless ``engine`` is given
    (a factory ``kind -> Engine``)."""
    import agent.cli.terminal as terminal
    import agent.interview.context as context_mod
    import agent.knowledge.bank as bank_mod
    from agent.engines.offline import OfflineEngine

    monkeypatch.setattr(bank_mod, "load_bank_or_fail", lambda: list(BANK))
    monkeypatch.setattr(terminal, "ensure_store_quietly", lambda: terminal.OpenedStore())
    monkeypatch.setattr(context_mod, "_default_bank", lambda: list(BANK))
    monkeypatch.setattr(context_mod, "_default_retriever", lambda: FakeRetriever())
    monkeypatch.setattr(context_mod, "_default_engine", engine or (lambda kind: OfflineEngine(substring_grade)))


def run_main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """``mockint ARGS`` through ``agent.cli.main``: (exit code, stdout, stderr); a traceback fails the test."""
    from agent.cli.app import main

    monkeypatch.setattr(sys, "argv", ["mockint", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def stop_process(proc: Any, timeout: float = 10) -> None:
    """Terminate a server subprocess a test started; kill it if it does not exit in ``timeout`` seconds."""
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
