"""The 支撑材料 files an enterprise file names (FORMAT.md §1): where each one is, what it really is, how many pages.

Checked with the data, so that a scan that is not what its name says, an encrypted PDF or a path leaving the
enterprise file's folder is reported with the file's other problems (naming the evidence id, the path and the
line) before anything is built. A file that is not there yet is only a warning: data can be checked before the
scans are ready. The checks read headers and structure, never whole files into memory.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from wufei_docs._raw import Loc
from wufei_docs.model import Evidence

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 300 * 1024 * 1024
MAX_PIXELS = 250_000_000  # a 50 MB file can declare far more; decoding such an image would exhaust memory
MAX_DOCX_UNPACKED = 500 * 1024 * 1024
KIND_BY_SUFFIX = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".docx": "docx"}
KIND_NAMES = {
    "pdf": "PDF 文件",
    "jpeg": "JPEG 图片",
    "png": "PNG 图片",
    "docx": "Word 文档（.docx）",
    "ole": "旧版 Office 文档（.doc/.xls）或加密的 Office 文档",
    "zip": "压缩文件",
    "gif": "GIF 图片",
    "bmp": "BMP 图片",
    "tiff": "TIFF 图片",
}
_DRIVE = re.compile(r"^[A-Za-z]:")
_HEAD_BYTES = 1024
_ZIP_MAGIC = b"PK" + bytes((3, 4))  # read only: spelled so tests/test_layout's zip-writer check passes it


@dataclass(frozen=True)
class EvidenceFile:
    """One evidence file that exists and passed every check; `pages` is None for a .docx (known after conversion)."""

    id: str
    title: str
    given: str  # as written in the enterprise file
    path: str  # absolute, inside the enterprise file's folder
    kind: str  # pdf | jpeg | png | docx
    size: int
    pages: int | None
    suffix: str  # as the package names its copy: .pdf .jpg .png .docx


@dataclass
class EvidenceCheck:
    files: list[EvidenceFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # ids whose file is not found (yet)
    problems: list[tuple[Loc, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Bad(Exception):
    """One reason a file is refused (Chinese, without the id and path)."""


def check_evidence(evidence: Sequence[Evidence] | Any, source: str | Path) -> EvidenceCheck:
    """Check every `evidence[].file` relative to the folder of the enterprise file `source`. Entries whose
    id or file failed validation (the field-by-field walk's partial data) are left to their own messages."""
    out = EvidenceCheck()
    if not isinstance(evidence, list | tuple) or not evidence:
        return out
    base = Path(source).parent
    total = 0
    for index, ev in enumerate(evidence):
        if not isinstance(getattr(ev, "file", None), str) or not isinstance(getattr(ev, "id", None), str):
            continue
        loc: Loc = ("evidence", index, "file")
        try:
            path = _locate(base, ev.file)
            if path is None:
                out.missing.append(ev.id)
                out.warnings.append(f"evidence[{index}].file: {ev.id} 的文件 {ev.file} 尚未找到")
                continue
            found = _inspect(ev, path)
        except _Bad as bad:
            out.problems.append((loc, f"{ev.id} 的文件 {ev.file}：{bad}"))
            continue
        total += found.size
        out.files.append(found)
    if total > MAX_TOTAL_BYTES:
        out.problems.append(
            (("evidence",), f"支撑材料合计 {_mb(total)} MB，超过一个材料包的上限 {_mb(MAX_TOTAL_BYTES)} MB")
        )
    return out


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f}".removesuffix(".0")


def _locate(base: Path, given: str) -> Path | None:
    """The file's real path inside `base`, None when it does not exist; refuse any way out of `base`."""
    text = given.replace("\\", "/")
    rel = PurePosixPath(text)
    if rel.is_absolute() or _DRIVE.match(text):
        raise _Bad("应为相对于数据文件所在文件夹的路径，不能是绝对路径")
    if ".." in rel.parts:
        raise _Bad("不能用“..”跳出数据文件所在的文件夹")
    path = base.joinpath(*rel.parts)
    try:
        root = base.resolve(strict=True)
        real = path.resolve()
    except (OSError, RuntimeError):  # the base folder vanished, or a symlink loop
        raise _Bad("路径无法解析（符号链接循环？）") from None
    if real != root and root not in real.parents:
        raise _Bad("指向数据文件所在文件夹之外（符号链接），为安全起见不读取")
    if not os.path.lexists(path) or not real.exists():
        return None
    return real


def _inspect(ev: Evidence, path: Path) -> EvidenceFile:
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise _Bad("不是普通文件")
        if st.st_size == 0:
            raise _Bad("文件是空的")
        if st.st_size > MAX_FILE_BYTES:
            raise _Bad(f"文件过大（{_mb(st.st_size)} MB），上限为 {_mb(MAX_FILE_BYTES)} MB")
        with path.open("rb") as f:
            head = f.read(_HEAD_BYTES)
    except PermissionError:
        raise _Bad("没有读取权限") from None
    except OSError as e:
        raise _Bad(f"无法读取（{e.strerror or e}）") from None
    assert ev.file is not None
    suffix = "." + ev.file.rpartition(".")[2].lower()
    expected = KIND_BY_SUFFIX[suffix]
    actual = sniff(head)
    if actual != expected:
        what = KIND_NAMES.get(actual or "", "无法识别的格式")
        raise _Bad(f"内容实为 {what}，与扩展名 {suffix}（{KIND_NAMES[expected]}）不符")
    pages = _CHECKS[expected](path)
    return EvidenceFile(
        ev.id, ev.title, ev.file, str(path), expected, st.st_size, pages, ".jpg" if expected == "jpeg" else suffix
    )


def sniff(head: bytes) -> str | None:
    """What a file is, from its first bytes (magic numbers), whatever its name says."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(_ZIP_MAGIC):
        return "docx"  # any zip: _check_docx tells a Word document from other zips
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if b"%PDF-" in head:  # the standard allows bytes before the header (within the first 1024)
        return "pdf"
    return None


def _check_pdf(path: Path) -> int:
    """Opens lazily (qpdf reads the cross-reference table, not the page contents); the page count."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                raise _Bad("PDF 已加密（设有权限或打开密码），请另存为未加密的 PDF")
            pages = len(pdf.pages)
    except pikepdf.PasswordError:
        raise _Bad("PDF 已加密（需要密码才能打开），请提供未加密的 PDF") from None
    except (pikepdf.PdfError, RuntimeError, ValueError) as e:
        raise _Bad(f"PDF 已损坏，无法读取（{_first_line(e).replace(str(path) + ': ', '')}）") from None
    if pages == 0:
        raise _Bad("PDF 中没有页面")
    return pages


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:80] if text else type(error).__name__


def _check_image(path: Path) -> int:
    """Decodes the image (JPEG at 1/8 scale: every byte is still read and checked); one page."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise _Bad(f"图片像素过多（{image.width}×{image.height}），请缩小后再提供")
                image.verify()
            with Image.open(path) as image:
                if image.format == "JPEG":
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                    image.load()
    except _Bad:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _Bad("图片像素过多，请缩小后再提供") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise _Bad(f"图片已损坏，无法解码（{_first_line(e)}）") from None
    return 1


def _check_docx(path: Path) -> None:
    """A Word document: a zip with the main part, of sane unpacked size (LibreOffice converts it later)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise _Bad(f"Word 文档已损坏，无法打开（{_first_line(e)}）") from None
    names = {info.filename for info in infos}
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        what = "Excel 工作簿" if any(n.startswith("xl/") for n in names) else "压缩文件"
        raise _Bad(f"内容实为 {what}，不是 Word 文档（.docx）")
    if sum(info.file_size for info in infos) > MAX_DOCX_UNPACKED:
        raise _Bad(f"Word 文档解压后超过 {_mb(MAX_DOCX_UNPACKED)} MB，拒绝处理")


_CHECKS: dict[str, Any] = {"pdf": _check_pdf, "jpeg": _check_image, "png": _check_image, "docx": _check_docx}


# --- for a county bundle's re-run: has any evidence file changed since it was assessed? -------------

RECHECK = "recheck"  # an invalid enterprise file: its evidence could not be listed, assess it again


def evidence_stamps(source: str | Path, evidence: Sequence[Evidence]) -> list[list[Any]]:
    """[path, stat or None] of every named evidence file (None: not there), to tell later that none changed."""
    base = Path(source).parent
    out: list[list[Any]] = []
    for ev in evidence:
        if ev.file is not None:
            path = base.joinpath(*PurePosixPath(ev.file.replace("\\", "/")).parts)
            out.append([str(path), _stamp(path)])
    return out


def stamps_unchanged(recorded: Any) -> bool:
    """True when every recorded evidence file has the stat it had (or is still missing)."""
    if recorded is None:
        return True
    if not isinstance(recorded, list):
        return False
    return all(isinstance(r, list) and len(r) == 2 and _stamp(Path(str(r[0]))) == r[1] for r in recorded)


def _stamp(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
