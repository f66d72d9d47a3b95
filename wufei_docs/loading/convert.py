"""`wufei convert`: the same enterprise data as YAML or as an Excel workbook, nothing lost.

The input is validated first (so what is written is valid and complete), then the fields that were
actually filled in (`model_dump(exclude_unset=True)`, no defaults added) are written in the other
form. Rows or entries with nothing filled in are “not filled”, in YAML as in Excel, and are dropped.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from wufei_docs.errors import OutputError
from wufei_docs.files.fsutil import atomic_write_text
from wufei_docs.loading import XLSX_SUFFIXES, YAML_SUFFIXES
from wufei_docs.loading.validation import Checked
from wufei_docs.model import Enterprise


def convert(src: str | Path, dst: str | Path, *, force: bool = False) -> Checked:
    """Read and validate `src` (.yaml or .xlsx), write it to `dst` in the form its suffix names."""
    from wufei_docs.loading import check

    src, dst = Path(src), Path(dst)
    suffix = dst.suffix.lower()
    if suffix not in (*YAML_SUFFIXES, *XLSX_SUFFIXES):
        raise OutputError(f"{dst}: 不支持的目标文件类型 “{suffix or '(无扩展名)'}”，请使用 .yaml 或 .xlsx")
    if dst.exists():
        if src.exists() and src.resolve() == dst.resolve():
            raise OutputError(f"{dst}: 输入与输出是同一个文件")
        if not force:
            raise OutputError(f"{dst} 已存在；如需覆盖请加 --force")
    checked = check(src)
    data = enterprise_data(checked.enterprise)
    if suffix in XLSX_SUFFIXES:
        from wufei_docs.excel.workbook import write_workbook

        write_workbook(dst, data, checked.rubric)
    else:
        atomic_write_text(dst, enterprise_yaml(data, comment=f"由 wufei convert 从 {src.name} 转换生成"))
    return checked


def enterprise_data(enterprise: Enterprise) -> dict[str, Any]:
    """The filled-in fields of a validated enterprise, shaped like the YAML (FORMAT.md §1)."""
    data = enterprise.model_dump(exclude_unset=True)
    for section in ("compliance", "items"):
        if section in data:
            data[section] = {k: v for k, v in data[section].items() if _filled(v)}
    return data


def _filled(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    return value not in (None, "", [])


def enterprise_yaml(data: dict[str, Any], *, comment: str = "") -> str:
    """Readable YAML: block style, keys in FORMAT.md order, multi-line text as `|` blocks."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096  # never fold long Chinese lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump(_yamlable(data), buffer)
    head = "".join(f"# {line}\n" for line in comment.splitlines())
    return head + buffer.getvalue()


def _yamlable(value: Any) -> Any:
    from ruamel.yaml.scalarstring import LiteralScalarString

    if isinstance(value, dict):
        return {k: _yamlable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_yamlable(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value
