"""The one place that builds chat models (OpenAI-compatible endpoint from :func:`agent.config.llm_settings`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.config import LLMSettings, llm_settings
from agent.errors import LLMConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

_HINT = (
    "设置环境变量 MOCKINT_LLM_BASE_URL、OPENAI_API_KEY（可选 MOCKINT_LLM_MODEL），"
    "或在 $MOCKINT_HOME/config.toml 的 llm 段中填写 base_url、api_key、model；不需要大模型时用 --engine offline"
)


def check_llm_settings(settings: LLMSettings | None = None) -> LLMSettings:
    """Validate the endpoint settings before a session starts (one clear line when something is missing)."""
    settings = settings or llm_settings()
    missing = [name for name, value in (("base_url", settings.base_url), ("api_key", settings.api_key)) if not value]
    if missing:
        raise LLMConfigError(f"大模型模式缺少配置: {', '.join(missing)}", hint=_HINT)
    if not settings.model:
        raise LLMConfigError("大模型模式缺少配置: model", hint=_HINT)
    return settings


def chat_model(settings: LLMSettings | None = None, temperature: float = 0.0) -> BaseChatModel:
    """A ``ChatOpenAI`` for the configured endpoint (temperature 0 for grading)."""
    settings = check_llm_settings(settings)
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=SecretStr(settings.api_key or ""),
        temperature=temperature,
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
    )
