"""Property-based: whatever text a user types into the free-text fields, the file is either refused with
InputError, or it renders three documents whose every XML part is well-formed, that python-docx opens, and
in which the text (as validation kept it) appears literally. Never another exception."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import full_marks
from tests.hostile_kit import HOSTILE_LINE, TEMPLATE_CODE, UNICODE, XML_BREAKERS, docx_opens, dump
from wufei_docs.errors import InputError
from wufei_docs.loading import check
from wufei_docs.package.build import build_package
from wufei_docs.scoring.score import score

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

PIECES = [*XML_BREAKERS.split(" "), *TEMPLATE_CODE.split(" "), *UNICODE.split(" "), " ", "\u3000", "\xa0"]
# What a person can type: any character except controls, surrogates, line separators and non-characters.
typed = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="\ufffe\uffff")


def valid(multiline: bool) -> st.SearchStrategy[str]:
    pieces = st.sampled_from([*PIECES, "\n", "\t", "\n\n"] if multiline else PIECES) | st.text(typed, max_size=5)
    return st.lists(pieces, min_size=1, max_size=10).map(lambda parts: "甲" + "".join(parts))


# field → (where it sits in the data, how to read it back from the validated enterprise)
MULTILINE = {"unit.profile", "application.summary", "item.note"}
FIELDS = {
    "unit.name": (("unit", "name"), lambda e: e.unit.name),
    "unit.address": (("unit", "address"), lambda e: e.unit.address),
    "unit.products": (("unit", "products"), lambda e: e.unit.products),
    "unit.profile": (("unit", "profile"), lambda e: e.unit.profile),
    "application.summary": (("application", "summary"), lambda e: e.application.summary),
    "stream.name": (("waste", "streams", 0, "name"), lambda e: e.waste.streams[0].name),
    "stream.destination": (("waste", "streams", 1, "destination"), lambda e: e.waste.streams[1].destination),
    "item.note": (("items", "A1.1", "note"), lambda e: e.items["A1.1"].note),
    "evidence.title": (("evidence", 0, "title"), lambda e: e.evidence[0].title),
}


def with_texts(values: dict[str, str]) -> dict[str, Any]:
    data = copy.deepcopy(full_marks())
    for field, text in values.items():
        node = data
        *parents, last = FIELDS[field][0]
        for part in parents:
            node = node[part]
        node[last] = text
    return data


@st.composite
def field_texts(draw: st.DrawFn) -> dict[str, str]:
    """Typeable text in every field, and in one field (most of the time) anything at all."""
    values = {field: draw(valid(field in MULTILINE)) for field in FIELDS}
    wild = draw(st.sampled_from([*FIELDS, None]))
    if wild is not None:
        values[wild] = draw(st.text(max_size=40) | st.just(HOSTILE_LINE))
    return values


@SETTINGS
@given(field_texts())
def test_any_text_either_renders_literally_or_is_refused(tmp_path: Path, values: dict[str, str]) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(dump(with_texts(values)), encoding="utf-8")
    try:
        checked = check(path)
    except InputError as e:
        assert e.problems and all(str(p) for p in e.problems)
        event("refused")
        return
    event("rendered")
    package = build_package(checked, score(checked.enterprise, checked.rubric), source_bytes=path.read_bytes())
    shown = "\n".join(docx_opens(data, name) for name, data in package.files.items() if name.endswith(".docx"))
    for field, (_, read_back) in FIELDS.items():
        kept = read_back(checked.enterprise) or ""
        for line in (ln.strip() for ln in kept.split("\n")):
            assert line in shown, f"{field}: {line!r} not shown literally"
