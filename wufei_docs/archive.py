"""Deterministic zip archives: same files → byte-identical zip (fixed timestamps, sorted names)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_ALREADY_COMPRESSED = {".docx", ".xlsx", ".pdf", ".zip", ".png", ".jpg"}


def zip_folder(
    folder: Path,
    target: Path,
    *,
    prefix: str | None = None,
    exclude: frozenset[str] = frozenset(),
    skip: Callable[[tuple[str, ...]], bool] | None = None,
) -> int:
    """Zip every file under `folder` into `target` (written via a temp file); returns the file count.
    Office files and PDFs are already compressed, so they are stored, which keeps this fast. Paths with a
    part in `exclude`, paths whose parts `skip` rejects, symlinks and hidden files (lock, caches) are left out."""
    from .fsutil import atomic_replace_with

    def wanted(p: Path) -> bool:
        parts = p.relative_to(folder).parts
        return not (exclude & set(parts)) and not (skip is not None and skip(parts))

    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and not _hidden(p, folder) and wanted(p)
    )
    root = prefix if prefix is not None else folder.name

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w") as zf:
            for path in files:
                rel = path.relative_to(folder).as_posix()
                info = zipfile.ZipInfo(f"{root}/{rel}" if root else rel, FIXED_TIME)
                info.external_attr = 0o644 << 16
                stored = path.suffix.lower() in _ALREADY_COMPRESSED
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())

    atomic_replace_with(target, write)
    return len(files)


def _hidden(path: Path, folder: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def pin_zip_times(path: Path) -> None:
    """Rewrite a zip (e.g. an .xlsx saved by openpyxl) with fixed member times and a fixed
    `dcterms:modified` (openpyxl stamps the wall clock there), so the same content gives the same bytes."""
    import io
    import re

    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    stamp = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
    members = [
        (info, stamp.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data) if info.filename == "docProps/core.xml" else data)
        for info, data in members
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, FIXED_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    path.write_bytes(buf.getvalue())
