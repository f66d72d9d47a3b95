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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wufei_docs.errors import OutputError
from wufei_docs.files import oserrors
from wufei_docs.files.fsutil import Journal, atomic_write_bytes, prune_empty_dirs, remove_empty_tree, remove_tree
from wufei_docs.files.jsonfmt import readable_json
from wufei_docs.files.locking import folder_lock
from wufei_docs.files.names import HISTORY, MANIFEST
from wufei_docs.files.safety import ensure_inside, safe_name
from wufei_docs.package.evidence import (
    BOUND_PDF,
    Attachment,
    copy_verified,
    file_sha256,
)
from wufei_docs.package.revisions import NOTE_DOCX, NOTE_TXT, Changes, Revision, compare, note_docx, note_text

FINAL_SUFFIX = "-定稿"
FINAL_RECORD = "定稿.json"
RESERVED = (MANIFEST, NOTE_DOCX, NOTE_TXT)
TEMP_PREFIX = ".wufei-"
DEFERRED_STAGING = f"{TEMP_PREFIX}staging-deferred"  # a deferred switch's staging folder (known in advance)
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
    pending: Journal | None = None  # with `defer`: the switch to do (not begun); None when nothing is to move
    prune: list[str] = field(default_factory=list)  # sub-folders to remove once the switch is done, if empty


@dataclass(frozen=True)
class Current:
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
    return json_bytes(manifest)


def json_bytes(data: Any) -> bytes:
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
        raise OutputError(f"{path} 无法读取（{unreadable_reason(e)}）；请检查该文件，或换一个输出文件夹") from None
    if not isinstance(data, dict) or not _manifest_shape(data):
        raise OutputError(f"{path} 不是 wufei 生成的清单文件；请换一个输出文件夹")
    return data


def unreadable_reason(e: Exception) -> str:
    return oserrors.describe(e) if isinstance(e, OSError) else "不是有效的 JSON 文件"


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


def read_current(folder: Path) -> Current | None:
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
    return Current(manifest, version, (*present, MANIFEST))


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


def _is_final(folder: Path, current: Current) -> bool:
    return bool(current.manifest.get("final")) or (folder / current.final_slot).is_dir()


def recover(folder: Path) -> list[str]:
    """Undo a switch a crashed run left half done, and drop its hidden temp folders."""
    messages = []
    if Journal.recover(folder):
        messages.append(f"{folder}: 上次运行中断，已恢复到中断前的版本")
    for child in folder.iterdir():
        if child.is_symlink() or not child.name.startswith("."):
            continue
        if child.name.startswith(TEMP_PREFIX) and child.is_dir():
            remove_tree(child)
        elif child.name.startswith(_HALF_WRITTEN) and child.name.endswith(".tmp") and child.is_file():
            child.unlink()  # an atomic write of ours that never reached its rename
    return messages


# --- writing -------------------------------------------------------------------------------------


def write_package(pkg: Package, folder: Path, *, other_unit: bool = True, defer: bool = False) -> WriteReport:
    """Write a package as the folder's new current version, or nothing at all if it is unchanged.

    Same fingerprint → nothing is rewritten (无变化). Otherwise the current version moves to
    历史版本/<n>/ (unless it was marked final: its copy in 历史版本/<n>-定稿/ stays as it is), the new
    files take its place, and 修改说明.docx/.txt list every changed field and score. Any failure leaves the
    previous version complete. The folder is locked against other runs for the whole call.
    `other_unit=False` (`wufei build` without --force): a folder holding another unit's package (a
    different 统一社会信用代码) is refused instead of becoming that package's next version.

    With `defer` (a county bundle, which switches all its folders as one unit), the folder is left as it
    is: the new files are staged in DEFERRED_STAGING and the switch is returned, not begun, as
    `report.pending` (the caller runs and commits it, then removes the `report.prune` folders if empty).
    """
    folder = Path(folder)
    for name in pkg.names:
        safe_name(name, folder)
        if name in RESERVED or name.split("/")[0] == HISTORY:
            raise OutputError(f"{folder}: 输出文件名 “{name}” 与工具自用的文件重名")
    created = _first_missing(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _write_locked(pkg, folder, other_unit, defer)
    except BaseException:
        if created is not None:  # a first build that failed leaves no empty folder behind
            with contextlib.suppress(OSError):
                remove_empty_tree(created)
        raise
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


def _first_missing(folder: Path) -> Path | None:
    """The outermost folder of `folder`'s path that does not exist yet (None: it exists)."""
    missing = None
    for path in (folder, *folder.parents):
        if path.exists() or path.is_symlink():
            break
        missing = path
    return missing


def _write_locked(pkg: Package, folder: Path, other_unit: bool, defer: bool) -> WriteReport:
    with folder_lock(folder):
        messages = recover(folder)
        current = read_current(folder)
        if current is not None and current.manifest.get("fingerprint") == pkg.fingerprint:
            report = _unchanged(pkg, folder, current, defer)
            if report is not None:
                report.messages[:0] = messages
                return report
        if current is None:
            _refuse_foreign(pkg, folder)
        elif not other_unit:
            _refuse_other_unit(pkg, folder, current)
        report = _switch(pkg, folder, current, defer)
        report.messages[:0] = messages
        return report


def _unchanged(pkg: Package, folder: Path, current: Current, defer: bool = False) -> WriteReport | None:
    """Same input, templates and version: touch nothing (restore a deleted file if it is byte-identical).
    PDFs are a rendering of the version, not part of it: missing ones are added to it (its manifest lists
    them), PDFs present stay when a build asks for none, and neither makes a new version. With `defer`, what
    is added is staged and returned as `report.pending` (a bundle switches all its folders as one unit)."""
    recorded = current.manifest.get("files", {})
    hashes = pkg.hashes()
    missing = [n for n in pkg.names if not (folder / n).is_file()]
    if any(hashes[n] != recorded.get(n) for n in missing if not is_rendering(n)):
        return None  # cannot restore exactly what was there: build a new version instead
    final = _is_final(folder, current)
    tag = "（已定稿）" if final else ""
    messages = [f"无变化{tag}：{folder} 第 {current.version} 版与输入一致，未改写任何文件"]
    renderings = [n for n in missing if is_rendering(n)]
    writes = list(missing)
    manifest = None
    if renderings:
        files = {**recorded, **{n: hashes[n] for n in renderings}}
        manifest = json_bytes({**current.manifest, "files": files})
        writes.append(MANIFEST)
        messages[0] = f"无变化{tag}：{folder} 第 {current.version} 版的文档与输入一致，未改写"
    staging = _staging(folder, defer) if writes and defer else None
    for name in missing:
        ensure_inside(folder, folder / name)
        target = staging / name if staging else folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        _put(pkg, name, target)
    if manifest is not None:
        atomic_write_bytes(staging / MANIFEST if staging else folder / MANIFEST, manifest)
    messages += [f"已补回被删除的文件 {n}（与第 {current.version} 版记录一致）" for n in missing if not is_rendering(n)]
    if renderings:
        messages.append(f"已为第 {current.version} 版生成 {'、'.join(renderings)}（版本不变）")
    pending = None
    if staging is not None:
        pending = _deferred_additions(folder, staging, writes)
    for name in pkg.names:
        if name not in missing and recorded.get(name) and disk_sha(folder / name) != recorded[name]:
            messages.append(f"提示：{name} 在生成后被修改过，本次未覆盖")
        elif name not in missing and name not in recorded:  # a PDF of the same name that we did not write
            messages.append(
                f"提示：{name} 不是 wufei 为第 {current.version} 版生成的文件，未覆盖；如需生成，请先移走该文件"
            )
    return WriteReport(folder, missing, True, None, messages, current.version, final, pending=pending)


def _deferred_additions(folder: Path, staging: Path, names: list[str]) -> Journal:
    """The moves that put staged files in place; a manifest they replace is first moved into the staging
    folder, so that a rollback puts it back."""
    created = sorted({n.split("/")[0] for n in names if "/" in n and not (folder / n.split("/")[0]).exists()})
    moves = [(f"{staging.name}/{n}", n) for n in names]
    if MANIFEST in names and (folder / MANIFEST).is_file():
        moves.insert(0, (MANIFEST, f"{staging.name}/.replaced-{MANIFEST}"))
    return Journal(folder, moves, [staging.name], created)


RENDERING_SUFFIX = ".pdf"
EVIDENCE_COPIES = "支撑材料/"  # FORMAT.md §4: exact copies of the evidence files are data, whatever their type


def is_rendering(name: str) -> bool:
    """A PDF made from the version's documents (made with --pdf, or not): not part of the version's data."""
    return name.endswith(RENDERING_SUFFIX) and not name.startswith(EVIDENCE_COPIES)


def renderings_missing(files: Mapping[str, Any]) -> list[str]:
    """The PDFs a package with these files (name → hash, as a manifest lists them) lacks: one per document
    the build renders (not the 修改说明 the writer adds, not a .docx among the 支撑材料), and 申报材料.pdf."""
    documents = [n for n in files if n.endswith(".docx") and n != NOTE_DOCX and not n.startswith(EVIDENCE_COPIES)]
    wanted = [d[: -len(".docx")] + RENDERING_SUFFIX for d in documents] + ([BOUND_PDF] if documents else [])
    return [n for n in wanted if n not in files]


def current_renderings(folder: Path, fingerprint: str) -> bool:
    """True when `folder` holds a complete package of `fingerprint` with the PDF of every document, so a
    build with --pdf need not start LibreOffice."""
    if not package_is_current(folder, fingerprint):
        return False
    manifest = read_manifest(Path(folder)) or {}
    return not renderings_missing(manifest.get("files", {}))


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


def disk_sha(path: Path) -> str:
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


def _refuse_other_unit(pkg: Package, folder: Path, current: Current) -> None:
    """A different company's file built into this folder would silently become its "new version"."""
    old, new = current.manifest.get("uscc"), pkg.manifest.get("uscc")
    if not isinstance(old, str) or not old or old == new:
        return
    old_name = current.manifest.get("unit")
    who = f"{old_name}（{old}）" if isinstance(old_name, str) and old_name else old
    raise OutputError(
        f"{folder} 中是 {who} 的材料包，与本次的 {pkg.manifest.get('unit')}（{new}）不是同一单位"
        "（统一社会信用代码不同）；请换一个输出文件夹，或确认是同一单位更正了代码后加 --force"
    )


def _staging(folder: Path, defer: bool) -> Path:
    """A fresh staging folder: a random hidden name, or DEFERRED_STAGING for a deferred switch (so that a
    bundle interrupted before its switch knows what to clear)."""
    if not defer:
        return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}staging-", dir=folder))
    staging = folder / DEFERRED_STAGING
    if staging.is_dir() and not staging.is_symlink():
        remove_tree(staging)
    elif staging.exists() or staging.is_symlink():
        staging.unlink()
    staging.mkdir()
    return staging


def _switch(pkg: Package, folder: Path, current: Current | None, defer: bool = False) -> WriteReport:
    version = current.version + 1 if current else 1
    staging = _staging(folder, defer)
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
    prune = [n for n in current.files if n not in files and n not in pkg.attachments] if current is not None else []
    if not defer:
        try:
            journal.begin()
            journal.run()
        except BaseException:
            journal.rollback()
            raise
        journal.commit()
        prune_empty_dirs(folder, prune)
    return WriteReport(
        folder,
        [*files, *pkg.attachments, MANIFEST],
        archived_to=folder / archive if archive and not archive.startswith(TEMP_PREFIX) else None,
        messages=_switch_messages(folder, version, current, archive, changes, was_final),
        version=version,
        changes=changes,
        pending=journal if defer else None,
        prune=prune if defer else [],
    )


def _archive_slot(folder: Path, current: Current, pkg: Package, was_final: bool) -> str:
    """Where the replaced files go: 历史版本/<n>, or a hidden folder deleted at the end when they are
    byte-identical to the final copy already kept in 历史版本/<n>-定稿."""
    ensure_inside(folder, folder / HISTORY / "x")
    foreign = [n for n in pkg.names if n not in current.files and (folder / n).exists()]
    if was_final and not foreign and _same_as_final_copy(folder, current):
        return f"{TEMP_PREFIX}old-{os.getpid()}"
    name, k = str(current.version), 2
    while (folder / HISTORY / name).exists():
        name, k = f"{current.version}（{k}）", k + 1
    return f"{HISTORY}/{name}"


def _same_as_final_copy(folder: Path, current: Current) -> bool:
    copy = folder / current.final_slot
    for name in current.files:
        if name == MANIFEST:
            continue  # the final record is added to both manifests; compare the documents
        theirs = copy / name
        if not theirs.is_file() or disk_sha(theirs) != disk_sha(folder / name):
            return False
    return True


def _shown(archive: str | None, current: Current) -> str:
    return current.final_slot if archive is None or archive.startswith(TEMP_PREFIX) else archive


def _plan(folder: Path, staging: Path, current: Current | None, archive: str | None, new: list[str]) -> Journal:
    """Old manifest out first, old files out, new files in, new manifest in last."""
    old = list(current.files) if current else []
    old += [n for n in new if n not in old and (folder / n).exists()]  # stray files with a new name: keep them
    old.sort(key=lambda n: n != MANIFEST)
    new = sorted(new, key=lambda n: n == MANIFEST)
    moves = [(n, f"{archive}/{n}") for n in old] if archive else []
    moves += [(f"{staging.name}/{n}", n) for n in new]
    created = []
    if archive and not archive.startswith(TEMP_PREFIX):
        created += [HISTORY, archive]
    created += sorted({n.split("/")[0] for n in new if "/" in n and not (folder / n.split("/")[0]).exists()})
    cleanup = [staging.name] + ([archive] if archive and archive.startswith(TEMP_PREFIX) else [])
    return Journal(folder, moves, cleanup, created)


def _revision(pkg: Package, folder: Path, current: Current, version: int, archive: str) -> tuple[Changes, Revision]:
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


def _file_changes(folder: Path, current: Current, pkg: Package) -> dict[str, tuple[str, ...]]:
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
    folder: Path, version: int, current: Current | None, archive: str | None, changes: Changes | None, final: bool
) -> list[str]:
    out = [f"已生成第 {version} 版：{folder}"]
    if current is None or changes is None:
        return out
    if final:
        out.append(f"第 {current.version} 版已定稿，其副本保存在 {current.final_slot}/，未作任何改动")
    if archive and not archive.startswith(TEMP_PREFIX):
        out.append(f"第 {current.version} 版的文件已移至 {archive}/")
    out.append(f"{changes.summary()}；详见 {NOTE_DOCX}（及 {NOTE_TXT}）")
    return out
