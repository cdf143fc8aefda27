"""Small Markdown helpers shared by the note parsers: front matter, fences, headings, inline cleanup."""

from __future__ import annotations

import re

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")
QUESTION_CUES = re.compile(
    r"什么|如何|怎么|怎样|为什么|为何|哪些|哪个|哪里|多少|是否|有何|区别|不同|吗|呢|简述|介绍|解释|说说|谈谈|讲讲|"
    r"对比|比较|原理|作用|优势|优劣|缺陷|注意(?!力)|\bwhat\b|\bwhy\b|\bhow\b|\bwhich\b",
    re.IGNORECASE,
)


def strip_front_matter(lines: list[str], max_lines: int = 60) -> int:
    """Index of the first line after a leading ``---`` YAML block (0 when there is none); the closing ``---``
    must come within the first ``max_lines`` lines."""
    if lines and lines[0].strip() == "---":
        for i in range(1, min(len(lines), max_lines)):
            if lines[i].strip() == "---":
                return i + 1
    return 0


def fence_mask(lines: list[str]) -> list[bool]:
    """True for every line inside (or delimiting) a fenced code block."""
    mask: list[bool] = []
    inside = False
    for line in lines:
        if FENCE_RE.match(line):
            mask.append(True)
            inside = not inside
        else:
            mask.append(inside)
    return mask


def heading(line: str) -> tuple[int, str] | None:
    """``(level, text)`` for an ATX heading line, else ``None``."""
    m = HEADING_RE.match(line)
    if not m:
        return None
    return len(m.group(1)), m.group(2).strip()


def clean_inline(text: str) -> str:
    """Drop Markdown emphasis, ``==highlight==``, code ticks, images, links, math dollars and HTML tags."""
    text = re.sub(r"!\[\[[^\]]*\]\]", "", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"</?(br|div|span|p|font|b|i|u|sup|sub|mark)\b[^>]*>", " ", text, flags=re.IGNORECASE)
    text = text.replace("==", "").replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?!\w)", r"\1", text)
    text = text.replace("`", "").replace("$$", "").replace("$", "")
    return re.sub(r"[ \t\u3000]+", " ", text).strip()


def clean_section(text: str) -> str:
    """A section heading without its numbering, ⭐ ratings, counts or emoji decoration."""
    text = clean_inline(text)
    text = re.sub(r"[（(][^()（）]*(⭐|题|必考)[^()（）]*[)）]", "", text)
    text = text.replace("⭐", "")
    text = re.sub(r"^(第[一二三四五六七八九十\d]+部分\s*[:：]?|\d+(\.\d+)*[.、]?)\s*", "", text)
    text = re.sub(r"^[\W_]+", "", text)
    return text.strip(" :：")


def count_stars(text: str) -> int | None:
    n = text.count("⭐")
    return min(n, 3) if n else None


def is_question_like(text: str) -> bool:
    t = text.strip()
    return t.endswith(("?", "？")) or bool(QUESTION_CUES.search(t))


def front_matter_title(lines: list[str]) -> str:
    """``title:`` of a leading YAML block, or ``""``."""
    for line in lines[1 : strip_front_matter(lines)]:
        m = re.match(r"^title\s*:\s*(.+)$", line.strip())
        if m:
            return m.group(1).strip().strip("'\"")
    return ""
