"""The enterprise form: posted fields become the YAML's data; validation messages land beside their fields."""

from __future__ import annotations

from tests.conftest import EXAMPLES
from wufei_docs.loading import check, read_raw
from wufei_docs.loading.validation import validate_enterprise
from wufei_docs.scoring.rubric import load_rubric
from wufei_docs.web import forms

RUBRIC = load_rubric("ganzhou-2023")


def posted_pairs(state: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """What a browser posts for a rendered form: every field's name and shown value."""
    pairs = []
    for section in forms.sections(state, RUBRIC).sections:
        for group in section.groups:
            for f in group.fields:
                if f.kind == "roles":
                    pairs += [(f.name, v) for v in f.value]
                else:
                    pairs.append((f.name, f.value))
    return pairs


def test_an_example_goes_through_the_form_unchanged() -> None:
    path = EXAMPLES / "赣州稀土新材料.yaml"
    state = forms.state_from_data(read_raw(path).data)
    data = forms.to_data(forms.read_form(posted_pairs(state), RUBRIC))
    from_form = validate_enterprise(type(read_raw(path))("form", data)).enterprise
    assert from_form == check(path).enterprise


def test_numbers_are_typed_and_blanks_dropped() -> None:
    state = forms.read_form(
        [("unit.staff", "120"), ("unit.area_m2", "52000.5"), ("unit.name", " 某公司 "), ("unit.legal_rep", ""),
         ("waste.years[0].year", "2024"), ("waste.years[0].output_value", "abc"), ("items.A1.1.score", "0.5"),
         ("items.A1.1.evidence", "E01，E02 E03"), ("unit.roles", "producer"), ("unit.roles", "hacker")],
        RUBRIC,
    )  # fmt: skip
    data = forms.to_data(state)
    assert data["unit"]["staff"] == 120 and data["unit"]["area_m2"] == 52000.5 and data["unit"]["name"] == "某公司"
    assert "legal_rep" not in data["unit"]
    assert data["unit"]["roles"] == ["producer"]
    assert data["waste"]["years"] == {2024: {"output_value": "abc"}}  # left for validation to name
    assert data["items"]["A1.1"] == {"score": 0.5, "evidence": ["E01", "E02", "E03"]}


def test_unknown_field_names_never_become_data() -> None:
    state = forms.read_form([("unit.__class__", "x"), ("items.Z9.9.score", "1"), ("format", "evil")], RUBRIC)
    data = forms.to_data(state)
    assert data["format"] == "wufei/enterprise-1"
    assert "items" not in data and "__class__" not in data["unit"]


def test_messages_land_on_the_field_its_row_or_the_fields_of_a_missing_object() -> None:
    paths = ["unit", "unit.head.name", "unit.head.phone", "waste.streams[0]", "waste.streams[0].code", "items.A1.1"]
    placed, general = forms.place_messages(
        [("unit.head", "缺少必填项"), ("waste.streams[0].code", "不是有效的危险废物代码"), ("waste.streams[0]", "超过 105%"),
         ("items.A1.1.score", "超过满分"), ("rubric", "未知")],
        paths,
    )  # fmt: skip
    assert placed["unit.head.name"] == placed["unit.head.phone"] == ["缺少必填项"]
    assert placed["waste.streams[0].code"] == ["不是有效的危险废物代码"]
    assert placed["waste.streams[0]"] == ["超过 105%"]
    assert placed["items.A1.1"] == ["超过满分"]
    assert placed["unit"] == []
    assert general == ["rubric: 未知"]


def test_rows_are_added_and_removed() -> None:
    state = forms.state_from_data(read_raw(EXAMPLES / "赣州稀土新材料.yaml").data)
    streams = len(state["waste"]["streams"])
    forms.add_row(state, "streams")
    forms.add_row(state, "years")
    assert len(state["waste"]["streams"]) == streams + 1
    assert state["waste"]["years"][-1]["year"] == 2025
    forms.remove_row(state, f"streams:{streams}")
    forms.remove_row(state, "streams:999")
    forms.remove_row(state, "unit:0")
    assert len(state["waste"]["streams"]) == streams
