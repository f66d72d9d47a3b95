"""evaluation.yaml (FORMAT.md §5) is validated as strictly as an enterprise file: typos in item ids, 核定分
out of range, a county not in the list, bad dates and unknown keys are errors with their line, all at once;
`wufei validate` accepts the file and `wufei bundle` writes nothing when it is wrong."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import dump_yaml
from wufei_docs._samples import write_samples
from wufei_docs.errors import InputError
from wufei_docs.loading import load_evaluation

USCC = "91360702MA35L0AB16"


def evaluation(**entry: Any) -> dict[str, Any]:
    return {
        "format": "wufei/evaluation-1",
        "county": "章贡区",
        "evaluators": ["章贡区工业和信息化局", "章贡区生态环境局"],
        "enterprises": {USCC: {"received": "2025-03-01", "evaluated": "2025-03-10", **entry}},
    }


def problems(tmp_path: Path, data: Any) -> list[str]:
    path = tmp_path / "evaluation.yaml"
    path.write_text(data if isinstance(data, str) else dump_yaml(data), "utf-8")
    with pytest.raises(InputError) as info:
        load_evaluation(path)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"scores": {"A4.l": 6}}, "scores.A4.l", "是否应为 A4.1"),
        ({"scores": {"a4.1": 6}}, "scores.a4.1", "是否应为 A4.1"),
        ({"scores": {"Z9.9": 6}}, "scores.Z9.9", "没有 Z9.9 这一项"),
        ({"scores": {"A4.1": 60}}, "scores.A4.1", "超过该项满分 10"),
        ({"scores": {"A4.1": -1}}, "scores.A4.1", "不能小于 0"),
        ({"scores": {"A4.1": 6.3}}, "scores.A4.1", "0.5 的整数倍"),
        ({"scores": {"H1": 1}}, "scores.H1", "硬性指标"),
        ({"compliance": {"H9": True}}, "compliance.H9", "没有硬性指标 H9"),
        ({"compliance": {"H1": "也许"}}, "compliance.H1", "true 或 false"),
        ({"evaluated": "2025-02-01"}, "evaluated", "早于受理日期"),
        ({"received": "昨天"}, "received", "应为日期"),
        ({"opnion": "同意"}, "opnion", "未知字段"),
    ],
)
def test_each_mistake_in_an_entry_is_an_error_with_its_line(tmp_path, change, field, fragment) -> None:
    found = problems(tmp_path, evaluation(**change))
    assert len(found) == 1, found
    assert re.match(rf"第\d+行 enterprises\.{USCC}\.{re.escape(field)}: .*{re.escape(fragment)}", found[0]), found


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"county": "火星区"}, "county", "不是赣州市的县"),
        ({"county": "章贡县"}, "county", "可选：章贡区"),
        ({"evaluators": "章贡区工信局"}, "evaluators", "应为列表"),
        ({"contact": {"name": "刘某某", "phone": "abc"}}, "contact.phone", "不是有效的电话号码"),
        ({"contact": {"name": "刘某某", "tel": "0797-8999999"}}, "contact", ""),
        ({"format": "wufei/evaluation-2"}, "format", "未知的文件格式"),
        ({"extra": 1}, "extra", "未知字段"),
    ],
)
def test_each_mistake_at_the_top_is_an_error_with_its_line(tmp_path, change, field, fragment) -> None:
    found = problems(tmp_path, {**evaluation(), **change})
    assert any(re.match(rf"第\d+行 {re.escape(field)}(\.|:).*{re.escape(fragment)}", p) for p in found), found


def test_a_key_that_is_not_a_uscc_is_an_error(tmp_path) -> None:
    data = evaluation()
    data["enterprises"]["91360702MA35L0AB17"] = data["enterprises"].pop(USCC)
    found = problems(tmp_path, data)
    assert len(found) == 1 and "91360702MA35L0AB17" in found[0] and "统一社会信用代码" in found[0], found


def test_every_problem_at_once_sorted_by_line(tmp_path) -> None:
    data = {**evaluation(scores={"A4.l": 6, "A4.1": 60}, compliance={"H9": True}), "county": "火星区", "x": 1}
    found = problems(tmp_path, data)
    assert len(found) == 5, found
    lines = [int(re.match(r"第(\d+)行", p).group(1)) for p in found]  # type: ignore[union-attr]
    assert lines == sorted(lines)


def test_a_valid_evaluation_with_contact_and_a_score_equal_to_the_claim_passes(tmp_path) -> None:
    data = {**evaluation(scores={"A4.1": 10, "A1.1": 0}), "contact": {"name": "刘某某", "phone": "0797-8999999"}}
    path = tmp_path / "evaluation.yaml"
    path.write_text(dump_yaml(data), "utf-8")
    loaded = load_evaluation(path)
    assert loaded.contact is not None and (loaded.contact.name, loaded.contact.phone) == ("刘某某", "0797-8999999")
    assert loaded.enterprises[USCC].scores == {"A4.1": 10, "A1.1": 0}


def test_contact_is_optional(tmp_path) -> None:
    path = tmp_path / "evaluation.yaml"
    path.write_text(dump_yaml(evaluation()), "utf-8")
    assert load_evaluation(path).contact is None


def test_wufei_validate_accepts_an_evaluation_and_lists_its_problems(cli, tmp_path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(dump_yaml(evaluation()), "utf-8")
    r = cli("validate", good)
    assert r.exit_code == 0 and "✓" in r.stdout and "章贡区验收评估" in r.stdout, r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(dump_yaml({**evaluation(scores={"A4.l": 6}), "county": "火星区"}), "utf-8")
    r = cli("validate", bad)
    assert r.exit_code == 1 and "发现 2 个问题" in r.stderr and "A4.l" in r.stderr and "火星区" in r.stderr


def test_bundle_writes_nothing_when_the_evaluation_is_wrong(cli, tmp_path) -> None:
    folder = tmp_path / "in"
    _, ev = write_samples(folder, 2)
    text = ev.read_text("utf-8").replace("county: 章贡区", "county: 章贡县")
    ev.write_text(text, "utf-8")
    out = tmp_path / "out"
    r = cli("bundle", folder, "--evaluation", ev, "-o", out)
    assert r.exit_code == 1 and "章贡县" in r.stderr, r.output
    assert not out.exists() or list(out.iterdir()) == []
    assert "Traceback" not in r.output
