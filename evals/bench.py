"""Benchmark script (same as ``mockint bench``, but writes evals/results/bench.json unless ``--out`` is given, which
is where the README's figures come from) and prints the table.

Usage: ``python evals/bench.py [--json] [--quick] [--out FILE] [--corpus DIR]`` — the logic lives in
``agent/evals/bench/runner.py`` so the installed CLI can run it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

from agent.cli.app import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--out" not in args and "-o" not in args:
        args += ["--out", str(Path(__file__).resolve().parent / "results" / "bench.json")]
    sys.argv = ["mockint", "bench", *args]
    main()
