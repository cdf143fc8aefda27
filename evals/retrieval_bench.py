"""Retrieval benchmark: hit@1/3/5, MRR, warm latency p50/p95 and relevance-gate accuracy on the full corpus.
Percentiles (latency, best scores) are linear-interpolated (:func:`agent.evals.bench.measure.percentile`).

Usage: ``python evals/retrieval_bench.py [--home DIR] [--out evals/results/retrieval.json]``

The dataset (``evals/datasets/retrieval.jsonl``) has in-domain queries ``{query, source, lines: [a, b]}`` — a
returned chunk is a hit when it comes from ``source`` and its line range overlaps ``[a, b]`` — and off-topic
queries ``{query, offtopic: true}``; ``also: [{source, lines}]`` lists other places that answer a query equally that the gate must reject. Hit@k/MRR count only chunks that pass the gate
(what users and graders see); the ungated figures are reported too. Uses ``MOCKINT_HOME`` (or ``--home``) and
builds the store there from the default corpus if it is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / "evals" / "datasets" / "retrieval.jsonl"


def _is_hit(hit: object, case: dict, lines_of: dict[str, tuple[int, int]]) -> bool:
    cid = getattr(hit, "chunk_id", "")
    span = lines_of.get(cid)
    if span is None:
        return False
    for place in [case, *case.get("also", [])]:
        a, b = place["lines"]
        if getattr(hit, "source", None) == place["source"] and span[0] <= b and a <= span[1]:
            return True
    return False


def _rank(hits: list, case: dict, lines_of: dict[str, tuple[int, int]]) -> int | None:
    for i, h in enumerate(hits, start=1):
        if _is_hit(h, case, lines_of):
            return i
    return None


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "hit@1": sum(1 for r in ranks if r and r <= 1) / n,
        "hit@3": sum(1 for r in ranks if r and r <= 3) / n,
        "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
    }


def run(out: Path | None) -> dict:
    from agent.evals.bench.measure import percentile  # the one percentile of every bench / eval (linear)
    from agent.knowledge import retrieval
    from agent.knowledge.ingest import ensure_store

    store = ensure_store(notify=lambda m: print(m, file=sys.stderr))
    retriever = retrieval.get_retriever(store)
    meta = store.chunks.get(include=["metadatas"])
    lines_of = {cid: (int(m["line_start"]), int(m["line_end"])) for cid, m in zip(meta["ids"], meta["metadatas"], strict=False)}
    cases = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    domain = [c for c in cases if not c.get("offtopic")]
    off = [c for c in cases if c.get("offtopic")]

    for c in cases:  # warm-up: BM25 index, jieba, e5, Chroma caches
        retriever.search(c["query"], k=5)
    latencies, gated, ungated, domain_best, misses = [], [], [], [], []
    for c in domain:
        t0 = time.perf_counter()
        res = retriever.search(c["query"], k=5)
        latencies.append((time.perf_counter() - t0) * 1000)
        gated.append(_rank(res.hits, c, lines_of))
        ungated.append(_rank(res.candidates, c, lines_of))
        domain_best.append(res.best_score)
        if gated[-1] is None:
            misses.append({"query": c["query"], "expected": f"{c['source']}:{c['lines']}",
                           "got": [f"{h.chunk_id} ({h.score:.2f})" for h in res.candidates[:3]]})
    off_best, off_rejected = [], 0
    for c in off:
        t0 = time.perf_counter()
        res = retriever.search(c["query"], k=5)
        latencies.append((time.perf_counter() - t0) * 1000)
        off_best.append(res.best_score)
        off_rejected += not res.relevant
    domain_accepted = sum(1 for s in domain_best if s >= retrieval.THRESHOLD)
    result = {
        "dataset": str(DATASET.relative_to(ROOT)),
        "queries": len(domain),
        "offtopic_queries": len(off),
        "chunks": store.chunks.count(),
        **{k: round(v, 4) for k, v in _metrics(gated).items()},
        "ungated": {k: round(v, 4) for k, v in _metrics(ungated).items()},
        "latency_ms": {"p50": round(percentile(latencies, 0.5), 2), "p95": round(percentile(latencies, 0.95), 2),
                       "max": round(max(latencies), 2)},
        "gate": {
            "threshold": retrieval.THRESHOLD,
            "offtopic_rejected": off_rejected / max(1, len(off)),
            "domain_accepted": domain_accepted / max(1, len(domain)),
            "accuracy": (off_rejected + domain_accepted) / max(1, len(off) + len(domain)),
            "domain_best_score": {"min": round(min(domain_best), 3), "p10": round(percentile(domain_best, 0.10), 3),
                                  "median": round(percentile(domain_best, 0.5), 3)},
            "offtopic_best_score": {"max": round(max(off_best), 3), "p90": round(percentile(off_best, 0.90), 3),
                                    "median": round(percentile(off_best, 0.5), 3)},
        },
        "misses": misses,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "load_average_1m": round(os.getloadavg()[0], 2)},  # other work on the box inflates latency
    }
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="MOCKINT_HOME to use (default: the current one)")
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "results" / "retrieval.json")
    args = parser.parse_args()
    if args.home:
        os.environ["MOCKINT_HOME"] = str(args.home)
    result = run(args.out)
    print(json.dumps({k: v for k, v in result.items() if k != "misses"}, ensure_ascii=False, indent=2))
    for miss in result["misses"]:
        print("MISS", json.dumps(miss, ensure_ascii=False), file=sys.stderr)


if __name__ == "__main__":
    main()
