"""``mockint simulate``: personas run whole sessions through the graph; the grader orders them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import agent.knowledge.bank as bank_mod
from agent.cli.app import app
from agent.engines.offline import OfflineEngine
from agent.errors import LLMConfigError
from agent.evals.simulate import PersonaResult, run_persona
from agent.schemas import Question

BANK = [
    Question(id="t-attn", text="自注意力为什么要除以根号 d_k？", category="transformer", section="s", difficulty=2,
             reference_points=["点积的方差会随维度 d_k 增大，除以根号 d_k 可以让数值保持稳定",
                               "数值过大时 softmax 会进入饱和区，梯度变得很小，训练困难",
                               "缩放之后注意力分布不会过于尖锐，模型更容易学习"]),
    Question(id="t-lora", text="LoRA 的原理是什么？", category="sft", section="s", difficulty=2,
             reference_points=["LoRA 冻结预训练权重，只训练低秩分解得到的两个小矩阵",
                               "低秩矩阵的乘积作为权重的增量，训练参数量大大减少",
                               "训练完成后增量可以合并回原权重，推理时没有额外延迟"]),
    Question(id="t-rag", text="RAG 的基本流程是什么？", category="rag", section="s", difficulty=2,
             reference_points=["先把文档切分成文本块，用嵌入模型编码后存入向量数据库",
                               "查询时把问题编码成向量，检索最相似的文本块",
                               "把检索到的文本块和问题一起放进提示词，由大模型生成回答"]),
]


@pytest.fixture(scope="module")
def results() -> dict[str, PersonaResult]:
    engine = OfflineEngine()
    return {p: run_persona(p, BANK, n=3, sessions=1, engine=engine)
            for p in ("strong", "average", "weak", "evasive", "injector")}


def test_personas_are_ordered(results: dict[str, PersonaResult]) -> None:
    mean = {p: r.mean_score for p, r in results.items()}
    assert mean["strong"] > mean["average"] > mean["weak"] > mean["evasive"], mean
    assert mean["injector"] <= mean["weak"], mean
    assert mean["strong"] >= 8 and mean["evasive"] <= 2 and mean["injector"] <= 2


def test_sessions_run_through_the_graph(results: dict[str, PersonaResult]) -> None:
    strong, weak = results["strong"], results["weak"]
    assert strong.sessions == 1 and len(strong.scores) == 3
    transcript = weak.transcripts[0]
    assert transcript.mode == "simulate" and transcript.summary is not None
    assert {t.question_id for t in transcript.turns} == {q.id for q in BANK}
    followups = [t for t in transcript.turns if t.kind == "followup"]
    assert followups and weak.followups == len(followups)
    assert all(t.grade is not None for t in transcript.turns)
    assert strong.followups < weak.followups  # complete answers need fewer follow-ups


def test_simulate_is_deterministic(results: dict[str, PersonaResult]) -> None:
    again = run_persona("average", BANK, n=3, sessions=1, engine=OfflineEngine())
    assert again.scores == results["average"].scores and again.followups == results["average"].followups


def test_simulate_cli_json_and_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bank_mod, "load_bank", lambda path=None: list(BANK))
    result = CliRunner().invoke(app, ["simulate", "--persona", "strong", "-n", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"strong"} and set(data["strong"]) == {"mean_score", "followups", "sessions"}
    shown = CliRunner().invoke(app, ["simulate", "--persona", "weak", "-n", "1", "--show"])
    assert shown.exit_code == 0 and "回答" in shown.stdout and "得分" in shown.stdout


def test_simulate_unknown_persona() -> None:
    result = CliRunner().invoke(app, ["simulate", "--persona", "genius", "--json"])
    assert result.exception is not None and "genius" in str(result.exception)


def test_simulate_llm_without_key_fails_before_loading_the_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_early(path: object = None) -> list:
        raise AssertionError("bank loaded before the LLM check")

    monkeypatch.setattr(bank_mod, "load_bank", too_early)
    result = CliRunner().invoke(app, ["simulate", "--persona", "weak", "--engine", "llm", "--json"])
    assert isinstance(result.exception, LLMConfigError) and "base_url" in str(result.exception)
    assert result.stdout == ""
