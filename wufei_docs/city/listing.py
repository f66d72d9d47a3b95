"""`city list`: the register itself, one row per unit — what the city office looks at, as text, JSON or xlsx.

A unit's row says who it is, where it stands (status, latest event and its date), its scores, the latest
batch it was published in and which county's bundle recommended it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from wufei_docs.city.register import STATUSES, rows
from wufei_docs.city.status import DEFAULT_RUBRIC
from wufei_docs.errors import InputError

HEADERS = (
    "统一社会信用代码",
    "单位名称",
    "县（市、区）",
    "状态",
    "核定分",
    "自评分",
    "批次",
    "最近变更",
    "变更日期",
    "推荐县",
)
WIDTHS = (24, 40, 14, 10, 8, 8, 8, 12, 12, 12)
SHEET_TITLE = "赣州市“无废城市细胞”登记库单位清单"


@dataclass(frozen=True)
class Row:
    uscc: str
    name: str
    county: str
    status: str
    evaluated_total: float | None
    self_total: float | None
    verdict: str | None
    batch: int | None
    type: str
    last_event: str | None  # the action of the unit's latest event (导入, 撤回, 公布, …)
    last_date: str | None  # its business date
    recommended_by: str  # the county whose bundle the register's data comes from
    bundle_date: str

    def to_json(self) -> dict[str, Any]:
        """As `city list --json` prints it: scores as 98 or 96.5 (as `score --json`), not 98.0."""
        return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in asdict(self).items()}

    def cells(self) -> tuple[object, ...]:
        """The row as the table and the workbook show it (scores stay numbers in the workbook)."""
        batch = f"第{self.batch}批" if self.batch else ""
        return (self.uscc, self.name, self.county, self.status, self.evaluated_total, self.self_total, batch,
                self.last_event or "", self.last_date or "", self.recommended_by)  # fmt: skip


_SQL = """
SELECT u.uscc, u.name, u.county, u.status, u.evaluated_total, u.self_total, u.verdict, u.batch, u.type,
       (SELECT action FROM events e WHERE e.uscc = u.uscc ORDER BY e.id DESC LIMIT 1),
       (SELECT date FROM events e WHERE e.uscc = u.uscc ORDER BY e.id DESC LIMIT 1),
       b.county, b.date
FROM units u JOIN bundles b ON b.id = u.bundle_id
"""


def list_units(
    conn: sqlite3.Connection, *, status: str | None = None, county: str | None = None, rubric_id: str = DEFAULT_RUBRIC
) -> list[Row]:
    """Every unit (or those of one status and/or county), by the rubric's county order, status, score, USCC."""
    from wufei_docs.scoring.rubric import load_rubric

    rubric = load_rubric(rubric_id)
    if status is not None and status not in STATUSES:
        raise InputError(None, f"“{status}” 不是登记库的状态；可选：{'、'.join(STATUSES)}")
    if county is not None and county not in rubric.counties:
        raise InputError(None, f"“{county}” 不是{rubric.title}所列的县（市、区）")
    where, args = [], []
    for column, value in (("u.status", status), ("u.county", county)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    sql = _SQL + (" WHERE " + " AND ".join(where) if where else "")
    found = [Row(*r) for r in rows(conn, sql, tuple(args))]
    order = {c: i for i, c in enumerate(rubric.counties)}
    found.sort(key=lambda r: (order.get(r.county, len(order)), r.county, STATUSES.index(r.status),
                              -(r.evaluated_total or 0), r.uscc))  # fmt: skip
    return found


def list_xlsx(found: list[Row], day: dt.date) -> bytes:
    """The same table as a workbook for the office: header frozen and printed on every page, scores as numbers."""
    from wufei_docs.city.docfmt import chinese_date
    from wufei_docs.city.documents import ISSUER
    from wufei_docs.excel.xlsxout import Sheet, workbook_bytes

    title = f"{SHEET_TITLE}（截至{chinese_date(day)}，共{len(found)}家）"
    sheet = Sheet("登记库", title, HEADERS, [r.cells() for r in found], WIDTHS, page_header=SHEET_TITLE)
    return workbook_bytes([sheet], creator=ISSUER)
