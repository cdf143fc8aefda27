"""Parsers per note shape: small inline samples of each shape, format detection, and the real notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.knowledge.notes import detect_format, parse_file, parse_text
from agent.knowledge.notes.generic import as_question
from agent.knowledge.notes.model import RawQuestion
from agent.knowledge.notes.table import split_cells

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"


def parsed(text: str, name: str, fmt: str) -> list[RawQuestion]:
    """The questions of a note, whose detected format must be ``fmt``."""
    note = parse_text(text, name)
    assert note.fmt == fmt
    return note.questions


NUMBERED = """# 1. 基础知识
考察点：概念是否清楚

## 1. 什么是LoRA？
Answer:
1. 低秩分解：只训练 A、B 两个小矩阵
2. 冻结原模型权重，显存占用小

## 2. 你在项目中用过QLoRA吗？

# 2. 进阶对比
考察点：能否比较方案

1. DPO和PPO的区别？

2. 幻觉与幅度： 什么是大模型的幻觉？如何缓解？
"""

QA_MAP = """# 知识地图
- **SFT:** 监督微调

# 面试问题清单

### 训练与工程

1. **问题:** 如何避免灾难性遗忘？
   **答案要点:** 复习数据混入；EWC 正则约束重要参数；冻结底层
   **可能追问:**
   - **度量:** 如何量化遗忘？
   - **策略:** 何时再平衡数据占比？

2. **问题:** LoRA 的关键超参？
   **答案要点:** 秩 r；alpha 缩放；插入位置
"""

CARDS = """# 题库

## 第一部分:LLM 核心理论(2题)

### 1.1 Transformer 架构(必考⭐⭐⭐)

#### Q1:什么是自注意力机制?

**难度**:⭐⭐
**岗位**:通用
**标签**:#Transformer #Attention
**公司**:字节、阿里(高频)

**核心考点**:
- Q/K/V 计算

**标准答案**:
1. **原理**
   - 输入经线性变换得到 Q、K、V
   - 用 softmax(QK^T/√d_k) 加权求和 V
```
# 代码里的井号不是标题
Attention(Q,K,V) = softmax(QK^T/√d_k)V
```

**延伸问题**:
- Multi-Head 的作用是什么?
  - 答:关注不同子空间

**面试技巧**:
- 先说公式

---

#### Q2:KV Cache 是什么？

**难度**:⭐⭐⭐⭐
**岗位**:通用
**标签**:#推理
**公司**:腾讯
"""

TABLE = (
    "序号\t问题\t答案\t列1\t\t\t\n"
    "1\t模型微调，怎么判断效果\t看验证集损失是否收敛。\n"
    "再看下游任务指标。\t\t\t\n"
    "2\t什么是过拟合\n"
    "\t训练集好、测试集差。\t\t\t\t\n"
    "3\t\"带引号\t的问题\"\t\"多行\n答案，含 \"\"引号\"\"\"\t备注？\t\n"
    "4\t只有问题没有答案\t\t\t\t\n"
)

GENERIC = """---
date: 2025
---
## RAG

### 文档切分粒度怎么把控？

用滑动窗口切分，保证相邻段落有重叠。

## Transformer

**请解释多头自注意力的作用**

多头把 Q、K、V 分到多个子空间，分别计算注意力后拼接。

**为什么它对大模型至关重要**

因为大模型需要强大的信息建模能力。

### RoPE 的基本原理

用旋转矩阵把位置信息编码到 Query 和 Key 中。

Q: 什么是 KV Cache？
A: 缓存历史 token 的 Key 和 Value，避免重复计算。

### 多头注意力

这里是普通笔记，不是问题。
"""


def test_numbered_shape() -> None:
    questions = parsed(NUMBERED, "n.md", "numbered")
    texts = [q.text for q in questions]
    assert texts == ["什么是LoRA？", "你在项目中用过QLoRA吗？", "DPO和PPO的区别？", "什么是大模型的幻觉？如何缓解？"]
    first, second, _, last = questions
    assert first.section == "基础知识" and first.lines == (4, 7)
    assert first.points == ["低秩分解：只训练 A、B 两个小矩阵", "冻结原模型权重，显存占用小"]
    assert second.points == [] and second.answer == ""
    assert last.section == "进阶对比" and last.tags == ["幻觉与幅度"]


def test_qa_map_shape() -> None:
    questions = parsed(QA_MAP, "m.md", "qa_map")
    assert [q.text for q in questions] == ["如何避免灾难性遗忘？", "LoRA 的关键超参？"]
    q = questions[0]
    assert q.section == "训练与工程"
    assert q.points == ["复习数据混入", "EWC 正则约束重要参数", "冻结底层"]
    assert q.followups == ["如何量化遗忘？", "何时再平衡数据占比？"]  # bold labels dropped
    assert questions[1].points == ["秩 r", "alpha 缩放", "插入位置"]


def test_cards_shape() -> None:
    q1, q2 = parsed(CARDS, "c.md", "cards")
    assert q1.text == "什么是自注意力机制?"
    assert q1.difficulty == 2 and q2.difficulty == 3  # ⭐ count, capped at 3
    assert q1.section == "LLM 核心理论 / Transformer 架构"  # part / sub-section
    assert q1.tags == ["岗位:通用", "Transformer", "Attention"]
    assert q1.companies == ["字节", "阿里"]
    assert q1.followups == ["Multi-Head 的作用是什么?"]  # nested "答:" is not a follow-up
    assert q1.points == ["原理：输入经线性变换得到 Q、K、V", "原理：用 softmax(QK^T/√d_k) 加权求和 V"]
    assert not any("先说公式" in p or "Q/K/V 计算" in p for p in q1.points)  # meta blocks excluded
    assert q2.points == []


def test_split_cells_quotes_and_trailing_tabs() -> None:
    assert split_cells('3\t"a\tb"\t"x\n""y"""\t\t\t') == ["3", "a\tb", 'x\n"y"']
    assert split_cells("1\tq\t\t") == ["1", "q"]


def test_table_shape() -> None:
    questions = parsed(TABLE, "t.txt", "table")
    texts = [q.text for q in questions]
    assert texts == ["模型微调，怎么判断效果", "什么是过拟合", "带引号 的问题", "只有问题没有答案"]
    q1, q2, q3, q4 = questions
    assert q1.points == ["看验证集损失是否收敛。", "再看下游任务指标。"] and q1.lines == (2, 3)
    assert q2.points == ["训练集好、测试集差。"]  # answer on the next line, after a tab
    assert "多行" in q3.answer and '"引号"' in q3.answer and q3.followups == ["备注？"]
    assert q4.points == [] and q4.lines == (8, 8)


def test_generic_shape() -> None:
    questions = parsed(GENERIC, "g.md", "generic")
    texts = [q.text for q in questions]
    assert texts == ["文档切分粒度怎么把控？", "请解释多头自注意力的作用", "RoPE 的基本原理是什么？", "什么是 KV Cache？"]
    rag, mha, rope, kv = questions
    assert rag.section == "RAG" and rag.points == ["用滑动窗口切分，保证相邻段落有重叠。"]
    assert mha.followups == ["为什么它对大模型至关重要？"]  # a back-reference becomes a follow-up
    assert any("信息建模能力" in p for p in mha.points)
    assert rope.section == "Transformer"
    assert kv.points == ["缓存历史 token 的 Key 和 Value，避免重复计算。"]


def test_as_question() -> None:
    assert as_question("RoPE 缩放的原理") == "RoPE 缩放的原理是什么？"
    assert as_question("微调方式，不同方式有何区别") == "微调方式，不同方式有何区别？"
    assert as_question("简述一下FlashAttention的原理") == "简述一下FlashAttention的原理"
    assert as_question("LoRA 是什么？") == "LoRA 是什么？"


def test_plain_markdown_without_questions_is_empty() -> None:
    note = parse_text("# 读书笔记\n\n今天学习了注意力。\n\n- 要点一\n- 要点二\n", "x.md")
    assert note.questions == []


@pytest.mark.parametrize(
    ("name", "fmt", "count"),
    [
        # counted by hand: 17 `##` questions + 33 + 26 + 11 + 10 + 6 numbered lines in sections 2-6
        ("sft-data-and-finetuning-qa.md", "numbered", 103),
        # 15 numbered 问题 + 2 in 额外高频快问快答
        ("finetuning-knowledge-map.md", "qa_map", 17),
        # `#### Qn:` cards: LLM 16 + 16 (1.4) + VLM 18 + RLHF 32
        ("agent-question-bank-theory.md", "cards", 82),
        # rows 1..37
        ("llm-interview-qa-table.txt", "table", 37),
        # 3 question headings + 2 cue headings (RoPE) + 1 plain cue line + 6 bold Qs + 1 heading (FlashAttention);
        # "为什么它对大模型至关重要" is a follow-up of the bold question before it
        ("project-study-notes.md", "generic", 13),
    ],
)
def test_real_notes_detected_and_counted(name: str, fmt: str, count: int) -> None:
    text = (SOURCES / name).read_text(encoding="utf-8")
    assert detect_format(text) == fmt
    note = parse_file(SOURCES / name)
    assert len(note.questions) == count
    for q in note.questions:
        assert q.text.strip() and q.file == name
        assert 1 <= q.lines[0] <= q.lines[1]
        assert all(len(p) <= 200 for p in q.points) and len(q.points) <= 12


def test_real_notes_details() -> None:
    cards = parse_file(SOURCES / "agent-question-bank-theory.md").questions
    rope = next(q for q in cards if q.text.startswith("请你详细介绍ROPE"))
    assert rope.difficulty == 3 and rope.companies == ["字节"] and "ROPE" in rope.tags
    assert any("外推性" in p for p in rope.points)
    assert not any(p.startswith("#") for q in cards for p in q.points)  # code comments are not headings/points
    table = parse_file(SOURCES / "llm-interview-qa-table.txt").questions
    vllm = next(q for q in table if q.text.startswith("vllm"))
    assert vllm.lines == (214, 232) and any("PagedAttention" in p for p in vllm.points)
    assert [q.text for q in table if not q.points] == [
        "怎么用pytorch去写一个能够跑起训练的脚本", "用dockerFile装过哪些包", "什么是大模型幻觉", "意图识别是怎么做的"]
    qa_map = parse_file(SOURCES / "finetuning-knowledge-map.md").questions
    assert all(len(q.followups) == 2 and q.points for q in qa_map)
    sft = parse_file(SOURCES / "sft-data-and-finetuning-qa.md").questions
    assert sum(1 for q in sft if q.points) == 4  # only the first four questions carry answers


def test_detection_of_user_note_shapes() -> None:
    plain_list = "1. 什么是LoRA？\n答：只训练低秩矩阵。\n\n2. 什么是QLoRA？\n答：4-bit 量化 + LoRA。\n\n3. 什么是PEFT？\n"
    questions = parsed(plain_list, "u.md", "numbered")
    assert [q.text for q in questions] == ["什么是LoRA？", "什么是QLoRA？", "什么是PEFT？"]
    assert questions[0].points == ["只训练低秩矩阵。"] and questions[2].points == []
    assert detect_format("## 什么是RAG？\n\n检索增强生成。\n") == "generic"
    assert detect_format("1\t问题一\t答案一\n2\t问题二\t答案二\n") == "table"
    assert detect_format("#### Q1: 什么是 MoE？\n**难度**:⭐\n") == "cards"
    # looks like a card file but has no cards: the generic reading still finds the bold question
    fallback = parse_text("#### Q1 notes\n\n**难度**:⭐\n\n**什么是 MoE？**\n\n稀疏激活的专家网络。\n", "f.md", fmt="cards")
    assert [q.text for q in fallback.questions] == ["什么是 MoE？"]
