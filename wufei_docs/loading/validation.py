"""Validation of a whole enterprise file: every problem at once, each naming its field and place.

Sections are validated one by one so that a broken `unit` does not hide a wrong score in `items`;
rules that need the rubric or several sections run on whatever sections are valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from wufei_docs._raw import Loc, RawDocument, format_path
from wufei_docs.errors import InputError, Problem
from wufei_docs.loading.evidence import EvidenceCheck, check_evidence
from wufei_docs.loading.quoted import quoted_figure_warnings as quoted
from wufei_docs.loading.rules import enterprise_warnings, evaluation_problems, get, rubric_problems
from wufei_docs.loading.walk import walk
from wufei_docs.model import DEFAULT_RUBRIC, ENTERPRISE_FORMAT, Enterprise, Evaluation, Strict
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
    enterprise = _valid_or_none(Enterprise, data)  # most files are valid: one pass, no per-field validators
    if enterprise is not None:
        sections: Any = enterprise
    else:
        sections = _walk(raw, Enterprise, data, problems, skip=set() if fmt is not None else {("format",)})
    if rubric is not None:
        problems += [_at(raw, loc, msg) for loc, msg in rubric_problems(sections, rubric, data)]
    evidence = check_evidence(get(sections, "evidence"), raw.source)
    problems += [_at(raw, loc, msg) for loc, msg in evidence.problems]
    problems = _with_loader_problems(raw.problems, problems)
    if problems:
        raise InputError(raw.source, _unique_sorted(problems))
    enterprise = enterprise or Enterprise.model_validate(data)
    assert rubric is not None
    warnings = [*raw.notices, *enterprise_warnings(enterprise, rubric), *quoted(enterprise), *evidence.warnings]
    return Checked(enterprise, rubric, warnings, evidence)


def validate_evaluation(raw: RawDocument) -> Evaluation:
    """Validate a county evaluation file (FORMAT.md §5) as strictly as an enterprise file: its fields, and
    its item ids, hard-item ids, 核定分 ranges and county against the rubric."""
    if not isinstance(raw.data, dict):
        raise InputError(raw.source, "文件内容应为键值对（YAML 映射）")
    problems: list[Problem] = []
    evaluation = _valid_or_none(Evaluation, raw.data)
    found: Any = evaluation if evaluation is not None else _walk(raw, Evaluation, raw.data, problems)
    problems += [_at(raw, loc, msg) for loc, msg in evaluation_problems(found, load_rubric(DEFAULT_RUBRIC))]
    problems = _with_loader_problems(raw.problems, problems)
    if problems:
        raise InputError(raw.source, _unique_sorted(problems))
    return evaluation or Evaluation.model_validate(raw.data)


def _walk(
    raw: RawDocument,
    model: type[Strict],
    data: dict[str, Any],
    problems: list[Problem],
    skip: frozenset[Loc] | set[Loc] = frozenset(),
) -> Any:
    """Every field-level and cross-field problem of `data`; the valid parts for the rubric rules."""
    found: list[tuple[Loc, str]] = []
    partial = walk(model, data, (), found, translate)
    problems += [_at(raw, loc, msg) for loc, msg in found if loc not in skip]
    return partial


def _valid_or_none(model: type[M], data: dict[str, Any]) -> M | None:
    """The model when the data is valid as a whole; None sends it through the field-by-field walk, which
    finds every problem (and the parts that are valid, for the rubric rules). A top-level field left
    blank also goes that way: the model drops it unread, the walk checks it (an `enterprises:` whose
    entries are all empty still has its keys checked)."""
    if issubclass(model, Strict) and model.blank_fields(data):
        return None
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _rubric_for(raw: RawDocument, data: dict[str, Any], problems: list[Problem]) -> Rubric | None:
    rubric_id = data.get("rubric", DEFAULT_RUBRIC)
    if not isinstance(rubric_id, str):
        problems.append(_at(raw, ("rubric",), "应为评价指标编号（如 ganzhou-2023）"))
        return None
    try:
        return load_rubric(rubric_id)
    except InputError as e:
        problems.append(_at(raw, ("rubric",), e.problems[0].message))
        return None


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
    "int_parsing_size": lambda c: "数字过大",
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
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,19}$": "不是有效的支撑材料编号（字母或数字开头，最多 20 个字母、数字、_ . -，如 E01）",
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
            *sub, msg = err["msg"].split("\0")
            yield (*loc, *sub), msg
        elif kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERN_MESSAGES:
            yield loc, f"“{err['input']}” {_PATTERN_MESSAGES[ctx['pattern']]}"
        elif kind in _MESSAGES:
            yield loc, _with_input(_MESSAGES[kind](ctx), err, kind)
        else:
            yield loc, "无效的值，请检查"  # pydantic's own text is English


def _with_input(message: str, err: Any, kind: str) -> str:
    value = err.get("input")
    if kind in ("missing", "extra_forbidden") or isinstance(value, dict | list) or value is None:
        return message
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"数字过大：{message}"  # str() refuses integers of more than 4300 digits
    shown = str(value)
    shown = shown if len(shown) <= 40 else shown[:40] + "…"
    return f"“{shown}” {message}"


def _at(raw: RawDocument, loc: Loc, message: str) -> Problem:
    if raw.describe is not None:
        path, message = raw.describe(loc, message)
        return Problem(path, message, raw.locate(loc))
    return Problem(format_path(loc), message, raw.locate(loc))


def _with_loader_problems(loader: list[Problem], found: list[Problem]) -> list[Problem]:
    """The loader's problems first; a cell it already explained is not reported again."""
    explained = {p.where for p in loader if "!" in p.where}
    return [*loader, *(p for p in found if p.where not in explained)]


def _unique_sorted(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem once, in the order of the file: by line, or by sheet, row and column."""
    seen: dict[tuple[str, str], Problem] = {}
    for p in problems:
        seen.setdefault((p.path, p.message), p)
    return sorted(seen.values(), key=place)


_LINE = re.compile(r"第(\d+)行")
_CELL = re.compile(r"([A-Z]+)(\d+)")


def place(problem: Problem) -> tuple[int, int, int, int]:
    """Where a problem sits in its file, for sorting: unlocated ones first, then line or sheet/row/column."""
    where = problem.where
    m = _LINE.fullmatch(where)
    if m:
        return (1, 0, int(m.group(1)), 0)
    if not where:
        return (0, 0, 0, 0)
    from wufei_docs.excel.sheets import DATA_SHEETS

    sheet, _, cell = where.partition("!")
    index = next((i for i, name in enumerate(DATA_SHEETS) if name in sheet), len(DATA_SHEETS))
    m = _CELL.fullmatch(cell)
    if not m:
        return (1, index, 0, 0)
    column = sum((ord(ch) - 64) * 26**k for k, ch in enumerate(reversed(m.group(1))))
    return (1, index, int(m.group(2)), column)
