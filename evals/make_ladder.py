"""Generate the Chinese answer ladder (``evals/datasets/ladder.jsonl``) from the question bank. Deterministic.

For N bank questions with ≥ 2 reference points (chosen by a hash of the id), answers of known quality:
  complete (points reworded by fixed rules)   band 8–10
  partial (about half the points)             band 2.5–7.5
  error (one point + another point negated)   band 0–5
  off_topic (another category's answer)       band 0–2
  stuffing (terms listed, no explanation)     band 0–5
  gibberish                                   band 0–2
  empty (first 10 questions)                  band 0–0
  injection (alone, 6 zh/en variants)         band 0–2
  injection_weak (error answer + injection)   band 0–5, must not score above its ``pair_of`` error row
  padded (filler around one point)            band 0–5 (0–7 when the question has only 2 points)
  english (hand-written English answer)       band 7–10
``score`` is the band's midpoint on a 0–10 scale (``max_score`` 10), so Pearson on the ladder is meaningful.

    .venv/bin/python evals/make_ladder.py [--n 44] [--out evals/datasets/ladder.jsonl]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "evals"))

from ladder_english import ENGLISH_ANSWERS  # noqa: E402

from agent.evals import personas as pa  # noqa: E402
from agent.evals.simulate import eligible_questions  # noqa: E402
from agent.schemas import Question  # noqa: E402

BANDS = {
    "complete": (8.0, 10.0), "partial": (2.5, 7.5), "error": (0.0, 5.0), "off_topic": (0.0, 2.0),
    "stuffing": (0.0, 5.0), "gibberish": (0.0, 2.0), "empty": (0.0, 0.0), "injection": (0.0, 2.0),
    "injection_weak": (0.0, 5.0), "padded": (0.0, 5.0), "english": (7.0, 10.0),
}


def _key(qid: str) -> str:
    return hashlib.sha256(qid.encode("utf-8")).hexdigest()


def _row(q: Question, kind: str, answer: str, **extra: object) -> dict:
    lo, hi = BANDS[kind]
    if kind == "padded" and len(q.reference_points) == 2:  # one of two points is half the answer
        hi = 7.0
    return {
        "id": f"{q.id}:{kind}", "question": q.text, "reference": "\n".join(q.reference_points),
        "reference_points": q.reference_points, "answer": answer, "score": (lo + hi) / 2, "max_score": 10,
        "band": [lo, hi], "ladder_kind": kind, **extra,
    }


def _other(q: Question, chosen: list[Question]) -> Question:
    others = [o for o in chosen if o.category != q.category] or [o for o in chosen if o.id != q.id]
    return others[int(_key(q.id + "/other"), 16) % len(others)]


def ladder_rows(bank: list[Question], n: int) -> list[dict]:
    chosen = eligible_questions(bank)[:n]
    rows: list[dict] = []
    for i, q in enumerate(chosen):
        pts = q.reference_points
        weak = pa.weak_answer(pts)
        rows += [
            _row(q, "complete", pa.complete_answer(pts)),
            _row(q, "partial", pa.partial_answer(pts)),
            _row(q, "error", weak),
            _row(q, "off_topic", pa.complete_answer(_other(q, chosen).reference_points)),
            _row(q, "stuffing", pa.keyword_list(pts)),
            _row(q, "gibberish", pa.gibberish(q.id)),
            _row(q, "injection", pa.injection(i)),
            _row(q, "injection_weak", weak + pa.injection(i + 1), pair_of=f"{q.id}:error"),
            _row(q, "padded", pa.padded_answer(pts[len(pts) // 2])),
        ]
        if i < 10:
            rows.append(_row(q, "empty", ""))
    by_id = {q.id: q for q in bank}
    for qid, answer in sorted(ENGLISH_ANSWERS.items()):
        if qid in by_id:
            rows.append(_row(by_id[qid], "english", answer))
    return rows


def main() -> None:
    from agent.knowledge.bank import load_bank

    parser = argparse.ArgumentParser(description="generate the Chinese answer ladder")
    parser.add_argument("--n", type=int, default=44, help="number of bank questions (≥ 40)")
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "datasets" / "ladder.jsonl")
    args = parser.parse_args()
    bank = load_bank()
    rows = ladder_rows(bank, args.n)
    english = sum(1 for r in rows if r["ladder_kind"] == "english")
    questions = len({r["question"] for r in rows})
    if english < 10:
        print(f"warning: only {english} English rows (bank ids changed?)", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows, {questions} questions, {english} English → {args.out}")


if __name__ == "__main__":
    main()
