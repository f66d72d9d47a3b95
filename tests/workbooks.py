"""Helpers for workbook tests: make a workbook, edit cells the way a user would, tamper with its zip."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLES, dump_yaml
from wufei_docs.loading.convert import convert

RARE_EARTH = EXAMPLES / "赣州稀土新材料.yaml"


def example_workbook(folder: Path, source: Path = RARE_EARTH, name: str = "e.xlsx") -> Path:
    """The bundled example as a workbook (via convert)."""
    target = folder / name
    convert(source, target)
    return target


def workbook_from(folder: Path, data: dict[str, Any], name: str = "e.xlsx") -> Path:
    """A dict shaped like the YAML → YAML file → workbook."""
    source = folder / (Path(name).stem + ".src.yaml")
    source.write_text(dump_yaml(data), encoding="utf-8")
    return example_workbook(folder, source, name)


def edit(path: Path, change: Callable[[Any], None]) -> Path:
    """Open with openpyxl, apply `change(workbook)`, save in place (as Excel would)."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def row_of(ws: Any, key: str, column: int = 1) -> int:
    """The row whose cell in `column` (default A) reads `key`."""
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, column).value == key:
            return row
    raise AssertionError(f"{key} not found in {ws.title}")


def col_of(ws: Any, header: str) -> int:
    for col in range(1, ws.max_column + 1):
        if ws.cell(1, col).value == header:
            return col
    raise AssertionError(f"column {header} not found in {ws.title}")


def set_info(wb: Any, label: str, value: Any) -> str:
    """Type `value` into 基本信息 next to `label`; return the cell reference."""
    ws = wb["基本信息"]
    cell = ws.cell(row_of(ws, label), 2)
    cell.value = value
    return f"基本信息!{cell.coordinate}"


def set_cell(wb: Any, sheet: str, key: str, header: str, value: Any) -> str:
    """Type `value` into `sheet` at the row of `key` (column A) and the column headed `header`."""
    ws = wb[sheet]
    cell = ws.cell(row_of(ws, key), col_of(ws, header))
    cell.value = value
    return f"{sheet}!{cell.coordinate}"


def rewrite_member(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """Rewrite one part of the zip (e.g. a sheet's XML), keeping the others as they are."""
    with zipfile.ZipFile(path) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    assert member in [info.filename for info, _ in parts], member
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts:
            out.writestr(info, change(data) if info.filename == member else data)
    path.write_bytes(buffer.getvalue())
    return path


def sheet_member(path: Path, title: str) -> str:
    """The zip member holding the sheet called `title` (workbook order → sheetN.xml)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    index = wb.sheetnames.index(title) + 1
    wb.close()
    return f"xl/worksheets/sheet{index}.xml"


def with_prolog(prolog: bytes) -> Callable[[bytes], bytes]:
    """Replace an XML part's declaration (if any) by `prolog`."""

    def change(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        return prolog + body

    return change
