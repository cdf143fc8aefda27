"""Can any recalibration of the offline grader lift correct answers without inflating fluent wrong ones?

    .venv/bin/python evals/separation.py --out evals/results/separation.json [DATASET ...]

Defaults to the development sets (heldout, heldout2, concise, ladder: hand-written and generated rows the grader
was diagnosed on; heldout3 stays held out). For every row it records the offline grader's evidence once — each
point's match (the credit the score is built from), the errors, keyword stuffing — and then:

1. **signals per kind**: the mean best point match, the mean of the three best, and the plain e5 cosine of the
   whole answer with the joined reference points. If correct and fluent-but-wrong answers get the same signals, no
   monotone map of those signals can score one high and the other low.
2. **a calibration sweep** over what issue #10 asks to "follow from the fit": the partial / covered thresholds,
   how many points count as a complete answer (all, ≤ 4, ≤ 5, ≤ 6, half and at least 3), and the score curve.
   Per setting: correct answers' mean (concise + other vocabulary), the share of fluent wrong answers above their
   band, the share of keyword lists / fluff above theirs, Pearson per set. The frontier: the best correct-answer
   mean among settings that keep fluent-wrong inflation ≤ 20 % (the issue's 1 in 5).

Statuses are re-derived from the recorded matches; the score itself is the shipped
:func:`agent.grading.offline.final_score` with the sweep's curve, and the evidence comes from the shipped grader.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEV = ("evals/datasets/heldout.jsonl", "evals/datasets/heldout2.jsonl", "evals/datasets/concise.jsonl",
       "evals/datasets/ladder.jsonl")
CORRECT = ("concise_correct", "paraphrase_correct", "concise")
WORDY = ("keyword_list", "long_fluff")
K_RULES = {"all": lambda n: n, "max4": lambda n: min(n, 4), "max5": lambda n: min(n, 5), "max6": lambda n: min(n, 6),
           "half3": lambda n: min(n, max(3, math.ceil(n / 2)))}


def record(paths: list[str]) -> list[dict]:
    """Grade every row offline once, keeping each point's credit, the errors and the stuffing flag."""
    import agent.grading.offline as off
    from agent.evals.evaluation import grade_request, load_dataset, prefetch_embeddings
    from agent.grading.embed import embed

    seen: dict = {}
    original = off.final_score

    def spy(credit, verdicts, errors, stuffing, cal=off.CAL):  # type: ignore[no-untyped-def]
        seen.update(credit=list(credit), errors=list(errors), stuffing=stuffing)
        return original(credit, verdicts, errors, stuffing, cal)

    off.final_score = spy  # type: ignore[assignment]
    out = []
    try:
        for path in paths:
            rows = load_dataset(Path(path))
            prefetch_embeddings(rows)
            refs = ["\n".join(r.reference_points) if r.reference_points else r.reference for r in rows]
            cosine = (embed([r.answer or " " for r in rows]) * embed(refs)).sum(axis=1)
            for row, cos in zip(rows, cosine, strict=True):
                seen.clear()
                grade = off.grade_offline(grade_request(row))
                out.append({"set": Path(path).stem, "id": row.id, "kind": row.ladder_kind or "all",
                            "human10": row.score / row.max_score * 10, "band": list(row.band) if row.band else None,
                            "shipped": grade.score, "cosine": float(cos), **({k: seen[k] for k in seen} if seen else {})})
    finally:
        off.final_score = original  # type: ignore[assignment]
    return out


def rescore(row: dict, partial: float, covered: float, k_rule: str, lo: float, hi: float) -> float:
    """The score the grader would give with these settings: statuses from the recorded point matches, then the
    shipped :func:`agent.grading.offline.final_score` (rubric bounds, stuffing cap) with the curve ``(lo, hi)``."""
    from dataclasses import replace

    from agent.grading.calibration import CAL
    from agent.grading.offline import final_score
    from agent.schemas import PointVerdict

    credit = row.get("credit")
    if not credit:  # empty answer, rubric-only or no points: unchanged
        return float(row["shipped"])
    top = sorted(credit, reverse=True)[: K_RULES[k_rule](len(credit))]
    statuses = ["covered" if c >= covered else "partial" if c >= partial else "missing" for c in top]
    if row["stuffing"]:
        statuses = ["partial" if s == "covered" else s for s in statuses]
    verdicts = [PointVerdict.model_construct(point="", chunk_id="", quote="", status=s) for s in statuses]
    return final_score(top, verdicts, row["errors"], row["stuffing"], replace(CAL, curve=(lo, hi)))


def summary(rows: list[dict], scores: list[float]) -> dict:
    from scipy.stats import pearsonr

    def above(kinds: tuple[str, ...]) -> float:
        sel = [(r, s) for r, s in zip(rows, scores, strict=True) if r["kind"] in kinds and r["band"]]
        return round(sum(s > r["band"][1] for r, s in sel) / len(sel), 3) if sel else float("nan")

    correct = [s for r, s in zip(rows, scores, strict=True) if r["kind"] in CORRECT]
    by_set: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for r, s in zip(rows, scores, strict=True):
        by_set[r["set"]][0].append(r["human10"])
        by_set[r["set"]][1].append(s)
    return {"correct_mean": round(sum(correct) / len(correct), 2), "fluent_wrong_above": above(("fluent_wrong",)),
            "keyword_fluff_above": above(WORDY),
            "pearson": {k: round(float(pearsonr(h, p)[0]), 3) for k, (h, p) in sorted(by_set.items())}}


def signals(rows: list[dict]) -> dict:
    agg: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for r in rows:
        credit = sorted(r.get("credit") or [0.0], reverse=True)
        agg[r["kind"]].append((credit[0], sum(credit[:3]) / len(credit[:3]), r["cosine"]))
    return {k: {"n": len(v), "best_point_match": round(sum(x[0] for x in v) / len(v), 3),
                "top3_match": round(sum(x[1] for x in v) / len(v), 3),
                "e5_cosine": round(sum(x[2] for x in v) / len(v), 3)} for k, v in sorted(agg.items())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("datasets", nargs="*", default=list(DEV))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = record(args.datasets)
    shipped = summary(rows, [float(r["shipped"]) for r in rows])
    sweep = []
    grid = itertools.product((0.3, 0.35, 0.4, 0.45, 0.5), (0.45, 0.5, 0.55, 0.6, 0.65, 0.7), K_RULES,
                             (0.05, 0.1, 0.15, 0.2), (0.45, 0.55, 0.65, 0.75, 0.85))
    for partial, covered, k_rule, lo, hi in grid:
        if covered <= partial or hi <= lo + 0.2:
            continue
        s = summary(rows, [rescore(r, partial, covered, k_rule, lo, hi) for r in rows])
        sweep.append({"partial": partial, "covered": covered, "complete_points": k_rule, "curve": [lo, hi], **s})
    ok = [s for s in sweep if s["fluent_wrong_above"] <= 0.2]
    result = {
        "datasets": args.datasets, "rows": len(rows), "signals_by_kind": signals(rows), "shipped": shipped,
        "settings_tried": len(sweep),
        "frontier_fluent_wrong_le_20pct": max(ok, key=lambda s: s["correct_mean"]) if ok else None,
        "best_correct_mean": max(sweep, key=lambda s: s["correct_mean"]),
        "settings_with_correct_ge_6_5": sum(s["correct_mean"] >= 6.5 for s in sweep),
        "settings_with_correct_ge_5": [s for s in sweep if s["correct_mean"] >= 5.0][:3],
        "min_fluent_wrong_above_when_correct_ge_5": min((s["fluent_wrong_above"] for s in sweep
                                                         if s["correct_mean"] >= 5.0), default=None),
    }
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
