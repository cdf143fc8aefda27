"""The FastAPI app: settings, the first-use store build in the background, error handling, routers, assets.

``create_app(WebSettings(...))`` is what ``mockint web`` serves with uvicorn and what the tests drive with
``TestClient``; :func:`app_from_env` builds it from ``MOCKINT_WEB_*`` variables for uvicorn's ``--factory``
(several worker processes share nothing but the checkpointer, the store and the DBs).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from agent.errors import LLMConfigError, MockintError, StoreError, UsageError
from agent.web.locks import SessionBusy
from agent.web.security import TOKEN_ENV, guard, is_loopback
from agent.web.service import Conflict, NotFound

log = logging.getLogger("mockint.web")


@dataclass(frozen=True)
class WebSettings:
    engine: str = "offline"  # default engine of new sessions (the start page can change it)
    host: str = "127.0.0.1"
    token: str | None = None
    build_store: bool = True  # build the knowledge store in the background on first use


class StoreWarmup:
    """The knowledge store is built once on first use (~1 min): in a thread, so pages can show progress."""

    def __init__(self, build: Callable[[Callable[[str], None]], Any] | None) -> None:
        self.status = "ready" if build is None else "building"
        self.message = ""
        self.started = time.monotonic()
        if build is not None:
            threading.Thread(target=self._run, args=(build,), daemon=True, name="mockint-store").start()

    def _run(self, build: Callable[[Callable[[str], None]], Any]) -> None:
        def notify(msg: str) -> None:
            self.message = msg
            print(msg, file=sys.stderr)

        try:
            build(notify)
            self.status, self.message = "ready", ""
        except MockintError as exc:
            self.status, self.message = "error", str(exc) + (f"（{exc.hint}）" if exc.hint else "")
        except Exception as exc:  # noqa: BLE001 - shown on the pages instead of a dead thread
            log.exception("store build failed")
            self.status, self.message = "error", f"知识库构建失败: {type(exc).__name__}: {exc}"

    @property
    def elapsed(self) -> int:
        return int(time.monotonic() - self.started)

    def require_ready(self) -> None:
        if self.status == "building":
            raise StoreError(f"正在首次建立知识库（已 {self.elapsed} 秒），请稍候再开始", hint=self.message or None)
        if self.status == "error":
            raise StoreError(self.message)


def _default_build(notify: Callable[[str], None]) -> Any:
    from agent.knowledge.ingest import ensure_store

    return ensure_store(notify=notify, show_progress=False)


_STATUS = ((NotFound, 404), (SessionBusy, 409), (Conflict, 409), (UsageError, 400), (LLMConfigError, 400),
           (StoreError, 503), (MockintError, 400))
_PYDANTIC_ZH = {"missing": "缺少字段", "extra_forbidden": "不认识的字段", "literal_error": "取值无效",
                "greater_than_equal": "太小", "less_than_equal": "太大", "string_too_long": "太长",
                "too_long": "太长", "json_invalid": "不是合法的 JSON", "int_parsing": "应为整数",
                "string_type": "应为字符串", "list_type": "应为列表", "int_type": "应为整数", "model_type": "应为 JSON 对象",
                "model_attributes_type": "应为 JSON 对象", "dict_type": "应为 JSON 对象"}


def error_line(exc: MockintError) -> str:
    return str(exc) + (f"（{exc.hint}）" if exc.hint else "")


def _respond(request: Request, status: int, message: str) -> Response:
    """JSON ``{"error": ...}`` for the API, an error page for the pages."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    from agent.web.pages import error_page

    return error_page(message, status)


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(MockintError)
    async def mockint_error(request: Request, exc: MockintError) -> Response:
        status = next(code for cls, code in _STATUS if isinstance(exc, cls))
        return _respond(request, status, error_line(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "请求体"
        what = _PYDANTIC_ZH.get(str(first.get("type", "")), "格式不对")
        return JSONResponse({"error": f"请求参数无效：{where} {what}"}, status_code=400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = {404: "找不到这个地址", 405: "不支持这个请求方法"}.get(exc.status_code, "请求无法处理")
        return _respond(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.error("unexpected error", exc_info=exc)
        return _respond(request, 500, "服务器内部错误（详情见运行 mockint web 的终端）")


def create_app(settings: WebSettings | None = None, build: Callable[[Callable[[str], None]], Any] | None = None
               ) -> FastAPI:
    from agent.web import api, pages

    settings = settings or WebSettings()
    app = FastAPI(title="mockint", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.store = StoreWarmup((build or _default_build) if settings.build_store else None)
    app.middleware("http")(guard(settings.token, loopback_only=is_loopback(settings.host)))
    _install_errors(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    static = resources.files("agent.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory agent.web.app:app_from_env`` (several workers)."""
    return create_app(WebSettings(engine=os.environ.get("MOCKINT_WEB_ENGINE", "offline"),
                                  host=os.environ.get("MOCKINT_WEB_HOST", "127.0.0.1"),
                                  token=os.environ.get(TOKEN_ENV) or None))
