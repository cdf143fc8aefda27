"""Finding and decoding note files: UTF-8 first, then GBK/GB18030 (common for Chinese notes), binary refused."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from agent.errors import MockintError, UsageError

NOTE_SUFFIXES = (".md", ".markdown", ".txt")
MAX_NOTE_BYTES = 20 * 1024 * 1024  # 20 MB: larger files are refused with a message, not half-read


def iter_note_files(paths: list[Path]) -> list[Path]:
    """Expand files and folders into a sorted list of note files; one clear error for a missing path or empty dir."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise UsageError(f"路径不存在: {path}")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in NOTE_SUFFIXES)
            if not found:
                raise UsageError(f"目录中没有 .md / .txt 笔记: {path}")
            files.extend(found)
        else:
            files.append(path)
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def decode_note(data: bytes, name: str = "<note>") -> str:
    """Decode note bytes: UTF-8 (with or without BOM), else GB18030 (a superset of GBK); refuse binary."""
    if b"\x00" in data[:8192]:
        raise MockintError(f"{name} 看起来是二进制文件，不是文本笔记（只支持 .md / .txt）")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and not _looks_like_text(text):
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise MockintError(f"{name} 既不是 UTF-8 也不是 GBK 编码，无法读取；请另存为 UTF-8 后重试")


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\n\r\t") or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad / len(text) < 0.01


def read_note_bytes(path: Path) -> bytes:
    """One note file's bytes; files over 20 MB are refused, an unreadable file is one clear line."""
    try:
        size = path.stat().st_size
        if size > MAX_NOTE_BYTES:
            raise MockintError(f"{path} 太大（{size / 1e6:.1f} MB > 20 MB），请拆分成多个笔记文件")
        return path.read_bytes()
    except OSError as exc:
        raise MockintError(f"无法读取 {path}: {exc.strerror}") from None


def read_note_text(path: Path) -> str:
    """Read one note file as text (see :func:`decode_note`); files over 20 MB are refused."""
    return decode_note(read_note_bytes(path), str(path))


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temp file in the same folder, fsync, rename over the target.
    A reader sees the old file or the new one, never an empty or half-written one; a crash leaves no partial file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def escape_markdown_html(text: str) -> str:
    """A Markdown document with raw HTML disarmed: ``&`` and ``<`` as entities, so an answer's ``<script>`` or
    ``<img onerror>`` shows as text in any renderer (mockint's own templates use neither character)."""
    return text.replace("&", "&amp;").replace("<", "&lt;")
