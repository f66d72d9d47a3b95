"""Derived and checked rules, referred to by name from the rubric file.

A derived rule computes an item's score from the data (overriding any claim); a checked rule keeps
the claim but returns warnings when the data contradicts it. Both are pure functions of the input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wufei_docs.model import Enterprise, valid_hazardous_code
from wufei_docs.scoring.figures import Intensity, intensity_figures, safe_rate
from wufei_docs.scoring.rubric import Item

TONNE_TOLERANCE = 0.001


@dataclass(frozen=True)
class Derived:
    """Outcome of a derived rule: a score, or not applicable (score None) with a reason."""

    score: float | None
    note: str
    warnings: list[str] = field(default_factory=list)


def intensity_growth(e: Enterprise, item: Item) -> Derived:
    """A1.6: 产生强度 (t per 万元) of the latest year vs the year before; growth ≤ 0 scores."""
    years = sorted(e.waste.years)
    if len(years) < 2:
        have = f"只有 {years[0]} 年" if years else "没有年度数据"
        msg = f"{item.id} 需要最近两个完整年度的产值和产生量数据（waste.years），{have}，按 0 分计"
        return Derived(0.0, msg, [msg])
    fig = intensity_figures(e)  # the numbers the documents print, so `wufei score` says the same
    assert fig is not None
    previous, latest = fig.previous, fig.latest
    note = (
        f"产生强度 {previous} 年 {fig.before:f} 吨/万元，{latest} 年 {fig.now:f} 吨/万元，增长率 {format_growth(fig)}"
    )
    warnings = []
    if latest - previous != 1:
        warnings.append(f"{item.id}: 年度数据 {previous} 与 {latest} 年不连续")
    return Derived(item.max if fig.met else 0.0, note, warnings)


def format_growth(fig: Intensity) -> str:
    if fig.growth is None:
        return "—（上年为 0）"
    if fig.growth == 0:
        return "0.0%"
    return ("−" if fig.growth < 0 else "＋") + f"{abs(fig.growth):.1f}%"  # the documents' signs (render/numfmt)


def electronic_manifests(e: Enterprise, item: Item) -> Derived:
    """A3.1: all transfer manifests electronic; no manifests at all makes the item not applicable."""
    m = e.waste.manifests
    if m.total == 0:
        return Derived(None, "本年度无转移联单")
    note = f"转移联单 {m.total} 份，其中电子联单 {m.electronic} 份"
    return Derived(item.max if m.electronic == m.total else 0.0, note)


def safe_treatment_rate(e: Enterprise, item: Item) -> Derived:
    """A4.2: Σ(利用+处置+贮存) ≥ Σ产生 over the ledger, within 0.001 t."""
    streams = e.waste.streams
    if not streams:
        msg = f"{item.id}: 固体废物台账（waste.streams）为空，无法计算安全处理率，按 0 分计"
        return Derived(0.0, "固体废物台账为空", [msg])
    generated = sum(s.generated_t for s in streams)
    handled = sum(s.utilized_t + s.disposed_t + s.stored_t for s in streams)
    rate = safe_rate(e)
    shown = "—" if rate is None else ("100%" if rate == 100 else f"{rate:.1f}%")
    note = f"产生 {generated:g} 吨，利用处置及合规贮存 {handled:g} 吨，安全处理率 {shown}"
    return Derived(item.max if handled >= generated - TONNE_TOLERANCE else 0.0, note)


def hazardous_codes(e: Enterprise, item: Item) -> list[str]:
    """A2.5: every hazardous stream needs a valid 危险废物代码 to have a 小类别 ledger."""
    return [
        f"{item.id}: 危险废物 “{s.name}”（waste.streams[{i}]）缺少有效的危险废物代码"
        for i, s in enumerate(e.waste.streams)
        if s.kind == "hazardous" and not (s.code and valid_hazardous_code(s.code))
    ]


def general_ledger(e: Enterprise, item: Item) -> list[str]:
    """A2.6: the general-waste ledger must name 产生节点, 去向 and 利用处置方式."""
    labels = {"node": "产生节点", "destination": "去向", "method": "利用处置方式"}
    out = []
    for i, s in enumerate(e.waste.streams):
        if s.kind != "general":
            continue
        missing = [label for name, label in labels.items() if not getattr(s, name)]
        if missing:
            out.append(f"{item.id}: 一般固废 “{s.name}”（waste.streams[{i}]）未写明{'、'.join(missing)}")
    return out


DERIVED: dict[str, Callable[[Enterprise, Item], Derived]] = {
    "intensity_growth": intensity_growth,
    "electronic_manifests": electronic_manifests,
    "safe_treatment_rate": safe_treatment_rate,
}
CHECKS: dict[str, Callable[[Enterprise, Item], list[str]]] = {
    "hazardous_codes": hazardous_codes,
    "general_ledger": general_ledger,
}
