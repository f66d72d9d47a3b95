"""PDF copies via LibreOffice: many .docx in ONE headless `soffice` process (starting it costs ~2 s).

A private profile (`-env:UserInstallation`) per run keeps parallel runs from blocking each other;
the process group is killed on timeout so no orphan soffice is left behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .errors import MissingToolError, OutputError

INSTALL_HINT = (
    "未找到 LibreOffice（soffice），无法生成 PDF。"
    "Debian/Ubuntu 安装：sudo apt-get install libreoffice-writer-nogui fonts-noto-cjk；"
    "Windows/macOS 请从 https://www.libreoffice.org 下载安装。也可以去掉 --pdf，只生成 Word 文档。"
)
DEFAULT_TIMEOUT = 300.0


def find_soffice() -> str | None:
    """The LibreOffice executable, or None; WUFEI_SOFFICE overrides the search."""
    override = os.environ.get("WUFEI_SOFFICE")
    if override:
        return shutil.which(override) or (override if Path(override).is_file() else None)
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(docs: Mapping[str, bytes], *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, bytes]:
    """{key: docx bytes} → {key: pdf bytes}, all converted by one LibreOffice process."""
    if not docs:
        return {}
    soffice = find_soffice()
    if soffice is None:
        raise MissingToolError(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="wufei-pdf-") as tmp:
        root = Path(tmp)
        src, out, profile = root / "in", root / "out", root / "profile"
        src.mkdir()
        out.mkdir()
        keys = list(docs)
        files = []
        for n, key in enumerate(keys):
            path = src / f"{n:05d}.docx"
            path.write_bytes(docs[key])
            files.append(str(path))
        cmd = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out), *files,
        ]  # fmt: skip
        _run(cmd, timeout, root)
        result = {}
        for n, key in enumerate(keys):
            pdf = out / f"{n:05d}.pdf"
            if not pdf.is_file() or pdf.stat().st_size == 0:
                raise OutputError(f"LibreOffice 未能把 {key} 转换为 PDF")
            result[key] = pdf.read_bytes()
        return result


def _run(cmd: list[str], timeout: float, home: Path) -> None:
    env = {**os.environ, "HOME": str(home), "SAL_USE_VCLPLUGIN": "svp"}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True, cwd=home
    )
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise OutputError(f"LibreOffice 转换 PDF 超时（{timeout:g} 秒），已终止") from None
    if proc.returncode != 0:
        detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise OutputError(f"LibreOffice 转换 PDF 失败（退出码 {proc.returncode}）{detail[0]}")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except ProcessLookupError:
        pass
    proc.communicate()
