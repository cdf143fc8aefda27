"""Point labels: let a concise answer clause that names and explains a point earn "partial" credit.

Bank points are often long and labelled ("弹性权重巩固（EWC）：通过对模型参数施加额外约束来保护那些对先前任务重要的
权重…"), while a candidate states the idea in one short clause ("加正则比如 EWC 限制重要参数的变化"). Matched against
the whole point such a clause gets a tiny e5 gap and little token recall, so the point stays "missing".
:func:`label_hit` — an answer clause that names the point's distinctive label terms (a Latin term of the label such
as "LoRA" / "EWC", or every Chinese word of it such as 知识 + 蒸馏) *and* explains them (≥ ``MIN_EXPLANATION``
further content tokens) is at least "partial". Deterministic and cheap; Chinese points only.

Not a label: a bare term (keyword stuffing has no explanation), generic labels (优点 / 缺点 / 定义 / 总结 ...), a
lone short word left after removing generic ones ("需求" of 数据需求), question words, and a label whose terms
also open another point of the same question ("INNER JOIN", a section title shared by several points).
(Tried and dropped: matching spans against a point's head — label + first clause — added 1 concise row in band
but put 2 ladder rows out of band.)
"""

from __future__ import annotations

import re

from agent.grading import text as tx

MIN_EXPLANATION = 3
_LABEL = re.compile(r"^([^：:]{2,24})[：:]")
_CLAUSE = re.compile(r"[，,；;。、！？!?\n]")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9+\-]{1,}")
GENERIC_LABELS = frozenset(
    "优点 缺点 优势 劣势 定义 总结 原因 特点 例如 比如 核心 应用 效果 注意 方法 原理 场景 适用 适用场景 参数 公式 导数 "
    "问题 意义 关键 结论 实践 实际 案例 趋势 机制 作用 目的 步骤 流程 方案 实现 实现方法 代表 代表模型 使用 模型 数据 "
    "解决 解决方法 思想 核心思想 概念 背景 区别 对比 挑战 分析 说明 补充 一 二 三 四 五 其他 常见".split()
)


def _label(point: str) -> str | None:
    m = _LABEL.match(point.strip())
    return m.group(1).strip() if m else None


def _opening(point: str) -> str:
    """A point's label and the first clause after it."""
    label = _label(point) or ""
    body = point.strip()[len(label) + 1 :] if label else point.strip()
    first = next((c for c in _CLAUSE.split(body) if c.strip()), "")
    return f"{label} {first}"


def label_terms(point: str, others: list[str], question_tokens: set[str]) -> tuple[set[str], set[str]]:
    """Distinctive terms of the point's label: (Latin words, lower-cased; Chinese content tokens); empty when the
    point has no label or the label is not distinctive (see the module docstring)."""
    label = _label(point)
    if label is None:
        return set(), set()
    latin = {w.lower() for w in _LATIN.findall(label)} - {t.lower() for t in question_tokens}
    zh = {t for t in tx.content_tokens(re.sub(r"[A-Za-z0-9]", " ", label))
          if t not in question_tokens and t not in GENERIC_LABELS and len(t) >= 2}
    if len(zh) == 1 and len(next(iter(zh))) < 3:
        zh = set()
    other_openings = "\n".join(_opening(o) for o in others).lower()
    if any(t.lower() in other_openings for t in latin | zh):
        return set(), set()
    return latin, zh


def label_hit(terms: tuple[set[str], set[str]], clause: str) -> bool:
    """The clause names the label (a Latin term of it, or all its Chinese terms) and says more about it."""
    latin, zh = terms
    if not latin and not zh:
        return False
    low = clause.lower()
    named = {w for w in latin if re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", low)}
    zh_named = bool(zh) and all(t in clause for t in zh)
    if not named and not zh_named:
        return False
    rest = [t for t in tx.content_tokens(clause) if t.lower() not in named and t not in zh]
    return len(rest) >= MIN_EXPLANATION
