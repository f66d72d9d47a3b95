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
    """3 → '3', 1.5 → '1.5', 12.345678 → '12.346', -2 → '−2' (at most `places` decimals, zeros trimmed)."""
    q = dec(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{q:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else _minus(text)


def fixed(value: float | Decimal, places: int) -> str:
    """Always `places` decimals: 0.13124 → '0.1312' for 4; negative numbers with the one minus sign."""
    text = f"{dec(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    return _minus(text) if Decimal(text) != 0 else text.lstrip("-")


def _minus(text: str) -> str:
    """Every negative number the documents print carries MINUS (U+2212), never a hyphen."""
    return MINUS + text[1:] if text.startswith("-") else text


def pct(points: Decimal) -> str:
    """A percentage already in percent: 100 → '100%', 98.5 → '98.5%', 8 → '8.0%'."""
    return "100%" if points == 100 else fixed(points, 1) + "%"


def signed_pct(points: Decimal) -> str:
    """A change in percent: −8.0 → '−8.0%', 3 → '＋3.0%', 0 → '0.0%'."""
    if points == 0:
        return fixed(0, 1) + "%"
    return (MINUS if points < 0 else PLUS) + fixed(abs(points), 1) + "%"


def cn_date(value: dt.date | None) -> str:
    """2025-03-01 → '2025年3月1日'."""
    return "" if value is None else f"{value.year}年{value.month}月{value.day}日"
