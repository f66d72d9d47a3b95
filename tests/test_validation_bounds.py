"""Bounds at validation: every number is range-checked with a Chinese message before any arithmetic, so
whatever validates can be scored and rendered, and whatever cannot gives a located InputError — never a
Decimal, Overflow or ZeroDivision error."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import full_marks, set_path, variant
from wufei_docs._raw import RawDocument
from wufei_docs.errors import InputError
from wufei_docs.loading.validation import validate_enterprise

NUMERIC_FIELDS = [
    "unit.area_m2",
    "unit.staff",
    "waste.years.2024.output_value",
    "waste.years.2024.general_t",
    "waste.years.2024.hazardous_t",
    "waste.years.2023.output_value",
    "waste.streams.0.generated_t",
    "waste.streams.0.disposed_t",
    "waste.streams.1.generated_t",
    "waste.streams.1.utilized_t",
    "waste.streams.1.stored_t",
    "waste.manifests.total",
    "waste.manifests.electronic",
    "items.A1.1.score",
    "items.F1.1.score",
]

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.sampled_from(
        [0, -0.0, 5e-324, 1e25, 1e308, 10**30, 10**4299, 10**5000, -(10**5000), True, False, 0.5, 1, 7, 1e8, 1e9, 0.01]
    ),
    st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{1,5})?", fullmatch=True),
)


def validated(data: dict[str, Any]) -> Any:
    return validate_enterprise(RawDocument("x.yaml", data))


def render(checked: Any) -> None:
    from wufei_docs.package.build import build_package
    from wufei_docs.scoring.score import score

    result = score(checked.enterprise, checked.rubric)
    package = build_package(checked, result, source_bytes=b"x", cache=True)
    assert package is not None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(NUMERIC_FIELDS), numbers), min_size=1, max_size=4))
def test_any_number_validates_or_is_a_located_input_error(changes: list[tuple[str, Any]]) -> None:
    data = copy.deepcopy(full_marks())
    for field, value in changes:
        set_path(data, field, value)
    try:
        checked = validated(data)
    except InputError as e:
        assert e.problems and all(p.message and p.path for p in e.problems), e
        return
    from wufei_docs.scoring.score import score

    score(checked.enterprise, checked.rubric).to_json()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(NUMERIC_FIELDS), numbers), min_size=1, max_size=3))
def test_whatever_validates_can_be_scored_and_rendered(changes: list[tuple[str, Any]]) -> None:
    data = copy.deepcopy(full_marks())
    for field, value in changes:
        set_path(data, field, value)
    try:
        checked = validated(data)
    except InputError:
        return
    render(checked)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit.area_m2", 1e8),
        ("unit.staff", 1_000_000),
        ("waste.years.2024.output_value", 1e9),
        ("waste.years.2024.output_value", 0.01),
        ("waste.years.2024.general_t", 1e8),
        ("waste.years.2023.general_t", 0),
        ("waste.streams.0.generated_t", 1e8),
        ("waste.manifests.total", 10_000_000),
    ],
)
def test_the_extremes_allowed_render(field: str, value: Any) -> None:
    render(validated(variant(**{field: value})))


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("waste.years.2024.general_t", 1e25, "超出合理范围（不能大于 1 亿 吨）"),
        ("waste.streams.0.generated_t", 1e25, "超出合理范围"),
        ("unit.area_m2", True, "应为数字，不能填写 true"),
        ("unit.staff", 10**30, "超出合理范围（不能大于 100 万 人）"),
        ("unit.staff", False, "应为数字"),
        ("unit.area_m2", math.inf, "有限的数字"),
        ("waste.years.2024.output_value", 1e-300, "过小"),
        ("waste.years.2024.output_value", 1e12, "超出合理范围"),
        ("waste.manifests.total", 10**20, "超出合理范围"),
        ("items.A1.1.score", 1e300, "过大"),
    ],
)
def test_out_of_range_values_are_errors_in_chinese(field: str, value: Any, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        validated(variant(**{field: value}))
    assert any(fragment in p.message for p in info.value.problems), info.value


def test_a_huge_tonnage_fails_validate_not_build(cli, write, tmp_path) -> None:
    """1e25 t passed validate and score and crashed build with decimal.InvalidOperation."""
    path = write(variant(**{"waste.years.2024.general_t": 1e25}))
    for command in (["validate", path], ["score", path], ["build", path, "-o", tmp_path / "out"]):
        r = cli(*command)
        assert r.exit_code == 1 and "超出合理范围" in r.stderr and "Traceback" not in r.output, r.output
    assert not (tmp_path / "out").exists()


def test_an_integer_of_5000_digits_in_yaml_is_located(write) -> None:
    from wufei_docs.loading import check

    text = (
        __import__("tests.conftest", fromlist=["dump_yaml"])
        .dump_yaml(full_marks())
        .replace("staff: 100", "staff: " + "9" * 5000)
    )
    with pytest.raises(InputError) as info:
        check(write(text))
    (problem,) = info.value.problems
    assert problem.path == "unit.staff" and problem.where.startswith("第") and "数字过大" in problem.message


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        ["unit.uscc", "unit.head.phone", "unit.contact.mobile", "unit.postcode", "unit.name", "evidence.0.id"]
    ),
    st.one_of(st.integers(), st.just(10**5000), st.floats(), st.booleans(), st.text(max_size=30)),
)
def test_any_value_in_a_text_field_validates_or_gives_a_chinese_message(field: str, value: Any) -> None:
    try:
        validated(variant(**{field: value}))
    except InputError as e:
        for p in e.problems:
            assert not any(word in p.message for word in ("Value error", "Input should", "Exceeds")), p


@pytest.mark.parametrize(
    ("before", "now"),
    [
        (
            {"output_value": 1e9, "general_t": 0.001, "hazardous_t": 0},
            {"output_value": 0.01, "general_t": 1e8, "hazardous_t": 1e8},
        ),
        (
            {"output_value": 0.01, "general_t": 1e8, "hazardous_t": 1e8},
            {"output_value": 1e9, "general_t": 0.001, "hazardous_t": 0},
        ),
        (
            {"output_value": 1e9, "general_t": 0, "hazardous_t": 0},
            {"output_value": 0.01, "general_t": 1e8, "hazardous_t": 0},
        ),
    ],
)
def test_the_most_extreme_years_allowed_still_render(before: dict[str, Any], now: dict[str, Any]) -> None:
    """The largest intensity change the bounds allow (1 kg per 10 万亿元 → 2 亿吨 per 100 元) is written."""
    data = full_marks()
    data["waste"]["years"] = {2023: before, 2024: now}
    render(validated(data))


def test_less_than_a_kilogram_is_refused() -> None:
    with pytest.raises(InputError) as info:
        validated(variant(**{"waste.years.2024.hazardous_t": 1e-300}))
    assert "最小单位 0.001 吨" in str(info.value)
