"""The computed figures as the documents write them: 产生强度 and its growth rate, 安全处理率, 电子化率, and
the notes of the items computed from them (A1.6, A3.1, A4.2).

Every figure comes from `scoring/figures.py` and is written through `numfmt`, so the table, the sentence
under it, the 附件1 notes and the work section print the same numbers, consistent with the rounded values
they are computed from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wufei_docs.model import Enterprise
from wufei_docs.render.numfmt import fixed, num, pct, signed_pct, total
from wufei_docs.scoring.figures import intensity_figures, manifest_rate, safe_rate
from wufei_docs.scoring.rubric import Item, Rubric
from wufei_docs.scoring.score import ItemScore, ScoreResult

NO_VALUE = "—"


def safe_rate_text(e: Enterprise) -> str:
    rate = safe_rate(e)
    return NO_VALUE if rate is None else pct(rate)


def manifest_rate_text(e: Enterprise) -> str:
    rate = manifest_rate(e)
    return NO_VALUE if rate is None else pct(rate)


def intensity_view(e: Enterprise, rubric: Rubric, own: ScoreResult) -> dict[str, Any]:
    """The two latest years of 产生强度 (t per 万元) and the growth rate that decides A1.6."""
    fig = intensity_figures(e)
    years = sorted(e.waste.years)[-2:]
    places = fig.places if fig else 4
    rows = []
    for y in years:
        d = e.waste.years[y]
        exact = (Decimal(str(d.general_t)) + Decimal(str(d.hazardous_t))) / Decimal(str(d.output_value))
        rows.append(
            {
                "year": str(y),
                "output_value": num(d.output_value, 2),
                "general": num(d.general_t),
                "hazardous": num(d.hazardous_t),
                "total": num(total([d.general_t, d.hazardous_t])),
                "intensity": fixed(exact, places),
            }
        )
    item = _item_with_rule(rubric, "intensity_growth")
    item_score = own.item(item.id) if item else None
    view: dict[str, Any] = {"rows": rows, "growth": NO_VALUE, "sentence": item_score.note if item_score else ""}
    if fig is None:
        return view
    if fig.growth is not None:
        view["growth"] = signed_pct(fig.growth)
        change = "持平" if fig.growth == 0 else f"{'下降' if fig.growth < 0 else '上升'}{pct(abs(fig.growth))}"
    else:
        change = "持平" if fig.now == 0 else "上升（上年为 0）"
    met = "实现零增长或负增长" if fig.met else "未实现零增长或负增长"
    points = f"（{item.id} 得{num(item_score.score)}分）" if item and item_score else ""
    view["sentence"] = (
        f"{fig.latest}年工业固体废物产生强度为{fixed(fig.now, places)}吨/万元，较{fig.previous}年"
        f"（{fixed(fig.before, places)}吨/万元）{change}，{met}{points}。"
    )
    return view


def derived_note(e: Enterprise, item: Item, s: ItemScore) -> str:
    """How a computed item's score follows from the data, in the documents' number formats (the scoring
    note when the rule has nothing to compute: too few years, an empty ledger, no manifests)."""
    if item.rule == "intensity_growth":
        fig = intensity_figures(e)
        if fig is not None and fig.growth is not None:
            return (
                f"产生强度 {fig.previous} 年 {fixed(fig.before, fig.places)} 吨/万元，{fig.latest} 年 "
                f"{fixed(fig.now, fig.places)} 吨/万元，增长率 {signed_pct(fig.growth)}"
            )
    if item.rule == "safe_treatment_rate" and safe_rate(e) is not None:
        streams = e.waste.streams
        handled = total(v for st in streams for v in (st.utilized_t, st.disposed_t, st.stored_t))
        return (
            f"产生 {num(total(st.generated_t for st in streams))} 吨，利用处置及合规贮存 {num(handled)} 吨，"
            f"安全处理率 {safe_rate_text(e)}"
        )
    if item.rule == "electronic_manifests" and manifest_rate(e) is not None:
        m = e.waste.manifests
        return f"转移联单 {m.total} 份，其中电子联单 {m.electronic} 份，电子化率 {manifest_rate_text(e)}"
    return s.note


def _item_with_rule(rubric: Rubric, rule: str) -> Item | None:
    return next((i for i in rubric.items if i.rule == rule), None)
