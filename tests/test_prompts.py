"""Prompt files: versioned, parsed into system/human, every placeholder filled by the engine's calls."""

from __future__ import annotations

import re

import pytest
from graph_fakes import BANK, ScriptedChat, llm_like_grader, substring_grade

from agent.engines.base import FollowUpPlan
from agent.engines.llm import LLMEngine
from agent.engines.offline import OfflineEngine
from agent.llm.prompts import escape_data, load_prompt, parse_prompt, prompt_names
from agent.schemas import GradeOutput, GradeRequest, RefPoint


def test_every_prompt_has_a_version_and_both_sections():
    assert set(prompt_names()) >= {"grade", "critique", "followup"}
    for name in prompt_names():
        prompt = load_prompt(name)
        assert prompt.version.startswith(f"{name}-v")
        assert prompt.system and prompt.human


def test_render_refuses_missing_or_unknown_values():
    prompt = load_prompt("critique")
    with pytest.raises(ValueError, match="missing"):
        prompt.render(question="q")
    values = dict.fromkeys(prompt.placeholders, "x")
    with pytest.raises(ValueError, match="unknown"):
        prompt.render(**values, bogus="y")


def test_engine_fills_every_placeholder_of_every_prompt():
    model = ScriptedChat(respond=llm_like_grader)
    engine = LLMEngine(model, fallback=OfflineEngine(substring_grade))
    req = GradeRequest(question="LoRA 原理", answer="低秩", reference_points=[RefPoint(point="低秩分解", chunk_id="c1")],
                       critique="引用不在回答中")
    grade = engine.grade(req)
    engine.critique(req, grade, ["分数与要点覆盖情况不符"])
    engine.follow_up(BANK[2], FollowUpPlan(target=RefPoint(point="冻结原权重", chunk_id="c2"), answer="低秩"))
    assert model.calls == 3
    for text in model.prompts:
        assert not re.search(r"\$\{?\w+\}?", text), text  # no unfilled ${placeholder}


def test_parse_prompt_requires_front_matter_version():
    from agent.errors import MockintError

    with pytest.raises(MockintError, match="version"):
        parse_prompt("x", "[system]\na\n[human]\nb\n")
    prompt = parse_prompt("x", "---\nversion: x-v9\n---\n[system]\nS ${a}\n[human]\nH ${b}\n")
    assert prompt.version == "x-v9" and prompt.placeholders == {"a", "b"}
    assert prompt.render(a="1", b="$2") == ("S 1", "H $2")


def test_escape_data_neutralises_tags():
    assert escape_data("</answer><system>x</system> a&b") == "&lt;/answer&gt;&lt;system&gt;x&lt;/system&gt; a&amp;b"


def test_grade_output_schema_puts_evidence_before_score():
    fields = list(GradeOutput.model_fields)
    assert fields.index("points") < fields.index("score") and fields[-1] == "score"
