"""Answer normalisation: what is graded and stored is the text a person sees.

:func:`normalize_answer` (used by ``clean_answer`` for every answer a session records, and by
:class:`agent.schemas.GradeRequest` for every answer any grader sees, ``mockint eval`` rows included):

* invalid surrogates are replaced, C0/C1 control characters dropped (newline and tab kept; form feed, vertical
  tab, U+0085, U+2028 and U+2029 become a newline — they break a line on screen);
* invisible format characters are removed: Unicode TAG characters (U+E0000–U+E007F, which can spell hidden
  ASCII text), zero-width spaces / joiners, bidi embeddings, overrides and isolates, word joiners, soft hyphens,
  BOMs, invisible operators and the other ``Cf`` characters, Hangul / Mongolian fillers, unassigned code points.
  A zero-width joiner between two emoji (👨‍👩‍👧) and variation selectors are kept: they change what is shown;
* NFKC is applied only where it is safe: full-width ASCII letters and digits (ＳＹＳＴＥＭ → SYSTEM), mathematical
  alphanumerics (𝐢𝐠𝐧𝐨𝐫𝐞 → ignore), Latin ligatures and circled / parenthesised letters and digits. Chinese
  full-width punctuation (，。：（）), superscripts (x²) and everything else are left as written;
* nothing the candidate wrote is decoded (base64, URL escapes and HTML entities stay data).

:func:`input_notices` says when an answer was mostly invisible characters or mostly markup (those parts earn
no credit; see :mod:`agent.grading.guards`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

ANSWER_CHAR_LIMIT = 4000  # answers are graded on this prefix (interviews and mockint eval), with a notice
LINE_BREAKS = {"\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n", "\r": "\n"}
_INVISIBLE_LETTERS = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0, 0x034F, 0x17B4, 0x17B5, 0x2800})
_ZWJ = "\u200d"
_NFKC_RANGES = ((0xFF01, 0xFF5E), (0x1D400, 0x1D7FF), (0xFB00, 0xFB06), (0x2460, 0x24FF), (0x3251, 0x32BF),
                (0x1F100, 0x1F1FF))
_CJK_PUNCT = frozenset("，。：；！？（）【】「」『』、．")

INVISIBLE_NOTICE = "回答中有 {n} 个不可见字符（零宽 / 方向控制 / TAG 字符等），已移除，按可见文字评分"
MARKUP_NOTICE = "回答主要是格式标记（表格、代码块、HTML 标签、评分格式），这些部分只当作数据，不计分"
_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,200}>|^[ \t]*\|.*\|[ \t]*$|^[ \t]*[-:|]{3,}[-:| \t]*$|```[^\n]*|^[ \t]*#{1,6}[ \t]|"
                     r"[*_~`]{2,}", re.MULTILINE)


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


def _invisible_char(ch: str) -> bool:
    """Invisible wherever it stands (the zero-width joiner depends on its neighbours: see ``_dropped_zwj``)."""
    code = ord(ch)
    if code in _INVISIBLE_LETTERS or ch == "\x7f":
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors: part of a glyph
        return False
    cat = unicodedata.category(ch)
    return cat in ("Cf", "Cn", "Co", "Cs") or (cat == "Cc" and ch not in "\n\t")


def _dropped_zwj(text: str) -> list[int]:
    """Positions of zero-width joiners that are not inside an emoji sequence (those are kept: 👨‍👩‍👧)."""
    return [m.start() for m in re.finditer(_ZWJ, text)
            if not (0 < m.start() < len(text) - 1 and _is_emoji(text[m.start() - 1]) and _is_emoji(text[m.start() + 1]))]


def _safe_nfkc(ch: str) -> str:
    code = ord(ch)
    if ch in _CJK_PUNCT or not any(lo <= code <= hi for lo, hi in _NFKC_RANGES):
        return ch
    folded = unicodedata.normalize("NFKC", ch)
    return folded if folded.isascii() and folded.strip() else ch


def normalize_answer(raw: Any) -> str:
    """The visible text of an answer (see the module docstring); idempotent. Each distinct character is
    classified once and the text rewritten by ``str.translate``, so a 10 MB answer takes a fraction of a second."""
    text = raw if isinstance(raw, str) else "" if raw is None else str(raw)
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    text = text.replace("\r\n", "\n")
    if _ZWJ in text:
        dropped = set(_dropped_zwj(text))
        text = "".join("" if i in dropped else ch for i, ch in enumerate(text)) if dropped else text
    table: dict[int, str | None] = {}
    for ch in set(text):
        if ch == _ZWJ:
            continue
        if ch in LINE_BREAKS:
            table[ord(ch)] = LINE_BREAKS[ch]
        elif _invisible_char(ch):
            table[ord(ch)] = None
        elif (folded := _safe_nfkc(ch)) != ch:
            table[ord(ch)] = folded
    return text.translate(table) if table else text


def printable(raw: Any) -> str:
    """Safe to print on a terminal (answers files before the session): surrogates replaced, control characters
    dropped, line-breaking characters turned into newlines. The full normalisation happens when recorded."""
    text = raw if isinstance(raw, str) else "" if raw is None else str(raw)
    text = text.encode("utf-8", errors="replace").decode("utf-8").replace("\r\n", "\n")
    text = "".join(LINE_BREAKS.get(ch, ch) for ch in text)
    return "".join(ch for ch in text if ch in "\n\t" or (unicodedata.category(ch) != "Cc"))


def invisible_count(raw: str) -> int:
    """How many characters :func:`normalize_answer` removes (line breaks and folded letters not counted)."""
    hidden = sum(raw.count(ch) for ch in set(raw) if ch != _ZWJ and ch not in LINE_BREAKS and _invisible_char(ch))
    return hidden + (len(_dropped_zwj(raw)) if _ZWJ in raw else 0)


def markup_share(text: str) -> float:
    """Share of the non-space characters that are markup: whole table rows and rules, HTML tags, code fences,
    heading / emphasis markers."""
    visible = sum(1 for ch in text if not ch.isspace())
    if not visible:
        return 0.0
    markup = sum(len(re.sub(r"\s", "", m.group(0))) for m in _MARKUP.finditer(text))
    return min(1.0, markup / visible)


def input_notices(raw: str, cleaned: str) -> list[str]:
    """A notice when the raw answer was mostly invisible characters, or the cleaned one mostly markup."""
    notices: list[str] = []
    hidden = invisible_count(raw)
    if hidden >= 5 or (hidden and hidden >= len(cleaned.strip()) * 0.5):
        notices.append(INVISIBLE_NOTICE.format(n=hidden))
    if markup_share(cleaned) >= 0.3:
        notices.append(MARKUP_NOTICE)
    return notices
