"""``--engine local``: a GGUF model served by xllamacpp on 127.0.0.1, driven through the normal ``ChatOpenAI`` path.

Settings: ``[local] model_path, threads, ctx`` in ``config.toml``; ``MOCKINT_LOCAL_MODEL`` (a path) wins over
``model_path``; without either, the first model fetched by ``mockint models fetch`` (1.5B before 0.5B) is used.
A missing model file or a missing ``xllamacpp`` is one line and exit 4 (like every LLM config error).

:func:`ensure_local_ready` starts the server once per process (``python -m agent.llm.local_server`` at a free port),
waits until ``GET /v1/models`` answers, and returns :class:`~agent.config.LLMSettings` pointing at it. The server
is stopped at process exit (normal end, error, Ctrl-C) and exits by itself if mockint is killed.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agent.config import LLMSettings, _config_table, home
from agent.errors import LLMConfigError

FETCH_HINT = "运行 mockint models fetch qwen2.5-coder-1.5b（或把 MOCKINT_LOCAL_MODEL 指向一个 GGUF 文件）"
START_TIMEOUT_S = 180.0
LOCAL_TIMEOUT_S = 300.0  # one grade on 2 busy cores takes 30–50 s with the 1.5B model


class _LocalTable(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    model_path: str | None = None
    threads: int | None = Field(default=None, ge=1, le=256)
    ctx: int | None = Field(default=None, ge=512, le=131072)


@dataclass(frozen=True)
class LocalSettings:
    model_path: Path
    threads: int
    ctx: int


def local_settings() -> LocalSettings:
    cfg = _config_table("local", _LocalTable, LLMConfigError)
    raw = os.environ.get("MOCKINT_LOCAL_MODEL") or cfg.model_path
    if raw:
        path = Path(raw).expanduser()
    else:
        from agent.llm.models import MODELS

        found = [home() / "models" / spec.file for spec in MODELS.values()]
        path = next((p for p in found if p.is_file()), found[0])
    if not path.is_file():
        raise LLMConfigError(f"找不到本地模型文件 {path}", hint=FETCH_HINT)
    threads = int(os.environ.get("MOCKINT_LOCAL_THREADS") or cfg.threads or min(4, os.cpu_count() or 2))
    return LocalSettings(model_path=path, threads=max(1, threads), ctx=cfg.ctx or 4096)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """One xllamacpp server child process on 127.0.0.1."""

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = home() / "local-server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        s = self.settings
        cmd = [sys.executable, "-m", "agent.llm.local_server", "--model", str(s.model_path), "--port", str(self.port),
               "--threads", str(s.threads), "--ctx", str(s.ctx), "--parent", str(os.getpid())]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LLMConfigError(f"本地模型服务启动失败（退出码 {self.proc.returncode}），日志: {self.log_path}",
                                     hint="检查模型文件是否完整（mockint models fetch NAME --force）")
            if self.healthy():
                return
            time.sleep(0.25)
        self.stop()
        raise LLMConfigError(f"本地模型服务 {timeout_s:g} 秒内没有就绪，日志: {self.log_path}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as resp:  # noqa: S310 - 127.0.0.1
                return bool(resp.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


_server: LocalServer | None = None


def ensure_local_ready() -> LLMSettings:
    """Start (once) the local server and return settings that point ``ChatOpenAI`` at it."""
    global _server
    if _server is None or _server.proc is None or _server.proc.poll() is not None:
        settings = local_settings()
        try:
            import xllamacpp  # noqa: F401 - only checking that the optional extra is installed
        except ImportError:
            raise LLMConfigError("--engine local 需要 xllamacpp", hint="pip install 'mockint[local]'") from None
        server = LocalServer(settings)
        server.start()
        atexit.register(server.stop)
        _server = server
    from agent.config import llm_settings

    retries = llm_settings().max_retries if os.environ.get("MOCKINT_LLM_RETRIES") else 1
    timeout = float(os.environ.get("MOCKINT_LLM_TIMEOUT") or LOCAL_TIMEOUT_S)
    return LLMSettings(base_url=_server.base_url, model=_server.settings.model_path.stem, api_key="local",
                       timeout_s=timeout, max_retries=retries)


def stop_local() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None
