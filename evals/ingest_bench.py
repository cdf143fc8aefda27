"""Ingest timing: building a fresh data home from the shipped notes (their shipped vectors are loaded, nothing is
embedded; ``mockint bench`` measures embedding from scratch), then an unchanged re-ingest.

Usage: ``python evals/ingest_bench.py [--out evals/results/ingest.json]``

Reports wall-clock seconds of ``mockint ingest`` run as a subprocess (what a user waits for, including Python
start-up and imports) for: a full build, an unchanged re-run (target ≤ 2 s), and the in-process time the ingest
itself reports. The machine's load average is recorded because other work on a 2-core box skews the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOCKINT = Path(sys.executable).parent / "mockint"


def _run(home: Path) -> tuple[float, dict]:
    env = {**os.environ, "MOCKINT_HOME": str(home), "MOCKINT_CONFIG": str(home / "config.toml")}
    env.pop("CHROMA_HOST", None)
    started = time.perf_counter()
    out = subprocess.run([str(MOCKINT), "ingest", "--json"], capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - started, json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "evals" / "results" / "ingest.json")
    parser.add_argument("--repeats", type=int, default=3, help="unchanged re-ingest runs (median reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mockint-ingest-bench-") as tmp:
        home = Path(tmp)
        load_before = os.getloadavg()[0]
        full_wall, full = _run(home)
        unchanged = sorted(_run(home) for _ in range(args.repeats))
        wall, report = unchanged[len(unchanged) // 2]
    result = {
        "full": {"wall_s": round(full_wall, 2), "ingest_s": round(full["seconds"], 2), "chunks": full["chunks"],
                 "questions": full["questions"], "files": len(full["added"])},
        "unchanged": {"wall_s": round(wall, 2), "ingest_s": round(report["seconds"], 3),
                      "embedded": report["chunks_embedded"] + report["questions_embedded"]},
        "load_average_1m_before": round(load_before, 2),
        "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
