"""Reference points: atomic, self-contained, cleaned, capped."""

from __future__ import annotations

from agent.knowledge.notes.points import MAX_LEN, select_points, split_points


def test_bullets_get_their_parent_label() -> None:
    text = """1.1 注意事项：
    a. 质量远胜于数量
    c. 答案的格式规范性：
        - 结构化
        - 拒绝回答的边界：构造一批拒答类数据
"""
    assert split_points(text) == [
        "注意事项：质量远胜于数量",
        "答案的格式规范性：结构化",
        "答案的格式规范性：拒绝回答的边界：构造一批拒答类数据",
    ]


def test_markdown_noise_is_stripped() -> None:
    text = """### 小标题
**关键**：用 ==滑动窗口== 切分，加 `Reranker` 重排
![[img.png]]
```python
x = compute()  # 代码块不是要点
```
pip install torch
---
"""
    assert split_points(text) == ["小标题：关键：用 滑动窗口 切分，加 Reranker 重排"]  # heading kept as context


def test_paragraph_split_into_sentences() -> None:
    para = ("注意力机制的本质是计算输入序列中各个位置之间的相似度，决定当前位置关注哪些信息并赋予不同的权重。"
            "输入序列会被映射成 q、k、v 三个向量。模型用 q 和所有位置的 k 计算相似度，再对 v 加权求和。")
    points = split_points(para)
    assert len(points) == 3 and points[1] == "输入序列会被映射成 q、k、v 三个向量。"


def test_table_rows_become_points() -> None:
    text = "| 维度 | APE | RoPE |\n| --- | --- | --- |\n| 外推 | 差 | 强 |\n| 维度 | APE | RoPE |\n"
    assert split_points(text) == ["外推：APE 差；RoPE 强"]


def test_empty_and_junk() -> None:
    assert split_points("") == [] and split_points("   \n") == []
    assert split_points("- a\n- https://example.com/x\n- )\n") == []


def test_cap_keeps_most_informative_in_order_and_length_limit() -> None:
    points = [f"短要点{i}" for i in range(10)] + ["这是一个明显更长、信息量更大的要点，应当保留下来" + str(i) for i in range(5)]
    kept = select_points(points, max_points=6)
    assert len(kept) == 6
    assert all("信息量更大" in p for p in kept[1:]) and kept == sorted(kept, key=points.index)
    long = "很长的句子" * 60 + "。"
    assert len(select_points([long])[0]) <= MAX_LEN


def test_near_identical_points_kept_once() -> None:
    assert select_points(["LoRA 只训练低秩矩阵 A 和 B。", "LoRA只训练低秩矩阵A和B", "另一个要点"]) == [
        "LoRA 只训练低秩矩阵 A 和 B。", "另一个要点"]
