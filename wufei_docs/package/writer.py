"""A package is the set of files one build produces, held in memory until it is written.

Rendering produces a `Package` (bytes only, no disk); `write_package` is the one place that puts packages
on disk, for `build` and `bundle` alike. Layout of a package folder (see README, 修改与定稿):

    DIR/<files>, 修改说明.docx/.txt, manifest.json   the current version (always at the top)
    DIR/历史版本/<n>/                               earlier versions, moved here whole when replaced
    DIR/历史版本/<n>-定稿/                           a copy of version n made by `mark_final`; never touched again

A new version is written into a hidden staging folder first; the switch (old files → 历史版本/<n>/, new
files → DIR) is journalled, so an exception or a crash at any point leaves the previous version in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wufei_docs.errors import OutputError
from wufei_docs.files.fsutil import Journal, atomic_write_bytes, prune_empty_dirs, remove_tree
from wufei_docs.files.jsonfmt import readable_json
from wufei_docs.files.locking import folder_lock
from wufei_docs.files.names import HISTORY, MANIFEST
from wufei_docs.files.safety import ensure_inside, safe_name
from wufei_docs.package.evidence import (
    BOUND_PDF,
    EVIDENCE_DIR,
    Attachment,
    copy_verified,
    file_sha256,
    missing_evidence,
)
from wufei_docs.package.revisions import NOTE_DOCX, NOTE_TXT, Changes, Revision, compare, note_docx, note_text

FINAL_SUFFIX = "-定稿"
FINAL_RECORD = "定稿.json"
RESERVED = (MANIFEST, NOTE_DOCX, NOTE_TXT)
_TEMP_PREFIX = ".wufei-"
_HALF_WRITTEN = (f".{MANIFEST}.", f".{Journal.name}.")


@dataclass(frozen=True)
class Package:
    files: dict[str, bytes]  # file name (relative, may contain one sub-folder) → content
    manifest: dict[str, Any]  # tool version, rubric, input hash, score summary…; the writer adds "files"
    fingerprint: str  # hash of input + templates + tool version + options: same → nothing to rebuild
    extra: dict[str, Any] = field(default_factory=dict)  # data for change notes (plain input, item scores)
    attachments: dict[str, Attachment] = field(default_factory=dict)  # large files copied from disk (支撑材料)
    binding: Any = None  # package/binding.BindPlan: what --pdf needs to make 申报材料.pdf (not written)

    @property
    def names(self) -> list[str]:
        return [*self.files, *self.attachments]

    def hashes(self, files: dict[str, bytes] | None = None) -> dict[str, str]:
        hashes = {name: sha256(data) for name, data in (files or self.files).items()}
        return hashes | {name: a.sha256 for name, a in self.attachments.items()}


@dataclass
class WriteReport:
    folder: Path
    written: list[str]
    unchanged: bool = False
    archived_to: Path | None = None  # where the replaced version went (None: first version, or it was final)
    messages: list[str] = field(default_factory=list)
    version: int = 0  # the folder's current version after the call
    final: bool = False  # the current version is final (only possible when unchanged)
    changes: Changes | None = None  # what the 修改说明 lists (None for a first version or no change)


@dataclass
class FinalReport:
    folder: Path
    version: int
    copy: Path  # 历史版本/<n>-定稿
    date: str
    by: str | None
    already: bool = False  # the version had been marked final before
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Current:
    manifest: dict[str, Any]
    version: int
    files: tuple[str, ...]  # the version's files present on disk, manifest last

    @property
    def final_slot(self) -> str:
        return f"{HISTORY}/{self.version}{FINAL_SUFFIX}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(pkg: Package, files: dict[str, bytes] | None = None, **more: Any) -> bytes:
    """FORMAT.md §4 fields from the renderer, then fingerprint, version, file hashes and the data snapshot."""
    manifest = dict(pkg.manifest)
    manifest["fingerprint"] = pkg.fingerprint
    manifest.update({k: v for k, v in more.items() if v is not None})
    manifest["files"] = pkg.hashes(files)
    if pkg.extra:
        manifest["snapshot"] = pkg.extra
    return _json(manifest)


def _json(data: Any) -> bytes:
    return (readable_json(data) + "\n").encode("utf-8")


# --- reading a folder ----------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The current version's manifest, None when the folder holds no package."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise OutputError(f"{path} 无法读取（{e}）；请检查该文件，或换一个输出文件夹") from e
    if not isinstance(data, dict) or not _manifest_shape(data):
        raise OutputError(f"{path} 不是 wufei 生成的清单文件；请换一个输出文件夹")
    return data


def _manifest_shape(data: dict[str, Any]) -> bool:
    """The fields the writer relies on have the types it wrote (a hand-edited manifest may not)."""
    files = data.get("files", {})
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return False
    return isinstance(data.get("final", {}), dict) and isinstance(data.get("fingerprint", ""), str)


def package_is_current(folder: Path, fingerprint: str) -> bool:
    """True when `folder` already holds a complete package built from the same fingerprint (skip rendering)."""
    folder = Path(folder)
    try:
        manifest = read_manifest(folder)
    except OutputError:
        return False
    if manifest is None or manifest.get("fingerprint") != fingerprint or (folder / Journal.name).exists():
        return False
    return all((folder / name).is_file() for name in manifest.get("files", {}))


def _current(folder: Path) -> _Current | None:
    manifest = read_manifest(folder)
    if manifest is None:
        return None
    names = [n for n in manifest.get("files", {}) if n not in RESERVED]
    for name in names:
        safe_name(name, folder)  # a hand-edited manifest must not make us move files from elsewhere
    present = [n for n in [*names, NOTE_DOCX, NOTE_TXT] if (folder / n).is_file()]
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1:
        version = max([0, *_history_numbers(folder)]) + 1
    return _Current(manifest, version, (*present, MANIFEST))


def _history_numbers(folder: Path) -> list[int]:
    history = folder / HISTORY
    if not history.is_dir():
        return []
    out = []
    for child in history.iterdir():
        head = child.name.removesuffix(FINAL_SUFFIX)
        if child.is_dir() and head.isdigit():
            out.append(int(head))
    return out


def _is_final(folder: Path, current: _Current) -> bool:
    return bool(current.manifest.get("final")) or (folder / current.final_slot).is_dir()


def _recover(folder: Path) -> list[str]:
    """Undo a switch a crashed run left half done, and drop its hidden temp folders."""
    messages = []
    if Journal.recover(folder):
        messages.append(f"{folder}: 上次运行中断，已恢复到中断前的版本")
    for child in folder.iterdir():
        if child.is_symlink() or not child.name.startswith("."):
            continue
        if child.name.startswith(_TEMP_PREFIX) and child.is_dir():
            remove_tree(child)
        elif child.name.startswith(_HALF_WRITTEN) and child.name.endswith(".tmp") and child.is_file():
            child.unlink()  # an atomic write of ours that never reached its rename
    return messages


# --- writing -------------------------------------------------------------------------------------


def write_package(pkg: Package, folder: Path) -> WriteReport:
    """Write a package as the folder's new current version, or nothing at all if it is unchanged.

    Same fingerprint → nothing is rewritten (无变化). Otherwise the current version moves to
    历史版本/<n>/ (unless it was marked final: its copy in 历史版本/<n>-定稿/ stays as it is), the new
    files take its place, and 修改说明.docx/.txt list every changed field and score. Any failure leaves the
    previous version complete. The folder is locked against other runs for the whole call.
    """
    folder = Path(folder)
    for name in pkg.names:
        safe_name(name, folder)
        if name in RESERVED or name.split("/")[0] == HISTORY:
            raise OutputError(f"{folder}: 输出文件名 “{name}” 与工具自用的文件重名")
    try:
        return _write_locked(pkg, folder)
    finally:
        _drop_temporary(pkg)


def _drop_temporary(pkg: Package) -> None:
    """Our own temporary files (the bound PDF) when the writer did not move them in, and their folder."""
    for attachment in pkg.attachments.values():
        if attachment.temporary:
            path = Path(attachment.path)
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only once empty


def _write_locked(pkg: Package, folder: Path) -> WriteReport:
    folder.mkdir(parents=True, exist_ok=True)
    with folder_lock(folder):
        messages = _recover(folder)
        current = _current(folder)
        if current is not None and current.manifest.get("fingerprint") == pkg.fingerprint:
            report = _unchanged(pkg, folder, current)
            if report is not None:
                report.messages[:0] = messages
                return report
        if current is None:
            _refuse_foreign(pkg, folder)
        report = _switch(pkg, folder, current)
        report.messages[:0] = messages
        return report


def _unchanged(pkg: Package, folder: Path, current: _Current) -> WriteReport | None:
    """Same input, templates and version: touch nothing (restore a deleted file if it is byte-identical)."""
    recorded = current.manifest.get("files", {})
    hashes = pkg.hashes()
    missing = [n for n in pkg.names if not (folder / n).is_file()]
    if any(hashes[n] != recorded.get(n) for n in missing):
        return None  # cannot restore exactly what was there: build a new version instead
    final = _is_final(folder, current)
    tag = "（已定稿）" if final else ""
    messages = [f"无变化{tag}：{folder} 第 {current.version} 版与输入一致，未改写任何文件"]
    for name in missing:
        ensure_inside(folder, folder / name)
        _put(pkg, name, folder / name)
        messages.append(f"已补回被删除的文件 {name}（与第 {current.version} 版记录一致）")
    for name in pkg.names:
        if name not in missing and recorded.get(name) and _disk_sha(folder / name) != recorded[name]:
            messages.append(f"提示：{name} 在生成后被修改过，本次未覆盖")
    return WriteReport(folder, missing, True, None, messages, current.version, final)


def _put(pkg: Package, name: str, target: Path) -> None:
    """Write one package file: bytes atomically, an attachment by a verified copy (temp name, then rename)."""
    if name in pkg.files:
        atomic_write_bytes(target, pkg.files[name])
        return
    tmp = target.with_name(f".{MANIFEST}.{target.name}.tmp")  # a name _recover drops if we are killed
    try:
        copy_verified(pkg.attachments[name], tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _disk_sha(path: Path) -> str:
    """A file's hash read in chunks (evidence scans may be large)."""
    return file_sha256(path)


def _refuse_foreign(pkg: Package, folder: Path) -> None:
    """Never overwrite files this tool did not write (no manifest → not our package)."""
    clash = [n for n in [*pkg.names, *RESERVED] if (folder / n).exists()]
    if clash:
        raise OutputError(
            f"{folder} 中已有 {'、'.join(clash)}，但不是 wufei 生成的材料包（没有 manifest.json）；"
            "为免覆盖，请换一个输出文件夹或先移走这些文件"
        )


def _switch(pkg: Package, folder: Path, current: _Current | None) -> WriteReport:
    version = current.version + 1 if current else 1
    staging = Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}staging-", dir=folder))
    try:
        files = dict(pkg.files)
        archive, changes, was_final = None, None, False
        if current is not None:
            was_final = _is_final(folder, current)
            archive = _archive_slot(folder, current, pkg, was_final)
            changes, note = _revision(pkg, folder, current, version, archive)
            files[NOTE_DOCX], files[NOTE_TXT] = note_docx(note), note_text(note).encode("utf-8")
        previous = {"version": current.version, "folder": _shown(archive, current)} if current else None
        for name, data in files.items():
            ensure_inside(folder, folder / name)
            atomic_write_bytes(staging / name, data)
        for name, attachment in pkg.attachments.items():
            ensure_inside(folder, folder / name)
            copy_verified(attachment, staging / name)
        atomic_write_bytes(staging / MANIFEST, manifest_bytes(pkg, files, version=version, previous=previous))
    except BaseException:
        remove_tree(staging)
        raise
    journal = _plan(folder, staging, current, archive, [*files, *pkg.attachments, MANIFEST])
    try:
        journal.begin()
        journal.run()
    except BaseException:
        journal.rollback()
        raise
    journal.commit()
    if current is not None:
        prune_empty_dirs(folder, [n for n in current.files if n not in files and n not in pkg.attachments])
    return WriteReport(
        folder,
        [*files, *pkg.attachments, MANIFEST],
        archived_to=folder / archive if archive and not archive.startswith(_TEMP_PREFIX) else None,
        messages=_switch_messages(folder, version, current, archive, changes, was_final),
        version=version,
        changes=changes,
    )


def _archive_slot(folder: Path, current: _Current, pkg: Package, was_final: bool) -> str:
    """Where the replaced files go: 历史版本/<n>, or a hidden folder deleted at the end when they are
    byte-identical to the final copy already kept in 历史版本/<n>-定稿."""
    ensure_inside(folder, folder / HISTORY / "x")
    foreign = [n for n in pkg.names if n not in current.files and (folder / n).exists()]
    if was_final and not foreign and _same_as_final_copy(folder, current):
        return f"{_TEMP_PREFIX}old-{os.getpid()}"
    name, k = str(current.version), 2
    while (folder / HISTORY / name).exists():
        name, k = f"{current.version}（{k}）", k + 1
    return f"{HISTORY}/{name}"


def _same_as_final_copy(folder: Path, current: _Current) -> bool:
    copy = folder / current.final_slot
    for name in current.files:
        if name == MANIFEST:
            continue  # the final record is added to both manifests; compare the documents
        theirs = copy / name
        if not theirs.is_file() or _disk_sha(theirs) != _disk_sha(folder / name):
            return False
    return True


def _shown(archive: str | None, current: _Current) -> str:
    return current.final_slot if archive is None or archive.startswith(_TEMP_PREFIX) else archive


def _plan(folder: Path, staging: Path, current: _Current | None, archive: str | None, new: list[str]) -> Journal:
    """Old manifest out first, old files out, new files in, new manifest in last."""
    old = list(current.files) if current else []
    old += [n for n in new if n not in old and (folder / n).exists()]  # stray files with a new name: keep them
    old.sort(key=lambda n: n != MANIFEST)
    new = sorted(new, key=lambda n: n == MANIFEST)
    moves = [(n, f"{archive}/{n}") for n in old] if archive else []
    moves += [(f"{staging.name}/{n}", n) for n in new]
    created = []
    if archive and not archive.startswith(_TEMP_PREFIX):
        created += [HISTORY, archive]
    created += sorted({n.split("/")[0] for n in new if "/" in n and not (folder / n.split("/")[0]).exists()})
    cleanup = [staging.name] + ([archive] if archive and archive.startswith(_TEMP_PREFIX) else [])
    return Journal(folder, moves, cleanup, created)


def _revision(pkg: Package, folder: Path, current: _Current, version: int, archive: str) -> tuple[Changes, Revision]:
    files = _file_changes(folder, current, pkg)
    changes = _compare(current.manifest.get("snapshot"), pkg.extra, current.manifest, pkg.manifest, files)
    unit, uscc = _who(pkg)
    note = Revision(unit, uscc, version, current.version, _shown(archive, current), _today(), changes)
    last_final = _last_final(folder)
    if last_final and last_final[0] != current.version:
        number, date, snapshot = last_final
        since = _compare(snapshot, pkg.extra)
        note = replace(note, since_final=(number, date, since))
    return changes, note


def _compare(old: Any, new: dict[str, Any], *manifests_and_files: Any) -> Changes:
    """`compare`, but a snapshot or manifest edited by hand (wrong types) only costs the data comparison:
    the 修改说明 then lists the file changes alone instead of the run failing."""
    try:
        return compare(old if isinstance(old, dict) else None, new, *manifests_and_files)
    except (TypeError, AttributeError, KeyError, ValueError, IndexError):
        files = manifests_and_files[2] if len(manifests_and_files) > 2 else None
        return compare(None, new, None, None, files)


def _file_changes(folder: Path, current: _Current, pkg: Package) -> dict[str, tuple[str, ...]]:
    recorded = current.manifest.get("files", {})
    old_names = [n for n in recorded if n not in RESERVED]
    hashes = pkg.hashes()
    updated = tuple(n for n in hashes if n in recorded and recorded[n] != hashes[n])
    return {
        "已更新": updated,
        "新增": tuple(n for n in hashes if n not in recorded),
        "不再生成": tuple(n for n in old_names if n not in hashes),
        "未变": tuple(n for n in hashes if n in recorded and n not in updated),
        "原文件缺失": tuple(n for n in old_names if not (folder / n).is_file()),
    }


def _who(pkg: Package) -> tuple[str, str]:
    unit = (pkg.extra.get("input") or {}).get("unit") or {}
    score = pkg.extra.get("score") or {}
    return str(unit.get("name") or score.get("unit") or ""), str(unit.get("uscc") or score.get("uscc") or "")


def _last_final(folder: Path) -> tuple[int, str, dict[str, Any] | None] | None:
    finals = [n for n in _history_numbers(folder) if (folder / HISTORY / f"{n}{FINAL_SUFFIX}").is_dir()]
    if not finals:
        return None
    number = max(finals)
    copy = folder / HISTORY / f"{number}{FINAL_SUFFIX}"
    try:
        record = json.loads((copy / FINAL_RECORD).read_text("utf-8"))
        snapshot = json.loads((copy / MANIFEST).read_text("utf-8")).get("snapshot")
        date = str(record.get("date", ""))
    except (OSError, ValueError, AttributeError):
        return number, "", None
    return number, date, snapshot


def _today() -> str:
    return dt.date.today().isoformat()


def _switch_messages(
    folder: Path, version: int, current: _Current | None, archive: str | None, changes: Changes | None, final: bool
) -> list[str]:
    out = [f"已生成第 {version} 版：{folder}"]
    if current is None or changes is None:
        return out
    if final:
        out.append(f"第 {current.version} 版已定稿，其副本保存在 {current.final_slot}/，未作任何改动")
    if archive and not archive.startswith(_TEMP_PREFIX):
        out.append(f"第 {current.version} 版的文件已移至 {archive}/")
    out.append(f"{changes.summary()}；详见 {NOTE_DOCX}（及 {NOTE_TXT}）")
    return out


# --- final ---------------------------------------------------------------------------------------


def mark_final(folder: Path, by: str | None = None, *, allow_missing_evidence: bool = False) -> FinalReport:
    """Record that the current version was stamped and sent: copy it, as it is on disk, to
    历史版本/<n>-定稿/ (read-only, never touched by later builds) and note the date in the manifest."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"文件夹 {folder} 不存在")
    with folder_lock(folder):
        messages = _recover(folder)
        current = _current(folder)
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
        manifest = _json({**current.manifest, "final": record})
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
        raise OutputError(f"{copy / FINAL_RECORD} 无法读取（{e}）；请人工检查该定稿副本") from e
    return {k: v for k, v in data.items() if k != "files"}


def _make_final_copy(folder: Path, current: _Current, copy: Path, record: dict[str, Any], manifest: bytes) -> list[str]:
    """Copy the files as they are on disk into a temp folder, then rename it into place in one step."""
    messages = []
    recorded = current.manifest.get("files", {})
    tmp = Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}final-", dir=folder))
    try:
        hashes = {}
        for name in current.files:
            if name == MANIFEST:
                hashes[name] = sha256(manifest)
                atomic_write_bytes(tmp / name, manifest)
                continue
            large = name == BOUND_PDF or name.startswith(f"{EVIDENCE_DIR}/")
            data = None if large else (folder / name).read_bytes()
            hashes[name] = _disk_sha(folder / name) if data is None else sha256(data)
            if recorded.get(name) not in (None, hashes[name]):
                messages.append(f"提示：{name} 在生成后被修改过，定稿副本保存的是修改后的文件")
            if data is None:  # scans: copied in chunks
                copy_verified(Attachment(str(folder / name), hashes[name], 0), tmp / name)
            else:
                atomic_write_bytes(tmp / name, data)
        atomic_write_bytes(tmp / FINAL_RECORD, _json({**record, "files": hashes}))
        for path in tmp.rglob("*"):
            if path.is_file():
                path.chmod(0o444)
        copy.parent.mkdir(exist_ok=True)
        os.rename(tmp, copy)
    except BaseException:
        remove_tree(tmp)
        raise
    return messages
