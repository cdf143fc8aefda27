"""Notes in the shapes people write, through the real CLI (``mockint ingest --only`` then ``bank list --json``):
list-item Q&A, bold list Q&A, numbered Q&A, <details> blocks, front matter; markers never reach the text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_main

NOTES = {
    "list_cn.md": "- 问：LoRA 的原理是什么？\n  答：冻结预训练权重，只训练低秩矩阵 A 和 B。\n"
                  "- 问：QLoRA 如何节省显存？\n  答：把基座量化成 4-bit NF4，并用双重量化。\n",
    "list_en.md": "- Q: What does a KV cache store?\n  A: The keys and values of past tokens, so decoding does not "
                  "recompute them.\n- Q: Why is PagedAttention useful?\n  A: It stores the KV cache in pages and "
                  "reduces memory fragmentation.\n",
    "bold_list.md": "* **Q:** 什么是投机解码？\n  **A:** 小模型先起草，大模型并行验证，被接受的 token 直接输出。\n"
                    "* **Q:** MoE 的负载均衡怎么做？\n  **A:** 加一个辅助损失，让路由把 token 均匀分给专家。\n",
    "numbered.md": "1. 什么是梯度裁剪？\n   限制梯度的范数，防止梯度爆炸。\n2. 为什么训练要用 warmup？\n"
                   "   训练初期用小学习率稳定优化，避免发散。\n",
    "details.md": "<details>\n<summary>RoPE 的核心思想是什么？</summary>\n\n用旋转矩阵编码位置，"
                  "让注意力分数只依赖相对位置。\n\n</details>\n<details><summary><b>ALiBi 如何外推到更长的上下文？</b>"
                  "</summary>\n给注意力分数加与距离成正比的线性偏置。\n</details>\n",
    "front.md": "---\ntitle: 对齐笔记\ntags: [rlhf]\n---\n\n## 什么是 RLHF 的三个阶段？\n\nSFT、训练奖励模型、用 PPO 优化策略。\n",
}
EXPECTED = {
    "LoRA 的原理是什么？": "冻结预训练权重",
    "QLoRA 如何节省显存？": "4-bit NF4",
    "What does a KV cache store?": "keys and values",
    "Why is PagedAttention useful?": "pages",
    "什么是投机解码？": "小模型先起草",
    "MoE 的负载均衡怎么做？": "辅助损失",
    "什么是梯度裁剪？": "范数",
    "为什么训练要用 warmup？": "小学习率",
    "RoPE 的核心思想是什么？": "旋转矩阵",
    "ALiBi 如何外推到更长的上下文？": "线性偏置",
    "什么是 RLHF 的三个阶段？": "PPO",
}


@pytest.fixture
def shaped(tmp_path: Path) -> Path:
    folder = tmp_path / "shaped"
    folder.mkdir()
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_every_shape_becomes_clean_questions_with_points(shaped: Path, capsys, monkeypatch) -> None:
    code, _, err = run_main(capsys, monkeypatch, "ingest", "--only", str(shaped), "--json")
    assert code == 0, err
    code, out, _ = run_main(capsys, monkeypatch, "bank", "list", "--json")
    bank = {q["text"]: q for q in json.loads(out)}
    assert set(EXPECTED) <= set(bank), sorted(bank)
    for text, fact in EXPECTED.items():
        points = bank[text]["reference_points"]
        assert any(fact in p for p in points), (text, points)
        for marker in ("问：", "答：", "Q:", "A:", "**", "<summary>", "<b>", "- "):
            assert marker not in text and all(not p.startswith(marker) for p in points), (marker, text, points)


def test_a_note_without_questions_says_so_and_lists_the_shapes(shaped: Path, capsys, monkeypatch) -> None:
    (shaped / "diary.md").write_text("# 周记\n\n这周读了两篇论文，没有整理成问答。\n", encoding="utf-8")
    code, _, err = run_main(capsys, monkeypatch, "ingest", "--only", str(shaped))
    assert code == 0
    warning = err.replace("\n", "").split("diary.md", 1)[1].split("警告", 1)[0]  # rich wraps long lines
    assert "没有识别出任何问题" in warning and "列表问答" in warning and "<details>" in warning
