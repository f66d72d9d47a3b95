"""`city import`: county bundles into the register, without ever overwriting silently.

Every bundle is read and checked in full first (`checks.read_bundle`): one bad claim anywhere and
nothing is imported. A recommended enterprise is added with status 推荐. The same data again changes
nothing; different data (another county, a changed score or name, other files) is a conflict that is
reported and left alone, unless the city accepts it explicitly (`update=True`, with a reason). A unit
withdrawn (撤回), delisted (摘牌) or ordered to re-create (重新创建) comes back as 推荐 from a bundle dated
after its latest event, its history kept.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from wufei_docs.city.bundles import Bundle, Entry
from wufei_docs.city.checks import read_bundle
from wufei_docs.city.register import (
    CHECKING,
    DELISTED,
    PUBLISHED,
    READMISSIBLE,
    RECOMMENDED,
    RECREATE,
    WITHDRAWN,
    Change,
    Unit,
    change_status,
    get_unit,
    last_event,
    latest_date,
    record,
    require_date,
)
from wufei_docs.city.register import rows as query
from wufei_docs.errors import InputError


@dataclass(frozen=True)
class Conflict:
    uscc: str
    name: str
    kind: str  # 县（市、区）不同 | 内容变化 | 已撤回 | 已摘牌 | 须重新创建 | 未推荐 | 推荐包较旧
    detail: str

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）{self.kind}：{self.detail}"


@dataclass
class BundleResult:
    path: Path
    county: str
    date: dt.date
    new: bool  # False: this bundle.json was imported before
    added: list[Unit] = field(default_factory=list)
    again: list[Unit] = field(default_factory=list)  # 撤回 | 摘牌 | 重新创建 → 推荐
    updated: list[Unit] = field(default_factory=list)  # conflicts accepted with update=True
    unchanged: list[str] = field(default_factory=list)
    not_recommended: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new or bool(self.added or self.again or self.updated)


@dataclass
class ImportReport:
    bundles: list[BundleResult]

    @property
    def conflicts(self) -> list[Conflict]:
        return [c for b in self.bundles for c in b.conflicts]


def read_bundles(paths: list[Path], today: dt.date | None = None) -> list[Bundle]:
    """Read and check every bundle first (against the import date `today`), so one bad bundle stops the
    command before anything is written."""
    bundles, problems = [], []
    for path in paths:
        try:
            bundles.append(read_bundle(path, today))
        except InputError as e:
            problems.append(str(e))
    if problems:
        raise InputError(None, "推荐包有问题，未导入任何内容：\n" + "\n".join(problems))
    return bundles


def import_bundles(
    conn: sqlite3.Connection, bundles: list[Bundle], change: Change, *, update: bool = False
) -> ImportReport:
    """Import the bundles in order (call inside one transaction)."""
    if update and not (change.reason and change.reason.strip()):
        raise InputError(None, "接受冲突的更改（--update）必须说明原因（--reason）")
    return ImportReport([_import_one(conn, b, change, update) for b in bundles])


def _import_one(conn: sqlite3.Connection, bundle: Bundle, change: Change, update: bool) -> BundleResult:
    from wufei_docs.scoring.rubric import load_rubric

    bundle_id, new = _bundle_row(conn, bundle, change)
    result = BundleResult(bundle.path, bundle.county, bundle.date, new)
    rubric = load_rubric(bundle.rubric)
    for entry in bundle.entries:
        if entry.county != bundle.county:
            result.notes.append(f"{entry.name}（{entry.uscc}）所在县为{entry.county}，由{bundle.county}推荐")
        _entry(conn, bundle, bundle_id, entry, rubric.application_type, change, update, result)
    return result


def _bundle_row(conn: sqlite3.Connection, bundle: Bundle, change: Change) -> tuple[int, bool]:
    found = conn.execute("SELECT id FROM bundles WHERE sha256 = ?", (bundle.sha256,)).fetchone()
    if found:
        return int(found[0]), False
    cur = conn.execute(
        "INSERT INTO bundles (sha256, path, prefix, county, date, rubric, format, tool_version, evaluators, "
        "imported_on, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            bundle.sha256,
            str(bundle.path),
            bundle.prefix,
            bundle.county,
            bundle.date.isoformat(),
            bundle.rubric,
            bundle.format,
            bundle.tool_version,
            json.dumps(list(bundle.evaluators), ensure_ascii=False),
            change.date.isoformat(),
            change.by,
        ),
    )
    return int(cur.lastrowid or 0), True


def _entry(
    conn: sqlite3.Connection,
    bundle: Bundle,
    bundle_id: int,
    entry: Entry,
    unit_type: str,
    change: Change,
    update: bool,
    result: BundleResult,
) -> None:
    unit = get_unit(conn, entry.uscc)
    label = f"{entry.name}（{entry.uscc}）"
    if not entry.recommended:
        if (
            unit
            and unit.status in (RECOMMENDED, PUBLISHED, CHECKING)
            and _from_county(conn, unit) == bundle.county
            and bundle.date >= _bundle_date(conn, unit.bundle_id)
        ):
            why = f"（{entry.reason}）" if entry.reason else ""
            result.conflicts.append(
                Conflict(entry.uscc, entry.name, "未推荐", f"本推荐包未推荐{why}，登记库中为“{unit.status}”，未作更改")
            )
        else:
            result.not_recommended.append(f"{label}{'：' + entry.reason if entry.reason else ''}")
        return
    if unit is None:
        _insert(conn, bundle, bundle_id, entry, unit_type, change)
        result.added.append(_must(conn, entry.uscc))
        return
    if unit.status in READMISSIBLE:
        _again(conn, bundle, bundle_id, entry, unit, change, result)
        return
    diffs = _differences(conn, unit, bundle, entry)
    if not diffs:
        result.unchanged.append(label)
        return
    unit_date = _bundle_date(conn, unit.bundle_id)
    if bundle.date < unit_date:
        detail = f"本推荐包日期 {bundle.date} 早于登记库所用推荐包（{unit_date}），以登记库为准：" + "；".join(diffs)
        result.conflicts.append(Conflict(entry.uscc, entry.name, "推荐包较旧", detail))
        return
    county_clash = entry.county != unit.county or bundle.county != _from_county(conn, unit)
    kind = "县（市、区）不同" if county_clash else "内容变化"
    if not update:
        result.conflicts.append(Conflict(entry.uscc, entry.name, kind, "；".join(diffs) + "，未作更改"))
        return
    require_date(conn, unit, change)
    _overwrite(conn, bundle, bundle_id, entry, unit, change)
    record(
        conn,
        unit.uscc,
        "更正",
        change,
        change.because(""),
        from_status=unit.status,
        to_status=unit.status,
        source=str(bundle.path),
        data={"changes": diffs, "bundle": bundle.sha256},
    )
    result.updated.append(_must(conn, entry.uscc))


_WAS = {WITHDRAWN: "已撤回", DELISTED: "已摘牌", RECREATE: "须重新创建"}


def _again(
    conn: sqlite3.Connection,
    bundle: Bundle,
    bundle_id: int,
    entry: Entry,
    unit: Unit,
    change: Change,
    result: BundleResult,
) -> None:
    """A withdrawn, delisted or re-creating unit returns as 推荐, but only from a bundle dated after its
    latest event; the bundle it came from, imported again, changes nothing."""
    latest = latest_date(conn, unit.uscc) or dt.date.min
    if bundle.date <= latest:
        if unit.bundle_id == bundle_id:
            result.unchanged.append(f"{entry.name}（{entry.uscc}）（当前状态：{unit.status}）")
            return
        last = last_event(conn, unit.uscc)
        action = last["action"] if last is not None else unit.status
        detail = f"已于 {latest} {action}（当前状态“{unit.status}”），本推荐包日期 {bundle.date} 不晚于此，未重新推荐"
        result.conflicts.append(Conflict(entry.uscc, entry.name, _WAS[unit.status], detail))
        return
    require_date(conn, unit, change)
    changes = _differences(conn, unit, bundle, entry)  # kept in the event: what the new bundle says differently
    _overwrite(conn, bundle, bundle_id, entry, unit, change)
    moved = _must(conn, unit.uscc)
    reason = change.because(f"{bundle.county}重新推荐（推荐包日期 {bundle.date}）")
    data = {"bundle": bundle.sha256, "folder": entry.folder, "evaluated_total": entry.evaluated_total,
            "changes": changes}  # fmt: skip
    change_status(conn, moved, RECOMMENDED, "重新推荐", change, reason, source=str(bundle.path), data=data)
    result.again.append(_must(conn, unit.uscc))


def _insert(
    conn: sqlite3.Connection, bundle: Bundle, bundle_id: int, entry: Entry, unit_type: str, change: Change
) -> None:
    conn.execute(
        "INSERT INTO units (uscc, name, county, type, status, self_total, evaluated_total, verdict, bundle_id, "
        "folder, updated_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.uscc,
            entry.name,
            entry.county,
            unit_type,
            RECOMMENDED,
            entry.self_total,
            entry.evaluated_total,
            entry.verdict,
            bundle_id,
            entry.folder,
            change.date.isoformat(),
        ),
    )
    _files(conn, bundle_id, entry)
    record(
        conn,
        entry.uscc,
        "导入",
        change,
        change.because(f"{bundle.county}推荐（推荐包日期 {bundle.date}）"),
        to_status=RECOMMENDED,
        source=str(bundle.path),
        data={"bundle": bundle.sha256, "folder": entry.folder, "evaluated_total": entry.evaluated_total},
    )


def _overwrite(
    conn: sqlite3.Connection, bundle: Bundle, bundle_id: int, entry: Entry, unit: Unit, change: Change
) -> None:
    conn.execute(
        "UPDATE units SET name = ?, county = ?, self_total = ?, evaluated_total = ?, verdict = ?, bundle_id = ?, "
        "folder = ?, updated_on = ? WHERE uscc = ?",
        (
            entry.name,
            entry.county,
            entry.self_total,
            entry.evaluated_total,
            entry.verdict,
            bundle_id,
            entry.folder,
            change.date.isoformat(),
            unit.uscc,
        ),
    )
    _files(conn, bundle_id, entry)


def _files(conn: sqlite3.Connection, bundle_id: int, entry: Entry) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO unit_files (bundle_id, uscc, name, sha256) VALUES (?, ?, ?, ?)",
        [(bundle_id, entry.uscc, name, digest) for name, digest in sorted(entry.files.items())],
    )


def _differences(conn: sqlite3.Connection, unit: Unit, bundle: Bundle, entry: Entry) -> list[str]:
    """What the bundle says differently from the register, in words."""
    diffs = []
    was_from = _from_county(conn, unit)
    if bundle.county != was_from:
        diffs.append(f"推荐县 {was_from} → {bundle.county}")
    for label, old, new in (
        ("所在县", unit.county, entry.county),
        ("单位名称", unit.name, entry.name),
        ("自评分", unit.self_total, entry.self_total),
        ("核定分", unit.evaluated_total, entry.evaluated_total),
        ("结论", unit.verdict, entry.verdict),
    ):
        if _differ(old, new):
            diffs.append(f"{label} {_show(old)} → {_show(new)}")
    files = {r["name"]: r["sha256"] for r in query(conn, _FILES_SQL, (unit.bundle_id, unit.uscc))}
    if files != entry.files:
        changed = sorted(n for n in set(files) | set(entry.files) if files.get(n) != entry.files.get(n))
        diffs.append("材料文件不同（" + "、".join(changed[:5]) + ("等" if len(changed) > 5 else "") + "）")
    return diffs


_FILES_SQL = "SELECT name, sha256 FROM unit_files WHERE bundle_id = ? AND uscc = ?"


def _differ(old: object, new: object) -> bool:
    if isinstance(old, int | float) and isinstance(new, int | float):
        return round(float(old), 2) != round(float(new), 2)
    return old != new


def _show(value: object) -> str:
    from wufei_docs.city.docfmt import number

    if value is None:
        return "无"
    return number(value) if isinstance(value, int | float) else str(value)


def _from_county(conn: sqlite3.Connection, unit: Unit) -> str:
    return str(conn.execute("SELECT county FROM bundles WHERE id = ?", (unit.bundle_id,)).fetchone()[0])


def _bundle_date(conn: sqlite3.Connection, bundle_id: int) -> dt.date:
    return dt.date.fromisoformat(conn.execute("SELECT date FROM bundles WHERE id = ?", (bundle_id,)).fetchone()[0])


def _must(conn: sqlite3.Connection, uscc: str) -> Unit:
    unit = get_unit(conn, uscc)
    assert unit is not None
    return unit
