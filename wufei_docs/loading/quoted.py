"""Percentages the enterprise's own text quotes, checked against the figures computed from its data.

The 申报书 prints 产生强度增长率, 安全处理率 and 电子化率 computed from the data (scoring/figures.py); a
narrative that says 下降7.9% next to a table that says −8.0% is a contradiction a reviewer will notice. A
quoted percentage that is neither the printed figure nor within 0.1 point of the exact one is a warning
naming the field (the file stays valid: the text may speak of another year or another measure).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from wufei_docs.model import Enterprise
from wufei_docs.scoring.figures import intensity_figures, manifest_rate, safe_rate

TOLERANCE = Decimal("0.1")  # percentage points
NUMBER = r"([+＋\-−－]?\d+(?:\.\d+)?)\s*[%％]"
CLAUSE = r"[^。；;！!？?\n]{0,30}?"  # same clause, a few words apart
DOWN, UP = "下降|降低|减少|减小|压降", "增长|上升|提高|增加"
PATTERNS: dict[str, re.Pattern[str]] = {
    "intensity": re.compile(rf"产生强度{CLAUSE}(?:(?P<dir>{DOWN}|{UP})了?(?:约|为)?|增长率(?:为|是)?)\s*{NUMBER}"),
    "safe": re.compile(rf"安全(?:处理|处置)率{CLAUSE}(?:为|达|达到|是)?\s*{NUMBER}"),
    "manifests": re.compile(rf"(?:电子化率|电子联单(?:比例|占比|比率)){CLAUSE}(?:为|达|达到|是)?\s*{NUMBER}"),
}
NAMES = {"intensity": "产生强度年度增长率", "safe": "安全处理率", "manifests": "转移联单电子化率"}


def narrative_texts(e: Enterprise) -> Iterator[tuple[str, str]]:
    """(field path, text) for every free text the enterprise writes about its work."""
    if e.unit.profile:
        yield "unit.profile", e.unit.profile
    if e.application.summary:
        yield "application.summary", e.application.summary
    for item_id, claim in e.items.items():
        if claim.note:
            yield f"items.{item_id}.note", claim.note
    for hard_id, answer in e.compliance.items():
        if answer.note:
            yield f"compliance.{hard_id}.note", answer.note


def quoted_figure_warnings(e: Enterprise) -> list[str]:
    """A warning for each quoted percentage that contradicts the figure the documents compute."""
    figures = _figures(e)
    warnings = []
    for path, text in narrative_texts(e):
        for kind, pattern in PATTERNS.items():
            if kind not in figures:
                continue
            printed, exact = figures[kind]
            for m in pattern.finditer(text):
                quoted = _value(m, kind)
                if quoted != printed and abs(quoted - exact) > TOLERANCE:
                    warnings.append(
                        f"{path}: 文中“{m.group(0).strip()}”与按填报数据计算的{NAMES[kind]} {_show(printed, kind)} "
                        f"不一致（相差超过 {TOLERANCE} 个百分点），申报书按计算结果填写，请核对文字"
                    )
    return warnings


def _figures(e: Enterprise) -> dict[str, tuple[Decimal, Decimal]]:
    """kind → (the percentage as printed, the exact one)."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    fig = intensity_figures(e)
    if fig is not None and fig.growth is not None and fig.exact_growth is not None:
        out["intensity"] = (fig.growth, fig.exact_growth)
    for kind, rate in (("safe", safe_rate(e)), ("manifests", manifest_rate(e))):
        if rate is not None:
            out[kind] = (rate, rate)
    return out


def _value(m: re.Match[str], kind: str) -> Decimal:
    """The quoted number as a signed percentage (下降7.9% → −7.9)."""
    text = m.group(m.lastindex or 0)
    sign = -1 if text[0] in "-−－" else 1
    value = Decimal(text.lstrip("+＋-−－"))
    if kind == "intensity" and m.group("dir") and re.fullmatch(DOWN, m.group("dir")):
        sign = -1
    return sign * value


def _show(value: Decimal, kind: str) -> str:
    if kind == "intensity":
        return ("−" if value < 0 else "") + f"{abs(value):.1f}%"
    return "100%" if value == 100 else f"{value:.1f}%"
