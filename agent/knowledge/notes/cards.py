"""Shape 3: ``#### Q1:question`` cards with ``**难度**:⭐⭐``, ``**岗位**``, ``**标签**:#a #b``, ``**公司**``,
answer blocks (``**标准答案**`` / ``**算法岗回答要点**`` / ``**开发岗回答要点**`` / ``**要点**``) and
``**延伸问题**`` (follow-ups). Meta blocks (面试技巧, 加分点/加分项, 核心考点) are not reference points."""

from __future__ import annotations

import re

from agent.knowledge.notes.markdown import (
    clean_inline,
    clean_section,
    count_stars,
    fence_mask,
    heading,
    strip_front_matter,
)
from agent.knowledge.notes.model import RawQuestion
from agent.knowledge.notes.points import split_points

CARD_RE = re.compile(r"^Q\d+\s*[:：.、]\s*(.+)$", re.IGNORECASE)
_BLOCK = re.compile(r"^\*\*([^*]{1,12})\*\*\s*[:：]?\s*(.*)$")
_ANSWER_BLOCKS = ("标准答案", "参考答案", "答案", "答案要点", "要点", "回答要点", "算法岗回答要点", "开发岗回答要点")
_META_BLOCKS = ("核心考点", "面试技巧", "面试加分点", "算法岗加分项", "开发岗加分项", "加分项", "考察点")
_FIELDS = ("难度", "岗位", "标签", "公司")
_FOLLOW = ("延伸问题", "可能追问", "追问")


def _split_list(value: str) -> list[str]:
    value = re.sub(r"[（(][^()（）]*[)）]", "", clean_inline(value))
    return [v.strip() for v in re.split(r"[、,，/;；]", value) if v.strip()]


def _finish(card: RawQuestion, blocks: dict[str, list[str]], end: int, lines: list[str]) -> RawQuestion:
    answer_lines: list[str] = []
    for name in _ANSWER_BLOCKS:
        answer_lines.extend(blocks.get(name, []))
    card.answer = "\n".join(answer_lines).strip()
    card.points = split_points(card.answer)
    for line in blocks.get("_follow", []):
        m = re.match(r"^[-*+]\s+(.*)$", line)  # top-level bullets only; nested "答:" lines are answers
        if m and not re.match(r"^\s*答\s*[:：]", m.group(1)):
            card.followups.append(clean_inline(m.group(1)))
    card.end_at(lines, end, also_blank=("---",))
    return card


def parse_cards(text: str, file: str) -> list[RawQuestion]:
    lines = text.split("\n")
    mask = fence_mask(lines)
    out: list[RawQuestion] = []
    section = ""
    stack: list[tuple[int, str]] = []  # enclosing headings (level, text), levels 1-3
    section_stars: int | None = None
    card: RawQuestion | None = None
    blocks: dict[str, list[str]] = {}
    block = ""

    for i in range(strip_front_matter(lines), len(lines)):
        line = lines[i]
        h = None if mask[i] else heading(line.strip())
        if h:
            m = CARD_RE.match(h[1])
            if (m or h[0] <= 3) and card is not None:
                out.append(_finish(card, blocks, i, lines))
                card = None
            if m:
                card = RawQuestion(text=clean_inline(m.group(1)), file=file, section=section, lines=(i + 1, i + 1),
                                   fmt="cards", difficulty=section_stars)
                blocks, block = {}, ""
                continue
            if h[0] <= 3:
                while stack and stack[-1][0] >= h[0]:
                    stack.pop()
                stack.append((h[0], clean_section(h[1])))
                parts = [t for lvl, t in stack if lvl > 1 and t] or [t for _, t in stack if t]
                section = " / ".join(parts[-2:])  # e.g. "VLM 多模态 / 核心概念与挑战"
                section_stars = count_stars(h[1])
                continue
        if card is None:
            continue
        b = None if mask[i] else _BLOCK.match(line.strip())
        if b and b.group(1).strip() in (*_FIELDS, *_ANSWER_BLOCKS, *_META_BLOCKS, *_FOLLOW):
            name, rest = b.group(1).strip(), b.group(2).strip()
            if name == "难度":
                card.difficulty = count_stars(rest) or card.difficulty
            elif name == "岗位":
                card.tags.extend(f"岗位:{v}" for v in _split_list(rest))
            elif name == "标签":
                card.tags.extend(t.strip() for t in re.split(r"#", clean_inline(rest)) if t.strip())
            elif name == "公司":
                card.companies.extend(_split_list(rest))
            block = "_follow" if name in _FOLLOW else name
            if rest and name not in _FIELDS:
                blocks.setdefault(block, []).append(rest)
            continue
        if block and (block in _ANSWER_BLOCKS or block == "_follow"):
            blocks.setdefault(block, []).append(line)
    if card is not None:
        out.append(_finish(card, blocks, len(lines), lines))
    return out
