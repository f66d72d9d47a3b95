"""`wufei init --xlsx`: the form enterprises fill in, and that a filled form scores like the YAML."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from ruamel.yaml import YAML

from tests.conftest import EXAMPLES, RUBRIC
from tests.workbooks import col_of, row_of

SHEETS = ["说明", "基本信息", "合规性", "年度数据", "固废台账", "自评", "支撑材料"]


@pytest.fixture
def form(cli, tmp_path) -> Path:
    r = cli("init", tmp_path / "新企业", "--xlsx")
    assert r.exit_code == 0, r.output
    path = tmp_path / "新企业.xlsx"
    assert path.exists() and str(path) in r.stdout
    return path


def validations(ws) -> list[tuple[str, str, str | None, str | None]]:
    """(type, ranges, formula1, formula2) of every data validation on a sheet."""
    return [(dv.type, str(dv.sqref), dv.formula1, dv.formula2) for dv in ws.data_validations.dataValidation]


def dv_for(ws, cell: str) -> list[tuple[str, str | None, str | None]]:
    found = []
    for dv in ws.data_validations.dataValidation:
        if cell in dv.sqref:
            found.append((dv.type, dv.formula1, dv.formula2))
    return found


def test_sheets_headers_and_frozen_rows(form) -> None:
    wb = load_workbook(form)
    assert wb.sheetnames == SHEETS
    headers = {
        "合规性": ["编号", "硬性指标（合规性要求）", "适用单位", "是否满足", "说明"],
        "年度数据": ["年度", "工业总产值（万元）", "一般工业固体废物产生量（吨）", "危险废物产生量（吨）"],
        "固废台账": ["固体废物名称", "类别", "危险废物代码", "产生节点", "产生量（吨）", "综合利用量（吨）",
                     "处置量（吨）", "年末贮存量（吨）", "去向（接收单位）", "利用处置方式"],
        "自评": ["编号", "评价内容", "满分", "自评分", "说明", "支撑材料编号", "不适用理由", "提示"],
        "支撑材料": ["编号", "材料名称", "文件"],
        "基本信息": ["项目", "填写内容", "填写说明"],
    }  # fmt: skip
    for sheet, expected in headers.items():
        ws = wb[sheet]
        assert [c.value for c in ws[1]][: len(expected)] == expected, sheet
        assert ws.freeze_panes == "B2", sheet
        assert ws.cell(1, 1).font.bold
        assert all(ws.column_dimensions[c].width >= 6 for c in "ABC"), sheet
    assert len(wb["说明"]["A"]) > 10 and "wufei validate" in " ".join(str(c.value) for c in wb["说明"]["A"])


def test_items_sheet_lists_every_rubric_item_with_its_wording(form) -> None:
    ws = load_workbook(form)["自评"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [i.id for i in RUBRIC.items]
    for row, item in zip(rows, RUBRIC.items, strict=True):
        assert row[1] == item.text and row[2] == item.max and row[3] is None
    assert ws.cell(2, 2).alignment.wrap_text
    a16 = rows[[i.id for i in RUBRIC.items].index("A1.6")]
    assert "自动计算" in a16[7]


def test_score_cells_are_limited_to_each_items_maximum(form) -> None:
    ws = load_workbook(form)["自评"]
    for item_id, maximum in (("A4.1", "10"), ("A1.1", "1"), ("E1.1", "4")):
        cell = f"D{row_of(ws, item_id)}"
        assert dv_for(ws, cell) == [("decimal", "0", maximum)], item_id


def test_dropdowns(form) -> None:
    wb = load_workbook(form)
    info = wb["基本信息"]

    def info_dv(label: str) -> list[Any]:
        return dv_for(info, f"B{row_of(info, label)}")

    ((kind, counties, _),) = info_dv("所在县（市、区）")
    assert kind == "list" and counties.strip('"').split(",") == list(RUBRIC.counties)
    ((_, roles, _),) = info_dv("单位类型")
    assert "固体废物产生单位" in roles and "固体废物产生单位、固体废物处置利用单位" in roles
    assert info_dv("是否土壤污染重点监管单位") == [("list", '"是,否"', None)]
    assert info_dv("单位性质")[0][1] == '"国有,集体,民营,中外合资,港澳台,外商独资"'
    assert info_dv("单位规模（职工人数）") == [("whole", "1", None)]
    assert dv_for(wb["合规性"], "D3") == [("list", '"满足,不满足"', None)]
    streams = wb["固废台账"]
    assert dv_for(streams, "B2") == [("list", '"危险废物,一般工业固体废物"', None)]
    assert dv_for(streams, f"E{2}") == [("decimal", "0", None)]
    assert dv_for(wb["年度数据"], "A3") == [("whole", "1990", "2100")]


def test_hard_items_and_their_roles(form) -> None:
    ws = load_workbook(form)["合规性"]
    rows = list(ws.iter_rows(min_row=2, max_col=3, values_only=True))
    assert [r[0] for r in rows] == ["H1", "H2", "H3", "H4"]
    assert rows[0][2] == "所有单位" and rows[1][2] == "固体废物产生单位"
    assert rows[1][1] == RUBRIC.hard_item("H2").text


def test_code_cells_are_text_formatted(form) -> None:
    ws = load_workbook(form)["基本信息"]
    for label in ("统一社会信用代码", "联系人手机号码", "邮政编码"):
        assert ws.cell(row_of(ws, label), 2).number_format == "@", label


def test_init_refuses_to_overwrite(cli, form) -> None:
    r = cli("init", form, "--xlsx")
    assert r.exit_code == 1 and "已存在" in r.stderr


def test_empty_form_is_rejected_with_cells(cli, form) -> None:
    r = cli("validate", form)
    assert r.exit_code == 1 and "Traceback" not in r.output
    problems = [ln.strip() for ln in r.stderr.splitlines()[1:]]
    info = [p for p in problems if p.startswith("基本信息")]
    assert info and all(re.match(r"基本信息!B\d+: 缺少必填项（[^.]+）$", p) for p in info), problems
    hard = [p for p in problems if p.startswith("合规性")]  # one pass: the unanswered hard items too
    assert len(info) + len(hard) == len(problems) and all("请选择“满足”或“不满足”" in p for p in hard), problems
    ws = load_workbook(form)["基本信息"]
    assert f"基本信息!B{row_of(ws, '单位全称')}: 缺少必填项（单位全称）" in problems


# --- a form filled in by hand like the bundled example ----------------------------------------

INFO_LABELS = {
    "单位全称": "unit.name", "统一社会信用代码": "unit.uscc", "详细地址": "unit.address",
    "所在县（市、区）": "unit.county", "占地面积（平方米）": "unit.area_m2", "单位规模（职工人数）": "unit.staff",
    "负责人姓名": "unit.head.name", "负责人联系方式": "unit.head.phone", "联系人姓名": "unit.contact.name",
    "联系人手机号码": "unit.contact.mobile", "联系人电子邮箱": "unit.contact.email", "法定代表人": "unit.legal_rep",
    "所属行业代码": "unit.industry.code", "所属行业名称": "unit.industry.name", "单位性质": "unit.ownership",
    "成立日期": "unit.founded", "邮政编码": "unit.postcode", "主导产品": "unit.products",
    "单位简介": "unit.profile", "申报日期": "application.date", "主要工作": "application.summary",
    "转移联单总数": "waste.manifests.total", "其中电子联单数": "waste.manifests.electronic",
}  # fmt: skip
STREAM_HEADERS = {
    "固体废物名称": "name", "危险废物代码": "code", "产生节点": "node", "产生量（吨）": "generated_t",
    "综合利用量（吨）": "utilized_t", "处置量（吨）": "disposed_t", "年末贮存量（吨）": "stored_t",
    "去向（接收单位）": "destination", "利用处置方式": "method",
}  # fmt: skip


def _get(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None  # type: ignore[assignment]
    return data


def fill_like_a_user(path: Path, data: dict[str, Any]) -> None:
    """Type the example's values into the form: dates as text, numbers as numbers, 是/满足 choices."""
    wb = load_workbook(path)
    info = wb["基本信息"]
    for label, dotted in INFO_LABELS.items():
        value = _get(data, dotted)
        if isinstance(value, dt.date):
            value = f"{value.year}/{value.month}/{value.day}"
        info.cell(row_of(info, label), 2).value = value
    info.cell(row_of(info, "单位类型"), 2).value = "固体废物产生单位"
    info.cell(row_of(info, "是否土壤污染重点监管单位"), 2).value = "是" if data["unit"]["soil_key_unit"] else "否"
    hard = wb["合规性"]
    for hard_id, answer in data["compliance"].items():
        row = row_of(hard, hard_id)
        hard.cell(row, 4).value = "满足" if answer["met"] else "不满足"
        hard.cell(row, 5).value = answer.get("note")
    years = wb["年度数据"]
    for row, (year, values) in enumerate(data["waste"]["years"].items(), start=2):
        years.cell(row, 1).value = year
        for header, key in (("工业总产值（万元）", "output_value"), ("一般工业固体废物产生量（吨）", "general_t"),
                            ("危险废物产生量（吨）", "hazardous_t")):  # fmt: skip
            years.cell(row, col_of(years, header)).value = values[key]
    streams = wb["固废台账"]
    for row, stream in enumerate(data["waste"]["streams"], start=2):
        streams.cell(row, col_of(streams, "类别")).value = (
            "危险废物" if stream["kind"] == "hazardous" else "一般工业固体废物"
        )
        for header, key in STREAM_HEADERS.items():
            streams.cell(row, col_of(streams, header)).value = stream.get(key)
    items = wb["自评"]
    for item_id, claim in data["items"].items():
        row = row_of(items, item_id)
        items.cell(row, 4).value = claim.get("score")
        items.cell(row, 5).value = claim.get("note")
        items.cell(row, 6).value = "，".join(claim.get("evidence", [])) or None
        items.cell(row, 7).value = claim.get("na")
    evidence = wb["支撑材料"]
    for row, ev in enumerate(data.get("evidence", []), start=2):
        for col, key in enumerate(("id", "title", "file"), start=1):
            evidence.cell(row, col).value = ev.get(key)
    wb.save(path)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_form_filled_like_the_example_scores_identically(cli, form, example) -> None:
    data = YAML(typ="safe", pure=True).load(example.read_text("utf-8"))
    fill_like_a_user(form, data)
    r = cli("score", form, "--json")
    assert r.exit_code == 0, r.output
    assert r.stdout == cli("score", example, "--json").stdout
