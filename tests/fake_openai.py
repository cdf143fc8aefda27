"""A tiny OpenAI-compatible chat server on 127.0.0.1 for fault tests (stdlib only).

Each POST to ``/v1/chat/completions`` (or ``/chat/completions``) takes the next scripted behaviour:

* ``("ok", tool_args: dict)`` — a function-calling answer whose tool is named after the requested tool
* ``("text", content: str)`` — a plain assistant message
* ``("slow", seconds)`` — sleep, then answer like the next ``ok`` default (triggers client timeouts)
* ``("429", retry_after_seconds)`` / ``("500", None)`` — HTTP errors
* ``("malformed", None)`` — a body that is not JSON
* ``("empty", None)`` — ``choices: []``

When the script runs out, ``default`` is used. Every request body is recorded in ``requests``.

``GET /v1/models`` (the preflight) answers with ``models``: ``"ok"`` (a model list), ``"401"``, ``"403"``,
``"404"``, ``"500"`` or ``("slow", seconds)``; the paths are recorded in ``gets``. A client that hangs up
(timeout) is not an error.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Behaviour = tuple[str, Any]


class FakeOpenAI:
    def __init__(self, script: list[Behaviour] | None = None, default: Behaviour = ("text", "ok"),
                 models: str | Behaviour = "ok") -> None:
        self.script: deque[Behaviour] = deque(script or [])
        self.default = default
        self.models = models
        self.requests: list[dict] = []
        self.gets: list[str] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            return self.script.popleft() if self.script else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                with fake._lock:
                    fake.gets.append(self.path)
                kind = fake.models
                if isinstance(kind, tuple):
                    time.sleep(float(kind[1]))
                    kind = "ok"
                if not self.path.rstrip("/").endswith("/models") or kind == "404":
                    self._send(404, {"error": {"message": "not found", "type": "not_found"}})
                elif kind in ("401", "403", "500"):
                    self._send(int(kind), {"error": {"message": f"status {kind}", "type": "invalid_request_error"}})
                else:
                    self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model",
                                                                 "created": 0, "owned_by": "fake"}]})

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {}
                with fake._lock:
                    fake.requests.append(body)
                kind, arg = fake.next_behaviour()
                if kind == "slow":
                    time.sleep(float(arg))
                    kind, arg = fake.default
                if kind == "429":
                    self._send(429, {"error": {"message": "rate limited", "type": "rate_limit"}},
                               {"Retry-After": str(arg if arg is not None else 0)})
                elif kind == "500":
                    self._send(500, {"error": {"message": "server error", "type": "server_error"}})
                elif kind == "401":
                    self._send(401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
                elif kind == "malformed":
                    self._raw(200, b"{not json")
                elif kind == "empty":
                    self._send(200, _completion(body, choices=[]))
                elif kind == "ok":
                    self._send(200, _completion(body, tool_args=arg))
                else:
                    self._send(200, _completion(body, content=str(arg)))

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                self._raw(status, json.dumps(payload).encode(), headers)

            def _raw(self, status: int, data: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a timed-out client hung up: expected
            super().handle_error(request, client_address)


def _completion(request: dict, *, content: str | None = None, tool_args: dict | None = None,
                choices: list | None = None) -> dict:
    if choices is None:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_args is not None:
            tools = request.get("tools") or [{"function": {"name": "tool"}}]
            name = tools[0]["function"]["name"]
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": name, "arguments": json.dumps(tool_args, ensure_ascii=False)}}],
            }
        choices = [{"index": 0, "message": message,
                    "finish_reason": "tool_calls" if tool_args is not None else "stop"}]
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": request.get("model", "fake"), "choices": choices,
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
