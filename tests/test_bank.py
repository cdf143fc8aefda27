"""The question bank built from the shipped notes: counts, merging, categories, ids, export, loading."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent import config
from agent.errors import MockintError, UsageError
from agent.knowledge.bank import (
    BankBuild,
    bank_stats,
    build_bank,
    find_question,
    heuristic_difficulty,
    load_bank,
    write_bank,
)
from agent.knowledge.taxonomy import CATEGORIES, SLUGS, classify, detect_kind, resolve_category

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
SFT, MAP, CARDS, TABLE, STUDY = (
    "sft-data-and-finetuning-qa.md",
    "finetuning-knowledge-map.md",
    "agent-question-bank-theory.md",
    "llm-interview-qa-table.txt",
    "project-study-notes.md",
)
RAW_COUNTS = {SFT: 103, MAP: 17, CARDS: 82, TABLE: 37, STUDY: 13}

# Near-duplicates found by reading the notes: each group must be ONE bank question citing all these sources.
KNOWN_DUPLICATES = {
    "PPO vs DPO": [(TABLE, "PPO与DPO的区别"), (SFT, "DPO和PPO的区别？")],
    "灾难性遗忘": [(MAP, "如何避免灾难性遗忘？"), (TABLE, "如何防止模型在微调时遗忘？"), (SFT, "遇到过灾难性遗忘吗？怎么缓解的？")],
    "微调效果评估": [(MAP, "你如何评估微调有效性？"), (TABLE, "模型微调，怎么判断效果")],
    "KV Cache": [(CARDS, "KV Cache是什么？为什么能极大地提升推理速度？"), (SFT, "kv cache是什么？为什么能极大地提升推理速度？")],
    "vLLM 推理加速": [(CARDS, "vLLM框架是怎么做推理加速的？"), (TABLE, "vllm的推理加速是怎么实现的")],
    "GRPO vs PPO": [(CARDS, "你知道Deepseek的GRPO吗，它和PPO的主要区别是什么？优劣是什么？"),
                    (SFT, "GRPO和PPO在RLHF中的核心区别是什么？为什么选择GRPO而不是PPO？")],
    "SFT 冷启动数据": [(CARDS, "SFT冷启动时数据集构造需要注意哪些因素？为什么要做数据清洗与均衡采样？"),
                   (SFT, "SFT冷启动时数据集构造需要注意哪些因素？为什么要做数据清洗与均衡采样？")],
    "SFT padding loss": [(CARDS, "SFT 的 loss 如何只计算回答部分？(如何 ignore padding token?)"),
                         (SFT, "SFT阶段如何避免对padding token计算loss？ 具体在代码中如何实现mask？")],
    "全参 vs LoRA": [(TABLE, "解释下全参数微调，lora ,QLora 的区别"), (SFT, "LoRA和全参微调相比，在推荐场景下各自的优缺点是什么？")],
    "SFT vs RL 场景": [(CARDS, "什么场景下用SFT，什么场景下用RL？"), (SFT, "什么场景下用SFT，什么场景下用RL？")],
    "Tokenization": [(CARDS, "什么是词元化?请比较一下 BPE 和 WordPiece 这两种主流的子词切分算法。"),
                     (CARDS, "Tokenization 是如何工作的？BPE、WordPiece 有啥区别？")],
}
# Similar wording, different questions: must stay apart.
KEEP_APART = [
    ((STUDY, "RoPE 的基本原理是什么？"), (STUDY, "RoPE 缩放的原理是什么？")),
    ((TABLE, "掩码多头自注意力机制的掩码是什么意思"), (TABLE, "介绍下多头注意力机制")),
    ((TABLE, "微调时，模型遗忘是为什么"), (TABLE, "如何防止模型在微调时遗忘？")),
    ((CARDS, "LoRA微调的原理是什么？秩 r 的选择会对模型表现产生什么影响？"), (SFT, "LoRA的原理是什么？ A、B矩阵是如何初始化的？")),
]


@pytest.fixture(scope="module")
def built() -> BankBuild:
    return build_bank([SOURCES])


def _assigned(built: BankBuild, file: str, text: str) -> list[str]:
    ids = [built.assignments[i] for i, r in enumerate(built.raw) if r.file == file and r.text == text]
    assert ids, f"raw question not found: {file}: {text}"
    return ids


def test_raw_counts_per_file(built: BankBuild) -> None:
    assert built.raw_counts == RAW_COUNTS
    assert built.formats == {SFT: "numbered", MAP: "qa_map", CARDS: "cards", TABLE: "table", STUDY: "generic"}
    assert built.warnings == []


def test_every_raw_question_is_in_the_bank_exactly_once(built: BankBuild) -> None:
    ids = {q.id for q in built.questions}
    assert len(ids) == len(built.questions)  # ids unique
    assert len(built.assignments) == len(built.raw) == sum(RAW_COUNTS.values())
    assert all(a in ids for a in built.assignments)
    per_question: dict[str, int] = {}
    for a in built.assignments:
        per_question[a] = per_question.get(a, 0) + 1
    for q in built.questions:  # one source per raw question merged into it, no more, no less
        assert per_question[q.id] == len(q.sources)
    provenance = sorted((s.file, s.lines[0]) for q in built.questions for s in q.sources)
    assert provenance == sorted((r.file, r.lines[0]) for r in built.raw)
    assert 200 <= len(built.questions) < len(built.raw)


@pytest.mark.parametrize("name", sorted(KNOWN_DUPLICATES))
def test_known_duplicates_are_one_question(built: BankBuild, name: str) -> None:
    members = KNOWN_DUPLICATES[name]
    ids = {i for file, text in members for i in _assigned(built, file, text)}
    assert len(ids) == 1, f"{name}: split into {ids}"
    q = find_question(built.questions, ids.pop())
    assert len(q.sources) >= len(members)
    assert {f for f, _ in members} <= {s.file for s in q.sources}


@pytest.mark.parametrize(("a", "b"), KEEP_APART)
def test_different_questions_stay_apart(built: BankBuild, a: tuple[str, str], b: tuple[str, str]) -> None:
    assert set(_assigned(built, *a)).isdisjoint(_assigned(built, *b))


def test_merged_question_unions_points_followups_and_sources(built: BankBuild) -> None:
    (qid,) = set(_assigned(built, MAP, "如何避免灾难性遗忘？"))
    q = find_question(built.questions, qid)
    assert "如何量化遗忘（旧任务回归集/差分评测）？" in q.followups  # from the knowledge map
    assert any("EWC/L2-SP" in p for p in q.reference_points)  # map's answer
    assert any("冻结部分参数" in p for p in q.reference_points)  # table's answer
    assert len(q.reference_points) <= 12
    assert q.section == q.sources[0].section


def test_categories_unified_and_all_used(built: BankBuild) -> None:
    stats = bank_stats(built.questions)
    assert set(stats["by_category"]) == set(SLUGS) and 8 <= len(SLUGS) <= 12
    assert all(n > 0 for n in stats["by_category"].values()), stats["by_category"]
    assert set(stats["by_source"]) == set(RAW_COUNTS)  # every note represented
    assert stats["questions"] == len(built.questions) == sum(stats["by_kind"].values())
    assert stats["with_reference"] > 60 and stats["with_followups"] > 15
    by_text = {q.text: q for q in built.questions}
    assert by_text["请你详细介绍ROPE,对比绝对位置编码它的优劣势分别是什么?"].category == "position"
    assert find_question(built.questions, _assigned(built, SFT, "DPO和PPO的区别？")[0]).category == "alignment"
    assert by_text["多模态大模型(如 VLM)的核心挑战是什么?即如何实现不同模态信息(如视觉和语言)的有效对齐和融合?"].category == "multimodal"
    assert by_text["RAG的流程"].category == "rag"


def test_difficulty_kind_and_ids(built: BankBuild) -> None:
    for q in built.questions:
        assert 1 <= q.difficulty <= 3
        assert re.fullmatch(rf"{q.category}-[0-9a-f]{{8}}", q.id)
        assert q.category in SLUGS and q.kind in ("knowledge", "project")
    by_text = {q.text: q for q in built.questions}
    assert by_text["请你详细介绍ROPE,对比绝对位置编码它的优劣势分别是什么?"].difficulty == 3  # ⭐⭐⭐
    assert by_text["什么是位置编码?在 Transformer 中,为什么它是必需的?请列举至少两种实现方式。"].difficulty == 2
    project = by_text["请介绍一下你的项目：目标是什么？用了什么基座模型？数据从哪来的？"]
    assert project.kind == "project" and project.category == "project"
    assert sum(q.kind == "project" for q in built.questions) >= 15


def test_build_is_deterministic(built: BankBuild) -> None:
    again = build_bank([SOURCES / n for n in sorted(RAW_COUNTS, reverse=True)])  # same files, other order
    assert [q.model_dump() for q in again.questions] == [q.model_dump() for q in built.questions]


def test_shipped_export_is_up_to_date(built: BankBuild, tmp_path: Path) -> None:
    fresh = tmp_path / "bank.jsonl"
    write_bank(built.questions, fresh)
    shipped = config.bank_path()
    assert shipped.exists(), "knowledge/bank.jsonl 缺失：运行 .venv/bin/python scripts/export_bank.py"
    assert fresh.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8"), (
        "knowledge/bank.jsonl 已过期（笔记或解析代码改了）：运行 .venv/bin/python scripts/export_bank.py 重新生成"
    )


def test_write_and_load_roundtrip(built: BankBuild, tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    write_bank(built.questions[:5], path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and "\\u" not in lines[0]  # ensure_ascii=False
    assert json.loads(lines[0])["sources"][0]["lines"] == list(built.questions[0].sources[0].lines)
    assert load_bank(path) == built.questions[:5]


def test_load_bank_prefers_home_then_shipped(built: BankBuild, isolated_home: Path) -> None:
    shipped = load_bank()
    assert len(shipped) == len(built.questions)  # no home bank yet → the shipped one
    write_bank(built.questions[:3], isolated_home / "bank.jsonl")
    assert [q.id for q in load_bank()] == [q.id for q in built.questions[:3]]


def test_load_bank_errors(tmp_path: Path) -> None:
    with pytest.raises(MockintError, match="不存在"):
        load_bank(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(MockintError, match="第 1 行"):
        load_bank(bad)


def test_find_question(built: BankBuild) -> None:
    q = built.questions[10]
    assert find_question(built.questions, q.id) is q
    assert find_question(built.questions, q.id[:-2]).id == q.id or len(
        [x for x in built.questions if x.id.startswith(q.id[:-2])]) > 1
    with pytest.raises(UsageError, match="不唯一"):
        find_question(built.questions, "sft-")
    with pytest.raises(UsageError, match="没有"):
        find_question(built.questions, "nope-00000000")


def test_bad_inputs(tmp_path: Path) -> None:
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    (tmp_path / "diary.md").write_text("# 日记\n\n今天天气不错。\n", encoding="utf-8")
    (tmp_path / "gbk.md").write_bytes("## 什么是LoRA？\n\n只训练低秩矩阵 A 和 B，冻结原权重。\n".encode("gbk"))
    built = build_bank([tmp_path])
    assert built.raw_counts == {"diary.md": 0, "empty.md": 0, "gbk.md": 1}
    assert len(built.warnings) == 2 and all("没有识别出任何问题" in w for w in built.warnings)
    (q,) = built.questions
    assert q.text == "什么是LoRA？" and q.reference_points == ["只训练低秩矩阵 A 和 B，冻结原权重。"]
    assert q.category == "sft" and q.sources[0].file == "gbk.md"
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01binary")
    with pytest.raises(MockintError, match="二进制"):
        build_bank([tmp_path / "blob.txt"])
    with pytest.raises(UsageError, match="路径不存在"):
        build_bank([tmp_path / "missing"])
    (tmp_path / "void").mkdir()
    with pytest.raises(UsageError):
        build_bank([tmp_path / "void"])


def test_nested_folder_names_are_relative(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("**什么是 RAG？**\n\n检索增强生成。\n", encoding="utf-8")
    built = build_bank([tmp_path])
    assert built.questions[0].sources[0].file == "sub/a.md"


def test_resolve_category() -> None:
    assert resolve_category("alignment") == "alignment"
    assert resolve_category("  RLHF ") == "alignment"
    assert resolve_category("RAG 与检索") == "rag"
    assert resolve_category("rag与检索") == "rag"
    assert resolve_category("微调") == "sft"
    assert resolve_category("Transformer") == "transformer"
    assert resolve_category("cooking") is None and resolve_category("") is None
    for cat in CATEGORIES:
        assert resolve_category(cat.slug.upper()) == cat.slug and resolve_category(cat.name) == cat.slug


def test_classify_and_kind_rules() -> None:
    assert classify("RAG的流程") == "rag"  # ASCII word next to CJK
    assert classify("MoE 是如何在不显著增加推理成本的情况下扩大参数规模的？") == "transformer"
    assert classify("你在大模型训练中遇到的困难，如何解决？", kind="project") == "project"
    assert classify("随便聊聊", section="位置编码") == "position"
    assert classify("随便聊聊") == "training"
    assert detect_kind("请介绍一下你的项目：目标是什么？") == "project"
    assert detect_kind("你在项目中使用过DPO吗？") == "project"
    assert detect_kind("如果让你自己设计一个Agent，你会怎么做？") == "knowledge"
    assert detect_kind("你如何从零构建一个领域 SFT 数据集？") == "knowledge"


def test_heuristic_difficulty() -> None:
    assert heuristic_difficulty("什么是过拟合") == 1
    assert heuristic_difficulty("RAG的chunk划分策略是什么？") == 1  # short, definitional
    assert heuristic_difficulty("RAG如果有噪声怎么办？") == 2
    assert heuristic_difficulty("请手推一下MSE的梯度回传过程") == 3
    assert heuristic_difficulty("你在项目里做了什么？", kind="project") == 2


def test_dedupe_rules() -> None:
    from agent.knowledge.dedupe import cluster, is_duplicate

    assert is_duplicate("PPO与DPO的区别", "DPO和PPO的区别？")  # word order, connectives
    assert is_duplicate("如何避免灾难性遗忘？", "如何防止模型在微调时遗忘？")  # synonyms
    assert is_duplicate("为什么要在推荐系统引入RAG？", "为什么在推荐系统中引入RAG？知识库的数据来源和构建流程是怎样的？")
    assert not is_duplicate("RoPE 的基本原理是什么？", "RoPE 缩放的原理是什么？")
    assert not is_duplicate("什么是过拟合", "什么是欠拟合")
    texts = ["DPO和PPO的区别？", "什么是过拟合", "PPO与DPO的区别", "什么是过拟合？"]
    assert cluster(texts) == [[0, 2], [1, 3]]
