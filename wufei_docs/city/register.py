"""The register's units and their life cycle: statuses, allowed transitions, the append-only history.

    推荐 ──publish──▶ 公布 ──delist──▶ 摘牌
     │                 │  ▲
     │withdraw spotcheck│  │pass
     ▼                 ▼  │
    撤回               抽查中 ──fail──▶ 重新创建
                       └──delist──▶ 摘牌
    撤回, 摘牌, 重新创建 ──import (a bundle dated after the unit's last event)──▶ 推荐

Every change goes through `change_status` or `record`, which append an event (date, who, reason);
nothing is ever deleted. A business date (`Change.date`) earlier than the unit's latest event is refused
(`require_date`): the history reads in date order. Each public function here is meant to run inside one
`db.transaction`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from wufei_docs.errors import InputError

RECOMMENDED, PUBLISHED, DELISTED, CHECKING, RECREATE = "推荐", "公布", "摘牌", "抽查中", "重新创建"
WITHDRAWN = "撤回"
STATUSES = (RECOMMENDED, WITHDRAWN, PUBLISHED, CHECKING, DELISTED, RECREATE)
READMISSIBLE = frozenset({WITHDRAWN, DELISTED, RECREATE})  # a later bundle may recommend these again
COUNTS_TOWARD_TARGET = frozenset({PUBLISHED, CHECKING})  # published and not taken down

# action → (statuses it may start from, what the refusal says)
ALLOWED: dict[str, tuple[frozenset[str], str]] = {
    "publish": (frozenset({RECOMMENDED}), "只有“推荐”状态的单位可以公布"),
    "delist": (frozenset({PUBLISHED, CHECKING}), "只有已公布（“公布”或“抽查中”）的单位可以摘牌"),
    "spotcheck": (frozenset({PUBLISHED}), "只有“公布”状态的单位可以抽查"),
    "result": (frozenset({CHECKING}), "只有“抽查中”的单位可以登记抽查结果"),
    "reimport": (READMISSIBLE, "只有“撤回”“摘牌”或“重新创建”的单位可以重新推荐"),
    "withdraw": (frozenset({RECOMMENDED}), "只有尚未公布（“推荐”状态）的单位可以撤回"),
}
VERBS = {
    "publish": "公布",
    "delist": "摘牌",
    "spotcheck": "抽查",
    "result": "登记抽查结果",
    "reimport": "重新推荐",
    "withdraw": "撤回",
}


@dataclass(frozen=True)
class Change:
    """Who makes a change, on which (business) date, and why."""

    by: str
    date: dt.date
    reason: str | None = None

    def because(self, default: str) -> str:
        return self.reason.strip() if self.reason and self.reason.strip() else default


@dataclass(frozen=True)
class Unit:
    uscc: str
    name: str
    county: str
    type: str
    status: str
    self_total: float | None
    evaluated_total: float | None
    verdict: str | None
    bundle_id: int
    folder: str | None
    batch: int | None
    updated_on: str

    @property
    def label(self) -> str:
        return f"{self.name}（{self.uscc}）"


_UNIT_COLUMNS = (
    "uscc, name, county, type, status, self_total, evaluated_total, verdict, bundle_id, folder, batch, updated_on"
)


def normalise_uscc(value: str) -> str:
    """Upper-case and check a USCC typed on the command line; a clear message when it is not one."""
    from wufei_docs._uscc import UsccError, validate

    text = value.strip().upper()
    try:
        return validate(text)
    except UsccError:
        raise InputError(None, f"“{value}” 不是有效的统一社会信用代码") from None


def get_unit(conn: sqlite3.Connection, uscc: str) -> Unit | None:
    row = conn.execute(f"SELECT {_UNIT_COLUMNS} FROM units WHERE uscc = ?", (uscc,)).fetchone()
    return Unit(*row) if row else None


def units(conn: sqlite3.Connection, status: str | None = None) -> list[Unit]:
    """Units (optionally of one status), sorted by USCC: a stable order for draws and listings."""
    where, args = ("WHERE status = ?", (status,)) if status else ("", ())
    rows = conn.execute(f"SELECT {_UNIT_COLUMNS} FROM units {where} ORDER BY uscc", args).fetchall()
    return [Unit(*r) for r in rows]


def require_unit(conn: sqlite3.Connection, uscc: str) -> Unit:
    unit = get_unit(conn, uscc)
    if unit is None:
        raise InputError(None, f"登记库中没有统一社会信用代码为 {uscc} 的单位")
    return unit


def require(unit: Unit, action: str, conn: sqlite3.Connection | None = None) -> None:
    """Refuse a transition the life cycle does not allow, saying what state the unit is in and why."""
    allowed, rule = ALLOWED[action]
    if unit.status in allowed:
        return
    since = ""
    if conn is not None:
        last = last_event(conn, unit.uscc)
        if last is not None:
            since = f"（{last['date']} 起）"
    raise InputError(None, f"{unit.label} 当前状态为“{unit.status}”{since}，不能{VERBS[action]}：{rule}。")


def record(
    conn: sqlite3.Connection,
    uscc: str | None,
    action: str,
    change: Change,
    reason: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    batch: int | None = None,
    source: str | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Append one event to the history; the only way anything is recorded."""
    cur = conn.execute(
        "INSERT INTO events (uscc, action, from_status, to_status, date, by, reason, batch, source, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            uscc,
            action,
            from_status,
            to_status,
            change.date.isoformat(),
            change.by,
            reason,
            batch,
            source,
            json.dumps(data, ensure_ascii=False, sort_keys=True) if data is not None else None,
        ),
    )
    return int(cur.lastrowid or 0)


def change_status(
    conn: sqlite3.Connection,
    unit: Unit,
    to_status: str,
    action: str,
    change: Change,
    reason: str,
    **event: Any,
) -> None:
    """Move a unit to `to_status` and record the event in the same transaction."""
    batch = event.get("batch")
    conn.execute(
        "UPDATE units SET status = ?, updated_on = ?, batch = coalesce(?, batch) WHERE uscc = ?",
        (to_status, change.date.isoformat(), batch, unit.uscc),
    )
    record(conn, unit.uscc, action, change, reason, from_status=unit.status, to_status=to_status, **event)


def rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Query returning rows addressable by column name."""
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    return list(cur.execute(sql, args).fetchall())


def last_event(conn: sqlite3.Connection, uscc: str, to_status: str | None = None) -> sqlite3.Row | None:
    sql, args = "SELECT * FROM events WHERE uscc = ?", [uscc]
    if to_status:
        sql, args = sql + " AND to_status = ?", [uscc, to_status]
    found = rows(conn, sql + " ORDER BY id DESC LIMIT 1", tuple(args))
    return found[0] if found else None


def latest_date(conn: sqlite3.Connection, uscc: str) -> dt.date | None:
    """The business date of the unit's latest event (None for a unit without events)."""
    found = conn.execute("SELECT max(date) FROM events WHERE uscc = ?", (uscc,)).fetchone()[0]
    return dt.date.fromisoformat(found) if found else None


def date_problem(conn: sqlite3.Connection, unit: Unit, day: dt.date) -> str | None:
    """Why `day` cannot be the date of a change to `unit` (it is earlier than its latest event), or None."""
    latest = latest_date(conn, unit.uscc)
    if latest is None or day >= latest:
        return None
    last = rows(conn, "SELECT action FROM events WHERE uscc = ? AND date = ? ORDER BY id DESC LIMIT 1",
                (unit.uscc, latest.isoformat()))  # fmt: skip
    what = f"（{last[0]['action']}）" if last else ""
    return f"{unit.label}的业务日期 {day} 早于其最近一次变更的日期 {latest}{what}"


def require_date(conn: sqlite3.Connection, unit: Unit, change: Change) -> None:
    """Refuse a change dated before the unit's latest event, naming both dates."""
    problem = date_problem(conn, unit, change.date)
    if problem:
        raise InputError(None, problem + "，不能倒填日期；请核对 --date。")


def delist(conn: sqlite3.Connection, uscc: str, change: Change) -> Unit:
    """摘牌: a published unit is taken off the list (serious violation or major accident)."""
    return _with_reason(conn, uscc, change, "delist", DELISTED, "摘牌")


def withdraw(conn: sqlite3.Connection, uscc: str, change: Change) -> Unit:
    """撤回: a county withdraws a recommendation before publication; a later bundle may recommend it again."""
    return _with_reason(conn, uscc, change, "withdraw", WITHDRAWN, "撤回")


def _with_reason(conn: sqlite3.Connection, uscc: str, change: Change, action: str, status: str, label: str) -> Unit:
    """A status change that must say why, allowed from the unit's status and dated no earlier than its last event."""
    if not change.reason or not change.reason.strip():
        raise InputError(None, f"{label}必须说明原因（--reason）")
    unit = require_unit(conn, uscc)
    require(unit, action, conn)
    require_date(conn, unit, change)
    change_status(conn, unit, status, label, change, change.because(""))
    return require_unit(conn, uscc)


def record_result(conn: sqlite3.Connection, uscc: str, passed: bool, change: Change) -> Unit:
    """The outcome of a spot check: pass → back to 公布; fail → 重新创建 (must apply again)."""
    if not passed and not (change.reason and change.reason.strip()):
        raise InputError(None, "抽查不合格必须说明原因（--reason）")
    unit = require_unit(conn, uscc)
    require(unit, "result", conn)
    require_date(conn, unit, change)
    drawn = last_event(conn, uscc, CHECKING)
    check = json.loads(drawn["data"]).get("check") if drawn is not None and drawn["data"] else None
    if passed:
        change_status(conn, unit, PUBLISHED, "抽查合格", change, change.because("抽查合格"), data={"check": check})
    else:
        change_status(conn, unit, RECREATE, "抽查不合格", change, change.because(""), data={"check": check})
    return require_unit(conn, uscc)


def history(conn: sqlite3.Connection, uscc: str | None = None) -> list[dict[str, Any]]:
    """The events, oldest first (of one unit, or all)."""
    sql, args = (
        ("SELECT * FROM events WHERE uscc = ? ORDER BY id", (uscc,))
        if uscc
        else ("SELECT * FROM events ORDER BY id", ())
    )
    events = [dict(r) for r in rows(conn, sql, args)]
    for e in events:
        e["data"] = json.loads(e["data"]) if e["data"] else None
    return events


def verify(conn: sqlite3.Connection) -> list[str]:
    """Consistency of the register: SQLite's own checks, and every status equals its last event."""
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
    problems += [f"外键错误：{r[0]} 第{r[1]}行" for r in conn.execute("PRAGMA foreign_key_check").fetchall()]
    for unit in units(conn):
        last = last_event(conn, unit.uscc)
        if last is None or last["to_status"] != unit.status:
            problems.append(f"{unit.label} 的状态“{unit.status}”与变更记录不一致")
    return problems
