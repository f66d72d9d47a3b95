"""What a bundle writes besides the packages: bundle.json, 汇总.txt, the county documents' tasks, the
checks on OUT before anything is written, and what goes into the zip."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wufei_docs._version import __version__
from wufei_docs.county.pool import Task
from wufei_docs.county.rules import bundle_date
from wufei_docs.county.types import ENTERPRISE_FOLDER, Assessed, BundleReport
from wufei_docs.errors import OutputError
from wufei_docs.files import oserrors
from wufei_docs.files.fsutil import Journal
from wufei_docs.files.names import HISTORY, MANIFEST
from wufei_docs.model import Evaluation

BUNDLE_FORMAT = "wufei/bundle-1"


def check_output(folder: Path, out: Path) -> None:
    """Refuse an output location that cannot work before spending time on rendering."""
    try:
        is_file = out.exists() and not out.is_dir()
        same = out.resolve() == folder.resolve()
    except OSError as e:  # a name too long
        raise OutputError(oserrors.message(e, out, "无法使用输出文件夹")) from None
    except RuntimeError:  # a symlink loop
        raise OutputError(f"无法使用输出文件夹 {out}：符号链接循环") from None
    if is_file:
        raise OutputError(f"{out} 已存在且不是文件夹，请另选输出文件夹")
    if same:
        raise OutputError(
            f"输出文件夹 {out} 与企业申报文件所在的文件夹相同；生成的推荐名单.xlsx 会在下次运行时被当作企业文件读取，"
            "请另选输出文件夹"
        )


def check_package_folders(out: Path, assessed: list[Assessed]) -> None:
    """The folders about to be written, all checked before the first write: a symlinked 企业/ (or unit
    folder) must not take any package outside OUT."""
    from wufei_docs.files.safety import inside

    for a in assessed:
        if a.entry.error is None and a.entry.folder is not None:
            inside(out, a.entry.folder)


def orphan_folders(out: Path, assessed: list[Assessed]) -> list[str]:
    """Package folders in OUT/企业 that no valid enterprise file of this run owns (its file was taken out
    of the folder, renamed or is now invalid): left on disk as they are, but not sent in the zip."""
    current = {a.entry.folder for a in assessed if a.entry.error is None and a.entry.folder}
    try:
        found = sorted(d.name for d in os.scandir(out / ENTERPRISE_FOLDER) if d.is_dir(follow_symlinks=False))
    except OSError:
        return []
    return [name for name in found if not name.startswith(".") and f"{ENTERPRISE_FOLDER}/{name}" not in current]


def zip_skip(orphans: frozenset[str]) -> Callable[[tuple[str, ...]], bool]:
    """What stays out of the zip: earlier versions, and the package folders of no current enterprise."""

    def skip(parts: tuple[str, ...]) -> bool:
        return _package_history(parts) or (len(parts) == 2 and parts[0] == ENTERPRISE_FOLDER and parts[1] in orphans)

    return skip


def _package_history(parts: tuple[str, ...]) -> bool:
    """企业/<name>/历史版本/…: earlier versions stay out of the zip (a unit may be *named* 历史版本)."""
    return len(parts) > 2 and parts[0] == ENTERPRISE_FOLDER and parts[2] == HISTORY


def package_files(target: Path, fingerprint: str) -> dict[str, str] | None:
    """The file hashes of the package in `target` if it is complete and built from `fingerprint`
    (same test as package.package_is_current, reading the manifest once)."""
    try:
        manifest = json.loads((target / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("fingerprint") != fingerprint:
        return None
    files = manifest.get("files")
    if not isinstance(files, dict) or (target / Journal.name).exists():
        return None
    if not all((target / name).is_file() for name in files):
        return None
    return {str(k): str(v) for k, v in files.items()}


def write_package_at(package: Any, out: Path, folder: str | None) -> tuple[dict[str, str], Staged]:
    """Stage the package in its folder (nothing there changes until the bundle's switch); returns the file
    hashes of the version it will hold and the folder's switch."""
    from wufei_docs.package.writer import DEFERRED_STAGING, write_package

    assert folder is not None
    target = out / folder
    report = write_package(package, target, defer=True)
    staged = target / DEFERRED_STAGING / MANIFEST
    files = _manifest_files(staged if report.pending is not None and staged.is_file() else target / MANIFEST)
    return files, Staged(report.pending, report.prune)


@dataclass(frozen=True)
class Staged:
    """A package folder's switch, to be done with the bundle's (None: nothing to move)."""

    pending: Journal | None
    prune: list[str]


def _manifest_files(path: Path) -> dict[str, str]:
    try:
        files = json.loads(path.read_bytes()).get("files")
    except (OSError, ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def records(assessed: list[Assessed], out: Path) -> dict[str, dict[str, Any]]:
    """The cache records of this run: what was assessed, and where each current package is."""
    from wufei_docs.county.cache import package_record

    records = {}
    for a in assessed:
        if not a.record.get("sha"):
            continue  # unreadable file: nothing to key it by
        rec = {k: v for k, v in a.record.items() if k != "package"}
        if a.entry.error is None and a.entry.folder is not None and a.entry.files:
            rec["package"] = a.package or package_record(out, a.entry.folder, a.entry.files)
        records[a.entry.source] = rec
    return records


@dataclass
class CountyWork:
    """The county documents to write in this run (file name → task), and the cache's note of them."""

    out: Path
    key: str
    tasks: dict[str, Task]

    def begin(self) -> None:
        from wufei_docs.county.cache import COUNTY, forget

        forget(self.out, COUNTY)  # until all are written, the next run must not skip them

    def end(self) -> None:
        from wufei_docs.county.cache import remember_county

        remember_county(self.out, self.key, tuple(self.tasks))


def county_documents(
    report: BundleReport, evaluation: Evaluation, templates: Path | None, key: str, into: Path
) -> CountyWork | None:
    """What writes 推荐名单 and 推荐函 into the folder `into` (the bundle's stage), or None when the last
    run wrote them from the same data and they are untouched."""
    from wufei_docs.county.cache import county_unchanged, digest
    from wufei_docs.county.documents import LETTER_DOCX, LIST_DOCX, LIST_XLSX, county_tasks, county_view, list_rows
    from wufei_docs.files.jsonfmt import canonical

    names = (LIST_XLSX, LIST_DOCX, LETTER_DOCX)
    view = county_view(report, evaluation)
    shown = {
        "view": view,
        "rows": [list_rows(report.recommended), list_rows(report.not_recommended, with_reason=True)],
        "county": report.county,
    }
    data_key = digest(key.encode() + canonical(shown))
    if county_unchanged(report.out, data_key, names):
        return None
    return CountyWork(report.out, data_key, county_tasks(report, view, into, templates=templates))


def write_bundle_json(report: BundleReport, evaluation: Evaluation, into: Path) -> bool:
    """Stage bundle.json in `into` if it differs from OUT's; True if staged."""
    date = bundle_date(evaluation)
    payload = {
        "format": BUNDLE_FORMAT,
        "tool_version": __version__,
        "rubric": report.rubric,
        "county": evaluation.county,
        "evaluators": list(evaluation.evaluators),
        "date": date.isoformat() if date else None,
        "enterprises": [e.to_json() for e in report.entries if e.error is None],
        "failed": [{"source": e.source, "reason": e.error} for e in report.entries if e.error],
        "warnings": report.warnings,
    }
    from wufei_docs.files.jsonfmt import readable_json

    return _stage_if_changed(report.out, "bundle.json", readable_json(payload) + "\n", into)


def summary_lines(report: BundleReport) -> list[str]:
    from wufei_docs.county.documents import Counts

    c = Counts.of(report)
    counted = f"企业文件 {c.files} 个：本县（市、区）企业 {c.own} 家，受理 {c.received} 家，验收评估 {c.evaluated} 家，推荐 {c.recommended} 家"
    if c.foreign:
        counted += f"；非本县（市、区）企业 {c.foreign} 家，不予推荐"
    if c.failed:
        counted += f"；文件无效 {c.failed} 个"
    lines = [f"{report.county} “无废工厂” 验收评估汇总", counted + "。"]
    if report.recommended:
        lines.append("推荐名单：")
        lines += [
            f"  {i}. {e.name}（{e.uscc}）核定分 {e.evaluated_total:g}" for i, e in enumerate(report.recommended, 1)
        ]
    others = report.not_recommended
    if others:
        lines.append("未推荐：")
        lines += [f"  · {e.name or e.source}：{e.reason}" for e in others]
    if report.warnings:
        lines.append(f"提示（{len(report.warnings)} 条）：")
        lines += [f"  · {w}" for w in report.warnings]
    return lines


def write_summary(report: BundleReport, into: Path) -> bool:
    return _stage_if_changed(report.out, SUMMARY, "\n".join(summary_lines(report)) + "\n", into)


SUMMARY = "汇总.txt"


def _stage_if_changed(out: Path, name: str, text: str, into: Path) -> bool:
    """Stage `into/name` unless OUT's file has the same content (a re-run then touches only what changed)."""
    from wufei_docs.files.fsutil import atomic_write_bytes

    data = text.encode("utf-8")
    try:
        if (out / name).read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(into / name, data)
    return True
