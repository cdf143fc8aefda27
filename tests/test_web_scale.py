"""Slow: two ``mockint web`` workers sharing a real PostgreSQL (checkpoints, ``MOCKINT_POSTGRES_URL``) and a
real ``chroma run`` server (``CHROMA_HOST``), both on 127.0.0.1, serving concurrent sessions; a session started
on one worker is answered on the other. Needs Debian's ``postgresql`` and the ``postgres`` extra."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import stop_process

pytestmark = pytest.mark.slow
BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
if not BIN or shutil.which("chroma") is None and not (Path(sys.executable).parent / "chroma").exists():
    pytest.skip("needs Debian's postgresql and chroma", allow_module_level=True)
pytest.importorskip("langgraph.checkpoint.postgres")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: Any, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{what} exited") from None
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not start")


def _as_postgres_user(cmd: list[str]) -> list[str]:
    return cmd if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *cmd]


def test_two_workers_on_postgres_and_chroma_server(tmp_path: Path, small_corpus: Path) -> None:
    import tempfile

    import httpx

    bin_dir = BIN[-1]
    pg_root = Path(tempfile.mkdtemp(prefix="mockint-pg-"))  # outside pytest's root-only temp dirs
    data = pg_root / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(pg_root, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run(_as_postgres_user([f"{bin_dir}/initdb", "-D", str(data), "-A", "trust", "-U", "mockint"]),
                   check=True, capture_output=True)
    pg_port, chroma_port = _port(), _port()
    pg = subprocess.Popen(_as_postgres_user([f"{bin_dir}/postgres", "-D", str(data), "-h", "127.0.0.1",
                                             "-p", str(pg_port), "-k", str(pg_root)]),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chroma_bin = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    chroma = subprocess.Popen([chroma_bin, "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                               "--port", str(chroma_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[Any] = []
    try:
        _wait(pg_port, pg, "postgres")
        _wait(chroma_port, chroma, "chroma run")
        env = {**os.environ, "MOCKINT_POSTGRES_URL": f"postgresql://mockint@127.0.0.1:{pg_port}/postgres",
               "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_port), "MOCKINT_HOME": str(tmp_path / "home"),
               "MOCKINT_CONFIG": str(tmp_path / "home" / "config.toml")}
        subprocess.run([sys.executable, "-c", "from agent.cli.app import main; main()", "ingest", str(small_corpus)],
                       env=env, check=True, capture_output=True, timeout=600)
        ports = [_port(), _port()]
        for port in ports:
            workers.append(subprocess.Popen([sys.executable, "-c", "from agent.cli.app import main; main()", "web",
                                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                            stderr=(pg_root / f"web-{port}.log").open("w")))
        for port, proc in zip(ports, workers, strict=True):
            _wait(port, proc, "mockint web")
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base in bases:  # each worker opens the (already built) store in the background
            deadline = time.monotonic() + 120
            while httpx.get(base + "/api/health", timeout=30).json()["store"] != "ready":
                assert time.monotonic() < deadline, "store never ready"
                time.sleep(0.3)

        def session(i: int) -> str:
            with httpx.Client(timeout=120) as c:
                r = c.post(bases[i % 2] + "/api/sessions", json={"n": 2})
                assert r.status_code == 201, r.text
                sid = r.json()["session_id"]
                for k in range(20):  # alternate workers on every answer
                    r = c.post(f"{bases[(i + k + 1) % 2]}/api/sessions/{sid}/answer", json={"answer": "LoRA 低秩 冻结"})
                    assert r.status_code == 200, r.text
                    if r.json()["done"]:
                        return sid
                raise AssertionError("not finished")

        try:
            with ThreadPoolExecutor(4) as pool:
                sids = list(pool.map(session, range(4)))
        except AssertionError:
            logs = "".join(f.read_text(errors="replace")[-1500:] for f in pg_root.glob("web-*.log"))
            raise AssertionError(logs) from None
        listed = httpx.get(bases[0] + "/api/sessions", timeout=60).json()
        assert {s["session_id"] for s in listed if s["status"] == "finished"} >= set(sids)
    finally:
        for proc in [*workers, chroma, pg]:
            stop_process(proc)
        shutil.rmtree(pg_root, ignore_errors=True)
