"""The unified question taxonomy: 12 categories with stable slugs and Chinese display names.

Every note's own sections map onto these. :func:`classify` is deterministic: the first category whose
keyword rule matches the *question text* wins (rules are ordered from the most specific topic —
multimodal, RAG, agents, alignment — to the broadest — training, basics); if none matches, the note's
section path is tried with the same rules; project/experience questions with no
specific technical keyword (training/basics words do not count) go to ``project``; anything else falls back to ``training``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from agent.errors import UsageError


@dataclass(frozen=True)
class Category:
    slug: str
    name: str  # Chinese display name
    aliases: tuple[str, ...]
    pattern: str  # keyword rule (regex, case-insensitive)


CATEGORIES: tuple[Category, ...] = (
    Category("multimodal", "多模态大模型", ("vlm", "多模态", "multimodal", "视觉"),
             r"vlm|多模态|模态|clip\b|llava|minigpt|视觉|图像|图片|视频|\bvit\b|blip|flamingo|grounding|vqa|截图|"
             r"目标检测|对比学习|infonce|cnn"),
    Category("rag", "RAG 与检索", ("retrieval", "检索", "检索增强", "向量库"),
             r"\brag\b|graphrag|检索|召回|向量数据库|向量库|chunk|文档切分|切分粒度|切分策略|rerank|重排|知识库|领域助手"),
    Category("alignment", "对齐与强化学习", ("rlhf", "rl", "强化学习", "对齐", "偏好对齐", "dpo", "ppo", "grpo"),
             r"rlhf|rlaif|ppo|dpo|grpo|gspo|dapo|orpo|kto|奖励|reward|偏好|对齐|强化学习|\brl\b|kl ?散度|rollout|"
             r"\bgae\b|value baseline|信用分配|bradley|\brm\b|成对比较"),
    Category("agent", "Agent、工具调用与 Prompt", ("agents", "智能体", "tool", "工具调用", "prompt", "提示词"),
             r"agent|智能体|工具|tool|function ?calling|langchain|langgraph|llamaindex|autogen|workflow|\bdag\b|"
             r"planning|规划|意图识别|memory|prompt(?! ?tuning)|提示词|langsmith"),
    Category("evaluation", "评测与幻觉", ("eval", "评测", "评估", "幻觉", "hallucination"),
             r"评估|评测|评价|判断效果|指标|幻觉|hallucination|bleu|rouge|win-?rate|judge|benchmark"),
    Category("inference", "推理加速与部署", ("serving", "deploy", "部署", "推理", "量化", "kv cache", "vllm"),
             r"vllm|kv[ -]?cache|推理加速|推理速度|量化|quantiz|pagedattention|部署|解码|beam search|top-?[kp]\b|"
             r"greedy|蒸馏|延迟|时延|吞吐|并发|docker|flash ?attention|speculative|\bmla\b|重复生成|稀疏注意力|计算复杂度|"
             r"推理时|灰度|上线|生产落地"),
    Category("position", "位置编码与长上下文", ("rope", "位置编码", "长上下文", "long context", "positional"),
             r"位置编码|rope|alibi|长上下文|上下文长度|外推|yarn|ntk|超长|长文本"),
    Category("sft", "SFT 与参数高效微调", ("finetune", "fine-tuning", "微调", "peft", "lora", "指令微调"),
             r"sft|微调|lora|peft|adapter|适配器|prefix ?tuning|instruction tuning|遗忘|llamafactory|全参|冷启动|数据集|"
             r"训练数据|训练样本|样本|数据清洗|数据标注|数据规模|数据流程|数据版本|\brank\b|秩"),
    Category("transformer", "Transformer 与模型架构", ("architecture", "架构", "attention", "注意力", "transformer"),
             r"transformer|transfermer|attention|注意力|\bmha\b|mqa|gqa|encoder|decoder|layernorm|batchnorm|激活函数|"
             r"\bmoe\b|混合专家|架构|算子|掩码|tokeniz|bpe|wordpiece|词元|swiglu|gelu|涌现|nlp和llm|qwen|deepseek|"
             r"大语言模型分类|causal lm|prefix lm|论文"),
    Category("basics", "机器学习与编程基础", ("ml", "coding", "python", "编程", "sql", "基础"),
             r"python|numpy|pandas|\bsql\b|join|groupby|having|pytorch|过拟合|欠拟合|\bl1\b|\bl2\b|动态类型|原生库|"
             r"库导入|dockerfile"),
    Category("training", "预训练与训练优化", ("pretraining", "pretrain", "预训练", "训练", "optimization", "优化器"),
             r"scaling ?law|预训练|优化器|adamw|\bsgd\b|学习率|warmup|\bloss\b|损失|梯度|分布式|zero|fsdp|deepspeed|"
             r"bf16|fp16|float16|显存|batch|批次|epoch|正则|收敛|训练不稳定|\bmse\b|训练|千亿"),
    Category("project", "项目与经验", ("experience", "项目", "经验", "项目经验", "behavioral"),
             r"项目|实习|业务|推荐|广告|llm4rec|上限|端到端|选型|框架"),
)

BY_SLUG: dict[str, Category] = {c.slug: c for c in CATEGORIES}
SLUGS: tuple[str, ...] = tuple(c.slug for c in CATEGORIES)
_FLAGS = re.IGNORECASE | re.ASCII  # ASCII: \b sees CJK as a boundary ("RAG的流程")
_RULES = [(c.slug, re.compile(c.pattern, _FLAGS)) for c in CATEGORIES if c.slug != "project"]
_PROJECT_RULE = re.compile(BY_SLUG["project"].pattern, _FLAGS)
_GENERIC = ("training", "basics")  # too broad to beat "project" for a project/experience question
FALLBACK = "training"


def display_name(slug: str) -> str:
    cat = BY_SLUG.get(slug)
    return cat.name if cat else slug


def _match(text: str, skip: tuple[str, ...] = ()) -> str | None:
    for slug, rule in _RULES:
        if slug not in skip and rule.search(text):
            return slug
    return None


def classify(text: str, section: str = "", kind: str = "knowledge") -> str:
    """The category slug of a question (see the module docstring for the rule order)."""
    found = _match(text, _GENERIC if kind == "project" else ())
    if found:
        return found
    if kind == "project" or _PROJECT_RULE.search(text):
        return "project"
    for part in reversed([p.strip() for p in section.split("/") if p.strip()]):
        found = _match(part)
        if found:
            return found
    return FALLBACK


def resolve_category(name_or_text: str) -> str | None:
    """A slug for a slug, a Chinese display name or an alias (case-insensitive); ``None`` when unknown."""
    key = name_or_text.strip().lower()
    if not key:
        return None
    for cat in CATEGORIES:
        if key == cat.slug or key == cat.name.lower() or key in (a.lower() for a in cat.aliases):
            return cat.slug
    for cat in CATEGORIES:  # a display name typed without spaces ("rag与检索")
        if key.replace(" ", "") == cat.name.lower().replace(" ", ""):
            return cat.slug
    return None


def resolve_categories(requested: Iterable[str], valid: Iterable[str]) -> list[str]:
    """Map user category names (slug, display name or alias) to ``valid`` categories, in order, without repeats;
    an unknown name is UsageError (exit 2) listing the valid ones."""
    allowed = sorted(set(valid))
    resolved: list[str] = []
    for name in requested:
        slug = resolve_category(name)
        slug = slug if slug in allowed else (name if name in allowed else None)
        if slug is None:
            raise UsageError(f"未知的分类: {name}", hint="可选分类: " + "、".join(allowed))
        if slug not in resolved:
            resolved.append(slug)
    return resolved


_PROJECT_KIND = re.compile(
    r"你(的|们的?)(项目|实习|工作|团队|服务|模型)|(项目|实习)(中|里|的)|你(们)?(在|说|之前)|"
    r"你是(如何|怎么)|你(设置|使用|用|做|遇到|构造|构建)(过|的|了)|"
    r"你.{0,8}(做过|用过|遇到过|使用过|实现过|参与过|观察到)|有没?有(做过|考虑过|观察到|研读过)|有做过|"
    r"做过哪些|介绍一下你|讲一下.{0,6}项目|项目(深挖|亮点|难点)|你们为什么|之前实习|实习的|"
    r"用了多少|多少张卡|训练了多久|秩设置的是多少|(你|自己)的经验"
)


def detect_kind(text: str) -> str:
    """``project`` for questions about the candidate's own project/experience, else ``knowledge``."""
    return "project" if _PROJECT_KIND.search(text) else "knowledge"


def categories_help() -> str:
    """The categories for ``--help`` texts: ``slug（名称）`` joined."""
    return "、".join(f"{c.slug}（{c.name}）" for c in CATEGORIES)
