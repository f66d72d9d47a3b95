"""Excel cell values → the values the YAML would hold (numbers typed as text, dates, 是/否, lists).

Each converter returns the converted value, or raises `CellError` with a Chinese message when the
cell cannot mean anything valid for its kind (e.g. 类别 “危废品”). Values that merely look wrong
(“很多” in a number cell) are passed through unchanged so that validation reports them with the
same message a YAML file would get.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from wufei_docs.excel.sheets import (
    FALSE_WORDS,
    KIND_LABELS,
    KIND_SYNONYMS,
    LIST_SEPARATORS,
    MET,
    NO,
    TRUE_WORDS,
    UNMET,
    YES,
)


class CellError(ValueError):
    """A cell value that cannot be converted; the message is shown with the cell reference."""


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def number_text(value: float | int) -> str:
    """12 → "12", 12.0 → "12", 12.5 → "12.5" (how the number reads in the cell)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _normalise(text: str) -> str:
    # Full-width digits and letters (１２, Ａ) typed with a Chinese IME become ASCII.
    return unicodedata.normalize("NFKC", text).strip()


def to_text(value: Any) -> Any:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_multiline(value: Any) -> Any:
    value = to_text(value)
    if isinstance(value, str):
        # Excel stores a typed line break as "\n"; text pasted from Windows keeps "\r", which Excel
        # saves as the escape _x000D_ (openpyxl does not unescape it).
        return value.replace("_x000D_\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    return value


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def to_number(value: Any) -> Any:
    if isinstance(value, str):
        text = _normalise(value).replace(",", "").replace(" ", "")
        if _NUMBER.fullmatch(text):
            number = float(text)
            return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    return value


def to_int(value: Any) -> Any:
    value = to_number(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def to_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = _DATE.fullmatch(_normalise(value))
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise CellError(f"“{value.strip()}” 不是有效的日期") from None
    return value


def to_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = _normalise(value).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError(f"“{value.strip()}” 不是可选的值，请选择“{YES}”或“{NO}”")
    return value


def to_met(value: Any) -> Any:
    try:
        return to_bool(value)
    except CellError:
        raise CellError(f"“{str(value).strip()}” 不是可选的值，请选择“{MET}”或“{UNMET}”") from None


def split_list(value: Any) -> list[str]:
    """“E01、E02, E03 E04” → ["E01", "E02", "E03", "E04"]."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [number_text(value)]
    return [part for part in re.split(LIST_SEPARATORS, _normalise(str(value))) if part]


def to_roles(value: Any, labels: Mapping[str, str]) -> list[str]:
    by_word = {label: key for key, label in labels.items()} | {key: key for key in labels}
    roles: list[str] = []
    unknown: list[str] = []
    for word in split_list(value):
        (roles if word in by_word else unknown).append(by_word.get(word, word))
    if unknown:
        raise CellError(f"“{'、'.join(unknown)}” 不是可选的单位类型（可选：{'、'.join(labels.values())}）")
    return roles


def to_kind(value: Any) -> str:
    word = _normalise(str(value))
    by_word = {label: key for key, label in KIND_LABELS.items()} | KIND_SYNONYMS | {k: k for k in KIND_LABELS}
    if word in by_word:
        return by_word[word]
    raise CellError(f"“{word}” 不是可选的类别（可选：{'、'.join(KIND_LABELS.values())}）")


def to_year(value: Any) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    m = re.fullmatch(r"(\d{4})\s*(年度?)?", _normalise(str(value)))
    if m:
        return int(m.group(1))
    raise CellError(f"“{str(value).strip()}” 不是年份（应为 4 位数字，如 2024）")


def to_id(value: Any) -> str:
    return _normalise(to_text(value)).upper()


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": to_text,
    "code": to_text,
    "multiline": to_multiline,
    "number": to_number,
    "int": to_int,
    "date": to_date,
    "bool": to_bool,
    "met": to_met,
    "evidence": split_list,
    "kind": to_kind,
    "year": to_year,
    "id": to_id,
}
