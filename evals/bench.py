"""Benchmark script (same as ``mockint bench``): writes evals/results/bench.json and prints the table.

Usage: ``python evals/bench.py [--json] [--quick] [--out FILE] [--corpus DIR]`` — the logic lives in
``agent/bench.py`` so the installed CLI can run it too.
"""

from __future__ import annotations

import sys

from agent.cli import main

if __name__ == "__main__":
    sys.argv = ["mockint", "bench", *sys.argv[1:]]
    main()
