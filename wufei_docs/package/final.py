"""`wufei final`: record that the current version was stamped and sent, as a read-only copy.

The copy (历史版本/<n>-定稿/) is made in a temp folder and renamed into place in one step; the manifest notes
the date last, so a run stopped half-way finishes the next time. A version whose 支撑材料 files are missing is
refused unless the caller allows it (recorded in 定稿.json).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wufei_docs.errors import OutputError
from wufei_docs.files import oserrors
from wufei_docs.files.fsutil import atomic_write_bytes, remove_tree
from wufei_docs.files.locking import folder_lock
from wufei_docs.files.names import MANIFEST
from wufei_docs.files.safety import ensure_inside
from wufei_docs.package.evidence import BOUND_PDF, EVIDENCE_DIR, Attachment, copy_verified, missing_evidence
from wufei_docs.package.writer import (
    FINAL_RECORD,
    TEMP_PREFIX,
    Current,
    disk_sha,
    json_bytes,
    read_current,
    recover,
    sha256,
    unreadable_reason,
)


@dataclass
class FinalReport:
    folder: Path
    version: int
    copy: Path  # 历史版本/<n>-定稿
    date: str
    by: str | None
    already: bool = False  # the version had been marked final before
    messages: list[str] = field(default_factory=list)


def mark_final(folder: Path, by: str | None = None, *, allow_missing_evidence: bool = False) -> FinalReport:
    """Record that the current version was stamped and sent: copy it, as it is on disk, to
    历史版本/<n>-定稿/ (read-only, never touched by later builds) and note the date in the manifest."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"文件夹 {folder} 不存在")
    with oserrors.reported(folder), folder_lock(folder):
        messages = recover(folder)
        current = read_current(folder)
        if current is None:
            raise OutputError(f"{folder} 中没有 wufei 生成的材料包（缺少 {MANIFEST}），无法定稿")
        missing = [n for n in current.manifest.get("files", {}) if not (folder / n).is_file()]
        if missing:
            raise OutputError(f"{folder} 中缺少 {'、'.join(missing)}，无法定稿；请重新生成后再定稿")
        absent = missing_evidence(current.manifest)
        if absent and not allow_missing_evidence:
            raise OutputError(
                f"第 {current.version} 版缺少支撑材料 {'、'.join(absent)} 的文件，无法定稿；补齐文件后重新生成，"
                "或加 --allow-missing-evidence 定稿（将记录在 定稿.json 中）"
            )
        copy = folder / current.final_slot
        ensure_inside(folder, copy / MANIFEST)  # a symlinked 历史版本 must not take the copy elsewhere
        if current.manifest.get("final") and copy.is_dir():
            record = current.manifest["final"]
            note = f"第 {current.version} 版已于 {record.get('date', '')} 定稿，无需重复"
            return FinalReport(folder, current.version, copy, str(record.get("date", "")), record.get("by"), True,
                               [*messages, note])  # fmt: skip
        if copy.is_dir():  # a run stopped after copying: keep the copy and its record, finish the manifest
            record = _final_record(copy)
        else:
            now = dt.datetime.now().replace(microsecond=0)
            record = {"version": current.version, "date": now.date().isoformat(), "time": now.isoformat(),
                      "by": by, "folder": current.final_slot}  # fmt: skip
            if absent:
                record["missing_evidence"] = absent  # finalised with --allow-missing-evidence
        manifest = json_bytes({**current.manifest, "final": record})
        if not copy.is_dir():
            messages += _make_final_copy(folder, current, copy, record, manifest)
        atomic_write_bytes(folder / MANIFEST, manifest)
        by = record.get("by")
        messages.append(
            f"已将第 {current.version} 版定稿（{record['date']}{'，' + by if by else ''}）；"
            f"副本保存在 {copy}/，以后重新生成不会改动这些文件"
        )
        return FinalReport(folder, current.version, copy, str(record["date"]), by, False, messages)


def _final_record(copy: Path) -> dict[str, Any]:
    try:
        data = json.loads((copy / FINAL_RECORD).read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise OutputError(f"{copy / FINAL_RECORD} 无法读取（{unreadable_reason(e)}）；请人工检查该定稿副本") from None
    return {k: v for k, v in data.items() if k != "files"}


def _make_final_copy(folder: Path, current: Current, copy: Path, record: dict[str, Any], manifest: bytes) -> list[str]:
    """Copy the files as they are on disk into a temp folder, then rename it into place in one step."""
    messages = []
    recorded = current.manifest.get("files", {})
    tmp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}final-", dir=folder))
    try:
        hashes = {}
        for name in current.files:
            if name == MANIFEST:
                hashes[name] = sha256(manifest)
                atomic_write_bytes(tmp / name, manifest)
                continue
            large = name == BOUND_PDF or name.startswith(f"{EVIDENCE_DIR}/")
            data = None if large else (folder / name).read_bytes()
            hashes[name] = disk_sha(folder / name) if data is None else sha256(data)
            if recorded.get(name) not in (None, hashes[name]):
                messages.append(f"提示：{name} 在生成后被修改过，定稿副本保存的是修改后的文件")
            if data is None:  # scans: copied in chunks
                copy_verified(Attachment(str(folder / name), hashes[name], 0), tmp / name)
            else:
                atomic_write_bytes(tmp / name, data)
        atomic_write_bytes(tmp / FINAL_RECORD, json_bytes({**record, "files": hashes}))
        for path in tmp.rglob("*"):
            if path.is_file():
                path.chmod(0o444)
        copy.parent.mkdir(exist_ok=True)
        os.rename(tmp, copy)
    except BaseException:
        remove_tree(tmp)
        raise
    return messages
