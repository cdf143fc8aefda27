"""Offline vs hybrid (``--engine local``) on held-out ladder kinds, through the interview's grade → reflect path.

    .venv/bin/python evals/local_eval.py --kinds fluent_wrong,concise_correct,paraphrase_correct --per-kind 7 \
        --out evals/results/local_1.5b.json

Each row is graded twice: by the offline engine and by the hybrid engine (offline evidence + the local model's
fact check; the server is started once). Writes per row: band, offline score, hybrid score, the model's changes,
prompt / completion tokens from the server's usage numbers and seconds; and per kind: mean, inflated (above the
band) for both, plus s/answer and mean / max prompt tokens of the model call. ``--sample N`` takes N rows spread
evenly over a benchmark without kinds (Mohler, ADS train) and adds Pearson r of both engines against the human
scores:

    .venv/bin/python evals/local_eval.py --dataset ../shared/benchmarks/mohler.jsonl --sample 60 --out FILE
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="evals/datasets/heldout.jsonl")
    ap.add_argument("--kinds", default="fluent_wrong,concise_correct,paraphrase_correct")
    ap.add_argument("--per-kind", type=int, default=7)
    ap.add_argument("--sample", type=int, default=0,
                    help="benchmarks without kinds (Mohler, ADS): N rows spread evenly over the file, all kinds")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    from agent.engines import make_engine
    from agent.evals import evaluation as ev
    from agent.interview.context import Context
    from agent.interview.grading_path import build_grading_graph, grade_checked

    if args.sample:
        every = ev.load_dataset(Path(args.dataset))
        step = max(1, len(every) // args.sample)
        chosen = every[::step][: args.sample]
    else:
        kinds = args.kinds.split(",")
        rows = [r for r in ev.load_dataset(Path(args.dataset)) if r.ladder_kind in kinds]
        chosen = [r for k in kinds for r in [x for x in rows if x.ladder_kind == k][: args.per_kind]]
    ev.prefetch_embeddings(chosen)
    graph = build_grading_graph()
    offline_ctx = Context(engine_kind="offline", engine=make_engine("offline"), record_review=False)
    t0 = time.perf_counter()
    local_engine = make_engine("local")
    load_s = time.perf_counter() - t0
    local_ctx = Context(engine_kind="local", engine=local_engine, record_review=False)
    out_rows = []
    for n, row in enumerate(chosen, start=1):
        req = ev.grade_request(row)
        off, _ = grade_checked(graph, offline_ctx, req)
        start = time.perf_counter()
        hyb, refl = grade_checked(graph, local_ctx, req)
        secs = time.perf_counter() - start
        fc = getattr(hyb, "fact_check", None)
        out_rows.append({"id": row.id, "kind": row.ladder_kind or "all", "band": list(row.band or ()),
                         "human10": round(row.score / row.max_score * 10, 2), "offline": off.score,
                         "hybrid": hyb.score, "engine": getattr(hyb, "engine", ""), "seconds": round(secs, 1),
                         "verified": refl.verified, "attempts": refl.attempts,
                         "changes": fc.changes if fc else [], "checked": fc.checked if fc else 0,
                         "rejected_unquoted": fc.rejected_unquoted if fc else 0, "usage": fc.usage if fc else {}})
        print(json.dumps(out_rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
        print(f"{n}/{len(chosen)}", file=sys.stderr, flush=True)
    summary = summarize(out_rows)
    load = os.getloadavg()
    report = {"model": local_engine.model_name, "quantisation": "Q4_K_M",
              "threads": os.environ.get("MOCKINT_LOCAL_THREADS", "default"), "machine": platform.processor() or
              platform.machine(), "cpus": os.cpu_count(), "loadavg_end": [round(x, 2) for x in load],
              "server_start_s": round(load_s, 1), "per_kind": summary, "rows": out_rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}, ensure_ascii=False, indent=1))
    return 0


def summarize(rows: list[dict]) -> dict:
    out: dict[str, dict] = {}
    for kind in sorted({r["kind"] for r in rows}):
        sel = [r for r in rows if r["kind"] == kind]
        called = [r for r in sel if r["usage"]]
        entry = {"n": len(sel), "model_calls": len(called)}
        for eng in ("offline", "hybrid"):
            entry[f"{eng}_mean"] = round(sum(r[eng] for r in sel) / len(sel), 2)
            entry[f"{eng}_inflated"] = sum(1 for r in sel if r["band"] and r[eng] > r["band"][1])
            entry[f"{eng}_above_3"] = sum(1 for r in sel if r[eng] > 3)
        entry["s_per_answer"] = round(sum(r["seconds"] for r in sel) / len(sel), 1)
        entry["s_per_model_call"] = round(sum(r["seconds"] for r in called) / len(called), 1) if called else None
        toks = [r["usage"].get("prompt_tokens", 0) for r in called]
        entry["prompt_tokens_mean"] = round(sum(toks) / len(toks)) if toks else None
        entry["prompt_tokens_max"] = max(toks) if toks else None
        entry["fallbacks"] = sum(1 for r in sel if r["engine"] == "offline-fallback")
        if len(sel) >= 10 and len({r["human10"] for r in sel}) > 1:  # agreement with the human scores
            from scipy.stats import pearsonr

            human = [r["human10"] for r in sel]
            entry["offline_pearson"] = round(float(pearsonr(human, [r["offline"] for r in sel])[0]), 3)
            entry["hybrid_pearson"] = round(float(pearsonr(human, [r["hybrid"] for r in sel])[0]), 3)
        out[kind] = entry
    return out


if __name__ == "__main__":
    raise SystemExit(main())
