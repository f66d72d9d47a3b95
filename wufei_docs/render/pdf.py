"""PDF copies via LibreOffice: many .docx per headless `soffice` process (starting one costs ~1-2 s); a
large batch is split over two processes on two cores.

A private profile (`-env:UserInstallation`) per process keeps parallel runs from blocking each other;
the process groups are killed on timeout or failure so no orphan soffice is left behind. Every conversion
uses the fontconfig file of `render/fonts.py`, so 仿宋/宋/黑体/楷体 come out in matching simplified-Chinese faces.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from wufei_docs.errors import MissingToolError, OutputError
from wufei_docs.render.fonts import font_environment

INSTALL_HINT = (
    "未找到 LibreOffice（soffice），无法生成 PDF。"
    "Debian/Ubuntu 安装：sudo apt-get install libreoffice-writer-nogui fonts-noto-cjk fonts-arphic-ukai fonts-liberation2；"
    "Windows/macOS 请从 https://www.libreoffice.org 下载安装。也可以去掉 --pdf，只生成 Word 文档。"
)
DEFAULT_TIMEOUT = 300.0


def find_soffice() -> str | None:
    """The LibreOffice executable, or None; WUFEI_SOFFICE overrides the search."""
    override = os.environ.get("WUFEI_SOFFICE")
    if override:
        return shutil.which(override) or (override if Path(override).is_file() else None)
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(
    docs: Mapping[str, bytes], *, timeout: float = DEFAULT_TIMEOUT, processes: int | None = None
) -> dict[str, bytes]:
    """{key: docx bytes} → {key: pdf bytes} (a key ending in .fodt: flat ODF text). One LibreOffice process converts a whole batch; a large batch
    is split over `processes` (default: 2 on a machine with 2+ cores, when each gets 4+ documents), each
    with its own profile, which about halves the time."""
    if not docs:
        return {}
    soffice = find_soffice()
    if soffice is None:
        raise MissingToolError(INSTALL_HINT)
    from wufei_docs.render.office import active

    office = active()
    if office is not None:
        with office.lock:
            office.ensure_started()
            if office.running:  # else: as without a resident instance
                return _convert(soffice, docs, 1, timeout, office.profile, office.env)
    return _convert(soffice, docs, processes, timeout)


def _convert(
    soffice: str,
    docs: Mapping[str, bytes],
    processes: int | None,
    timeout: float,
    profile: Path | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, bytes]:
    keys = list(docs)
    n = processes or max(1, min(MAX_PROCESSES, os.cpu_count() or 1, len(keys) // MIN_PER_PROCESS))
    n = max(1, min(n, len(keys)))
    batches = [keys[i * len(keys) // n : (i + 1) * len(keys) // n] for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="wufei-pdf-") as tmp:
        roots = [Path(tmp) / str(i) for i in range(n)]
        procs = [
            _start(soffice, root, {k: docs[k] for k in b}, profile, env) for root, b in zip(roots, batches, strict=True)
        ]
        from wufei_docs.render.office import guard_group

        guards = [guard_group(proc.pid) for proc in procs]
        try:
            _wait(procs, timeout)
        finally:
            for release in guards:
                release()
        result = {}
        for root, batch in zip(roots, batches, strict=True):
            for i, key in enumerate(batch):
                pdf = root / "out" / f"{i:05d}.pdf"
                if not pdf.is_file() or pdf.stat().st_size == 0:
                    raise OutputError(f"LibreOffice 未能把 {key} 转换为 PDF")
                result[key] = pdf.read_bytes()
        return result


MAX_PROCESSES = 2  # LibreOffice takes ~200 MB each; two already use both cores of a small machine
MIN_PER_PROCESS = 4  # below that, a second start (~1 s) costs more than it saves


def _start(
    soffice: str, root: Path, docs: Mapping[str, bytes], profile: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """One `soffice --convert-to` run: its own new instance, or, given a resident instance's profile and
    environment, a short client run that hands the files to that instance."""
    src, out = root / "in", root / "out"
    profile = profile or root / "profile"
    src.mkdir(parents=True)
    out.mkdir()
    files = []
    for i, (key, data) in enumerate(docs.items()):
        path = src / f"{i:05d}{'.fodt' if key.endswith('.fodt') else '.docx'}"
        path.write_bytes(data)
        files.append(str(path))
    cmd = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
        "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out), *files,
    ]  # fmt: skip
    env = env or {**os.environ, "HOME": str(root), "SAL_USE_VCLPLUGIN": "svp", **font_environment(root)}
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True, cwd=root
    )


def _wait(procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """Wait for every process; on a timeout or a failure the others are killed too (no orphans)."""
    deadline = time.monotonic() + timeout
    try:
        for proc in procs:
            try:
                _, stderr = proc.communicate(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise OutputError(f"LibreOffice 转换 PDF 超时（{timeout:g} 秒），已终止") from None
            if proc.returncode != 0:
                detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                raise OutputError(f"LibreOffice 转换 PDF 失败（退出码 {proc.returncode}）{detail[0]}")
    finally:
        for proc in procs:
            if proc.returncode is None:
                _kill(proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except ProcessLookupError:
        pass
    proc.communicate()
