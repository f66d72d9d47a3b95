"""Scoring rules of FORMAT.md §3, one test per rule, on models built in the test."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import RUBRIC, full_marks, variant
from wufei_docs.model import Enterprise, EnterpriseEvaluation
from wufei_docs.scoring.score import score


def scored(data: dict[str, Any], rubric=RUBRIC, evaluation: dict[str, Any] | None = None):
    ev = EnterpriseEvaluation.model_validate(evaluation) if evaluation is not None else None
    return score(Enterprise.model_validate(data), rubric, ev)


def test_full_marks_is_105_and_passes() -> None:
    r = scored(full_marks())
    assert (r.base, r.bonus, r.total, r.verdict) == (100, 5, 105, "达标")
    assert {i.source for i in r.items} == {"claimed", "derived"}
    assert [c.score for c in r.categories] == [50, 15, 10, 15, 10, 5]
    assert r.warnings == ()


def test_veto_despite_high_score() -> None:
    r = scored(variant(**{"compliance.H2": {"met": False, "note": "处置费用交第三方"}}))
    assert r.total == 105 and r.verdict == "否决"
    assert [(v.id, v.applies, v.met) for v in r.vetoes][:2] == [("H1", True, True), ("H2", True, False)]


def test_hard_item_of_another_role_does_not_veto() -> None:
    r = scored(variant(**{"compliance.H3": {"met": False}}))
    assert r.verdict == "达标"
    assert r.vetoes[2].applies is False and r.vetoes[2].met is False


def test_a16_growth_above_zero_overrides_the_claim_with_a_warning() -> None:
    data = variant(**{"waste.years.2024.general_t": 200})
    r = scored(data)
    a16 = r.item("A1.6")
    assert (a16.score, a16.source, a16.claimed) == (0, "derived", 3)
    assert any(w.startswith("A1.6: 自评 3 分") for w in r.warnings)
    assert r.total == 102


def test_a16_zero_growth_scores_and_fewer_than_two_years_scores_zero() -> None:
    same = variant(**{"waste.years.2024": {"output_value": 1000, "general_t": 100, "hazardous_t": 10}})
    assert scored(same).item("A1.6").score == 3
    data = full_marks()
    del data["waste"]["years"][2023]
    r = scored(data)
    assert r.item("A1.6").score == 0
    assert any("A1.6" in w and "两个" in w for w in r.warnings)


def test_a16_derived_gives_points_even_when_claimed_zero() -> None:
    r = scored(variant(**{"items.A1.6.score": 0}))
    assert r.item("A1.6").score == 3
    assert any(w.startswith("A1.6: 自评 0 分") for w in r.warnings)


def test_a31_partial_electronic_manifests_scores_zero() -> None:
    r = scored(variant(**{"waste.manifests": {"total": 10, "electronic": 9}}))
    assert r.item("A3.1").score == 0 and r.item("A3.1").source == "derived"


def test_a31_without_manifests_is_not_applicable_and_prorated() -> None:
    r = scored(variant(**{"waste.manifests": {"total": 0, "electronic": 0}}))
    a31 = r.item("A3.1")
    assert a31.source == "na" and a31.score == 0 and "无转移联单" in a31.note
    assert r.base_applicable_max == 97 and r.base == 100.0 and r.total == 105


def test_a42_unhandled_waste_scores_zero() -> None:
    r = scored(variant(**{"waste.streams.0.disposed_t": 8}))
    assert r.item("A4.2").score == 0
    assert r.total == 102


def test_a42_tolerance_of_a_kilogram() -> None:
    r = scored(variant(**{"waste.streams.0.disposed_t": 9.9995}))
    assert r.item("A4.2").score == 3


def test_checked_a25_warns_on_hazardous_stream_without_code_but_keeps_claim() -> None:
    data = full_marks()
    del data["waste"]["streams"][0]["code"]
    r = scored(data)
    assert r.item("A2.5").score == 3 and r.item("A2.5").source == "claimed"
    assert any(w.startswith("A2.5:") and "废矿物油" in w for w in r.warnings)


def test_checked_a26_warns_on_general_stream_missing_node_destination_or_method() -> None:
    data = full_marks()
    del data["waste"]["streams"][1]["destination"]
    del data["waste"]["streams"][1]["method"]
    r = scored(data)
    assert r.item("A2.6").score == 3
    assert any(w.startswith("A2.6:") and "去向、利用处置方式" in w for w in r.warnings)


def test_d22_not_applicable_when_not_soil_key_unit_and_prorated() -> None:
    r = scored(variant(**{"unit.soil_key_unit": False}))
    assert r.item("D2.2").source == "na"
    assert r.base_applicable_max == 99 and r.base == 100
    assert any(w.startswith("D2.2:") for w in r.warnings)  # a claimed score on an n/a item is flagged


def test_prorating_rounds_half_up_to_one_decimal() -> None:
    # 1 point lost among 98 applicable: 97/98*100 = 98.9795… → 99.0; 2 lost with D2.2 n/a: 96/99*100 = 96.969… → 97.0
    data = variant(**{"unit.soil_key_unit": False, "items.B1.2.score": 0, "items.B1.3.score": 0})
    r = scored(data)
    assert r.base_raw == 97 and r.base_applicable_max == 99
    assert r.base == 98.0  # 97/99*100 = 97.979… → 98.0


def test_claimed_na_with_reason_is_prorated() -> None:
    data = variant(**{"items.A2.7": {"na": "不产生危险废物"}, "items.A2.8": {"na": "不产生危险废物"}})
    data["items"]["A2.1"]["score"] = 1.5
    r = scored(data)
    assert r.item("A2.7").source == "na" and r.item("A2.7").note == "不产生危险废物"
    # (100 - 6 - 1.5) / 94 * 100 = 98.404… → 98.4
    assert r.base == 98.4 and r.total == 103.4


def test_na_policy_full_marks_counts_the_maximum() -> None:
    rubric = replace(RUBRIC, na_policy="full_marks")
    data = variant(**{"items.A2.7": {"na": "不产生危险废物"}})
    data["items"]["A1.1"]["score"] = 0
    r = scored(data, rubric)
    assert r.item("A2.7").score == 3 and r.base == 99


def test_exactly_90_with_half_points_passes() -> None:
    data = copy.deepcopy(full_marks())
    for item_id in ("F1.1", "F2.1"):
        data["items"][item_id]["score"] = 0
    # lose 10 points in halves and wholes: 100 - 10 = 90.0
    for item_id, value in {"A4.1": 5.5, "B1.1": 0.5, "E1.1": 1.5, "D2.6": 0.5}.items():
        data["items"][item_id]["score"] = value
    r = scored(data)
    assert r.base == 90.0 and r.total == 90.0 and r.verdict == "达标"


def test_just_below_90_fails() -> None:
    data = copy.deepcopy(full_marks())
    for item_id in ("F1.1", "F2.1"):
        data["items"][item_id]["score"] = 0
    data["items"]["A4.1"]["score"] = 0
    data["items"]["B1.1"]["score"] = 1.5
    r = scored(data)
    assert r.total == 89.5 and r.verdict == "未达标"


def test_bonus_counts_toward_pass_by_default_and_not_when_switched_off() -> None:
    data = copy.deepcopy(full_marks())
    data["items"]["A4.1"]["score"] = 0
    data["items"]["B1.1"]["score"] = 0  # base 88, bonus 5 → total 93
    assert scored(data).verdict == "达标"
    strict = replace(RUBRIC, bonus_counts_toward_pass=False)
    assert scored(data, strict).verdict == "未达标"


def test_missing_item_scores_zero_with_warning() -> None:
    data = full_marks()
    del data["items"]["C1.1"]
    r = scored(data)
    c11 = r.item("C1.1")
    assert (c11.score, c11.source) == (0, "missing")
    assert any(w.startswith("1 项未自评（按 0 分计）：C1.1") for w in r.warnings), r.warnings


def test_county_evaluation_replaces_claims_item_by_item() -> None:
    r = scored(full_marks(), evaluation={"scores": {"A4.1": 8, "A1.6": 0}, "compliance": {"H1": True}})
    assert r.item("A4.1").score == 8 and r.item("A4.1").source == "evaluated" and r.item("A4.1").claimed == 10
    assert r.item("A1.6").score == 0 and r.item("A1.6").source == "evaluated"
    assert r.total == 100 and r.evaluated


def test_county_can_override_a_hard_item() -> None:
    r = scored(full_marks(), evaluation={"compliance": {"H1": False}})
    assert r.verdict == "否决" and r.vetoes[0].claimed is True and r.vetoes[0].met is False


def test_json_has_exactly_the_contract_shape() -> None:
    j = scored(full_marks()).to_json()
    assert list(j) == [
        "unit", "uscc", "rubric", "total", "base", "bonus", "threshold", "verdict",
        "vetoes", "categories", "items", "warnings",
    ]  # fmt: skip
    assert set(j["vetoes"][0]) == {"id", "applies", "met"}
    assert set(j["categories"][0]) == {"id", "name", "max", "score"}
    assert set(j["items"][0]) == {"id", "max", "score", "source", "note"}
    assert j["total"] == 105 and isinstance(j["total"], int)
    assert len(j["items"]) == 42 and len(j["categories"]) == 6


@pytest.mark.parametrize("value", [0, 0.5, 1])
def test_half_point_scores_are_kept_exactly(value: float) -> None:
    r = scored(variant(**{"items.A1.1.score": value}))
    assert r.item("A1.1").score == value
