"""Property-based: whatever the file holds, `check` either returns a valid enterprise or raises
InputError with located problems — never another exception."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import dump_yaml, full_marks
from wufei_docs.errors import InputError
from wufei_docs.loading import check
from wufei_docs.scoring.score import score

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates().map(lambda d: d.isoformat()),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in leaf_paths(v, (*prefix, k))] + [prefix]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in leaf_paths(v, (*prefix, i))] + [prefix]
    return [prefix]


PATHS = [p for p in leaf_paths(full_marks()) if p]


def mutated(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(full_marks())
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


def outcome(path: Path) -> None:
    try:
        checked = check(path)
    except InputError as e:
        assert e.problems and all(str(p) for p in e.problems)
        return
    score(checked.enterprise, checked.rubric)  # a valid file always scores


@SETTINGS
@given(st.sampled_from(PATHS), values)
def test_any_field_replaced_by_anything(tmp_path: Path, path: tuple[Any, ...], value: Any) -> None:
    target = tmp_path / "e.yaml"
    target.write_text(dump_yaml(mutated(path, value)), "utf-8")
    outcome(target)


@SETTINGS
@given(st.text(max_size=400))
def test_any_text_file(tmp_path: Path, text: str) -> None:
    target = tmp_path / "e.yaml"
    target.write_bytes(text.encode("utf-8", "replace"))
    outcome(target)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes(tmp_path: Path, data: bytes) -> None:
    target = tmp_path / "e.yaml"
    target.write_bytes(data)
    outcome(target)


@SETTINGS
@given(st.integers(min_value=0, max_value=3000))
def test_truncated_valid_file(tmp_path: Path, cut: int) -> None:
    text = dump_yaml(full_marks())
    target = tmp_path / "e.yaml"
    target.write_text(text[: cut % (len(text) + 1)], "utf-8")
    outcome(target)
