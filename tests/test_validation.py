"""Every validation rule of FORMAT.md §1: exit 1, one line per problem naming field and line."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DELETE, dump_yaml, full_marks, variant
from wufei_docs.errors import InputError
from wufei_docs.loading import check


def problems_of(write, data: Any) -> list[str]:
    path = write(data)
    with pytest.raises(InputError) as info:
        check(path)
    return [str(p) for p in info.value.problems]


def one_problem(write, data: Any, path: str, *fragments: str) -> str:
    found = [p for p in problems_of(write, data) if f" {path}: " in f" {p}"]
    assert found, f"no problem for {path} in {problems_of(write, data)}"
    for fragment in fragments:
        assert fragment in found[0], found[0]
    return found[0]


def test_valid_file_passes(write) -> None:
    checked = check(write(full_marks()))
    assert checked.enterprise.unit.name == "赣州测试材料有限公司"
    assert checked.warnings == []


def test_bundled_examples_are_valid() -> None:
    from tests.conftest import EXAMPLES

    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 2
    for f in files:
        check(f)


@pytest.mark.parametrize(
    "field", ["unit.name", "unit.uscc", "unit.county", "unit.contact.email", "application.date", "waste.manifests"]
)
def test_missing_required_field(write, field: str) -> None:
    one_problem(write, variant(**{field: DELETE}), field, "缺少必填项")


def test_missing_section(write) -> None:
    data = full_marks()
    del data["waste"]
    one_problem(write, data, "waste", "缺少必填项")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit.staff", "很多", "应为整数"),
        ("unit.area_m2", "大", "应为数字"),
        ("unit.soil_key_unit", "也许", "true 或 false"),
        ("application.date", "明天", "应为日期"),
        ("unit.roles", "producer", "应为列表"),
        ("unit.head", "王某", "键值对"),
    ],
)
def test_wrong_types(write, field: str, value: Any, message: str) -> None:
    one_problem(write, variant(**{field: value}), field, message)


def test_unknown_format(write) -> None:
    one_problem(write, variant(format="wufei/enterprise-9"), "format", "未知的文件格式", "wufei/enterprise-1")


def test_unknown_rubric(write) -> None:
    one_problem(write, variant(rubric="shanghai-2030"), "rubric", "未知的评价指标")


def test_unknown_field_is_an_error(write) -> None:
    one_problem(write, variant(**{"unit.nmae": "x"}), "unit.nmae", "未知字段")


def test_unit_name_length_and_control_chars(write) -> None:
    one_problem(write, variant(**{"unit.name": "赣"}), "unit.name", "至少 2 个字符")
    one_problem(write, variant(**{"unit.name": "赣州\x07公司"}), "unit.name", "控制字符")


def test_bad_uscc_check_digit(write) -> None:
    one_problem(write, variant(**{"unit.uscc": "91360702MA35L0AB17"}), "unit.uscc", "校验位不正确")
    one_problem(write, variant(**{"unit.uscc": "9136070"}), "unit.uscc", "18 位")


def test_county_outside_ganzhou(write) -> None:
    one_problem(write, variant(**{"unit.county": "东湖区"}), "unit.county", "章贡区")


def test_contact_numbers_and_email(write) -> None:
    one_problem(write, variant(**{"unit.contact.mobile": "1390797"}), "unit.contact.mobile", "手机号码")
    one_problem(write, variant(**{"unit.contact.email": "li@"}), "unit.contact.email", "电子邮箱")
    one_problem(write, variant(**{"unit.head.phone": "电话"}), "unit.head.phone", "电话号码")


def test_unquoted_numbers_are_accepted_as_text(write) -> None:
    checked = check(write(variant(**{"unit.contact.mobile": 13907970000, "unit.postcode": 341000})))
    assert checked.enterprise.unit.contact.mobile == "13907970000"
    assert checked.enterprise.unit.postcode == "341000"


@pytest.mark.parametrize("field", ["generated_t", "utilized_t", "disposed_t", "stored_t"])
def test_negative_tonnage(write, field: str) -> None:
    one_problem(write, variant(**{f"waste.streams.0.{field}": -1}), f"waste.streams[0].{field}", "不能小于 0")


def test_handled_far_above_generated(write) -> None:
    one_problem(write, variant(**{"waste.streams.0.stored_t": 1}), "waste.streams[0]", "超过产生量")


def test_handled_within_five_percent_is_allowed(write) -> None:
    check(write(variant(**{"waste.streams.0.stored_t": 0.5})))


def test_invalid_hazardous_code(write) -> None:
    line = one_problem(write, variant(**{"waste.streams.0.code": "900-249-99"}), "waste.streams[0].code")
    assert "“900-249-99” 不是有效的危险废物代码" in line and line.startswith("第")
    one_problem(write, variant(**{"waste.streams.0.code": "900-249-43"}), "waste.streams[0].code", "危险废物代码")
    one_problem(write, variant(**{"waste.streams.0.code": "HW08"}), "waste.streams[0].code", "危险废物代码")


def test_hw45_to_hw50_are_valid_classes(write) -> None:
    check(write(variant(**{"waste.streams.0.code": "900-041-49"})))


def test_unknown_item_id(write) -> None:
    one_problem(write, variant(**{"items.A9.9": {"score": 1}}), "items.A9.9", "没有 A9.9")


def test_score_above_maximum(write) -> None:
    one_problem(write, variant(**{"items.A1.1.score": 2}), "items.A1.1.score", "2 超过该项满分 1")


def test_score_below_zero(write) -> None:
    one_problem(write, variant(**{"items.A4.1.score": -1}), "items.A4.1.score", "不能小于 0")


def test_score_not_a_multiple_of_half(write) -> None:
    one_problem(write, variant(**{"items.A4.1.score": 7.3}), "items.A4.1.score", "0.5 的整数倍")


@pytest.mark.parametrize("na", [None, "", True])
def test_na_without_reason(write, na: Any) -> None:
    one_problem(write, variant(**{"items.A2.7": {"na": na}}), "items.A2.7.na", "理由")


def test_na_on_bonus_item(write) -> None:
    one_problem(write, variant(**{"items.F2.1": {"na": "无"}}), "items.F2.1.na", "附加分")


def test_na_on_veto_item(write) -> None:
    one_problem(write, variant(**{"items.H1": {"na": "无"}}), "items.H1", "硬性指标")


def test_score_and_na_together(write) -> None:
    one_problem(write, variant(**{"items.A2.7": {"score": 1, "na": "无"}}), "items.A2.7", "不能同时")


def test_applicable_hard_item_unanswered(write) -> None:
    one_problem(write, variant(**{"compliance.H2": DELETE}), "compliance.H2", "未填写")
    data = variant(**{"unit.roles": ["producer", "disposer"]})
    one_problem(write, data, "compliance.H3", "固体废物处置利用单位")


def test_hard_item_of_another_role_may_be_left_out(write) -> None:
    check(write(variant(**{"compliance.H3": {"met": None}})))


def test_unknown_hard_item(write) -> None:
    one_problem(write, variant(**{"compliance.H9": {"met": True}}), "compliance.H9", "没有硬性指标")


def test_electronic_above_total(write) -> None:
    data = variant(**{"waste.manifests": {"total": 3, "electronic": 4}})
    one_problem(write, data, "waste.manifests.electronic", "电子联单数 4 大于联单总数 3")


def test_evidence_cited_but_not_listed(write) -> None:
    data = variant(**{"items.A1.1": {"score": 1, "evidence": ["E01", "E02"]}})
    one_problem(write, data, "items.A1.1.evidence[1]", "E02", "未在 evidence 中列出")


def test_duplicate_evidence_id(write) -> None:
    data = variant(evidence=[{"id": "E01", "title": "甲"}, {"id": "E01", "title": "乙"}])
    one_problem(write, data, "evidence[1].id", "重复")


def test_output_value_not_positive(write) -> None:
    one_problem(write, variant(**{"waste.years.2024.output_value": 0}), "waste.years.2024.output_value", "必须大于 0")


def test_duplicate_yaml_keys_with_line_number(write) -> None:
    text = dump_yaml(full_marks()).replace("  staff: 100\n", "  staff: 100\n  staff: 200\n")
    (problem,) = problems_of(write, text)
    assert problem.startswith("第") and "staff" in problem and "重复" in problem


def test_all_problems_are_reported_at_once_each_with_a_line(write) -> None:
    data = variant(
        **{
            "unit.uscc": "91360702MA35L0AB17",
            "unit.staff": -3,
            "items.A1.1.score": 5,
            "waste.streams.0.code": "bad",
            "waste.manifests": {"total": 1, "electronic": 2},
        }
    )
    found = problems_of(write, data)
    assert len(found) == 5, found
    assert all(p.startswith("第") and "行 " in p for p in found)


def test_line_numbers_point_at_the_field(write) -> None:
    text = dump_yaml(variant(**{"unit.staff": "x"}))
    expected = next(i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith("staff:"))
    (problem,) = problems_of(write, text)
    assert problem.startswith(f"第{expected}行 unit.staff:")


def test_application_date_outside_window_is_a_warning(write) -> None:
    checked = check(write(variant(**{"application.date": "2025-07-01"})))
    assert any("申报期" in w for w in checked.warnings)


# --- the one-pass fast path gives what section-wise validation gives ------------------------------

_MUTATIONS = st.sampled_from(["delete", "blank", "none", "number", "text", "list", "empty_dict"])


def _mutate(data: Any, path: list[int], how: str) -> Any:
    """`data` with one value (chosen by `path` through the nested dicts/lists) replaced or removed."""
    import copy

    data = copy.deepcopy(data)
    node, key = data, None
    for step in path:
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        if not children:
            break
        key, child = children[step % len(children)]
        if not isinstance(child, dict | list) or step == path[-1]:
            break
        node = child
    if key is None:
        return data
    value = {"blank": "  ", "none": None, "number": 12.5, "text": "ABC", "list": [1], "empty_dict": {}}.get(how)
    if how == "delete":
        del node[key]
    else:
        node[key] = value
    return data


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=5), _MUTATIONS, st.integers(0, 5))
def test_the_field_walk_finds_a_problem_whenever_the_model_refuses(path: list[int], how: str, which: int) -> None:
    """The field-by-field walk (used when the whole model fails) never loses a problem: it reports at
    least one exactly when pydantic refuses the data, and none when it accepts it."""
    from pydantic import ValidationError

    from wufei_docs._samples import sample_enterprise
    from wufei_docs.loading.validation import translate
    from wufei_docs.loading.walk import _Walker
    from wufei_docs.model import Enterprise

    data = _mutate(sample_enterprise(which), path, how)
    try:
        Enterprise.model_validate(data)
        valid = True
    except ValidationError:
        valid = False
    found: list[Any] = []
    walker = _Walker(found, translate)
    if isinstance(data, dict):
        walker.model_fields_of(Enterprise, data, ())
    assert (found == []) == valid, found


def test_score_near_the_largest_float_is_an_error_not_a_crash(write) -> None:
    """1e308 * 2 overflows to infinity: reported as too large, not an OverflowError."""
    data = full_marks()
    data["items"]["A1.1"] = {"score": 8.98846567431158e307}
    problems = problems_of(write, data)
    assert any("items.A1.1.score" in p and "过大" in p for p in problems), problems
