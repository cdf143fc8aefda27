"""The one jieba set-up: quiet logging, its dictionary cache under ``$TMPDIR/mockint-jieba``, initialised once
(thread-safe). Retrieval, the offline grader and dedupe all tokenise Chinese through these two functions;
``import jieba`` happens on first use only (``mockint --help`` stays fast)."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_ready = False


def _cache_dir() -> str:
    folder = Path(tempfile.gettempdir()) / "mockint-jieba"
    folder.mkdir(exist_ok=True)
    return str(folder)


def shared_jieba() -> Any:
    """The process-wide ``jieba`` module, initialised (default dictionary)."""
    global _ready
    import jieba

    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.dt.tmp_dir = _cache_dir()
            jieba.initialize()
            _ready = True
    return jieba


def private_tokenizer(words: Iterable[str], freq: int = 100000) -> Any:
    """A separate ``jieba.Tokenizer`` with extra dictionary words (they do not leak into :func:`shared_jieba`)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = _cache_dir()
    for word in words:
        tokenizer.add_word(word, freq=freq)
    return tokenizer
