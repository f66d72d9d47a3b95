"""Loaders: turn a file (YAML or Excel) into a located RawDocument, then into validated models."""

from __future__ import annotations

from pathlib import Path

from wufei_docs.errors import InputError
from wufei_docs.raw import RawDocument

YAML_SUFFIXES = (".yaml", ".yml")
XLSX_SUFFIXES = (".xlsx",)


def read_raw(path: str | Path) -> RawDocument:
    """Read any supported enterprise/evaluation file into plain data with positions."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        from wufei_docs.load.yamlfile import load_yaml

        return load_yaml(path)
    if suffix in XLSX_SUFFIXES:
        from wufei_docs.excel.read import load_workbook_raw

        return load_workbook_raw(path)
    raise InputError(path, f"不支持的文件类型 “{suffix or '(无扩展名)'}”，请使用 .yaml 或 .xlsx")


__all__ = ["XLSX_SUFFIXES", "YAML_SUFFIXES", "RawDocument", "read_raw"]
