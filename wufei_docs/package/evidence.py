"""支撑材料 in a package: exact copies under `支撑材料/<id>-<title>.<ext>`, listed in manifest.json (FORMAT.md §4).

Evidence files are large (scans of up to 50 MB, 300 MB a package), so a package never holds them in memory:
it holds `Attachment`s — a file on disk with its sha256 — which the writer copies (streaming) into the new
version. Their hashes enter the fingerprint, so a changed, added or removed scan makes a new version and the
修改说明 names the file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wufei_docs.errors import OutputError
from wufei_docs.files.jsonfmt import canonical
from wufei_docs.files.safety import unique_components
from wufei_docs.loading.evidence import EvidenceCheck, EvidenceFile
from wufei_docs.model import Enterprise

EVIDENCE_DIR = "支撑材料"
BOUND_PDF = "申报材料.pdf"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """A package file that stays on disk until the writer copies it (or moves it, when `temporary`)."""

    path: str
    sha256: str
    size: int
    temporary: bool = False  # ours (the bound PDF in a temp folder): moved, not copied


@dataclass(frozen=True)
class Material:
    """One evidence entry as the package sees it: its copy's name in the package (None: no file yet)."""

    id: str
    title: str
    name: str | None
    file: EvidenceFile | None
    missing: bool  # a file is named but was not found


def materials(enterprise: Enterprise, found: EvidenceCheck) -> list[Material]:
    """Every evidence entry in id order (the order of 申报材料.pdf), with its copy's sanitised name."""
    by_id = {f.id: f for f in found.files}
    entries = sorted(enterprise.evidence, key=lambda ev: _id_key(ev.id))
    stems = unique_components([f"{ev.id}-{ev.title}" for ev in entries], [ev.id for ev in entries])
    out = []
    for ev, stem in zip(entries, stems, strict=True):
        f = by_id.get(ev.id)
        name = f"{EVIDENCE_DIR}/{stem}{f.suffix}" if f is not None else None
        out.append(Material(ev.id, ev.title, name, f, ev.id in found.missing))
    return out


def _id_key(value: str) -> tuple[Any, ...]:
    """E2 before E10: digit runs compare as numbers."""
    import re

    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", value) if p)


def attachments(items: Iterable[Material]) -> dict[str, Attachment]:
    out = {}
    for m in items:
        if m.file is not None and m.name is not None:
            out[m.name] = Attachment(m.file.path, file_sha256(Path(m.file.path)), m.file.size)
    return out


def manifest_entries(items: Iterable[Material], hashes: dict[str, Attachment], pages: dict[str, int]) -> list[Any]:
    """manifest.json's `evidence`: [{id, title, file, sha256, pages}] (+ `missing` for a file not found)."""
    out: list[dict[str, Any]] = []
    for m in items:
        entry: dict[str, Any] = {"id": m.id, "title": m.title, "file": m.name}
        entry["sha256"] = hashes[m.name].sha256 if m.name else None
        entry["pages"] = pages.get(m.id, m.file.pages if m.file else None)
        if m.missing:
            entry["missing"] = True
        out.append(entry)
    return out


def fingerprint_part(items: Iterable[Material], hashes: dict[str, Attachment]) -> str:
    """What of the evidence makes a new version: each copy's name and hash ("" without any file, so such a
    package keeps the fingerprint it had; a file appearing or going away changes the list)."""
    parts = [[m.id, m.name, hashes[m.name].sha256] for m in items if m.name]
    return canonical(parts).decode() if parts else ""


def missing_evidence(manifest: dict[str, Any]) -> list[str]:
    """The ids a manifest lists whose file was not found when the version was built."""
    entries = manifest.get("evidence")
    if not isinstance(entries, list):
        return []
    return [str(e.get("id")) for e in entries if isinstance(e, dict) and e.get("missing")]


# --- hashing and copying, in chunks -------------------------------------------------------------

_HASHED: dict[tuple[str, int, int, int], str] = {}  # (path, inode, size, mtime) → sha256, per process


def file_sha256(path: Path) -> str:
    """sha256 of a file read in 1 MB chunks; remembered for the process while its stat is unchanged."""
    try:
        st = path.stat()
        key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
        if key not in _HASHED:
            h = hashlib.sha256()
            with path.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    h.update(chunk)
            _HASHED[key] = h.hexdigest()
        return _HASHED[key]
    except OSError as e:
        raise OutputError(f"无法读取支撑材料 {path}：{e.strerror or e}") from None


def copy_verified(att: Attachment, target: Path) -> None:
    """Copy (or move, when ours) into `target`, checking the bytes are those hashed: a scan replaced while
    the build ran must not go out under the old hash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if att.temporary:
        shutil.move(att.path, target)
        return
    h = hashlib.sha256()
    try:
        with open(att.path, "rb") as src, open(target, "wb") as out:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        raise OutputError(f"无法复制支撑材料 {att.path}：{e.strerror or e}") from None
    if h.hexdigest() != att.sha256:
        raise OutputError(f"支撑材料 {att.path} 在生成过程中被修改，请重新运行")


def evidence_fingerprint(enterprise: Enterprise, found: EvidenceCheck) -> str:
    """`fingerprint_part` from a validated file (what a county bundle's assessment passes to `fingerprint`)."""
    items = materials(enterprise, found)
    return fingerprint_part(items, attachments(items))
