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


def test_score_json_is_the_same_wherever_the_data_file_is_read(tmp_path) -> None:
    """The bundled example next to its 支撑材料 and the same file alone (as the web API receives it) score the
    same, warnings included: whether the scans are at hand is for validate/build to say, not the score."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import EXAMPLES

    alone = tmp_path / "赣州稀土新材料.yaml"
    shutil.copy(EXAMPLES / "赣州稀土新材料.yaml", alone)
    assert (EXAMPLES / "支撑材料" / "E01.pdf").is_file() and not (tmp_path / "支撑材料").exists()

    def score(path) -> bytes:
        cmd = [sys.executable, "-m", "wufei_docs", "score", str(path), "--json"]
        return subprocess.run(cmd, capture_output=True, check=True).stdout

    assert score(EXAMPLES / "赣州稀土新材料.yaml") == score(alone)
    validated = subprocess.run(
        [sys.executable, "-m", "wufei_docs", "validate", str(alone)], capture_output=True, text=True
    )
    assert "E01 的文件 支撑材料/E01.pdf 尚未找到" in validated.stdout  # still said where it matters
