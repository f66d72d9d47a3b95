"""Manifests and bundle.json: readable layout, same data as plain JSON."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from wufei_docs.files.jsonfmt import readable_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_readable_json_is_the_same_data(value: object) -> None:
    assert json.loads(readable_json(value)) == value


def test_two_levels_indented_deeper_values_on_one_line() -> None:
    text = readable_json({"files": {"申报书.docx": "ab"}, "items": [{"id": "A1.1", "score": 1}]})
    assert text.splitlines() == [
        "{",
        '  "files": {',
        '    "申报书.docx": "ab"',
        "  },",
        '  "items": [',
        '    {"id": "A1.1", "score": 1}',
        "  ]",
        "}",
    ]
