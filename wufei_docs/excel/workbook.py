"""Excel writing: the workbook to fill in (`wufei init --xlsx`) and the same data as a YAML file
(`wufei convert A.yaml B.xlsx`), laid out by `sheets.py` so that `loaders/xlsx.py` reads it back.

Layout only: Chinese headers, frozen header rows, widths, wrapping, dropdowns and numeric checks
(openpyxl DataValidation) and an instructions sheet. Text is always written as text, so a note that
starts with “=” never becomes a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wufei_docs.errors import InputError, Problem
from wufei_docs.excel.sheets import (
    DATE_FORMAT,
    EVIDENCE_TABLE,
    GUIDE,
    HARD_TABLE,
    INFO,
    INFO_COLUMNS,
    INFO_SECTIONS,
    INFO_WIDTHS,
    ITEMS_TABLE,
    JOIN,
    KIND_LABELS,
    MET,
    NO,
    STREAMS_TABLE,
    TEXT_FORMAT,
    UNMET,
    YEARS_TABLE,
    YES,
    Field,
    Table,
    column_letter,
    lines_needed,
)
from wufei_docs.files.fsutil import atomic_write_bytes
from wufei_docs.model import ENTERPRISE_FORMAT
from wufei_docs.scoring.rubric import Item, Rubric

HEADER_FILL = "DDEBF7"
SECTION_FILL = "FCE4D6"
INFO_FILL = "F2F2F2"
LINE_HEIGHT = 15.0
_XML_ILLEGAL = re.compile("[\ud800-\udfff\ufffe\uffff\x00-\x08\x0b\x0c\x0e-\x1f]")
_TEXT_KINDS = ("text", "code", "multiline", "id", "evidence", "roles", "kind", "bool", "met")


def write_workbook(path: Path, data: dict[str, Any] | None, rubric: Rubric) -> None:
    """Write `data` (shaped like the YAML; None for an empty form) as an enterprise workbook."""
    buffer = io.BytesIO()
    build_workbook(data if data is not None else skeleton_data(rubric), rubric).save(buffer)
    atomic_write_bytes(path, buffer.getvalue())


def skeleton_data(rubric: Rubric, today: dt.date | None = None) -> dict[str, Any]:
    """What a new form holds before anyone fills it in (the same defaults as the YAML skeleton)."""
    today = today or dt.date.today()
    latest = today.year - 1
    return {
        "format": ENTERPRISE_FORMAT,
        "rubric": rubric.id,
        "unit": {"roles": ["producer"], "soil_key_unit": False},
        "application": {"type": rubric.application_type, "date": today},
        "waste": {"years": {latest - 1: {}, latest: {}}},
    }


def build_workbook(data: dict[str, Any], rubric: Rubric) -> Any:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    _check_characters(data, ())
    wb = Workbook()
    wb.properties.creator = "wufei-docs"
    wb.properties.title = f"{rubric.title}申报数据"
    _Writer(wb, rubric).write(data)
    return wb


def _check_characters(value: Any, loc: tuple[Any, ...]) -> None:
    """Characters XML cannot hold would make a broken file; refuse them with the field path."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_characters(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_characters(v, (*loc, i))
    elif isinstance(value, str) and _XML_ILLEGAL.search(value):
        from wufei_docs._raw import format_path

        raise InputError(None, [Problem(format_path(loc), "含有 Excel 无法保存的字符（控制字符或非字符码位）")])


class _Writer:
    def __init__(self, wb: Any, rubric: Rubric) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # type: ignore[import-untyped]

        self.wb = wb
        self.rubric = rubric
        thin = Side(style="thin", color="A6A6A6")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.bold = Font(bold=True)
        self.header_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.section_fill = PatternFill("solid", fgColor=SECTION_FILL)
        self.info_fill = PatternFill("solid", fgColor=INFO_FILL)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.top = Alignment(vertical="top")
        self.left = Alignment(horizontal="left", vertical="top", wrap_text=True)

    def write(self, data: dict[str, Any]) -> None:
        from wufei_docs.excel.guide import fill_guide

        guide = self.wb.active
        guide.title = GUIDE
        fill_guide(guide, self.rubric)
        self._info(data)
        waste = data.get("waste") or {}
        self._hard(data.get("compliance") or {})
        years = waste.get("years") or {}
        self._table(YEARS_TABLE, [{"year": y, **(v or {})} for y, v in sorted(years.items(), key=_year_key)])
        self._table(STREAMS_TABLE, list(waste.get("streams") or []))
        self._items(data.get("items") or {})
        self._table(EVIDENCE_TABLE, list(data.get("evidence") or []))

    # --- cells -----------------------------------------------------------------------------

    def _set(self, cell: Any, value: Any, kind: str) -> None:
        value = self._cell_value(value, kind)
        if value is None:
            return
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # text stays text, even “=…”
        elif isinstance(value, dt.date):
            cell.number_format = DATE_FORMAT

    def _cell_value(self, value: Any, kind: str) -> Any:
        if value is None:
            return None
        if kind in ("bool", "met") and isinstance(value, bool):
            yes, no = (MET, UNMET) if kind == "met" else (YES, NO)
            return yes if value else no
        if kind == "roles" and isinstance(value, list):
            return JOIN.join(self.rubric.roles.get(r, str(r)) for r in value)
        if kind == "kind" and isinstance(value, str):
            return KIND_LABELS.get(value, value)
        if kind == "evidence" and isinstance(value, list):
            return JOIN.join(str(v) for v in value) or None
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return int(value)
        if isinstance(value, dt.datetime):
            return value
        if kind in _TEXT_KINDS and not isinstance(value, str | dt.date):
            return str(value)
        return value

    def _style(self, cell: Any, f: Field, *, header: bool = False) -> None:
        cell.border = self.border
        if header:
            cell.font, cell.fill, cell.alignment = self.bold, self.header_fill, self.center
            return
        cell.alignment = self.wrap if f.kind in ("text", "multiline", "info", "evidence", "roles") else self.top
        if f.kind == "info":
            cell.fill = self.info_fill
        if f.kind in ("code", "id", "evidence", "text", "multiline"):
            cell.number_format = TEXT_FORMAT

    # --- 基本信息 -----------------------------------------------------------------------------

    def _info(self, data: dict[str, Any]) -> None:
        ws = self.wb.create_sheet(INFO)
        for col, (label, width) in enumerate(zip(INFO_COLUMNS, INFO_WIDTHS, strict=True), start=1):
            ws.column_dimensions[column_letter(col)].width = width
            self._style(ws.cell(1, col, label), Field(label, ()), header=True)
        row = 1
        checks = _Validations(ws)
        for title, fields in INFO_SECTIONS:
            row += 1
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
            cell = ws.cell(row, 1, title)
            cell.font, cell.fill = self.bold, self.section_fill
            for f in fields:
                row += 1
                label = ws.cell(row, 1, f.label)
                label.border, label.alignment = self.border, self.top
                if f.required:
                    label.font = self.bold
                value = ws.cell(row, 2)
                self._style(value, f)
                value.alignment = self.left
                self._set(value, _get(data, f.key), f.kind)
                hint = ws.cell(row, 3, ("必填。" if f.required else "") + f.hint)
                hint.border, hint.alignment, hint.fill = self.border, self.wrap, self.info_fill
                checks.info(f, f"B{row}", self.rubric)
                text = str(value.value) if value.value is not None else ""
                lines = max(lines_needed(text, INFO_WIDTHS[1]), lines_needed(hint.value, INFO_WIDTHS[2]))
                if f.kind == "multiline":
                    lines = max(lines, 4)
                if lines > 1:
                    ws.row_dimensions[row].height = min(409, lines * LINE_HEIGHT)
        ws.freeze_panes = "B2"
        _fit_width(ws, landscape=False)

    # --- tables ------------------------------------------------------------------------------

    def _sheet(self, table: Table) -> Any:
        ws = self.wb.create_sheet(table.sheet)
        for col, f in enumerate(table.columns, start=1):
            ws.column_dimensions[column_letter(col)].width = f.width
            self._style(ws.cell(1, col, f.label), f, header=True)
        ws.row_dimensions[1].height = 2 * LINE_HEIGHT
        ws.freeze_panes = "B2"
        ws.print_title_rows = "1:1"
        _fit_width(ws, landscape=True)
        return ws

    def _rows(self, ws: Any, table: Table, records: Iterable[dict[str, Any]], first: int = 2) -> int:
        row = first - 1
        for row, record in enumerate(records, start=first):
            lines = 1
            for col, f in enumerate(table.columns, start=1):
                cell = ws.cell(row, col)
                self._style(cell, f)
                value = record.get(f.key[0]) if f.key else record.get(f"#{col}")
                self._set(cell, value, f.kind)
                if isinstance(cell.value, str):
                    lines = max(lines, lines_needed(cell.value, f.width))
            if lines > 1:
                ws.row_dimensions[row].height = min(409, lines * LINE_HEIGHT)
        return row

    def _table(self, table: Table, records: list[dict[str, Any]]) -> None:
        ws = self._sheet(table)
        last = self._rows(ws, table, records)
        end = last + table.rows
        for row in range(last + 1, end + 1):  # prepared empty rows: borders and text formats
            for col, f in enumerate(table.columns, start=1):
                self._style(ws.cell(row, col), f)
        _Validations(ws).table(table, end, self.rubric)

    def _hard(self, compliance: dict[str, Any]) -> None:
        ws = self._sheet(HARD_TABLE)
        records = []
        for hard in self.rubric.hard_items:
            who = "所有单位" if hard.applies_to == "all" else self.rubric.roles.get(hard.applies_to, hard.applies_to)
            records.append({"id": hard.id, "#2": hard.text, "#3": who, **(compliance.get(hard.id) or {})})
        known = {h.id for h in self.rubric.hard_items}
        records += [{"id": k, **(v or {})} for k, v in compliance.items() if k not in known]
        last = self._rows(ws, HARD_TABLE, records)
        _Validations(ws).table(HARD_TABLE, last, self.rubric)

    def _items(self, items: dict[str, Any]) -> None:
        ws = self._sheet(ITEMS_TABLE)
        records = [
            {"id": i.id, "#2": i.text, "#3": i.max, "#8": _item_hint(i, self.rubric), **(items.get(i.id) or {})}
            for i in self.rubric.items
        ]
        records += [{"id": k, **(v or {})} for k, v in items.items() if k not in self.rubric.items_by_id]
        last = self._rows(ws, ITEMS_TABLE, records)
        _Validations(ws).scores(self.rubric.items, last)


def _fit_width(ws: Any, *, landscape: bool) -> None:
    """Printed on A4, one page wide."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _item_hint(item: Item, rubric: Rubric) -> str:
    tags = []
    if item.rule:
        tags.append("由填报数据自动计算，自评分仅供参考")
    if item.check:
        tags.append("将与固废台账核对")
    if item.applies_if == "soil_key_unit":
        tags.append("仅土壤污染重点监管单位适用")
    if item.bonus:
        tags.append("附加分项，不能填不适用")
    return "；".join(tags)


def _get(data: dict[str, Any], key: tuple[str, ...]) -> Any:
    node: Any = data
    for part in key:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _year_key(pair: tuple[Any, Any]) -> tuple[int, str]:
    year = pair[0]
    return (year, "") if isinstance(year, int) else (10**6, str(year))


class _Validations:
    """Dropdowns and numeric checks for one sheet (Excel and WPS show them while typing)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    def _add(self, ref: str, kind: str, *, prompt: str = "", **options: Any) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

        dv = DataValidation(type=kind, allow_blank=True, showErrorMessage=True, errorTitle="输入有误", **options)
        if prompt:
            dv.prompt, dv.showInputMessage = prompt[:250], True
        dv.add(ref)
        self.ws.add_data_validation(dv)

    def choices(self, ref: str, values: Iterable[str], error: str) -> None:
        formula = '"' + ",".join(values) + '"'
        if len(formula) <= 255:  # Excel's limit for an inline list
            self._add(ref, "list", formula1=formula, error=error)

    def number(
        self, ref: str, kind: str, minimum: float, error: str, *, strict: bool = False, maximum: float | None = None
    ) -> None:
        if maximum is not None:
            self._add(ref, kind, operator="between", formula1=f"{minimum:g}", formula2=f"{maximum:g}", error=error)
        else:
            operator = "greaterThan" if strict else "greaterThanOrEqual"
            self._add(ref, kind, operator=operator, formula1=f"{minimum:g}", error=error)

    def info(self, f: Field, ref: str, rubric: Rubric) -> None:
        key = f.key
        if key == ("unit", "county"):
            self.choices(ref, rubric.counties, "请从下拉列表中选择所在县（市、区）")
        elif f.kind == "roles":
            self.choices(ref, _role_choices(rubric), "请从下拉列表中选择单位类型")
        elif f.kind == "bool":
            self.choices(ref, (YES, NO), "请选择 是 或 否")
        elif key == ("unit", "ownership"):
            from wufei_docs.model import OWNERSHIPS

            self.choices(ref, OWNERSHIPS, "请从下拉列表中选择单位性质")
        elif key == ("unit", "area_m2"):
            self.number(ref, "decimal", 0, "占地面积应为大于 0 的数字", strict=True)
        elif key == ("unit", "staff"):
            self.number(ref, "whole", 1, "职工人数应为正整数")
        elif f.kind == "int":
            self.number(ref, "whole", 0, "应为不小于 0 的整数")

    def table(self, table: Table, last: int, rubric: Rubric) -> None:
        if last < 2:
            return
        for col, f in enumerate(table.columns, start=1):
            ref = f"{column_letter(col)}2:{column_letter(col)}{last}"
            if f.kind == "met":
                self.choices(ref, (MET, UNMET), "请选择 满足 或 不满足")
            elif f.kind == "kind":
                self.choices(ref, KIND_LABELS.values(), "请选择 危险废物 或 一般工业固体废物")
            elif f.kind == "year":
                self.number(ref, "whole", 1990, "年度应为 4 位年份", maximum=2100)
            elif f.key == ("output_value",):
                self.number(ref, "decimal", 0, "工业总产值应为大于 0 的数字（万元）", strict=True)
            elif f.kind == "number":
                self.number(ref, "decimal", 0, "吨数应为不小于 0 的数字")

    def scores(self, items: Iterable[Item], last: int) -> None:
        """自评分 between 0 and each item's 满分 (one rule per distinct 满分)."""
        from openpyxl.worksheet.datavalidation import DataValidation

        by_max: dict[float, list[str]] = {}
        for row, item in enumerate(items, start=2):
            by_max.setdefault(item.max, []).append(f"D{row}")
        for maximum, refs in by_max.items():
            dv = DataValidation(
                type="decimal",
                operator="between",
                formula1="0",
                formula2=f"{maximum:g}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="自评分有误",
                error=f"该项满分 {maximum:g} 分，自评分应在 0 至 {maximum:g} 之间（0.5 的整数倍）",
                showInputMessage=True,
                prompt=f"0 至 {maximum:g} 分，0.5 的整数倍；合理缺项请填“不适用理由”",
            )
            for ref in refs:
                dv.add(ref)
            self.ws.add_data_validation(dv)


def _role_choices(rubric: Rubric) -> list[str]:
    """Every non-empty combination of roles, in the rubric's order (a dropdown is single-choice)."""
    from itertools import combinations

    labels = list(rubric.roles.values())
    return [JOIN.join(c) for n in range(1, len(labels) + 1) for c in combinations(labels, n)]
