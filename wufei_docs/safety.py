"""Names and paths built from input: safe on Windows, macOS and Linux, never outside the output folder."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from .errors import OutputError

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
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


def inside(root: Path, relative: str | Path) -> Path:
    """`root / relative`, refusing anything that would land outside `root` (absolute paths, `..`,
    symlinks that point out)."""
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise OutputError(f"拒绝写入输出文件夹之外的位置：{relative}")
    target = root / rel
    real_root = root.resolve()
    real_target = target.resolve()
    if real_target != real_root and real_root not in real_target.parents:
        raise OutputError(f"拒绝写入输出文件夹之外的位置：{relative}（经符号链接指向 {real_target}）")
    return target


def text_not_formulas(worksheet: Any) -> None:
    """Make every cell that openpyxl would save as a formula (text starting with “=”, e.g. a unit named
    “=HYPERLINK(…)”) a plain text cell: names and opinions from input files are data, never formulas."""
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
