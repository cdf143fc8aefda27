"""Regenerate the shipped question bank ``knowledge/bank.jsonl`` from ``knowledge/sources/``.

Usage: ``.venv/bin/python scripts/export_bank.py`` (a test fails while the export is stale).
"""

from __future__ import annotations

import sys

from agent import config
from agent.knowledge.bank import bank_stats, build_bank, write_bank


def main() -> int:
    build = build_bank([config.default_sources_dir()])
    for warning in build.warnings:
        print(f"警告: {warning}", file=sys.stderr)
    write_bank(build.questions, config.bank_path())
    stats = bank_stats(build.questions)
    raw = sum(build.raw_counts.values())
    print(f"{config.bank_path()}: {stats['questions']} 道题（原始 {raw} 道，合并 {raw - stats['questions']} 道重复）")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
