"""Loading: a file (YAML or Excel) → a located RawDocument → validated models, every problem at once.

validate(path) -> Checked         read + validate an enterprise file, raise InputError with every problem
check(path) -> Checked            the same (its earlier name)
load(path) -> Enterprise          the same, the model only
load_evaluation(path) -> Evaluation   a county's evaluation file (FORMAT.md §5)
validate_any(path) -> Checked | Evaluation   either, by its `format` (wufei validate)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wufei_docs._raw import RawDocument
from wufei_docs.errors import InputError

if TYPE_CHECKING:
    from wufei_docs.loading.validation import Checked
    from wufei_docs.model import Enterprise, Evaluation

YAML_SUFFIXES = (".yaml", ".yml")
XLSX_SUFFIXES = (".xlsx",)


def read_raw(path: str | Path) -> RawDocument:
    """Read any supported enterprise/evaluation file into plain data with positions."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        from wufei_docs.loading.yamlfile import load_yaml

        return load_yaml(path)
    if suffix in XLSX_SUFFIXES:
        from wufei_docs.excel.read import load_workbook_raw

        return load_workbook_raw(path)
    raise InputError(path, f"不支持的文件类型 “{suffix or '(无扩展名)'}”，请使用 .yaml 或 .xlsx")


def validate(path: str | Path) -> Checked:
    """Read and validate an enterprise file (YAML or xlsx); raise InputError with every problem."""
    from wufei_docs.loading.validation import validate_enterprise

    return validate_enterprise(read_raw(path))


check = validate  # the name the library used first


def validate_any(path: str | Path) -> Checked | Evaluation:
    """An enterprise file, or a county evaluation when it says `format: wufei/evaluation-1` (`wufei validate`)."""
    from wufei_docs.loading.validation import validate_enterprise, validate_evaluation
    from wufei_docs.model import EVALUATION_FORMAT

    raw = read_raw(path)
    if isinstance(raw.data, dict) and raw.data.get("format") == EVALUATION_FORMAT:
        return validate_evaluation(raw)
    return validate_enterprise(raw)


def load(path: str | Path) -> Enterprise:
    """Read and validate an enterprise file and return the model."""
    return check(path).enterprise


def load_evaluation(path: str | Path) -> Evaluation:
    """Read and validate a county evaluation file (FORMAT.md §5)."""
    from wufei_docs.loading.validation import validate_evaluation

    return validate_evaluation(read_raw(path))


__all__ = [
    "XLSX_SUFFIXES",
    "YAML_SUFFIXES",
    "RawDocument",
    "check",
    "load",
    "load_evaluation",
    "read_raw",
    "validate",
    "validate_any",
]
