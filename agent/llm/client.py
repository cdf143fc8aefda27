"""The one place that builds chat models (OpenAI-compatible endpoint from :func:`agent.config.llm_settings`).

Fault policy (issue 7; implemented by :class:`agent.llm.faults.CallGuard`, used for every call of the LLM engine):

* **Before a session** (:func:`ensure_llm_ready`): a missing ``base_url`` / ``api_key`` / ``model``, a key the
  server rejects (``GET {base_url}/models`` → 401/403) or a server that cannot be reached (connection refused,
  unknown host, no answer within the timeout) is one clear line and exit code 4 (:class:`LLMConfigError`) — no
  session is created. A server without ``/models`` (404) or any other answer does not block: the per-answer
  fallback below covers it. A successful check is remembered for the process.
* **Per attempt**: ``timeout_s`` (``MOCKINT_LLM_TIMEOUT`` / ``llm.timeout_s``, default 60 s) is the HTTP timeout.
* **Retries are ours only**: ``ChatOpenAI`` / the openai client is built with ``max_retries=0``, so retries are
  never multiplied (ours × openai's) and the Retry-After cap below always applies. One call makes at most
  ``1 + max_retries`` attempts (``MOCKINT_LLM_RETRIES`` / ``llm.max_retries``, default 2).
* **Retried**: timeouts, connection errors, 429, 408/409/5xx, a body that is not JSON, an empty ``choices``
  list, output that violates the grade schema (missing / invalid fields, score 42, no tool call). **Not retried**:
  401/403/404 (also open the breaker at once) and other 4xx.
* **Backoff**: before retry *i* (0-based) sleep ``0.5 s × 2**i`` (at most 4 s); after a 429 sleep the server's
  ``Retry-After`` / ``retry-after-ms`` instead, honoured but capped at 5 s.
* **Bound**: one call takes at most ``attempts × timeout_s + Σ max(backoff_i, 5 s)``
  (:meth:`~agent.llm.faults.RetryPolicy.worst_case_s`; httpx applies the timeout per read, so a server that
  trickles bytes could stretch one attempt — not seen with real APIs).
* **Circuit breaker**: after 2 consecutive given-up calls (or one fatal 401/403/404) the engine stops calling
  the model for 120 s; later calls fall back at once, then a single attempt probes again. So a session whose
  every call fails costs at most two worst-case calls of waiting plus one attempt per cooldown period.
* **Fallback**: a given-up grading call is graded by the offline engine for that answer; the turn's grade has
  ``engine == "offline-fallback"`` and a Chinese notice naming the failure (e.g. ``大模型调用失败（请求超时（>60
  秒），已尝试 3 次），本题已改用离线评分``). A failed critic / follow-up call uses the offline critic / the bank's
  follow-up. The answer is in the checkpoint before grading starts, so no answer is lost; the session goes on.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from agent.config import LLMSettings, llm_settings
from agent.errors import LLMConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)
PREFLIGHT_TIMEOUT_S = 10.0
_HINT = (
    "设置环境变量 MOCKINT_LLM_BASE_URL、OPENAI_API_KEY（可选 MOCKINT_LLM_MODEL），"
    "或在 $MOCKINT_HOME/config.toml 的 llm 段中填写 base_url、api_key、model；不需要大模型时用 --engine offline"
)
_KEY_HINT = "检查 OPENAI_API_KEY（或 config.toml 的 llm.api_key）是否正确、是否属于这个服务；不需要大模型时用 --engine offline"
_NET_HINT = "检查 MOCKINT_LLM_BASE_URL（或 config.toml 的 llm.base_url）和网络；不需要大模型时用 --engine offline"
_preflight_ok: set[tuple[str, str]] = set()


def check_llm_settings(settings: LLMSettings | None = None) -> LLMSettings:
    """Validate the endpoint settings before a session starts (one clear line when something is missing)."""
    settings = settings or llm_settings()
    missing = [name for name, value in (("base_url", settings.base_url), ("api_key", settings.api_key)) if not value]
    if missing:
        raise LLMConfigError(f"大模型模式缺少配置: {', '.join(missing)}", hint=_HINT)
    if not settings.model:
        raise LLMConfigError("大模型模式缺少配置: model", hint=_HINT)
    if not settings.timeout_s > 0:
        raise LLMConfigError(f"大模型超时时间必须大于 0 秒（收到 {settings.timeout_s:g}）", hint=_HINT)
    if settings.max_retries < 0:
        raise LLMConfigError(f"大模型重试次数不能为负数（收到 {settings.max_retries}）", hint=_HINT)
    return settings


def chat_model(settings: LLMSettings | None = None, temperature: float = 0.0) -> BaseChatModel:
    """A ``ChatOpenAI`` for the configured endpoint (temperature 0 for grading; no client-side retries)."""
    settings = check_llm_settings(settings)
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=SecretStr(settings.api_key or ""),
        temperature=temperature,
        timeout=settings.timeout_s,
        max_retries=0,  # retries are CallGuard's (agent.llm.faults): never multiplied, Retry-After capped
    )


def ensure_llm_ready(settings: LLMSettings | None = None) -> LLMSettings:
    """Settings check + :func:`preflight`: call before a session starts in llm mode."""
    settings = check_llm_settings(settings)
    preflight(settings)
    return settings


def ensure_ready_for(engine_kind: str) -> None:
    """:func:`ensure_llm_ready` when ``engine_kind`` is ``"llm"``: commands call it right after checking their
    arguments, before building the store or loading anything heavy (a missing key fails in a fraction of a second)."""
    if engine_kind == "llm":
        ensure_llm_ready()
    elif engine_kind == "local":  # the model file and xllamacpp are checked and the server started (exit 4)
        from agent.llm.local import ensure_local_ready

        ensure_local_ready()


def preflight(settings: LLMSettings) -> None:
    """One cheap ``GET {base_url}/models``: a rejected key or an unreachable server → :class:`LLMConfigError`."""
    memo = (str(settings.base_url), hashlib.sha256((settings.api_key or "").encode()).hexdigest())
    if memo in _preflight_ok:
        return
    import openai

    timeout = min(settings.timeout_s, PREFLIGHT_TIMEOUT_S)
    client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key, timeout=timeout, max_retries=0)
    try:
        client.models.list()
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        raise LLMConfigError(f"API key 被拒绝（HTTP {exc.status_code}，{settings.base_url}）", hint=_KEY_HINT) from None
    except openai.APITimeoutError:
        raise LLMConfigError(f"大模型服务 {settings.base_url} 在 {timeout:g} 秒内没有响应", hint=_NET_HINT) from None
    except openai.APIConnectionError as exc:
        raise LLMConfigError(f"无法连接大模型服务 {settings.base_url}（{_network_reason(exc)}）",
                             hint=_NET_HINT) from None
    except Exception as exc:  # noqa: BLE001 - 404 (no /models), 5xx, odd bodies: reachable and the key not rejected
        log.info("LLM preflight: %s (not blocking)", exc)
    _preflight_ok.add(memo)


def _network_reason(exc: BaseException) -> str:
    import socket

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "连接被拒绝"
        if isinstance(seen, socket.gaierror):
            return "无法解析主机名"
        seen = seen.__cause__ or seen.__context__
    text = str(exc.__cause__ or exc).lower()
    if "refused" in text:
        return "连接被拒绝"
    if "name or service" in text or "nodename" in text or "resolve" in text:
        return "无法解析主机名"
    return "网络错误"
