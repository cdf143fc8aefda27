"""Graded transcripts built from the pydantic models, for the report / history / practice CLI tests."""

from __future__ import annotations

from pathlib import Path

from agent.schemas import (
    EngineInfo,
    Grade,
    PointVerdict,
    Reflection,
    Source,
    StudyItem,
    Summary,
    Transcript,
    Turn,
)

EVIL = '<script>alert("x")</script> & <b>粗体</b>'


def _grade(score: float, points: list[tuple[str, str, str]], feedback: str = "回答基本到位") -> Grade:
    """Point 0 comes from the bank entry, the others from note chunks (``file:a-b:hash`` ids)."""
    ids = ["bank:q#0", "agent-question-bank-theory.md:1302-1304:ab12cd34ef", "project-study-notes.md:7-9:0f0f0f0f0f"]
    return Grade(
        points=[PointVerdict(point=p, chunk_id=ids[i % 3], quote=q, status=s) for i, (p, q, s) in enumerate(points)],  # type: ignore[arg-type]
        errors=["把 KL 惩罚说成了奖励"] if score < 4 else [],
        feedback=feedback,
        model_answer="RLHF 分三步：SFT、训练奖励模型、用 PPO 优化策略并加 KL 惩罚。",
        score=score,
        rubric_version="rubric-v1",
        engine="offline",
    )


def make_transcript(
    session_id: str = "sess-1",
    mode: str = "interview",
    started_at: str = "2026-01-01T09:00:00+00:00",
    scores: tuple[float, float] = (8.0, 3.0),
    with_summary: bool = False,
) -> Transcript:
    src = Source(file="agent-question-bank-theory.md", section="3.1 RLHF 核心流程", lines=(1300, 1308))
    answer1 = f"RLHF 先做监督微调，然后训练奖励模型。最后用 PPO 优化。{EVIL}"
    main1 = Turn(
        question_id="q-rlhf-1",
        question="请详细阐述经典RLHF流程的三个核心阶段",
        category="RLHF 对齐",
        difficulty=3,
        answer=answer1,
        grade=_grade(
            scores[0],
            [
                ("第一阶段监督微调", "RLHF 先做监督微调", "covered"),
                ("训练奖励模型", "训练奖励模型", "covered"),
                ("PPO 中的 KL 惩罚", "", "missing"),
            ],
        ),
        sources=[src],
    )
    follow = main1.model_copy(update={  # a follow-up of the same question (id, category, difficulty, sources)
        "question": "PPO 中 KL 惩罚起什么作用？", "kind": "followup", "answer": "防止策略偏离参考模型太远",
        "grade": _grade(6.0, [("PPO 中的 KL 惩罚", "防止策略偏离参考模型太远", "partial")]),
        "reflection": Reflection(attempts=2, verified=False, problems=["分数与要点不符"]),
    })
    main2 = Turn(
        question_id="q-lora-1",
        question="LoRA 的原理是什么？",
        category="微调",
        difficulty=2,
        answer="不太清楚",
        grade=_grade(scores[1], [("低秩分解 ΔW = BA", "", "missing"), ("冻结原权重", "", "missing")]),
        sources=[Source(file="finetuning-knowledge-map.md", section="LoRA", lines=(10, 20))],
    )
    skipped = Turn(
        question_id="q-rag-1", question="RAG 如何评估？", category="RAG", difficulty=1, answer="", skipped=True
    )
    t = Transcript(
        session_id=session_id,
        mode=mode,
        started_at=started_at,
        finished_at=started_at,
        engine=EngineInfo(kind="offline"),
        turns=[main1, follow, main2, skipped],
    )
    if with_summary:
        t.summary = Summary(
            overall=5.0,
            by_category={"RLHF 对齐": 8.0, "微调": 3.0},
            study_next=[StudyItem(point="低秩分解 ΔW = BA", question_id="q-lora-1", file="finetuning-knowledge-map.md", section="LoRA")],
        )
    return t


def write_transcript(home: Path, transcript: Transcript) -> Path:
    folder = home / "transcripts" / transcript.session_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "transcript.json"
    path.write_text(transcript.model_dump_json(indent=2), encoding="utf-8")
    return path
