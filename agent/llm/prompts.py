"""Prompt files (``prompts/<name>.md``) loaded by name, with a version id and ``${placeholder}`` slots.

File format::

    ---
    version: grade-v1
    ---
    [system]
    ...text with ${placeholders}...
    [human]
    ...

Rendering fails loudly when a placeholder is left unfilled or an unknown value is passed, so a prompt and
the code that fills it can never drift apart silently. Candidate text is escaped with :func:`escape_data`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from string import Template

from agent.config import prompts_dir
from agent.errors import MockintError

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
_SECTION = re.compile(r"^\[(system|human)\]\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: str
    human: str

    @property
    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.system)) | set(_PLACEHOLDER.findall(self.human))

    def render(self, **values: str) -> tuple[str, str]:
        """(system, human) with every placeholder filled; raises ValueError on a missing or unknown value."""
        missing = self.placeholders - values.keys()
        extra = values.keys() - self.placeholders
        if missing or extra:
            raise ValueError(f"prompt {self.name}: missing {sorted(missing)}, unknown {sorted(extra)}")
        return Template(self.system).substitute(values), Template(self.human).substitute(values)

    def messages(self, **values: str) -> list[tuple[str, str]]:
        system, human = self.render(**values)
        return [("system", system), ("human", human)]


def prompt_names() -> list[str]:
    return sorted(p.stem for p in prompts_dir().glob("*.md"))


@lru_cache(maxsize=16)
def load_prompt(name: str) -> Prompt:
    path = prompts_dir() / f"{name}.md"
    if not path.exists():
        raise MockintError(f"找不到提示词文件: {path}")
    return parse_prompt(name, path.read_text(encoding="utf-8"))


def parse_prompt(name: str, text: str) -> Prompt:
    meta: dict[str, str] = {}
    body = text
    if text.startswith("---\n"):
        head, _, body = text[4:].partition("\n---\n")
        for line in head.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip()] = value.strip()
    if "version" not in meta:
        raise MockintError(f"提示词 {name} 缺少 version（文件开头的 front-matter）")
    parts = _SECTION.split(body)
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if "system" not in sections or "human" not in sections:
        raise MockintError(f"提示词 {name} 需要 [system] 和 [human] 两段")
    return Prompt(name=name, version=meta["version"], system=sections["system"], human=sections["human"])


def prompt_versions(names: tuple[str, ...] = ("grade", "critique", "followup", "draft_points")) -> dict[str, str]:
    return {name: load_prompt(name).version for name in names}


def escape_data(text: str) -> str:
    """Escape candidate text for a delimited ``<answer>…</answer>`` block: ``& < >`` become entities, so the
    content can neither close the block nor open fake tags (``</answer>``, ``<system>``)."""
    return html.escape(text, quote=False)
