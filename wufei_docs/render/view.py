"""ScoreResult + Enterprise + Rubric → the plain view model (dicts of strings) every template reads.

All arithmetic, number formatting, growth rates, 不适用 marks and row sums such as `1＋3＋3＝7`
happen here, so templates hold layout only. Every template gets the same context; its top-level
names are listed in `CONTEXT_NAMES` (README “模板变量” documents their fields).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wufei_docs.model import Enterprise
from wufei_docs.render.derived import derived_note, intensity_view
from wufei_docs.render.numfmt import EQUALS, PLUS, cn_date, dec, num, total
from wufei_docs.render.view_report import evidence_view, ledger_view, work_view
from wufei_docs.scoring.rubric import Category, Rubric
from wufei_docs.scoring.score import ItemScore, ScoreResult, VetoScore

CONTEXT_NAMES = (
    "doc", "unit", "application", "score", "self_score", "hard", "rows", "notes", "categories",
    "ledger", "intensity", "work", "evidence",
)  # fmt: skip
CN_NUMBERS = "一二三四五六七八九十"
NA = "不适用"


def view_model(
    enterprise: Enterprise, result: ScoreResult, rubric: Rubric, *, self_result: ScoreResult | None = None
) -> dict[str, Any]:
    """The template context. `result` is what the documents certify (核定分 in a county bundle);
    `self_result`, when given, is the enterprise's own score shown next to it."""
    own = self_result or result
    return {
        "doc": {
            "rubric_title": rubric.title,
            "issuer": rubric.issuer,
            "note": rubric.note,
            "evaluated": self_result is not None,
        },
        "unit": unit_view(enterprise, rubric),
        "application": {
            "type": enterprise.application.type,
            "date": cn_date(enterprise.application.date),
            "summary": enterprise.application.summary,
            "summary_paragraphs": paragraphs(enterprise.application.summary),
        },
        "score": score_view(result, rubric),
        "self_score": score_view(own, rubric),
        "hard": [
            _hard(h.id, h.text, v, s) for h, v, s in zip(rubric.hard_items, result.vetoes, own.vetoes, strict=True)
        ],
        "rows": table_rows(rubric, result, own),
        "notes": table_notes(rubric, result, enterprise),
        "categories": [_category(c, result, own) for c in rubric.categories],
        "ledger": ledger_view(enterprise),
        "intensity": intensity_view(enterprise, rubric, own),
        "work": work_view(enterprise, rubric, own, CN_NUMBERS),
        "evidence": evidence_view(enterprise),
    }


def paragraphs(text: str | None) -> list[str]:
    """One paragraph per non-empty line of a multi-line text."""
    return [line.strip() for line in (text or "").split("\n") if line.strip()]


def unit_view(e: Enterprise, rubric: Rubric) -> dict[str, Any]:
    u = e.unit
    return {
        "name": u.name,
        "uscc": u.uscc,
        "address": u.address,
        "county": u.county,
        "area": num(u.area_m2, 2),
        "staff": str(u.staff),
        "head_name": u.head.name,
        "head_phone": u.head.phone,
        "contact_name": u.contact.name,
        "contact_mobile": u.contact.mobile,
        "contact_email": u.contact.email,
        "roles": "、".join(rubric.roles.get(r, r) for r in u.roles),
        "soil_key_unit": "是" if u.soil_key_unit else "否",
        "legal_rep": u.legal_rep or "",
        "industry": f"{u.industry.code} {u.industry.name}" if u.industry else "",
        "ownership": u.ownership or "",
        "founded": cn_date(u.founded),
        "postcode": u.postcode or "",
        "products": u.products or "",
        "profile": u.profile or "",
        "profile_paragraphs": paragraphs(u.profile),
    }


def score_view(r: ScoreResult, rubric: Rubric) -> dict[str, Any]:
    """Totals, verdict and the sentences that explain them."""
    vetoed = [v.id for v in r.vetoed]
    veto = f"硬性指标 {'、'.join(vetoed)} 不满足，一票否决" if vetoed else ""
    threshold = num(r.threshold)
    if vetoed:
        conclusion = f"{veto}。"
    elif r.verdict == "达标":
        conclusion = f"达到{threshold}分的达标基准，结论为“达标”。"
    else:
        conclusion = f"低于{threshold}分的达标基准，结论为“未达标”。"
    summary = f"{num(r.total)}分（基本分{num(r.base)}＋附加分{num(r.bonus)}），{r.verdict}"
    return {
        "kind": "核定" if r.evaluated else "自评",
        "total": num(r.total),
        "base": num(r.base),
        "bonus": num(r.bonus),
        "threshold": threshold,
        "base_max": num(rubric.base_max),
        "bonus_max": num(rubric.bonus_max),
        "max": num(dec(rubric.base_max) + dec(rubric.bonus_max)),
        "verdict": r.verdict,
        "vetoed": bool(vetoed),
        "veto": veto,
        "summary": summary + (f"（{veto}）" if veto else ""),
        "verdict_text": r.verdict + (f"（{veto}）" if veto else ""),
        "conclusion": conclusion,
        "base_note": base_note(r, rubric),
        "hard_line": "；".join(f"{v.id} {hard_answer(v)}" for v in r.vetoes),
    }


def base_note(r: ScoreResult, rubric: Rubric) -> str:
    """How 合理缺项 changed the base score ('' when every base item applies)."""
    na = [i for i in r.items if not i.applicable and not rubric.item(i.id).bonus]
    if not na:
        return ""
    which = "、".join(f"{i.id}（{i.na_reason or NA}）" for i in na)
    if rubric.na_policy != "prorate":
        return f"合理缺项 {which}不适用，按满分计。"
    points = total(i.score for i in r.items if i.applicable and not rubric.item(i.id).bonus)
    return (
        f"合理缺项 {which}不适用，基本分按适用项折算：{num(points)} ÷ {num(r.base_applicable_max)} × "
        f"{num(rubric.base_max)} {EQUALS} {num(r.base)}。"
    )


def hard_answer(v: VetoScore) -> str:
    if not v.applies:
        return NA
    if v.met is None:
        return "未填写"
    return "满足" if v.met else "不满足（一票否决）"


def _hard(hard_id: str, text: str, v: VetoScore, own: VetoScore) -> dict[str, Any]:
    return {"id": hard_id, "text": text, "answer": hard_answer(v), "self_answer": hard_answer(own), "note": v.note}


def item_mark(i: ItemScore) -> str:
    """An item's score as shown: '3', '1.5', or '不适用' (with the counted points under full_marks)."""
    if i.applicable:
        return num(i.score)
    return NA if i.score == 0 else f"{NA}（计{num(i.score)}）"


def row_score(items: Iterable[ItemScore]) -> str:
    """'3' for one item, '1＋3＋3＝7' for several (不适用 shown in place)."""
    items = list(items)
    if len(items) == 1:
        return item_mark(items[0])
    return PLUS.join(item_mark(i) for i in items) + EQUALS + num(total(i.score for i in items))


def table_rows(rubric: Rubric, result: ScoreResult, own: ScoreResult) -> list[dict[str, Any]]:
    """The rows of the official 附件1 table with their vertical merges ('restart'/'continue'/'')."""
    rows: list[dict[str, Any]] = []
    hard_n = len(rubric.hard_items)
    for k, (h, v, s) in enumerate(zip(rubric.hard_items, result.vetoes, own.vetoes, strict=True)):
        vm = _merge(k, hard_n)
        first = k == 0
        rows.append(
            _row(
                rubric.hard_label if first else "", vm, rubric.hard_sublabel if first else "", vm,
                h.text, rubric.hard_method if first else "", vm, hard_answer(v), hard_answer(s), (h.id,),
            )
        )  # fmt: skip
    for cat in rubric.categories:
        cat_rows = [(sub, j, row) for sub in cat.subcategories for j, row in enumerate(sub.rows)]
        for k, (sub, j, row) in enumerate(cat_rows):
            ids = tuple(i.id for i in row.items)
            rows.append(
                _row(
                    category_label(cat) if k == 0 else "", _merge(k, len(cat_rows)),
                    f"{sub.id}（{num(sub.max)}分）{sub.name}" if j == 0 else "", _merge(j, len(sub.rows)),
                    row.text, row.method, "",
                    row_score(result.item(i) for i in ids), row_score(own.item(i) for i in ids), ids,
                )
            )  # fmt: skip
    return rows


def category_label(cat: Category) -> str:
    return f"{cat.id} {cat.name} {num(cat.max)}分"


def _merge(index: int, count: int) -> str:
    if count == 1:
        return ""
    return "restart" if index == 0 else "continue"


def _row(
    cat: str, cat_vm: str, sub: str, sub_vm: str, text: str, method: str, method_vm: str,
    score: str, self_score: str, ids: tuple[str, ...],
) -> dict[str, Any]:  # fmt: skip
    return {
        "cat": cat, "cat_vm": cat_vm, "sub": sub, "sub_vm": sub_vm, "text": text, "method": method,
        "method_vm": method_vm, "score": score, "self_score": self_score, "ids": " ".join(ids),
    }  # fmt: skip


def table_notes(rubric: Rubric, result: ScoreResult, enterprise: Enterprise) -> list[str]:
    """Lines under the 说明: how derived items were computed, which items do not apply and why."""
    derived = [(it, result.item(it.id)) for it in rubric.items if it.rule and result.item(it.id).applicable]
    notes = [f"{it.id} 由填报数据计算：{note}。" for it, s in derived if (note := derived_note(enterprise, it, s))]
    note = base_note(result, rubric)
    return [*notes, note] if note else notes


def _category(cat: Category, result: ScoreResult, own: ScoreResult) -> dict[str, Any]:
    r = next(c for c in result.categories if c.id == cat.id)
    o = next(c for c in own.categories if c.id == cat.id)
    return {
        "id": cat.id,
        "name": cat.name,
        "label": f"{cat.id} {cat.name}",
        "max": num(cat.max),
        "score": num(r.score),
        "self_score": num(o.score),
        "bonus": cat.bonus,
    }
