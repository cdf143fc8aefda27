"""Split an answer (Markdown or plain text) into atomic, self-contained reference points.

Rules: bullets, numbered/lettered items and paragraph sentences become points; headings, bold labels
and lines ending in a colon are *labels*: never emitted alone, but prefixed to their children
("注意事项：质量远胜于数量") so each point stands alone. Table rows become "row：col value；col value".
Code fences, code-looking lines, bare URLs and fragments shorter than 3 characters are dropped;
near-identical points are kept once. At most ``MAX_POINTS`` points (the most informative, in
their original order), each at most ``MAX_LEN`` characters (cut at a sentence boundary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.knowledge.notes.markdown import clean_inline, fence_mask, heading
from agent.text import CJK_CHAR

MAX_POINTS = 12
MAX_LEN = 200
MIN_LEN = 3
_LONG_LABEL = 30

_MARKER = re.compile(
    r"^(?P<m>[-*+•·](?=\s)|\d+(?:\.\d+)*[.、)）]|[a-zA-Z][.)、]|[（(]\d+[)）]|[①-⑳]|[一二三四五六七八九十]+[、.])\s*(?P<t>.*)$"
)
_CODE = re.compile(r"^(pip3? install|import |from \S+ import|CMD |RUN |FROM |COPY |WORKDIR |ENV |EXPOSE |\$ |>>>|def |class |return )|[=;{}]\s*$")
_CODE_START = re.compile(r"^(pip3? install |import \w|from [\w.]+ import |[A-Za-z_][\w.\[\]]*\s*[+\-*/]?=\s*\S|>>> )")
_WEB_JUNK = re.compile(r"^[A-Za-z]{0,12}\s*复制(代码)?$")
_SUMMARY = re.compile(r"^(通过上述|通过以上|通过结合|总之|综上|总结来说|总的来说|以上|这些|这样)")
_PUNCT = re.compile(r"[，。；：,.;:！？!?、()（）]")
_BARE_LABEL = 12
_SENT_SPLIT = re.compile(r"(?<=[。！？!?])")


@dataclass
class _Item:
    level: int
    rank: int
    text: str
    label: bool
    children: list[_Item] = field(default_factory=list)
    parent: _Item | None = None
    table: bool = False


def _indent(raw: str) -> int:
    expanded = raw.replace("\t", "    ")
    return (len(expanded) - len(expanded.lstrip(" "))) // 2


def _table_points(rows: list[list[str]]) -> list[str]:
    if len(rows) < 2:
        return [" ".join(c for c in r if c) for r in rows]
    header, body = rows[0], rows[1:]
    out = []
    for row in body:
        cells = [clean_inline(c) for c in row]
        if not any(cells) or row == header:
            continue
        if len(cells) == 2 or len(header) < 3:
            out.append(f"{cells[0]}：{'；'.join(c for c in cells[1:] if c)}")
        else:
            pairs = [f"{clean_inline(h)} {c}".strip() for h, c in zip(header[1:], cells[1:], strict=False) if c]
            out.append(f"{cells[0]}：{'；'.join(pairs)}")
    return out


def _parse_items(text: str) -> list[_Item]:
    lines = text.split("\n")
    mask = fence_mask(lines)
    items: list[_Item] = []
    table: list[list[str]] = []

    def flush_table() -> None:
        for row in _table_points(table):
            items.append(_Item(level=1000, rank=9, text=row, label=False, table=True))
        table.clear()

    for raw, in_fence in zip(lines, mask, strict=True):
        stripped = raw.strip()
        if in_fence or not stripped:
            if table and not stripped:
                flush_table()
            continue
        if stripped.startswith("|") and stripped.count("|") >= 2:
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
                table.append(cells)
            continue
        if table:
            flush_table()
        if stripped in ("---", "***", "___") or stripped.startswith(">"):
            continue
        ind = _indent(raw)
        h = heading(stripped)
        if h:
            items.append(_Item(level=h[0], rank=0, text=clean_inline(h[1]), label=True))
            continue
        m = _MARKER.match(stripped)
        body = m.group("t") if m else stripped
        marker = m.group("m") if m else ""
        text_clean = clean_inline(body)
        if not re.search(r"\w", text_clean) or _is_code(text_clean):
            continue
        bold_only = bool(re.fullmatch(r"\*\*[^*]+\*\*\s*[:：]?", body.strip()))
        ends_colon = text_clean.endswith((":", "："))
        if not marker:
            rank = 1 if (bold_only or ends_colon) else 5
        elif marker[0].isdigit() or marker[0] in "（(①一二三四五六七八九十":
            rank = 2
        elif marker[0].isalpha():
            rank = 3
        else:
            rank = 4
        level = 10 + ind * 10 + rank
        if rank == 5 and _SUMMARY.match(text_clean):
            level = 10
        items.append(_Item(level=level, rank=rank, text=text_clean.rstrip(":： "), label=bold_only or ends_colon))
    if table:
        flush_table()
    _promote_bare_labels(items)
    stack: list[_Item] = []
    for item in items:
        if item.table:
            item.parent = None
            continue
        while stack and stack[-1].level >= item.level:
            stack.pop()
        if stack:
            item.parent = stack[-1]
            stack[-1].children.append(item)
        stack.append(item)
    return items


def _promote_bare_labels(items: list[_Item]) -> None:
    """A short plain line without punctuation followed by plain text ("动态类型的特点") is a label."""
    for cur, nxt in zip(items, items[1:], strict=False):
        if (cur.rank == 5 and not cur.label and len(cur.text) <= _BARE_LABEL and not _PUNCT.search(cur.text)
                and not nxt.table and nxt.rank >= 1 and nxt.level >= cur.level - 4):
            cur.rank, cur.label, cur.level = 1, True, cur.level - 4


def _label_of(item: _Item) -> str:
    text = re.sub(r"^\d+(\.\d+)*\s*", "", item.text)
    head = re.split(r"[:：]", text, maxsplit=1)[0].strip()
    return head if len(head) <= _LONG_LABEL else ""


def _is_code(text: str) -> bool:
    """Code, shell lines and web "copy" buttons pasted outside fences: never points, never labels."""
    t = text.strip()
    return bool(_WEB_JUNK.match(t) or _CODE_START.match(t)) or (not CJK_CHAR.search(t) and bool(_CODE.search(t)))


def _is_junk(point: str) -> bool:
    p = point.strip()
    if len(p) < MIN_LEN or not re.search(r"\w", p):
        return True
    if re.fullmatch(r"https?://\S+", p) or _is_code(p):
        return True
    return not CJK_CHAR.search(p) and len(p) < 12


def _shorten(point: str) -> str:
    if len(point) <= MAX_LEN:
        return point
    cut = max(point.rfind(ch, 0, MAX_LEN) for ch in "。；;！？!?")
    if cut >= MAX_LEN // 2:
        return point[: cut + 1]
    return point[: MAX_LEN - 1] + "…"


def _sentences(text: str) -> list[str]:
    if len(text) <= 80:
        return [text]
    parts = [p.strip() for p in _SENT_SPLIT.split(text) if p.strip()]
    merged: list[str] = []
    for part in parts:
        if merged and len(part) < 12:
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def _key(point: str) -> str:
    return re.sub(r"[\W_]+", "", point.lower())


def split_points(text: str, max_points: int = MAX_POINTS) -> list[str]:
    """Reference points of one answer (see module docstring); ``[]`` for an empty answer."""
    if not text or not text.strip():
        return []
    raw: list[str] = []
    for item in _parse_items(text):
        if item.label or item.rank == 0:
            continue
        if item.children and len(item.text) < 20:
            continue
        prefix = _label_of(item.parent) if item.parent is not None else ""
        for sentence in _sentences(item.text):
            if _is_junk(sentence):
                continue
            point = sentence
            if prefix and prefix not in sentence and not sentence.startswith(prefix[:4]):
                point = f"{prefix}：{sentence}"
            raw.append(point)
    return select_points(raw, max_points)


def select_points(points: list[str], max_points: int = MAX_POINTS) -> list[str]:
    """Drop junk and near-duplicates, keep the ``max_points`` most informative in original order."""
    kept: list[str] = []
    keys: list[str] = []
    for point in points:
        point = _shorten(re.sub(r"\s+", " ", point).strip(" ，,;；"))
        if _is_junk(point):
            continue
        k = _key(point)
        if any(k == other or (len(k) > 12 and (k in other or other in k)) for other in keys):
            continue
        kept.append(point)
        keys.append(k)
    if len(kept) <= max_points:
        return kept
    ranked = sorted(range(len(kept)), key=lambda i: (-min(len(kept[i]), 100), i))[:max_points]
    return [kept[i] for i in sorted(ranked)]
