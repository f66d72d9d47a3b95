"""How numbers and dates are written in the documents (Chinese conventions, no float noise)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

PLUS, EQUALS, MINUS = "＋", "＝", "−"


def dec(value: float | int | Decimal) -> Decimal:
    """A float as the decimal the user typed (str round trip), so sums do not drift."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def total(values: Iterable[float | int | Decimal]) -> Decimal:
    return sum((dec(v) for v in values), Decimal(0))


def num(value: float | int | Decimal, places: int = 3) -> str:
    """3 → '3', 1.5 → '1.5', 12.345678 → '12.346' (at most `places` decimals, zeros trimmed)."""
    q = dec(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{q:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fixed(value: float | Decimal, places: int) -> str:
    """Always `places` decimals: 0.13124 → '0.1312' for 4."""
    return f"{dec(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def percent(ratio: float | Decimal, places: int = 1) -> str:
    """0.079 → '7.9%'; signs are the caller's business."""
    return fixed(dec(ratio) * 100, places) + "%"


def signed_percent(ratio: float | Decimal, places: int = 1) -> str:
    """-0.079 → '−7.9%', 0.03 → '＋3.0%', 0 → '0.0%'."""
    text = percent(abs(dec(ratio)), places)
    if dec(ratio) == 0 or text == percent(0, places):
        return text
    return (MINUS if dec(ratio) < 0 else PLUS) + text


def cn_date(value: dt.date | None) -> str:
    """2025-03-01 → '2025年3月1日'."""
    return "" if value is None else f"{value.year}年{value.month}月{value.day}日"
