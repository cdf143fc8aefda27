"""Packaging: every code package is in pyproject's list (the wheel would silently miss a new one), and the data
folders are found through importlib.resources' data packages (the wheel itself is exercised by .ci/wheel_check)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from agent import config

ROOT = Path(__file__).resolve().parent.parent


def test_every_code_package_is_listed() -> None:
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(setup["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "agent").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert setup["package-dir"] == {"agent.resources.prompts": "prompts", "agent.resources.knowledge": "knowledge"}


def test_data_folders_hold_what_the_package_reads() -> None:
    assert (config.prompts_dir() / "grade.md").exists()
    assert (config.knowledge_dir() / "bank.jsonl").exists()
    assert (config.knowledge_dir() / "vectors" / "meta.json").exists()
    assert sorted(p.name for p in config.default_sources_dir().iterdir()) == sorted(
        p.name for p in (ROOT / "knowledge" / "sources").iterdir())
