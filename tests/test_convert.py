"""`wufei convert`: YAML ⇄ xlsx, the round trip loses nothing (examples and generated enterprises)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tests.conftest import EXAMPLES, RUBRIC, full_marks
from wufei_docs._raw import RawDocument
from wufei_docs.errors import InputError
from wufei_docs.excel.workbook import write_workbook
from wufei_docs.loading import check
from wufei_docs.loading.convert import enterprise_data, enterprise_yaml
from wufei_docs.loading.validation import validate_enterprise

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_yaml_to_xlsx_to_yaml_is_equal_as_data(cli, tmp_path, example) -> None:
    workbook, back = tmp_path / "e.xlsx", tmp_path / "back.yaml"
    assert cli("convert", example, workbook).exit_code == 0
    r = cli("convert", workbook, back)
    assert r.exit_code == 0, r.output
    assert "已生成" in r.stdout
    original = check(example).enterprise.model_dump()
    assert check(workbook).enterprise.model_dump() == original
    assert check(back).enterprise.model_dump() == original
    assert cli("score", back, "--json").stdout == cli("score", example, "--json").stdout


def test_converted_yaml_is_readable(tmp_path, cli) -> None:
    workbook, back = tmp_path / "e.xlsx", tmp_path / "back.yaml"
    cli("convert", EXAMPLES / "赣州稀土新材料.yaml", workbook)
    cli("convert", workbook, back)
    text = back.read_text("utf-8")
    assert text.startswith("# 由 wufei convert 从 e.xlsx 转换生成\nformat: wufei/enterprise-1\n")
    assert "{" not in text and "[" not in text  # block style throughout
    assert "  profile: |" in text and "  summary: |" in text
    assert "公司成立于2008年" in text  # Chinese as is, not \u escapes
    top = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]
    assert top == ["format", "rubric", "unit", "application", "compliance", "waste", "items", "evidence"]
    unit_block = text.split("\nunit:\n")[1].split("\napplication:")[0]
    unit_keys = [ln.split(":")[0].strip() for ln in unit_block.splitlines() if ln[:2] == "  " and ln[2] != " "]
    assert unit_keys == [
        "name", "uscc", "address", "county", "area_m2", "staff", "head", "contact", "roles", "soil_key_unit",
        "legal_rep", "industry", "ownership", "founded", "postcode", "products", "profile",
    ]  # fmt: skip
    assert "area_m2: 52000\n" in text and "generated_t: 12.5\n" in text


def test_convert_refuses_to_overwrite_without_force(cli, tmp_path) -> None:
    target = tmp_path / "e.xlsx"
    assert cli("convert", EXAMPLES / "赣州稀土新材料.yaml", target).exit_code == 0
    r = cli("convert", EXAMPLES / "南康家具制造.yaml", target)
    assert r.exit_code == 1 and "已存在" in r.stderr
    assert cli("convert", EXAMPLES / "南康家具制造.yaml", target, "--force").exit_code == 0
    assert check(target).enterprise.unit.county == "南康区"


def test_convert_refuses_the_same_file_and_unknown_types(cli, tmp_path) -> None:
    source = tmp_path / "e.yaml"
    source.write_text((EXAMPLES / "赣州稀土新材料.yaml").read_text("utf-8"), encoding="utf-8")
    r = cli("convert", source, source, "--force")
    assert r.exit_code == 1 and "同一个文件" in r.stderr
    r = cli("convert", source, tmp_path / "e.csv")
    assert r.exit_code == 1 and "不支持的目标文件类型" in r.stderr


def test_convert_of_an_invalid_file_writes_nothing(cli, write, tmp_path) -> None:
    data = full_marks()
    data["items"]["A1.1"] = {"score": 5}
    target = tmp_path / "out.xlsx"
    r = cli("convert", write(data), target)
    assert r.exit_code == 1 and "items.A1.1.score" in r.stderr and "Traceback" not in r.output
    assert not target.exists()


def test_entries_with_nothing_filled_in_are_not_data(tmp_path) -> None:
    data = full_marks()
    data["compliance"]["H3"] = {"met": None, "note": ""}
    data["items"]["A1.1"] = {"score": None, "note": "", "evidence": []}
    source = tmp_path / "e.yaml"
    from tests.conftest import dump_yaml

    source.write_text(dump_yaml(data), encoding="utf-8")
    original = check(source).enterprise
    converted = enterprise_data(original)
    assert "H3" not in converted["compliance"] and "A1.1" not in converted["items"]
    workbook = tmp_path / "e.xlsx"
    write_workbook(workbook, converted, RUBRIC)
    from wufei_docs.scoring.score import score

    assert score(check(workbook).enterprise).to_json() == score(original).to_json()


def test_characters_excel_cannot_hold_are_refused_with_the_field(tmp_path) -> None:
    data = full_marks()
    data["unit"]["profile"] = "简介\ufffe"
    with pytest.raises(InputError) as info:
        write_workbook(tmp_path / "e.xlsx", data, RUBRIC)
    assert "unit.profile" in str(info.value) and "无法保存的字符" in str(info.value)
    assert not (tmp_path / "e.xlsx").exists()


# --- property: any valid enterprise survives YAML → xlsx → YAML ------------------------------

_SAFE = st.characters(
    blacklist_categories=("Cs", "Cc", "Co", "Cn"),
    blacklist_characters="\u2028\u2029\ufffe\uffff",
)
one_line = st.text(_SAFE, min_size=1, max_size=24).filter(lambda s: len(s.strip()) >= 1)
multi_line = st.lists(one_line, min_size=1, max_size=4).map("\n".join)


def _folder_safe(text: str) -> bool:
    """Unit names and evidence titles become folder/file names (model._name_like)."""
    from wufei_docs.model import _name_like

    try:
        _name_like(text.strip())
    except Exception:
        return False
    return True


name = st.text(_SAFE, min_size=2, max_size=30).filter(lambda s: len(s.strip()) >= 2 and _folder_safe(s))
title = one_line.filter(_folder_safe)
# Numbers as people type them: up to 15 significant digits, Excel's own precision (a float that
# needs 17 digits, e.g. 0.1 + 0.2, cannot be typed into Excel and is kept to 16 by openpyxl).
tonnes = st.integers(0, 10**9).map(lambda n: n / 1000)
positive = st.integers(10, 10**12).map(lambda n: n / 1000)  # 工业总产值 ≥ 0.01 万元 (model.MIN_OUTPUT)
evidence_id = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,8}", fullmatch=True)
# a relative file name (separators, drive letters and `..` are refused at validation, tested in test_evidence*)
_file_stem = one_line.filter(lambda s: not set(s) & set("\\/:") and not s.startswith((".", " ")))
evidence_file = st.tuples(_file_stem, st.sampled_from([".pdf", ".JPG", ".jpeg", ".png", ".docx"])).map("".join)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def streams(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["hazardous", "general"]))
    grams = {k: draw(st.integers(0, 10**9)) for k in ("utilized_t", "disposed_t", "stored_t") if draw(st.booleans())}
    stream = {
        "name": draw(one_line),
        "kind": kind,
        "generated_t": (sum(grams.values()) + draw(st.integers(0, 10**9))) / 1000,
        **{k: v / 1000 for k, v in grams.items()},
        "code": draw(optional(st.sampled_from(["900-249-08", "900-041-49", "772-006-49"])))
        if kind == "hazardous"
        else None,
        "node": draw(optional(one_line)),
        "destination": draw(optional(one_line)),
        "method": draw(optional(one_line)),
    }
    return {k: v for k, v in stream.items() if v is not None}


@st.composite
def enterprises(draw: st.DrawFn) -> dict[str, Any]:
    roles = draw(st.lists(st.sampled_from(list(RUBRIC.roles)), min_size=1, max_size=3, unique=True))
    evidence = draw(st.lists(evidence_id, max_size=4, unique=True))
    items: dict[str, Any] = {}
    for item in draw(st.lists(st.sampled_from(RUBRIC.items), max_size=8, unique_by=lambda i: i.id)):
        claim: dict[str, Any] = {}
        if not item.bonus and draw(st.booleans()):
            claim["na"] = draw(one_line)
        else:
            claim["score"] = draw(st.integers(0, int(item.max * 2))) / 2
        if draw(st.booleans()):
            claim["note"] = draw(multi_line)
        if evidence and draw(st.booleans()):
            claim["evidence"] = draw(st.lists(st.sampled_from(evidence), min_size=1, max_size=3))
        items[item.id] = claim
    compliance = {}
    for hard in RUBRIC.hard_items:
        if hard.applies(roles) or draw(st.booleans()):
            answer = {"met": draw(st.booleans()) if hard.applies(roles) else draw(optional(st.booleans()))}
            if draw(st.booleans()):
                answer["note"] = draw(multi_line)
            if answer.get("met") is not None or "note" in answer:
                compliance[hard.id] = answer
    unit = {
        "name": draw(name),
        "uscc": draw(st.sampled_from(["91360702MA35L0AB16", "91360703MA38K2XP3H"])),
        "address": draw(one_line),
        "county": draw(st.sampled_from(RUBRIC.counties)),
        "area_m2": draw(st.integers(1, 10**11).map(lambda n: n / 1000)),  # ≤ model.MAX_AREA
        "staff": draw(st.integers(1, 10**6)),
        "head": {
            "name": draw(one_line),
            "phone": draw(st.sampled_from(["0797-8888888", "13907970000", "07978888888"])),
        },
        "contact": {
            "name": draw(one_line),
            "mobile": draw(st.sampled_from(["13907970000", "18979712345"])),
            "email": draw(st.sampled_from(["li@example.com", "a.b@c.cn"])),
        },
        "roles": roles,
        "soil_key_unit": draw(st.booleans()),
        "legal_rep": draw(optional(one_line)),
        "industry": draw(optional(st.fixed_dictionaries({"code": st.just("C3240"), "name": one_line}))),
        "ownership": draw(optional(st.sampled_from(["国有", "民营", "外商独资"]))),
        "founded": draw(optional(st.dates(dt.date(1950, 1, 1), dt.date(2024, 12, 31)))),
        "postcode": draw(optional(st.from_regex(r"[1-9]\d{5}", fullmatch=True))),
        "products": draw(optional(one_line)),
        "profile": draw(optional(multi_line)),
    }
    years = draw(
        st.dictionaries(
            st.integers(2015, 2025),
            st.fixed_dictionaries({"output_value": positive, "general_t": tonnes, "hazardous_t": tonnes}),
            max_size=3,
        )
    )
    total = draw(st.integers(0, 500))
    return {
        "format": "wufei/enterprise-1",
        "rubric": "ganzhou-2023",
        "unit": {k: v for k, v in unit.items() if v is not None},
        "application": {
            "date": draw(st.dates(dt.date(2023, 6, 16), dt.date(2025, 6, 30))),
            "summary": draw(multi_line),
        },
        "compliance": compliance,
        "waste": {
            "years": years,
            "streams": draw(st.lists(streams(), max_size=4)),
            "manifests": {"total": total, "electronic": draw(st.integers(0, total))},
        },
        "items": items,
        "evidence": [{"id": i, "title": draw(title), "file": draw(optional(evidence_file))} for i in evidence],
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enterprises())
def test_round_trip_loses_nothing(data: dict[str, Any]) -> None:
    data = _without_none(data)
    original = validate_enterprise(RawDocument("generated", data)).enterprise
    with tempfile.TemporaryDirectory() as folder:
        workbook, back = Path(folder) / "e.xlsx", Path(folder) / "e.yaml"
        write_workbook(workbook, enterprise_data(original), RUBRIC)
        from_xlsx = check(workbook).enterprise
        assert from_xlsx.model_dump() == original.model_dump()
        back.write_text(enterprise_yaml(enterprise_data(from_xlsx)), encoding="utf-8")
        assert check(back).enterprise.model_dump() == original.model_dump()


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def test_yaml_output_parses_back_to_the_same_plain_data() -> None:
    data = enterprise_data(check(EXAMPLES / "南康家具制造.yaml").enterprise)
    text = enterprise_yaml(data)
    parsed = YAML(typ="safe", pure=True).load(text)
    assert parsed["waste"]["years"][2024]["general_t"] == 1620
    assert parsed["unit"]["founded"] == dt.date(2015, 9, 8)
    assert parsed["unit"]["contact"]["mobile"] == "18979712345"  # quoted: stays text


def test_convert_is_listed_in_help(cli) -> None:
    r = cli("--help")
    assert "convert" in r.stdout and "Excel" in r.stdout
