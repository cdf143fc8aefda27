"""Who may talk to the app, and how.

* Host: ``mockint web`` binds 127.0.0.1 by default; any other host needs ``MOCKINT_WEB_TOKEN`` (checked at start,
  :func:`check_bind`). With a token set, every request must carry it: ``Authorization: Bearer``,
  ``X-Mockint-Token`` or the ``mockint_token`` cookie set by ``POST /api/login``.
* On a loopback bind the ``Host`` header must name a loopback address (DNS rebinding cannot reach the app).
* Every POST with a body must be ``application/json`` (a cross-site form cannot send it without a CORS
  preflight, which the app never grants; a bodiless POST such as ``/skip`` carries no content type) and, when the browser says where it comes from (``Origin`` / ``Sec-Fetch-Site``), same-origin.
* Every response carries a strict Content-Security-Policy: scripts only from ``/static``, no inline script, so
  an answer or a note that slipped through escaping still could not run.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from agent.errors import UsageError

TOKEN_ENV = "MOCKINT_WEB_TOKEN"
TOKEN_COOKIE = "mockint_token"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
_OPEN_PATHS = ("/login", "/api/login", "/api/health", "/static/")


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback bind without a token (one clear line, exit 2)."""
    if not is_loopback(host) and not token:
        raise UsageError(f"绑定 {host} 会让局域网内的其他人访问你的练习记录：请先设置 {TOKEN_ENV}",
                         hint=f"例如 export {TOKEN_ENV}=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _host_name(header: str) -> str:
    return urlsplit(f"//{header}").hostname or ""


def _same_origin(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser cross-site request (curl, TestClient); the JSON content type still applies
    return urlsplit(origin).netloc == request.headers.get("host", "")


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def token_ok(request: Request, token: str) -> bool:
    given = request.headers.get("x-mockint-token") or request.cookies.get(TOKEN_COOKIE) or ""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    return token_matches(given, token)


def guard(token: str | None, loopback_only: bool) -> Callable[[Request, Callable[[Request], Awaitable[Response]]],
                                                             Awaitable[Response]]:
    """The HTTP middleware enforcing the rules in the module docstring."""

    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if loopback_only and not is_loopback(_host_name(request.headers.get("host", ""))):
            return _error(403, "拒绝访问：只接受本机地址（127.0.0.1）的请求")
        if request.method not in ("GET", "HEAD"):
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
            if kind != "application/json" and (kind or has_body):
                return _error(415, "请求必须是 JSON（Content-Type: application/json）")
            if not _same_origin(request):
                return _error(403, "拒绝跨站请求")
        if token and not path.startswith(_OPEN_PATHS) and not token_ok(request, token):
            if request.method == "GET" and not path.startswith("/api/"):
                return RedirectResponse("/login", status_code=303)
            return _error(401, f"需要访问令牌（{TOKEN_ENV}）")
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    return middleware
