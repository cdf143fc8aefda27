"""``mockint web``: the browser front end (FastAPI + uvicorn), imported inside the command."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from agent.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("web")(web)


def web(
    host: Annotated[str, typer.Option("--host", help="监听地址（默认只允许本机；其他地址需设置 MOCKINT_WEB_TOKEN）")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 8765,
    engine: Annotated[str, typer.Option("--engine", "-e", help="新会话的默认评分引擎: offline | llm | local")] = "offline",
    open_browser: Annotated[bool, typer.Option("--open", help="启动后用默认浏览器打开")] = False,
) -> None:
    """在浏览器里练习：面试、专项练习、复习、报告、历史、题库（与命令行共用所有会话）。"""
    from agent.cli.options import check_engine
    from agent.web.security import TOKEN_ENV, check_bind

    check_engine(engine)
    if not 0 < port < 65536:
        raise UsageError(f"--port 必须在 1-65535 之间（收到 {port}）")
    token = os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)
    from agent.llm.client import ensure_ready_for

    ensure_ready_for(engine)
    _check_port(host, port)
    import uvicorn

    from agent.web.app import WebSettings, create_app

    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    typer.echo(f"mockint web 已启动: {url}（Ctrl+C 停止）")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    app = create_app(WebSettings(engine=engine, host=host, token=token))
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _check_port(host: str, port: int) -> None:
    """A port in use (another mockint web?) or a host that is not ours: one line before anything starts."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as exc:
        raise UsageError(f"无法监听 {host}:{port}: {exc.strerror or exc}",
                         hint="换一个端口（--port），或先停掉占用它的程序") from None
