"""Guarded LLM calls: fault classification, bounded retries with backoff, Retry-After, a circuit breaker.

The policy itself (and why ``ChatOpenAI`` runs with ``max_retries=0``) is documented in :mod:`agent.llm.client`.
:class:`CallGuard` runs one model call with retries and raises :class:`LLMUnavailable` — carrying a Chinese
description of the fault — when the call is given up; the engine then falls back to the offline grader.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from agent.config import LLMSettings

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one model call is tried. ``attempts`` = 1 + ``max_retries`` of the settings."""

    attempts: int = 3
    timeout_s: float = 60.0  # per attempt (passed to ChatOpenAI as its HTTP timeout)
    backoff_base_s: float = 0.5  # sleep before retry i (0-based): base * 2**i, at most backoff_max_s
    backoff_max_s: float = 4.0
    retry_after_cap_s: float = 5.0  # a server's Retry-After is honoured up to this many seconds
    breaker_threshold: int = 2  # consecutive given-up calls that open the circuit breaker
    breaker_cooldown_s: float = 120.0  # while open, calls are skipped; afterwards one single-attempt probe

    @classmethod
    def from_settings(cls, settings: LLMSettings, **overrides: Any) -> RetryPolicy:
        values: dict[str, Any] = {"attempts": max(0, settings.max_retries) + 1, "timeout_s": settings.timeout_s}
        values.update(overrides)
        return cls(**values)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before retry number ``retry`` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap_s)
        return min(self.backoff_base_s * 2**retry, self.backoff_max_s)

    def worst_case_s(self) -> float:
        """Upper bound of one guarded call: every attempt times out, every sleep is the longest allowed."""
        sleeps = sum(max(self.delay(i), self.retry_after_cap_s) for i in range(self.attempts - 1))
        return self.attempts * self.timeout_s + sleeps


@dataclass(frozen=True)
class Fault:
    """One failed attempt, classified."""

    kind: str  # timeout | connection | rate_limit | server | auth | not_found | client | malformed | empty | schema | other
    label: str  # Chinese, shown in the fallback notice
    retryable: bool
    retry_after: float | None = None
    fatal: bool = False  # retrying later will not help either (wrong key, wrong URL/model): open the breaker now


class LLMUnavailable(Exception):
    """A guarded call was given up (retries exhausted, a non-retryable fault, or the breaker is open)."""

    def __init__(self, fault: Fault, attempts: int, skipped: bool = False, earlier: tuple[Fault, ...] = ()) -> None:
        super().__init__(fault.label)
        self.fault = fault
        self.attempts = attempts
        self.skipped = skipped
        self.earlier = earlier  # the faults of the previous attempts of this call

    @property
    def reason(self) -> str:
        """``服务端错误（HTTP 500），已尝试 3 次（此前：请求超时（>30 秒））``; skipped: the fault that opened the breaker."""
        text = self.fault.label + (f"，已尝试 {self.attempts} 次" if self.attempts > 1 else "")
        others = list(dict.fromkeys(f.label for f in self.earlier if f.label != self.fault.label))
        return text + (f"（此前：{'；'.join(others)}）" if others else "")


def classify(exc: BaseException, policy: RetryPolicy | None = None) -> Fault:
    """Name the fault behind ``exc`` and say whether another attempt may help."""
    import openai
    from pydantic import ValidationError

    timeout = f"（>{policy.timeout_s:g} 秒）" if policy else ""
    if isinstance(exc, openai.APITimeoutError):
        return Fault("timeout", f"请求超时{timeout}", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return Fault("connection", "无法连接大模型服务", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        return _status_fault(exc.status_code, exc.response.headers)
    if isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError):
        return Fault("malformed", "返回内容不是合法的 JSON", retryable=True)
    if isinstance(exc, IndexError):  # langchain indexes generations[0]: the response had "choices": []
        return Fault("empty", "返回结果为空（没有 choices）", retryable=True)
    if isinstance(exc, ValidationError | ValueError):  # pydantic / OutputParserException / "no tool call"
        return Fault("schema", "返回的评分不符合格式（字段缺失或取值越界）", retryable=True)
    return Fault("other", f"{type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''}".rstrip(": "),
                 retryable=False)


def _status_fault(status: int, headers: Any) -> Fault:
    if status in (401, 403):
        return Fault("auth", f"API key 被拒绝（HTTP {status}）", retryable=False, fatal=True)
    if status == 404:
        return Fault("not_found", "接口或模型不存在（HTTP 404）", retryable=False, fatal=True)
    if status == 429:
        return Fault("rate_limit", "请求被限流（HTTP 429）", retryable=True, retry_after=retry_after_seconds(headers))
    if status >= 500 or status in (408, 409):
        return Fault("server", f"服务端错误（HTTP {status}）", retryable=True)
    return Fault("client", f"请求被拒绝（HTTP {status}）", retryable=False)


def retry_after_seconds(headers: Any) -> float | None:
    """``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date) → seconds; ``None`` when absent or invalid."""
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(float(raw) / divisor, 0.0)
        except ValueError:
            pass
        try:
            return max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            continue
    return None


class CallGuard:
    """Runs model calls under a :class:`RetryPolicy` and keeps the circuit-breaker state of one engine."""

    def __init__(self, policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or RetryPolicy(attempts=1)
        self.sleep = sleep
        self.clock = clock
        self.failures = 0  # consecutive given-up calls
        self.opened_at: float | None = None
        self.last_fault: Fault | None = None
        self.requests = 0  # attempts actually sent (for tests / the benchmark)

    @property
    def is_open(self) -> bool:
        if self.opened_at is None:
            return False
        return self.clock() - self.opened_at < self.policy.breaker_cooldown_s

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()`` with bounded retries; :class:`LLMUnavailable` when given up."""
        if self.is_open and self.last_fault is not None:
            raise LLMUnavailable(self.last_fault, 0, skipped=True)
        attempts = 1 if self.opened_at is not None else max(1, self.policy.attempts)  # half-open: one probe
        earlier: list[Fault] = []
        for i in range(attempts):
            self.requests += 1
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - every fault is classified; the caller falls back
                fault = classify(exc, self.policy)
                log.warning("LLM call attempt %d/%d failed: %s (%s)", i + 1, attempts, fault.kind, exc)
                if fault.retryable and i + 1 < attempts:
                    earlier.append(fault)
                    self.sleep(self.policy.delay(i, fault.retry_after))
                    continue
                self._given_up(fault)
                raise LLMUnavailable(fault, i + 1, earlier=tuple(earlier)) from exc
            self.failures, self.opened_at = 0, None
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _given_up(self, fault: Fault) -> None:
        self.failures += 1
        self.last_fault = fault
        if fault.fatal or self.failures >= self.policy.breaker_threshold or self.opened_at is not None:
            self.opened_at = self.clock()
