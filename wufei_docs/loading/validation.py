"""Validation of a whole enterprise file: every problem at once, each naming its field and place.

Sections are validated one by one so that a broken `unit` does not hide a wrong score in `items`;
rules that need the rubric or several sections run on whatever sections are valid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from wufei_docs.errors import InputError, Problem
from wufei_docs.loading.evidence import EvidenceCheck, check_evidence
from wufei_docs.model import ENTERPRISE_FORMAT, Enterprise, Evaluation, Strict
from wufei_docs.raw import Loc, RawDocument, format_path
from wufei_docs.scoring.rubric import Rubric, load_rubric

M = TypeVar("M", bound=BaseModel)


@dataclass
class Checked:
    """A validated enterprise with the non-fatal notices found on the way."""

    enterprise: Enterprise
    rubric: Rubric
    warnings: list[str] = field(default_factory=list)
    evidence: EvidenceCheck = field(default_factory=EvidenceCheck)  # the 支撑材料 files found (loading/evidence.py)


def validate_enterprise(raw: RawDocument) -> Checked:
    """Validate plain data as an enterprise file, or raise InputError listing all problems."""
    data = raw.data
    if not isinstance(data, dict):
        raise InputError(raw.source, "文件内容应为键值对（YAML 映射），请参照 wufei init 生成的模板")
    problems: list[Problem] = []
    fmt = data.get("format")
    if fmt is None:
        problems.append(_at(raw, ("format",), f"缺少必填项（应为 {ENTERPRISE_FORMAT}）"))
    rubric = _rubric_for(raw, data, problems)
    enterprise = _valid_or_none(Enterprise, data)  # most files are valid: one pass, no per-section validators
    if enterprise is not None:
        sections = {name: getattr(enterprise, name) for name in Enterprise.model_fields}
    else:
        sections = _validate_sections(raw, Enterprise, data, problems)
    if rubric is not None:
        problems += [_at(raw, loc, msg) for loc, msg in rubric_problems(sections, rubric)]
    evidence = check_evidence(sections.get("evidence"), raw.source)
    problems += [_at(raw, loc, msg) for loc, msg in evidence.problems]
    problems = _with_loader_problems(raw.problems, problems)
    if problems:
        raise InputError(raw.source, _unique_sorted(problems))
    enterprise = enterprise or Enterprise.model_validate(data)
    assert rubric is not None
    return Checked(
        enterprise, rubric, [*raw.notices, *enterprise_warnings(enterprise, rubric), *evidence.warnings], evidence
    )


def validate_evaluation(raw: RawDocument) -> Evaluation:
    """Validate a county evaluation file (FORMAT.md §5)."""
    if not isinstance(raw.data, dict):
        raise InputError(raw.source, "文件内容应为键值对（YAML 映射）")
    evaluation = _valid_or_none(Evaluation, raw.data)
    if evaluation is not None:
        return evaluation
    problems: list[Problem] = []
    _validate_sections(raw, Evaluation, raw.data, problems)
    if problems:
        raise InputError(raw.source, _unique_sorted(problems))
    return Evaluation.model_validate(raw.data)


def _valid_or_none(model: type[M], data: dict[str, Any]) -> M | None:
    """The model when the data is valid as a whole; None sends it through section-wise validation, which
    finds every problem (and the sections that are valid, for the rubric rules). A top-level field left
    blank also goes that way: the model drops it unread, the sections check it (an `enterprises:` whose
    entries are all empty still has its keys checked)."""
    if issubclass(model, Strict) and model.blank_fields(data):
        return None
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _rubric_for(raw: RawDocument, data: dict[str, Any], problems: list[Problem]) -> Rubric | None:
    rubric_id = data.get("rubric", "ganzhou-2023")
    if not isinstance(rubric_id, str):
        problems.append(_at(raw, ("rubric",), "应为评价指标编号（如 ganzhou-2023）"))
        return None
    try:
        return load_rubric(rubric_id)
    except InputError as e:
        problems.append(_at(raw, ("rubric",), e.problems[0].message))
        return None


def _validate_sections(
    raw: RawDocument, model: type[BaseModel], data: dict[str, Any], problems: list[Problem]
) -> dict[str, Any]:
    """Validate each top-level field on its own; return the ones that are valid."""
    valid: dict[str, Any] = {}
    for name in data:
        if name not in model.model_fields:
            problems.append(_at(raw, (name,), f"未知字段（可用字段：{'、'.join(model.model_fields)}）"))
    for name, info in model.model_fields.items():
        if name not in data:
            if info.is_required():
                problems.append(_at(raw, (name,), "缺少必填项"))
            else:
                valid[name] = info.get_default(call_default_factory=True)
            continue
        try:
            valid[name] = _adapter(model, name).validate_python(data[name])
        except ValidationError as e:
            problems += [_at(raw, (name, *loc), msg) for loc, msg in translate(e)]
    return valid


_ADAPTERS: dict[tuple[type, str], TypeAdapter[Any]] = {}


def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    """A validator for one top-level field (models keep all their checks in annotations)."""
    key = (model, name)
    if key not in _ADAPTERS:
        info = model.model_fields[name]
        annotation = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        _ADAPTERS[key] = TypeAdapter(annotation)  # type: ignore[arg-type]
    return _ADAPTERS[key]


# --- pydantic errors in Chinese ------------------------------------------------------------

_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda c: "缺少必填项",
    "extra_forbidden": lambda c: "未知字段（请检查拼写，或删除此项）",
    "string_type": lambda c: "应为文本",
    "string_too_short": lambda c: "不能为空" if c.get("min_length") == 1 else f"至少 {c['min_length']} 个字符",
    "string_too_long": lambda c: f"过长（最多 {c['max_length']} 个字符）",
    "string_pattern_mismatch": lambda c: "格式不正确",
    "int_type": lambda c: "应为整数",
    "int_parsing": lambda c: "应为整数",
    "int_from_float": lambda c: "应为整数",
    "float_type": lambda c: "应为数字",
    "float_parsing": lambda c: "应为数字",
    "finite_number": lambda c: "应为有限的数字",
    "bool_type": lambda c: "应为 true 或 false（是/否）",
    "bool_parsing": lambda c: "应为 true 或 false（是/否）",
    "date_type": lambda c: "应为日期，如 2025-03-01",
    "date_parsing": lambda c: "应为日期，如 2025-03-01",
    "date_from_datetime_parsing": lambda c: "应为日期，如 2025-03-01",
    "date_from_datetime_inexact": lambda c: "应为日期（不含时间），如 2025-03-01",
    "greater_than": lambda c: f"应大于 {c['gt']}",
    "greater_than_equal": lambda c: f"不能小于 {c['ge']}",
    "less_than_equal": lambda c: f"不能大于 {c['le']}",
    "less_than": lambda c: f"应小于 {c['lt']}",
    "list_type": lambda c: "应为列表",
    "too_short": lambda c: f"至少填写 {c['min_length']} 项",
    "too_long": lambda c: f"最多 {c['max_length']} 项",
    "dict_type": lambda c: "应为键值对（映射）",
    "model_type": lambda c: "应为键值对（映射）",
    "model_attributes_type": lambda c: "应为键值对（映射）",
    "literal_error": lambda c: f"应为以下之一：{_choices(c['expected'])}",
    "enum": lambda c: f"应为以下之一：{_choices(c['expected'])}",
}

_PATTERN_MESSAGES = {
    r"^[A-T]\d{4}$": "应为国民经济行业分类代码（一个大写字母加 4 位数字，如 C3240）",
    r"^\d{6}$": "应为 6 位邮政编码",
}


def _choices(expected: str) -> str:
    return expected.replace("' or '", "、").replace("', '", "、").replace("'", "")


def translate(error: ValidationError) -> Iterator[tuple[Loc, str]]:
    """Yield (field path, Chinese message) for each pydantic error."""
    for err in error.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p != "[key]")
        kind, ctx = err["type"], err.get("ctx") or {}
        if kind == "wufei":
            yield loc, err["msg"]
        elif kind == "wufei_at":
            sub, msg = err["msg"].split("\0", 1)
            yield (*loc, sub), msg
        elif kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERN_MESSAGES:
            yield loc, f"“{err['input']}” {_PATTERN_MESSAGES[ctx['pattern']]}"
        elif kind in _MESSAGES:
            yield loc, _with_input(_MESSAGES[kind](ctx), err, kind)
        else:
            yield loc, f"无效的值（{err['msg']}）"


def _with_input(message: str, err: Any, kind: str) -> str:
    value = err.get("input")
    if kind in ("missing", "extra_forbidden") or isinstance(value, dict | list) or value is None:
        return message
    shown = str(value)
    shown = shown if len(shown) <= 40 else shown[:40] + "…"
    return f"“{shown}” {message}"


def _at(raw: RawDocument, loc: Loc, message: str) -> Problem:
    return Problem(format_path(loc), message, raw.locate(loc))


def _with_loader_problems(loader: list[Problem], found: list[Problem]) -> list[Problem]:
    """The loader's problems first; a cell it already explained is not reported again."""
    explained = {p.where for p in loader if "!" in p.where}
    return [*loader, *(p for p in found if p.where not in explained)]


def _unique_sorted(problems: Iterable[Problem]) -> list[Problem]:
    seen: dict[tuple[str, str], Problem] = {}
    for p in problems:
        seen.setdefault((p.path, p.message), p)
    return list(seen.values())


# --- rules that need the rubric or several sections ----------------------------------------


def rubric_problems(sections: dict[str, Any], rubric: Rubric) -> Iterator[tuple[Loc, str]]:
    """Cross-section rules of FORMAT.md §1; each runs only if the sections it reads are valid."""
    unit, items = sections.get("unit"), sections.get("items")
    compliance, evidence = sections.get("compliance"), sections.get("evidence")
    if unit is not None and unit.county not in rubric.counties:
        choices = "、".join(rubric.counties)
        yield ("unit", "county"), f"“{unit.county}” 不是{rubric.city}的县（市、区），可选：{choices}"
    if items is not None:
        yield from _item_problems(items, rubric)
    if compliance is not None:
        yield from _hard_problems(compliance, unit, rubric)
    if items is not None and evidence is not None:
        yield from _evidence_problems(items, evidence)


def _item_problems(items: dict[str, Any], rubric: Rubric) -> Iterator[tuple[Loc, str]]:
    for item_id, claim in items.items():
        if rubric.hard_item(item_id):
            yield ("items", item_id), f"{item_id} 是硬性指标，请在 compliance 中填写是否满足"
            continue
        if item_id not in rubric.items_by_id:
            yield ("items", item_id), f"评价指标 {rubric.id} 中没有 {item_id} 这一项"
            continue
        item = rubric.item(item_id)
        if claim.score is not None and claim.score > item.max:
            yield ("items", item_id, "score"), f"{claim.score:g} 超过该项满分 {item.max:g}"
        if claim.na is not None and item.bonus:
            yield ("items", item_id, "na"), f"{item_id} 是附加分项，不能填写不适用；未得分请填 0"


def _hard_problems(compliance: dict[str, Any], unit: Any, rubric: Rubric) -> Iterator[tuple[Loc, str]]:
    for hard_id in compliance:
        if rubric.hard_item(hard_id) is None:
            known = "、".join(h.id for h in rubric.hard_items)
            yield ("compliance", hard_id), f"没有硬性指标 {hard_id}（可选：{known}）"
    if unit is None:
        return
    for hard in rubric.hard_items:
        answer = compliance.get(hard.id)
        if hard.applies(unit.roles) and (answer is None or answer.met is None):
            who = "所有单位" if hard.applies_to == "all" else rubric.roles.get(hard.applies_to, hard.applies_to)
            loc = ("compliance", hard.id) if answer is None else ("compliance", hard.id, "met")
            yield loc, f"适用于{who}的硬性指标未填写（{hard.title}），请填写 met: true 或 false"


def _evidence_problems(items: dict[str, Any], evidence: list[Any]) -> Iterator[tuple[Loc, str]]:
    listed: set[str] = set()
    for index, ev in enumerate(evidence):
        if ev.id in listed:
            yield ("evidence", index, "id"), f"支撑材料编号 {ev.id} 重复"
        listed.add(ev.id)
    for item_id, claim in items.items():
        for index, ref in enumerate(claim.evidence):
            if ref not in listed:
                yield ("items", item_id, "evidence", index), f"引用的支撑材料 {ref} 未在 evidence 中列出"


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
