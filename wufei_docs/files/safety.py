"""Names and paths built from input: safe on Windows, macOS and Linux, never outside the output folder;
and text that any XML document can hold."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Any

from wufei_docs.errors import OutputError

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_BAD_CHARS = set('\\:*?"<>|') | {chr(c) for c in range(32)} | {"\x7f"}  # in package file names
# The characters XML 1.0 cannot hold (the complement of its Char production, spelled out: the negated
# form with astral ranges takes ~5 ms to compile, a noticeable part of a re-run's start).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_NAME_CHARS = 60  # 60 CJK characters are 180 bytes in UTF-8, well under NAME_MAX (255)


def safe_component(name: str, fallback: str = "未命名") -> str:
    """One path component made from user text: no separators, control characters, `..`, reserved
    Windows device names, trailing dots/spaces, or over-long names."""
    text = unicodedata.normalize("NFC", name)
    text = " ".join(text.split())  # tabs/newlines/runs of spaces → one space
    text = _FORBIDDEN.sub("_", text)
    text = text.strip(" .")
    if _RESERVED.match(text):
        text = f"_{text}"
    if len(text) > MAX_NAME_CHARS:
        text = text[:MAX_NAME_CHARS].rstrip(" .")
    if not text or set(text) <= {"_", "."}:
        return fallback
    return text


def unique_components(names: list[str], keys: list[str]) -> list[str]:
    """Sanitise names; where two collide (case-insensitively, as on Windows), suffix the colliding ones
    with their key (e.g. the last 6 characters of the USCC) so every name stays stable between runs."""
    safe = [safe_component(n) for n in names]
    counts: dict[str, int] = {}
    for s in safe:
        counts[s.casefold()] = counts.get(s.casefold(), 0) + 1
    out: list[str] = []
    taken: set[str] = set()
    for s, key in zip(safe, keys, strict=True):
        candidate = s if counts[s.casefold()] == 1 else f"{s}-{safe_component(key)[-6:]}"
        n = 2
        base = candidate
        while candidate.casefold() in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


def safe_name(name: str, folder: Path) -> PurePosixPath:
    """Check a package file name: relative, at most one sub-folder, no `..`, no hidden or odd characters."""
    parts = name.split("/")
    problem = None
    if not name or name.startswith("/") or len(parts) > 2:
        problem = "必须是相对路径，最多包含一级子文件夹"
    elif any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        problem = "不能包含空的路径段、“.”、“..”或以“.”开头"
    elif any(ch in _BAD_CHARS for ch in name):
        problem = "包含不允许的字符"
    elif any(len(p.encode("utf-8")) > 240 for p in parts):
        problem = "名称过长"
    if problem:
        raise OutputError(f"{folder}: 输出文件名 “{name}” 不合法：{problem}")
    return PurePosixPath(name)


def ensure_inside(folder: Path, target: Path) -> None:
    """Refuse to write through a symlinked sub-folder (it could point outside the output folder)."""
    root = folder.resolve()
    for parent in reversed(target.relative_to(folder).parents):
        candidate = folder / parent
        if str(parent) != "." and candidate.is_symlink():
            raise OutputError(f"{folder}: “{parent}” 是符号链接，为安全起见不向其中写入")
    resolved = target.parent.resolve()
    if resolved != root and root not in resolved.parents:
        raise OutputError(f"{folder}: “{target}” 位于输出文件夹之外，拒绝写入")


def inside(root: Path, relative: str | Path) -> Path:
    """`root / relative`, refusing anything that would land outside `root` (absolute paths, `..`,
    symlinked folders on the way)."""
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise OutputError(f"拒绝写入输出文件夹之外的位置：{relative}")
    target = root / rel
    ensure_inside(root, target / "x")
    return target


def text_not_formulas(worksheet: Any) -> None:
    """Make every cell that openpyxl would save as a formula (text starting with “=”, e.g. a unit named
    “=HYPERLINK(…)”) a plain text cell: names and opinions from input files are data, never formulas."""
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
