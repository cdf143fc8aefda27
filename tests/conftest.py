"""Shared fixtures: no real network, an isolated data home per test."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from fixtures_store import built_home, embedded, fake_bank, small_corpus, use_built_home  # noqa: F401

_real_connect = socket.socket.connect


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost",):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # AF_UNIX paths


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that is not to this machine (tests may run servers on 127.0.0.1)."""

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return _real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for var in ("OPENAI_API_KEY", "MOCKINT_LLM_BASE_URL", "MOCKINT_LLM_MODEL", "CHROMA_HOST", "CHROMA_PORT"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test gets its own MOCKINT_HOME unless it asks for the shared built store."""
    path = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("MOCKINT_HOME", str(path))
    monkeypatch.setenv("MOCKINT_CONFIG", str(path / "config.toml"))
    return path
