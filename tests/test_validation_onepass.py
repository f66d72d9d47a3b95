"""One pass: a file with field-level and cross-field problems together shows every one of them in the first
run, in the order of the file; template text and unsafe names are errors naming their field."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import DELETE, full_marks, variant
from wufei_docs.errors import InputError
from wufei_docs.loading import check

# (dotted path, value, the problem's field path, a fragment of its message)
MIXED: list[tuple[str, Any, str, str]] = [
    ("unit.name", "...", "unit.name", "应包含文字或数字"),
    ("unit.county", "章贡县", "unit.county", "不是赣州市的县"),
    ("unit.area_m2", True, "unit.area_m2", "应为数字"),
    ("unit.staff", 10**30, "unit.staff", "超出合理范围"),
    ("unit.head.phone", "abc", "unit.head.phone", "不是有效的电话号码"),
    ("unit.contact.email", "nobody", "unit.contact.email", "不是有效的电子邮箱"),
    ("unit.profile", "（请填写单位简介）", "unit.profile", "模板的示例文字"),
    ("application.date", "2025-02-30", "application.date", "日期"),
    ("application.summary", "（请概述创建“无废工厂”开展的主要工作）", "application.summary", "模板的示例文字"),
    ("compliance.H1.met", "也许", "compliance.H1.met", "true 或 false"),
    ("compliance.H2", DELETE, "compliance.H2", "硬性指标 H2 未填写"),
    ("waste.years.2023.output_value", -5, "waste.years.2023.output_value", "必须大于 0"),
    ("waste.years.2024.general_t", 1e25, "waste.years.2024.general_t", "超出合理范围"),
    ("waste.streams.0.code", "900-249-99", "waste.streams[0].code", "不是有效的危险废物代码"),
    ("waste.streams.0.name", "", "waste.streams[0].name", "缺少必填项"),
    ("waste.streams.1.utilized_t", 500, "waste.streams[1]", "超过产生量"),
    ("waste.manifests.electronic", 9, "waste.manifests.electronic", "大于联单总数"),
    ("items.A1.1.score", 99, "items.A1.1.score", "超过该项满分"),
    ("items.A1.2.score", 0.7, "items.A1.2.score", "0.5 的整数倍"),
    ("items.F1.1", {"na": "无"}, "items.F1.1.na", "附加分项"),
    ("items.A2.1.evidence", ["E09"], "items.A2.1.evidence[0]", "E09 未在 evidence 中列出"),
    ("items.A2.2.note", "（请说明）", "items.A2.2.note", "模板的示例文字"),
]


def _problems(write, data: Any) -> list[str]:
    with pytest.raises(InputError) as info:
        check(write(data))
    return [str(p) for p in info.value.problems]


def test_twenty_mixed_problems_are_all_reported_in_the_first_run_sorted_by_line(write) -> None:
    data = variant(**{path: value for path, value, _, _ in MIXED if path != "application.date"})
    text = _yaml_with_bad_date(data)
    problems = _problems(write, text)
    for _, _, field, fragment in MIXED:
        hits = [p for p in problems if f" {field}: " in f" {p}" and fragment in p]
        assert hits, (field, fragment, problems)
    assert len(problems) == len(MIXED), problems
    lines = [int(re.match(r"第(\d+)行", p).group(1)) for p in problems]  # type: ignore[union-attr]
    assert lines == sorted(lines), problems


def _yaml_with_bad_date(data: dict[str, Any]) -> str:
    from tests.conftest import dump_yaml

    return (
        dump_yaml(data)
        .replace("date: '2025-03-01'", "date: 2025-02-30")
        .replace("date: 2025-03-01", "date: 2025-02-30")
    )


def test_cross_field_rules_run_although_other_fields_of_the_same_model_fail(write) -> None:
    """A stream whose name is missing still has its tonnages checked; a claim whose note is bad still
    has its score checked against the maximum; county is checked although the phone is wrong."""
    data = variant(
        **{
            "waste.streams.0.name": 12,
            "waste.streams.0.utilized_t": 100,
            "items.A1.1.note": "a\x01b",
            "items.A1.1.score": 50,
            "unit.head.phone": "x",
            "unit.county": "火星区",
        }
    )
    data["waste"]["streams"][0]["name"] = {"bad": 1}
    problems = _problems(write, data)
    assert any("waste.streams[0]: " in p and "超过产生量" in p for p in problems), problems
    assert any("items.A1.1.score: 50 超过该项满分" in p for p in problems), problems
    assert any("unit.county:" in p and "火星区" in p for p in problems), problems


def test_a_bad_hard_answer_does_not_hide_an_unanswered_one(write) -> None:
    data = variant(**{"compliance.H1.met": "也许", "compliance.H2": DELETE})
    problems = _problems(write, data)
    assert any("compliance.H1.met" in p for p in problems)
    assert any("compliance.H2:" in p and "未填写" in p for p in problems)
    assert not any("compliance.H1" in p and "未填写" in p for p in problems), problems


def test_a_bad_evidence_id_is_reported_once_not_again_as_undefined(write) -> None:
    data = variant(**{"evidence.0.id": "E 01"})
    data["items"]["A1.1"]["evidence"] = ["E 01"]
    problems = _problems(write, data)
    assert [p for p in problems if "evidence" in p and "E 01" in p and "未在" in p] == []
    assert any(p.split(": ")[0].endswith("evidence[0].id") for p in problems), problems


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("unit.profile", "本公司成立于2008年。（请填写单位简介）"),
        ("application.summary", "（请概述创建“无废工厂”开展的主要工作）"),
        ("items.A1.1.note", "（请说明得分依据）"),
        ("unit.products", "（请填写主导产品）"),
    ],
)
def test_template_text_is_an_error_naming_the_field(write, field: str, text: str) -> None:
    problems = _problems(write, variant(**{field: text}))
    assert len(problems) == 1 and f"{field}: 仍是模板的示例文字“（请" in problems[0], problems


def test_text_that_only_mentions_a_request_is_fine(write) -> None:
    checked = check(write(variant(**{"unit.profile": "客户请我们（按合同）回收包装。"})))
    assert checked.enterprise.unit.profile is not None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("赣州\u202egnp.exe", "U+202E"),
        ("赣州\u2066公司", "U+2066"),
        ("\u200b\u200b\u200b", "不可见"),
        ("\u200b\u2060\ufeff", "不可见"),
        ("...", "应包含文字或数字"),
        ("——！！", "应包含文字或数字"),
        ("赣州\x07公司", "控制字符"),
    ],
)
def test_unit_names_that_would_be_unsafe_folder_names_are_refused(write, name: str, fragment: str) -> None:
    problems = _problems(write, variant(**{"unit.name": name}))
    assert any(p.startswith("第") and "unit.name: " in p and fragment in p for p in problems), problems


def test_evidence_titles_become_file_names_and_are_checked_the_same_way(write) -> None:
    problems = _problems(write, variant(**{"evidence.0.title": "通知\u202efdp.exe"}))
    assert any("evidence[0].title" in p and "U+202E" in p for p in problems), problems


def test_ordinary_names_with_punctuation_pass(write) -> None:
    for name in ("赣州（南康）家具有限公司", "A.B. 材料有限公司", "3M 中国（赣州）"):
        assert check(write(variant(**{"unit.name": name}))).enterprise.unit.name == name


def test_many_missing_self_scores_are_one_line() -> None:
    from wufei_docs.model import Enterprise
    from wufei_docs.scoring.score import score

    data = full_marks()
    data["items"] = {}
    data["application"]["date"] = "2025-03-01"
    result = score(Enterprise.model_validate(data))
    lines = [w for w in result.warnings if "未自评" in w]
    assert len(lines) == 1, lines
    m = re.match(r"(\d+) 项未自评（按 0 分计）：(.+)$", lines[0])
    assert m, lines[0]
    ids = m.group(2).split("、")
    assert int(m.group(1)) == len(ids) > 20 and ids[0] == "A1.1"
