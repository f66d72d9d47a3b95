"""The ganzhou-2023 rubric file adds up to the seed: 100 + 5 points, 42 items, 29 table rows."""

from __future__ import annotations

import pytest

from wufei_docs.scoring.rubric import available_rubrics, load_rubric

R = load_rubric("ganzhou-2023")

FORMAT_IDS = [
    "A1.1",
    "A1.2",
    "A1.3",
    "A1.4",
    "A1.5",
    "A1.6",
    "A2.1",
    "A2.2",
    "A2.3",
    "A2.4",
    "A2.5",
    "A2.6",
    "A2.7",
    "A2.8",
    "A3.1",
    "A4.1",
    "A4.2",
    "B1.1",
    "B1.2",
    "B1.3",
    "B1.4",
    "B2.1",
    "B2.2",
    "B2.3",
    "C1.1",
    "C2.1",
    "C2.2",
    "C3.1",
    "D1.1",
    "D1.2",
    "D1.3",
    "D2.1",
    "D2.2",
    "D2.3",
    "D2.4",
    "D2.5",
    "D2.6",
    "E1.1",
    "E2.1",
    "E2.2",
    "F1.1",
    "F2.1",
]


def test_bundled_rubric_is_listed() -> None:
    assert "ganzhou-2023" in available_rubrics()


def test_item_ids_are_exactly_those_of_format_md() -> None:
    assert [i.id for i in R.items] == FORMAT_IDS
    assert len(R.items) == 42


def test_points_add_up_to_100_plus_5_bonus() -> None:
    assert sum(i.max for i in R.items if not i.bonus) == R.base_max == 100
    assert sum(i.max for i in R.items if i.bonus) == R.bonus_max == 5


def test_category_and_subcategory_totals_match_the_seed() -> None:
    expected = {"A": 50, "B": 15, "C": 10, "D": 15, "E": 10, "F": 5}
    assert {c.id: c.max for c in R.categories} == expected
    subs = {s.id: s.max for c in R.categories for s in c.subcategories}
    assert subs == {
        "A1": 10, "A2": 24, "A3": 3, "A4": 13, "B1": 6, "B2": 9, "C1": 3, "C2": 5, "C3": 2,
        "D1": 5, "D2": 10, "E1": 4, "E2": 6, "F1": 2, "F2": 3,
    }  # fmt: skip
    for cat in R.categories:
        assert sum(i.max for i in cat.items) == cat.max
        for sub in cat.subcategories:
            assert sum(i.max for i in sub.items) == sub.max


def test_official_table_has_29_rows_grouped_as_in_the_seed() -> None:
    rows = [[i.id for i in r.items] for c in R.categories for s in c.subcategories for r in s.rows]
    assert len(R.hard_items) + len(rows) == 29
    assert rows[:3] == [["A1.1"], ["A1.2", "A1.3"], ["A1.4", "A1.5", "A1.6"]]
    assert ["D2.1", "D2.2"] in rows and ["D2.4", "D2.5"] in rows and ["E2.1", "E2.2"] in rows


def test_every_row_keeps_full_wording_and_method() -> None:
    for cat in R.categories:
        for sub in cat.subcategories:
            for row in sub.rows:
                assert row.method and len(row.text) >= 10
                for item in row.items:
                    assert item.text.rstrip("。") in row.text
                    assert f"{item.max:g}分" in item.text


def test_veto_items_apply_by_role() -> None:
    assert [(h.id, h.applies_to) for h in R.hard_items] == [
        ("H1", "all"), ("H2", "producer"), ("H3", "disposer"), ("H4", "self_facility"),
    ]  # fmt: skip
    assert R.hard_items[0].applies(["disposer"]) and not R.hard_items[1].applies(["disposer"])


def test_derived_checked_and_conditional_items() -> None:
    derived = {i.id: i.rule for i in R.items if i.rule}
    assert derived == {"A1.6": "intensity_growth", "A3.1": "electronic_manifests", "A4.2": "safe_treatment_rate"}
    assert {i.id for i in R.items if i.check} == {"A2.5", "A2.6"}
    assert R.item("D2.2").applies_if == "soil_key_unit"


def test_switches_window_counties_and_target() -> None:
    assert R.pass_threshold == 90 and R.na_policy == "prorate" and R.bonus_counts_toward_pass
    assert str(R.window_start) == "2023-06-16" and str(R.window_end) == "2025-06-30"
    assert len(R.counties) == 20 and "章贡区" in R.counties and "蓉江新区" in R.counties
    assert (R.target_count, R.target_year) == (12, 2025)


def test_built_rubric_is_kept_between_processes(tmp_path, monkeypatch) -> None:
    """The second process loads the built rubric from the user's cache (sealed) instead of the YAML;
    a file planted there without the seal is ignored."""
    from wufei_docs import _raw as yamlfile
    from wufei_docs.scoring import rubric as rubric_module

    monkeypatch.setenv("WUFEI_CACHE_HOME", str(tmp_path / "cache"))
    rubric_module.load_rubric.cache_clear()
    try:
        first = rubric_module.load_rubric("ganzhou-2023")
        kept = list((tmp_path / "cache" / "rubrics").glob("*.pickle"))
        assert len(kept) == 1
        rubric_module.load_rubric.cache_clear()
        monkeypatch.setattr(yamlfile, "safe_loader", lambda: pytest.fail("the YAML was parsed again"))
        assert rubric_module.load_rubric("ganzhou-2023") == first
        monkeypatch.undo()
        monkeypatch.setenv("WUFEI_CACHE_HOME", str(tmp_path / "cache"))
        kept[0].write_bytes(b"0" * 64 + b"\n" + kept[0].read_bytes().partition(b"\n")[2])  # forged seal
        rubric_module.load_rubric.cache_clear()
        assert rubric_module.load_rubric("ganzhou-2023") == first  # built from the YAML again
    finally:
        rubric_module.load_rubric.cache_clear()
