"""Excel reading: a workbook made by `wufei init --xlsx` → the same plain data a YAML file gives.

Safety first (`zipcheck`), then openpyxl in read-only mode reads cell values (never evaluates a
formula: a formula cell gives Excel's saved result, or a clear refusal when there is none). Cells are
mapped by the layout in `sheets.py`: labels and headers are matched by text, so inserted rows and
reordered columns still read. Every cell's reference is remembered, so validation problems name
their place as “自评!D14”.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wufei_docs._raw import Loc, RawDocument, read_bytes
from wufei_docs.errors import InputError, Problem
from wufei_docs.excel.cells import CONVERTERS, CellError, is_blank, to_roles
from wufei_docs.excel.sheets import (
    DATA_SHEETS,
    GUIDE,
    INFO,
    INFO_COLUMNS,
    INFO_FIELDS,
    INFO_SECTIONS,
    TABLES,
    Field,
    Table,
    cell_ref,
)
from wufei_docs.excel.wording import workbook_message
from wufei_docs.excel.zipcheck import MAX_FILE_BYTES, UnsafeWorkbook, check_xlsx_bytes

MAX_ROWS = 2000
MAX_COLUMNS = 40
_SKIP = object()


@dataclass
class Grid:
    """The non-blank cell values of one sheet, plus the cells that cannot be used (with why)."""

    name: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    bad: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: set[tuple[int, int]] = field(default_factory=set)

    def rows(self) -> list[int]:
        return sorted({r for r, _ in self.cells} | {r for r, _ in self.bad})


def load_workbook_raw(path: Path) -> RawDocument:
    """Read an enterprise workbook into a RawDocument (data shaped exactly like the YAML)."""
    data = read_bytes(path, limit=MAX_FILE_BYTES)
    try:
        check_xlsx_bytes(data)
    except UnsafeWorkbook as e:
        raise InputError(path, str(e)) from None
    grids, notices = read_grids(data, path)
    return _Builder(str(path), grids, notices).document()


# --- openpyxl → grids --------------------------------------------------------------------------


def read_grids(data: bytes, source: str | Path) -> tuple[dict[str, Grid], list[str]]:
    """Cell values of the data sheets; formulas are replaced by their saved results (second pass)."""
    grids, others = _read(data, source, data_only=False)
    missing = [name for name in DATA_SHEETS if name not in grids]
    if missing:
        names = "、".join(f"“{n}”" for n in missing)
        raise InputError(source, f"工作簿缺少工作表 {names}（请使用 wufei init --xlsx 生成的模板，勿改工作表名称）")
    notices = [f"已忽略工作表“{name}”（不属于申报数据）" for name in others if name != GUIDE]
    if any(g.formulas for g in grids.values()):
        cached, _ = _read(data, source, data_only=True)
        count = sum(_use_cached(grids[name], cached[name]) for name in grids)
        if count:
            notices.append(f"{count} 个单元格含公式，已使用 Excel 保存的计算结果（不重新计算）")
    return grids, notices


def _read(data: bytes, source: str | Path, *, data_only: bool) -> tuple[dict[str, Grid], list[str]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    grids: dict[str, Grid] = {}
    others: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops (WPS, LibreOffice)
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False)
            try:
                for ws in wb.worksheets:
                    name = ws.title.strip()
                    if name in DATA_SHEETS and name not in grids:
                        grids[name] = _grid(ws, name)
                    else:
                        others.append(ws.title)
            finally:
                wb.close()
        except InputError:
            raise
        except Exception as e:  # a third-party parser on untrusted bytes: any failure is bad input
            raise InputError(source, _parse_failure(e)) from None
    return grids, others


def _parse_failure(e: Exception) -> str:
    name = type(e).__name__
    if name in ("DTDForbidden", "EntitiesForbidden", "ExternalReferenceForbidden"):
        return "工作簿含有不安全的 XML 内容（DTD 或实体），已拒绝"
    return f"无法读取工作簿：文件已损坏或不是标准的 .xlsx 格式（{name}）"


def _grid(ws: Any, name: str) -> Grid:
    grid = Grid(name)
    for r, row in enumerate(ws.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS), start=1):
        for c, cell in enumerate(row, start=1):
            value = cell.value
            if value is None:
                continue
            if r > MAX_ROWS:
                grid.bad[(r, c)] = f"超出读取范围：每个工作表最多 {MAX_ROWS} 行"
            elif cell.data_type == "f":
                grid.formulas.add((r, c))
            elif cell.data_type == "e":
                grid.bad[(r, c)] = f"单元格为错误值 {value}，请改为有效内容"
            elif not is_blank(value):
                grid.cells[(r, c)] = value
    return grid


def _use_cached(grid: Grid, cached: Grid) -> int:
    used = 0
    for pos in grid.formulas:
        if pos in cached.bad:
            grid.bad[pos] = f"公式的计算结果为错误值（{cached.bad[pos]}）"
        elif pos in cached.cells:
            grid.cells[pos] = cached.cells[pos]
            used += 1
        else:
            grid.bad[pos] = "单元格含公式但没有保存的计算结果；请在 Excel/WPS 中打开后保存，或直接填写数值"
    return used


# --- grids → plain data ------------------------------------------------------------------------


def _norm(label: Any) -> str:
    text = unicodedata.normalize("NFKC", str(label))
    return re.sub(r"[\s*]+", "", text)


class _Builder:
    """Maps grids to the YAML-shaped dict, collecting located problems and cell references."""

    def __init__(self, source: str, grids: dict[str, Grid], notices: list[str]) -> None:
        self.source = source
        self.grids = grids
        self.notices = notices
        self.problems: list[Problem] = []
        self.where: dict[tuple[str, ...], str] = {}
        self.labels: dict[tuple[str, ...], str] = {}  # what the user calls a field: “H1 是否满足”
        self.roles = _role_labels()

    def document(self) -> RawDocument:
        data = self._info(self.grids[INFO])
        for table in TABLES:
            _put(data, table.path, self._table(self.grids[table.sheet], table))
        return RawDocument(self.source, data, self.locate, self.notices, self.problems, self.describe)

    def label_of(self, loc: Loc) -> str:
        parts = tuple(str(p) for p in loc)
        for n in range(len(parts), 0, -1):
            if parts[:n] in self.labels:
                return self.labels[parts[:n]]
        return ""

    def describe(self, loc: Loc, message: str) -> tuple[str, str]:
        """A problem as a workbook user reads it: the field by its label, the message without YAML words."""
        return self.label_of(loc), workbook_message(message)

    def locate(self, loc: Loc) -> str:
        parts = tuple(str(p) for p in loc)
        for n in range(len(parts), 0, -1):
            if parts[:n] in self.where:
                return self.where[parts[:n]]
        return ""

    def _remember(self, loc: tuple[Any, ...], ref: str, label: str = "") -> None:
        """`loc` is at `ref`; its parents (if not yet known) point at their first cell."""
        for n in range(1, len(loc)):
            self.where.setdefault(tuple(str(p) for p in loc[:n]), ref)
        self.where[tuple(str(p) for p in loc)] = ref
        self.labels[tuple(str(p) for p in loc)] = label

    def _fallback(self, loc: tuple[Any, ...], ref: str, label: str = "") -> None:
        self.where.setdefault(tuple(str(p) for p in loc), ref)
        self.labels.setdefault(tuple(str(p) for p in loc), label)

    def _problem(self, loc: tuple[Any, ...], message: str, ref: str) -> None:
        self.problems.append(Problem(self.label_of(loc), message, ref))

    def _value(self, grid: Grid, row: int, col: int, f: Field, loc: tuple[Any, ...]) -> Any:
        ref = cell_ref(grid.name, row, col)
        if (row, col) in grid.bad:
            self._problem(loc, grid.bad[(row, col)], ref)
            return _SKIP
        raw = grid.cells.get((row, col))
        if is_blank(raw):
            return _SKIP
        try:
            return to_roles(raw, self.roles) if f.kind == "roles" else CONVERTERS[f.kind](raw)
        except CellError as e:
            self._problem(loc, str(e), ref)
            return _SKIP

    # 基本信息: one labelled value per row -------------------------------------------------------

    def _info(self, grid: Grid) -> dict[str, Any]:
        fields = {_norm(f.label): f for f in INFO_FIELDS}
        skip = {_norm(title) for title, _ in INFO_SECTIONS} | {_norm(INFO_COLUMNS[0])}
        doc: dict[str, Any] = {}
        seen: dict[Field, int] = {}
        for row in grid.rows():
            label = grid.cells.get((row, 1))
            filled = _filled(grid, row, 2)
            if is_blank(label):
                if filled:
                    self._problem((), "有填写内容但 A 列缺少项目名称", cell_ref(grid.name, row, 1))
                continue
            key = _norm(label)
            if key in skip:
                continue
            f = fields.get(key)
            if f is None:
                if filled:
                    self._problem(
                        (), f"“{label}” 不是已知的项目（请勿修改 A 列的项目名称）", cell_ref(grid.name, row, 1)
                    )
                continue
            if f in seen:
                self._problem(f.key, f"项目“{f.label}”重复（另见第 {seen[f]} 行）", cell_ref(grid.name, row, 1))
                continue
            seen[f] = row
            self._remember(f.key, cell_ref(grid.name, row, 2), f.label)
            value = self._value(grid, row, 2, f, f.key)
            _parents(doc, f.key)  # a blank 负责人 block reads as head: {} → “name, phone missing”
            if value is not _SKIP:
                _put(doc, f.key, value)
        for f in INFO_FIELDS:
            if f not in seen:  # the row was deleted: say which one
                self._fallback(f.key, f"{grid.name}（缺少“{f.label}”一行）", f.label)
        return doc

    # tables: a header row, then one record per row ----------------------------------------------

    def _table(self, grid: Grid, table: Table) -> dict[Any, Any] | list[Any]:
        self._fallback(table.path, f"工作表“{grid.name}”")
        found = self._header(grid, table)
        if found is None:
            return {} if table.keyed else []
        header, columns = found
        fields = [c for c in table.data_columns if c in columns]
        rows = [r for r in grid.rows() if r > header]
        if table.keyed:
            return self._keyed(grid, table, rows, columns, fields[0], fields[1:])
        return self._listed(grid, table, rows, columns, fields)

    def _listed(
        self, grid: Grid, table: Table, rows: list[int], columns: dict[Field, int], fields: list[Field]
    ) -> list[Any]:
        """固废台账, 支撑材料: every row with something filled in is one record."""
        records: list[Any] = []
        for row in rows:
            if any(_filled(grid, row, columns[f]) for f in fields):
                loc = (*table.path, len(records))
                self._remember(loc, cell_ref(grid.name, row, columns[fields[0]]))
                records.append(self._record(grid, row, columns, fields, loc))
        return records

    def _keyed(
        self,
        grid: Grid,
        table: Table,
        rows: list[int],
        columns: dict[Field, int],
        key_field: Field,
        fields: list[Field],
    ) -> dict[Any, Any]:
        """合规性, 年度数据, 自评: records keyed by 编号/年度; a row with only its key is not filled in."""
        records: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        anchor = next((f for f in fields if f.kind == "met"), key_field)  # where “not answered” points
        for row in rows:
            filled = any(_filled(grid, row, columns[f]) for f in fields)
            key_ref = cell_ref(grid.name, row, columns[key_field])
            if not _filled(grid, row, columns[key_field]):
                if filled:
                    self._problem(table.path, f"已填写内容但缺少{key_field.label}", key_ref)
                continue
            key = self._value(grid, row, columns[key_field], key_field, table.path)
            if key is _SKIP:
                continue
            if key in seen:
                self._problem((*table.path, key), f"{key_field.label} {key} 重复（另见第 {seen[key]} 行）", key_ref)
                continue
            seen[key] = row
            row_label = f"{key} 年" if table.path[-1] == "years" else str(key)
            self._remember((*table.path, key), cell_ref(grid.name, row, columns[anchor]), row_label)
            if filled:
                records[key] = self._record(grid, row, columns, fields, (*table.path, key), row_label)
        return records

    def _record(
        self,
        grid: Grid,
        row: int,
        columns: dict[Field, int],
        fields: list[Field],
        loc: tuple[Any, ...],
        row_label: str = "",
    ) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for f in fields:
            col = columns[f]
            self._remember((*loc, *f.key), cell_ref(grid.name, row, col), f"{row_label} {f.label}".strip())
            value = self._value(grid, row, col, f, (*loc, *f.key))
            if value is not _SKIP:
                _put(record, f.key, value)
        return record

    def _header(self, grid: Grid, table: Table) -> tuple[int, dict[Field, int]] | None:
        """Find the header row (normally row 1) and the column of each data field by its label."""
        wanted = {_norm(c.label): c for c in table.columns}
        for row in grid.rows()[:10]:
            texts = {c: _norm(v) for (r, c), v in grid.cells.items() if r == row and isinstance(v, str)}
            columns = {wanted[t]: c for c, t in texts.items() if t in wanted}
            if table.data_columns[0] not in columns:
                continue
            for f in table.data_columns:
                if f not in columns:
                    self._problem(table.path, f"缺少列“{f.label}”（请勿修改表头）", cell_ref(grid.name, row, 1))
            extra = [grid.cells[(row, c)] for c, t in sorted(texts.items()) if t not in wanted]
            if extra:
                self.notices.append(f"工作表“{grid.name}”中的列 {'、'.join(map(str, extra))} 不属于申报数据，已忽略")
            return row, columns
        first = table.data_columns[0].label
        self._problem(table.path, f"找不到表头（应有“{first}”等列，请勿修改表头）", f"工作表“{grid.name}”")
        return None


def _filled(grid: Grid, row: int, col: int) -> bool:
    return (row, col) in grid.cells or (row, col) in grid.bad


def _put(doc: dict[str, Any], key: tuple[str, ...], value: Any) -> None:
    node = doc
    for part in key[:-1]:
        node = node.setdefault(part, {})
    node[key[-1]] = value


def _parents(doc: dict[str, Any], key: tuple[str, ...]) -> None:
    node = doc
    for part in key[:-1]:
        node = node.setdefault(part, {})


def _role_labels() -> dict[str, str]:
    from wufei_docs.scoring.rubric import available_rubrics, load_rubric

    labels: dict[str, str] = {}
    for rubric_id in available_rubrics():
        labels.update(load_rubric(rubric_id).roles)
    return labels
