"""A package is the set of files one build produces, held in memory until it is written.

Rendering produces a `Package` (bytes only, no disk); `write_package` is the one place that puts
packages on disk, so atomic writes, versions and final copies are handled once for `build` and `bundle`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fsutil import atomic_write_bytes

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Package:
    files: dict[str, bytes]  # file name (relative, may contain one sub-folder) → content
    manifest: dict[str, Any]  # tool version, rubric, input hash, score summary…; the writer adds "files"
    fingerprint: str  # hash of input + templates + tool version + options: same → nothing to rebuild
    extra: dict[str, Any] = field(default_factory=dict)  # data for change notes (plain input, item scores)


@dataclass
class WriteReport:
    folder: Path
    written: list[str]
    unchanged: bool = False
    archived_to: Path | None = None
    messages: list[str] = field(default_factory=list)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(pkg: Package) -> bytes:
    manifest = dict(pkg.manifest)
    manifest["fingerprint"] = pkg.fingerprint
    manifest["files"] = {name: sha256(data) for name, data in pkg.files.items()}
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def write_package(pkg: Package, folder: Path) -> WriteReport:
    """Write every file atomically, the manifest last (so a manifest always describes complete files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in pkg.files.items():
        atomic_write_bytes(folder / name, data)
    atomic_write_bytes(folder / MANIFEST, manifest_bytes(pkg))
    return WriteReport(folder, [*pkg.files, MANIFEST])
