"""Rules that need the rubric or several sections (FORMAT.md §1 and §5), on whatever parts are valid.

The sections come from a valid model or from the walker's partial values (loading.walk): a field that
failed is BAD and every rule that reads it is skipped, while the rules reading other fields still run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wufei_docs._raw import Loc
from wufei_docs.model import BAD, Enterprise
from wufei_docs.scoring.rubric import Rubric

Found = Iterator[tuple[Loc, str]]


def get(node: Any, name: str) -> Any:
    """`node.name`, or BAD when the node or the field failed validation (None stays None)."""
    if node is BAD or node is None:
        return BAD
    return getattr(node, name, BAD)


def entries(mapping: Any) -> list[tuple[Any, Any]]:
    return list(mapping.items()) if isinstance(mapping, dict) else []


def rubric_problems(sections: Any, rubric: Rubric, data: Any = None) -> Found:
    """Cross-section rules of FORMAT.md §1; each runs when the fields it reads are valid."""
    unit, items = get(sections, "unit"), get(sections, "items")
    compliance, evidence = get(sections, "compliance"), get(sections, "evidence")
    county = get(unit, "county")
    if county is not BAD and county not in rubric.counties:
        yield ("unit", "county"), county_message(county, rubric)
    yield from _item_problems(items, rubric)
    yield from _hard_problems(compliance, get(unit, "roles"), rubric)
    yield from _evidence_problems(items, evidence, data)


def county_message(county: str, rubric: Rubric) -> str:
    return f"“{county}” 不是{rubric.city}的县（市、区），可选：{'、'.join(rubric.counties)}"


def _item_problems(items: Any, rubric: Rubric) -> Found:
    for item_id, claim in entries(items):
        if rubric.hard_item(item_id):
            yield ("items", item_id), f"{item_id} 是硬性指标，请在 compliance 中填写是否满足"
            continue
        if item_id not in rubric.items_by_id:
            yield ("items", item_id), unknown_item(item_id, rubric)
            continue
        item = rubric.item(item_id)
        score, na = get(claim, "score"), get(claim, "na")
        if score not in (BAD, None) and score > item.max:
            yield ("items", item_id, "score"), f"{score:g} 超过该项满分 {item.max:g}"
        if na not in (BAD, None) and item.bonus:
            yield ("items", item_id, "na"), f"{item_id} 是附加分项，不能填写不适用；未得分请填 0"


def unknown_item(item_id: str, rubric: Rubric) -> str:
    """Say which item was probably meant (`a4.1`, `A4.l`, `A4。1` for A4.1)."""
    guess = next((i.id for i in rubric.items if _fold(i.id) == _fold(str(item_id))), None)
    hint = f"，是否应为 {guess}？" if guess else "（编号如 A1.1，区分大小写）"
    return f"评价指标 {rubric.id} 中没有 {item_id} 这一项{hint}"


def _fold(item_id: str) -> str:
    return item_id.upper().replace("L", "1").replace("I", "1").replace("O", "0").replace("。", ".").strip()


def _hard_problems(compliance: Any, roles: Any, rubric: Rubric) -> Found:
    for hard_id, _ in entries(compliance):
        if rubric.hard_item(hard_id) is None:
            yield ("compliance", hard_id), unknown_hard(hard_id, rubric)
    if compliance is BAD or roles is BAD:
        return
    for hard in rubric.hard_items:
        answer = compliance.get(hard.id)
        met = get(answer, "met") if answer is not None else None
        if hard.applies(roles) and met is None:
            who = "所有单位" if hard.applies_to == "all" else rubric.roles.get(hard.applies_to, hard.applies_to)
            loc = ("compliance", hard.id) if answer is None else ("compliance", hard.id, "met")
            yield loc, f"适用于{who}的硬性指标 {hard.id} 未填写（{hard.title}），请填写 met: true 或 false"


def unknown_hard(hard_id: str, rubric: Rubric) -> str:
    return f"没有硬性指标 {hard_id}（可选：{'、'.join(h.id for h in rubric.hard_items)}）"


def _evidence_problems(items: Any, evidence: Any, data: Any) -> Found:
    if evidence is BAD:
        return
    listed: set[str] = set()
    for index, ev in enumerate(evidence):
        ev_id = get(ev, "id")
        if ev_id is BAD:
            continue
        if ev_id in listed:
            yield ("evidence", index, "id"), f"支撑材料编号 {ev_id} 重复"
        listed.add(ev_id)
    listed |= _raw_ids(data)  # an id that failed its own check is reported there, not again as undefined
    for item_id, claim in entries(items):
        refs = get(claim, "evidence")
        for index, ref in enumerate(refs if isinstance(refs, list) else []):
            if ref not in listed:
                yield ("items", item_id, "evidence", index), f"引用的支撑材料 {ref} 未在 evidence 中列出"


def _raw_ids(data: Any) -> set[str]:
    evidence = data.get("evidence") if isinstance(data, dict) else None
    if not isinstance(evidence, list):
        return set()
    return {e["id"].strip() for e in evidence if isinstance(e, dict) and isinstance(e.get("id"), str)}


def enterprise_warnings(enterprise: Enterprise, rubric: Rubric) -> list[str]:
    """Things worth saying that do not make the file invalid."""
    warnings: list[str] = []
    date = enterprise.application.date
    if not rubric.window_start <= date <= rubric.window_end:
        warnings.append(
            f"application.date: 申报日期 {date} 不在申报期内（{rubric.window_start} 至 {rubric.window_end}）"
        )
    if enterprise.application.type != rubric.application_type:
        warnings.append(
            f"application.type: 申报类型为 “{enterprise.application.type}”，本指标适用于 “{rubric.application_type}”"
        )
    for hard_id, answer in enterprise.compliance.items():
        hard = rubric.hard_item(hard_id)
        if hard is not None and not hard.applies(enterprise.unit.roles) and answer.met is not None:
            warnings.append(f"compliance.{hard_id}: 该硬性指标不适用于本单位类型，填写内容不计入判定")
    return warnings


# --- the county evaluation (FORMAT.md §5) ---------------------------------------------------


def _is_uscc(value: str) -> bool:
    from wufei_docs._uscc import UsccError, validate

    try:
        validate(value)
    except UsccError:
        return False
    return True


def evaluation_problems(evaluation: Any, rubric: Rubric) -> Found:
    """Its county, and for each enterprise its item ids, hard-item ids and 核定分 within 0…max."""
    county = get(evaluation, "county")
    if county is not BAD and county not in rubric.counties:
        yield ("county",), county_message(county, rubric)
    for uscc, entry in entries(get(evaluation, "enterprises")):
        if not _is_uscc(str(uscc)):
            yield ("enterprises", uscc), f"“{uscc}” 不是有效的统一社会信用代码（18 位，含校验位），请与申报文件核对"
        for item_id, value in entries(get(entry, "scores")):
            where = ("enterprises", uscc, "scores", item_id)
            if rubric.hard_item(item_id):
                yield where, f"{item_id} 是硬性指标，请在 compliance 中填写 true 或 false，不能核定分数"
            elif item_id not in rubric.items_by_id:
                yield where, unknown_item(item_id, rubric)
            elif value is not BAD and value > rubric.item(item_id).max:
                yield where, f"核定分 {value:g} 超过该项满分 {rubric.item(item_id).max:g}（应在 0 至满分之间）"
        for hard_id, _ in entries(get(entry, "compliance")):
            if rubric.hard_item(hard_id) is None:
                yield ("enterprises", uscc, "compliance", hard_id), unknown_hard(hard_id, rubric)
