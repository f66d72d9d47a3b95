"""Scoring: one pure function from (enterprise, rubric, evaluation) to the one ScoreResult that the
table, the JSON, every document and the county bundle read. Rules are those of FORMAT.md §3."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from wufei_docs.model import Enterprise, EnterpriseEvaluation
from wufei_docs.scoring.rubric import Item, Rubric, load_rubric
from wufei_docs.scoring.rules import CHECKS, DERIVED

PASS, FAIL, VETO = "达标", "未达标", "否决"
SOURCES = ("claimed", "derived", "na", "missing", "evaluated")


@dataclass(frozen=True)
class ItemScore:
    id: str
    max: float
    score: float
    source: str  # claimed | derived | na | missing | evaluated
    note: str
    claimed: float | None  # the enterprise's own score, whatever the source
    na_reason: str | None = None
    evidence: tuple[str, ...] = ()

    @property
    def applicable(self) -> bool:
        return self.source != "na"


@dataclass(frozen=True)
class VetoScore:
    id: str
    applies: bool
    met: bool | None
    note: str = ""
    claimed: bool | None = None  # the enterprise's answer, before any county override


@dataclass(frozen=True)
class CategoryScore:
    id: str
    name: str
    max: float
    score: float
    bonus: bool
    subcategories: tuple[tuple[str, float, float], ...] = ()  # (id, max, score)


@dataclass(frozen=True)
class ScoreResult:
    unit: str
    uscc: str
    rubric: str
    total: float
    base: float
    bonus: float
    threshold: float
    verdict: str
    vetoes: tuple[VetoScore, ...]
    categories: tuple[CategoryScore, ...]
    items: tuple[ItemScore, ...]
    warnings: tuple[str, ...]
    base_raw: float  # Σ base scores before prorating
    base_applicable_max: float  # Σ maxima of applicable base items
    evaluated: bool = False
    _by_id: dict[str, ItemScore] = field(default_factory=dict, repr=False, compare=False)

    def item(self, item_id: str) -> ItemScore:
        if not self._by_id:
            self._by_id.update({i.id: i for i in self.items})
        return self._by_id[item_id]

    @property
    def vetoed(self) -> tuple[VetoScore, ...]:
        return tuple(v for v in self.vetoes if v.applies and v.met is False)

    def to_json(self) -> dict[str, Any]:
        """Exactly the shape of FORMAT.md §3."""
        return {
            "unit": self.unit,
            "uscc": self.uscc,
            "rubric": self.rubric,
            "total": _n(self.total),
            "base": _n(self.base),
            "bonus": _n(self.bonus),
            "threshold": _n(self.threshold),
            "verdict": self.verdict,
            "vetoes": [{"id": v.id, "applies": v.applies, "met": v.met} for v in self.vetoes],
            "categories": [
                {"id": c.id, "name": c.name, "max": _n(c.max), "score": _n(c.score)} for c in self.categories
            ],
            "items": [
                {"id": i.id, "max": _n(i.max), "score": _n(i.score), "source": i.source, "note": i.note}
                for i in self.items
            ],
            "warnings": list(self.warnings),
        }


def _n(value: float) -> int | float:
    """JSON numbers: 3 rather than 3.0, 92.5 as is."""
    return int(value) if float(value).is_integer() else float(value)


def score(
    enterprise: Enterprise, rubric: Rubric | None = None, evaluation: EnterpriseEvaluation | None = None
) -> ScoreResult:
    """Score an enterprise; with a county evaluation, 核定分 and hard-item overrides replace claims."""
    rubric = rubric or load_rubric(enterprise.rubric)
    warnings: list[str] = []
    items = tuple(_score_item(enterprise, rubric, item, evaluation, warnings) for item in rubric.items)
    vetoes = _vetoes(enterprise, rubric, evaluation)
    base_items = [i for i, it in zip(items, rubric.items, strict=True) if not it.bonus]
    bonus_items = [i for i, it in zip(items, rubric.items, strict=True) if it.bonus]
    base_raw = sum(i.score for i in base_items)
    applicable_max = sum(i.max for i in base_items if i.applicable)
    if rubric.na_policy == "prorate":
        base = _prorate(sum(i.score for i in base_items if i.applicable), applicable_max, rubric.base_max)
    else:
        base = float(base_raw)
    bonus = min(float(sum(i.score for i in bonus_items)), rubric.bonus_max)
    total = float(Decimal(str(base)) + Decimal(str(bonus)))
    counted = total if rubric.bonus_counts_toward_pass else base
    vetoed = any(v.applies and v.met is False for v in vetoes)
    verdict = VETO if vetoed else PASS if counted >= rubric.pass_threshold else FAIL
    if evaluation is not None:
        _unknown_evaluation_ids(evaluation, rubric, warnings)
    warnings += _missing_summary(items)
    return ScoreResult(
        unit=enterprise.unit.name,
        uscc=enterprise.unit.uscc,
        rubric=rubric.id,
        total=total,
        base=base,
        bonus=bonus,
        threshold=rubric.pass_threshold,
        verdict=verdict,
        vetoes=vetoes,
        categories=_categories(rubric, items),
        items=items,
        warnings=tuple(warnings),
        base_raw=float(base_raw),
        base_applicable_max=float(applicable_max),
        evaluated=evaluation is not None,
    )


def _prorate(points: float, applicable_max: float, base_max: float) -> float:
    if applicable_max <= 0:
        return 0.0
    value = Decimal(str(points)) / Decimal(str(applicable_max)) * Decimal(str(base_max))
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _score_item(
    e: Enterprise,
    rubric: Rubric,
    item: Item,
    evaluation: EnterpriseEvaluation | None,
    warnings: list[str],
) -> ItemScore:
    claim = e.items.get(item.id)
    claimed = claim.score if claim else None
    note = (claim.note or "") if claim else ""
    evidence = tuple(claim.evidence) if claim else ()
    base = ItemScore(item.id, item.max, 0.0, "missing", note, claimed, evidence=evidence)

    if evaluation is not None and item.id in evaluation.scores:
        value = evaluation.scores[item.id]
        if value > item.max:
            warnings.append(f"{item.id}: 核定分 {value:g} 超过该项满分 {item.max:g}，按满分计")
            value = item.max
        return replace(base, score=value, source="evaluated")

    na_reason = _not_applicable(e, item, claim)
    if item.rule:
        derived = DERIVED[item.rule](e, item)
        warnings.extend(derived.warnings)
        if claim is not None and claim.na is not None:
            warnings.append(f"{item.id}: 该项由填报数据计算，不适用理由（{claim.na}）不予采纳")
        if derived.score is None:
            return _na(item, derived.note, base, rubric)
        if claimed is not None and claimed != derived.score:
            warnings.append(
                f"{item.id}: 自评 {claimed:g} 分，按填报数据计算应为 {derived.score:g} 分（{derived.note}），以计算结果为准"
            )
        return replace(base, score=derived.score, source="derived", note=derived.note)
    if na_reason is not None:
        if item.applies_if and claimed is not None:
            warnings.append(f"{item.id}: {na_reason}，该项不适用，自评分 {claimed:g} 不计")
        return _na(item, na_reason, base, rubric)
    if item.check:
        warnings.extend(CHECKS[item.check](e, item))
    if claimed is None:  # summarised in one line by _missing_summary
        return base
    return replace(base, score=claimed, source="claimed")


def _missing_summary(items: tuple[ItemScore, ...]) -> list[str]:
    """One line for every item left without a self score (37 lines would drown the other notices)."""
    missing = [i.id for i in items if i.source == "missing"]
    return [f"{len(missing)} 项未自评（按 0 分计）：{'、'.join(missing)}"] if missing else []


def _not_applicable(e: Enterprise, item: Item, claim: Any) -> str | None:
    if item.applies_if and not getattr(e.unit, item.applies_if):
        return item.na_reason or "不适用"
    if claim is not None and claim.na is not None:
        return str(claim.na)
    return None


def _na(item: Item, reason: str, base: ItemScore, rubric: Rubric) -> ItemScore:
    value = item.max if rubric.na_policy == "full_marks" else 0.0
    return replace(base, score=value, source="na", note=reason, na_reason=reason)


def _vetoes(e: Enterprise, rubric: Rubric, evaluation: EnterpriseEvaluation | None) -> tuple[VetoScore, ...]:
    out = []
    for hard in rubric.hard_items:
        answer = e.compliance.get(hard.id)
        claimed = answer.met if answer else None
        met = claimed
        if evaluation is not None and hard.id in evaluation.compliance:
            met = evaluation.compliance[hard.id]
        note = (answer.note or "") if answer else ""
        out.append(VetoScore(hard.id, hard.applies(e.unit.roles), met, note, claimed))
    return tuple(out)


def _categories(rubric: Rubric, items: tuple[ItemScore, ...]) -> tuple[CategoryScore, ...]:
    by_id = {i.id: i for i in items}
    out = []
    for cat in rubric.categories:
        subs = tuple((sub.id, sub.max, float(sum(by_id[i.id].score for i in sub.items))) for sub in cat.subcategories)
        out.append(CategoryScore(cat.id, cat.name, cat.max, float(sum(s[2] for s in subs)), cat.bonus, subs))
    return tuple(out)


def _unknown_evaluation_ids(evaluation: EnterpriseEvaluation, rubric: Rubric, warnings: list[str]) -> None:
    for item_id in evaluation.scores:
        if item_id not in rubric.items_by_id:
            warnings.append(f"核定分中的 {item_id} 不是评价指标中的项目，已忽略")
    for hard_id in evaluation.compliance:
        if rubric.hard_item(hard_id) is None:
            warnings.append(f"核定的硬性指标 {hard_id} 不存在，已忽略")
