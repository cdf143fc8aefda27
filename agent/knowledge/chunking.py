"""Split a note into retrieval chunks sized for multilingual-e5-small.

Rules (deterministic, format-agnostic):

* Sections start at markdown headings (``#`` … ``######``, ignored inside code fences) and at the rows of a
  tab-separated ``序号<TAB>问题<TAB>答案`` table (``12<TAB>question...``): the row's question is its heading.
  A YAML front-matter block at the top is skipped.
* Inside a section, paragraphs (blank-line separated blocks; a code fence stays one block) are packed greedily
  into chunks of at most :data:`MAX_CHARS` body characters; an over-long block is split at line and then at
  sentence boundaries. A trailing piece shorter than :data:`MIN_CHARS` is merged into the previous chunk.
* Every chunk's text starts with its heading path (``A > B > C``), so a piece of a long answer still says which
  question it answers. With ~0.55 e5 tokens per Chinese character, ``MAX_CHARS`` + heading stays well under
  e5-small's 512-token window.
* Chunk id = ``<file-relative path>:<first>-<last line>:<sha1(text)[:10]>`` — stable while the text and its
  position do not change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from agent.knowledge.notes.markdown import FENCE_RE, strip_front_matter
from agent.schemas import Chunk

CHUNKER_VERSION = "3"  # part of every note's content hash and the shipped vectors' hash: bump when chunks change
MAX_CHARS = 420
MIN_CHARS = 120
MAX_HEADING_CHARS = 160

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_TABLE_ROW = re.compile(r"^(\d{1,4})\t([^\t]+)(?:\t(.*))?$")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


@dataclass
class _Section:
    path: list[str]
    line: int = 0  # line of the heading (0: text before the first heading)
    lines: list[tuple[int, str]] = field(default_factory=list)  # (1-based line number, text)


def _clean_heading(text: str) -> str:
    text = re.sub(r"[*`]+", "", text).strip()
    return text[:MAX_HEADING_CHARS]


def _sections(text: str) -> list[_Section]:
    lines = text.split("\n")
    stack: list[tuple[int, str]] = []  # (level, title)
    sections = [_Section(path=[])]
    in_fence = False
    for idx in range(strip_front_matter(lines, max_lines=40), len(lines)):
        line, number = lines[idx], idx + 1
        if FENCE_RE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        row = None if in_fence or heading else _TABLE_ROW.match(line)
        if heading:
            level = len(heading.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, _clean_heading(heading.group(2))))
            sections.append(_Section(path=[t for _, t in stack], line=number))
        elif row:
            base = [t for _, t in stack]
            sections.append(_Section(path=[*base, _clean_heading(f"{row.group(1)}. {row.group(2)}")], line=number))
            if row.group(3) and row.group(3).strip():
                sections[-1].lines.append((number, row.group(3).strip()))
        else:
            sections[-1].lines.append((number, line.rstrip()))
    return sections


def _blocks(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Paragraphs: runs of non-blank lines; a fenced code block is kept whole."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    in_fence = False
    for number, line in lines:
        if FENCE_RE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if current:
                blocks.append(current)
                current = []
            continue
        current.append((number, line))
    if current:
        blocks.append(current)
    return blocks


def _split_long(block: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Cut a block longer than MAX_CHARS at line boundaries, then cut single over-long lines at sentences."""
    pieces: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    size = 0
    for number, line in block:
        parts = [line] if len(line) <= MAX_CHARS else _split_sentences(line)
        for part in parts:
            if current and size + len(part) > MAX_CHARS:
                pieces.append(current)
                current, size = [], 0
            current.append((number, part))
            size += len(part) + 1
    if current:
        pieces.append(current)
    return pieces


def _split_sentences(line: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for sentence in _SENTENCE_END.split(line):
        while len(sentence) > MAX_CHARS:
            out.append(sentence[:MAX_CHARS])
            sentence = sentence[MAX_CHARS:]
        if buf and len(buf) + len(sentence) > MAX_CHARS:
            out.append(buf)
            buf = ""
        buf += sentence
    if buf:
        out.append(buf)
    return out


def _pack(blocks: list[list[tuple[int, str]]]) -> list[list[tuple[int, str]]]:
    groups: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for block in blocks:
        for piece in _split_long(block) if _size(block) > MAX_CHARS else [block]:
            if current and _size(current) + _size(piece) > MAX_CHARS:
                groups.append(current)
                current = []
            current = current + piece
    if current:
        if groups and _size(current) < MIN_CHARS and _size(groups[-1]) + _size(current) <= MAX_CHARS * 1.3:
            groups[-1] = groups[-1] + current
        else:
            groups.append(current)
    return groups


def _size(lines: list[tuple[int, str]]) -> int:
    return sum(len(line.strip()) + 1 for _, line in lines)


def make_chunk_id(source: str, lines: tuple[int, int], text: str) -> str:
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{source}:{lines[0]}-{lines[1]}:{digest}"


def _make(source: str, heading: str, body: str, span: tuple[int, int]) -> Chunk:
    full = f"{heading}\n{body}" if heading else body
    return Chunk(chunk_id=make_chunk_id(source, span, full), source=source, section=heading, text=full, lines=span)


def chunk_note(text: str, source: str) -> list[Chunk]:
    """Chunks of one note. ``source`` is the file name relative to the corpus root (used in ids/metadata).

    Consecutive heading-only sections under one parent (bare question lists such as ``## 9. RAG的chunk划分策略
    是什么？`` with no answer) become one chunk listing those headings, so every question stays findable.
    """
    chunks: list[Chunk] = []
    bare: list[_Section] = []

    def flush() -> None:
        if bare:
            parent = " > ".join(bare[0].path[:-1])
            body = "\n".join(f"- {s.path[-1]}" for s in bare)
            chunks.append(_make(source, parent, body, (bare[0].line, bare[-1].line)))
            bare.clear()

    for section in _sections(text):
        if bare and section.path[: len(bare[-1].path)] == bare[-1].path:
            bare.pop()  # a heading whose body is its sub-sections is not a bare question
        groups = _pack(_blocks(section.lines))
        if not groups and section.path:
            if bare and bare[0].path[:-1] != section.path[:-1]:
                flush()
            bare.append(section)
            continue
        flush()
        heading = " > ".join(section.path)
        for group in groups:
            body = "\n".join(line.strip() for _, line in group if line.strip())
            if len(body) >= 2:
                chunks.append(_make(source, heading, body, (group[0][0], group[-1][0])))
    flush()
    return chunks
