"""Refuse what is not a safe .xlsx before openpyxl parses a byte of it.

An .xlsx is a zip of XML parts. We check, on the bytes already in memory (so the file cannot change
between the check and the parse): the file size, that it is a zip and an Excel workbook (not an .xls,
an encrypted workbook, a .docx or a renamed text file), the declared uncompressed sizes and compression
ratios (zip bombs; Python's zipfile never inflates a member past its declared size), and that no XML
part carries a DTD or entity declaration (XXE, billion laughs) or an encoding that would hide one.
"""

from __future__ import annotations

import io
import re
import zipfile

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_RATIO = 200  # real workbooks stay far below; only checked for members over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024

BINARY_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".bin", ".wdp", ".svg")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 1024 * 1024


class UnsafeWorkbook(ValueError):
    """The bytes are not a workbook we are willing to parse; str(e) is the Chinese reason."""


def check_xlsx_bytes(data: bytes) -> None:
    """Raise UnsafeWorkbook unless `data` looks like a well-formed, reasonably sized .xlsx."""
    if len(data) > MAX_FILE_BYTES:
        raise UnsafeWorkbook(f"文件过大（{len(data) / 1048576:.1f} MB），上限为 {MAX_FILE_BYTES // 1048576} MB")
    if not data:
        raise UnsafeWorkbook("文件是空的")
    if data.startswith(OLE_MAGIC):
        raise UnsafeWorkbook(
            "这是旧版 Excel（.xls）/ WPS（.et）文件或已加密的工作簿；"
            "请在 Excel 或 WPS 中“另存为” .xlsx 格式（不设密码）"
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnsafeWorkbook("不是有效的 .xlsx 文件（文件内容不是 Excel 工作簿，可能只是改了扩展名）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_members(archive)
    except zipfile.BadZipFile:
        raise UnsafeWorkbook("工作簿已损坏，无法解压") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError):
        raise UnsafeWorkbook("工作簿使用了不支持的压缩方式或已加密") from None


def _check_members(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(n.endswith("workbook.xml") for n in names):
        hint = "（这是 Word 文档）" if any(n.startswith("word/") for n in names) else ""
        raise UnsafeWorkbook(f"这个压缩文件不是 Excel 工作簿{hint}，请提供 .xlsx 文件")
    if len(infos) > MAX_MEMBERS:
        raise UnsafeWorkbook(f"工作簿内部文件过多（{len(infos)} 个），疑似恶意文件，已拒绝")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnsafeWorkbook(
            f"工作簿解压后过大（{total / 1048576:.0f} MB，上限 {MAX_UNCOMPRESSED_BYTES // 1048576} MB），"
            "疑似压缩炸弹，已拒绝"
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnsafeWorkbook("工作簿已加密，请取消密码后另存为 .xlsx")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise UnsafeWorkbook(f"工作簿内部文件 {info.filename} 压缩比异常（{ratio:.0f}:1），疑似压缩炸弹，已拒绝")
    for info in infos:  # every part openpyxl might parse, whatever its name
        if not info.filename.lower().endswith(BINARY_SUFFIXES) and not info.is_dir():
            _check_xml(archive, info)


def _check_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Excel writes UTF-8 XML without a DTD; anything else is refused (read in chunks, overlap kept)."""
    with archive.open(info) as member:
        head = member.read(_CHUNK)
        if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")) or head[1:2] == b"\x00":
            raise UnsafeWorkbook(f"工作簿内部文件 {info.filename} 使用了不支持的编码，已拒绝")
        tail = b""
        chunk = head
        while chunk:
            if _DTD.search(tail + chunk):
                raise UnsafeWorkbook(f"工作簿内部文件 {info.filename} 含有 DTD 或实体声明（可能是恶意文件），已拒绝")
            tail = chunk[-16:]
            chunk = member.read(_CHUNK)
