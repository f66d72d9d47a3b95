"""How the city's documents and commands write dates and scores (“2025年4月10日”, “98”, “96.5”, “—”).

The documents themselves are templates (templates/建设单位名单.docx, 报送函.docx, 抽查通知.docx) rendered by
the one docx engine, `render.render_docx`; their view data is made in `documents`.
"""

from __future__ import annotations

import datetime as dt


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def number(value: float | None) -> str:
    """98.0 → "98", 96.5 → "96.5", None → "—"."""
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
