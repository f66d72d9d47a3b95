"""Reading workbooks: Excel cells become what the YAML would hold; problems name sheet!cell."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tests.conftest import EXAMPLES, full_marks
from tests.workbooks import (
    col_of,
    edit,
    example_workbook,
    rewrite_member,
    row_of,
    set_cell,
    set_info,
    sheet_member,
    workbook_from,
)
from wufei_docs.errors import InputError, Problem
from wufei_docs.loading import check


def problems(path) -> list[str]:
    with pytest.raises(InputError) as info:
        check(path)
    return [str(p) for p in info.value.problems]


# --- the example, both ways -----------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_example_workbook_scores_exactly_like_the_yaml(cli, tmp_path, example) -> None:
    workbook = example_workbook(tmp_path, example)
    from_yaml = cli("score", example, "--json")
    from_xlsx = cli("score", workbook, "--json")
    assert from_xlsx.exit_code == 0, from_xlsx.output
    assert from_xlsx.stdout == from_yaml.stdout
    assert check(workbook).enterprise.model_dump() == check(example).enterprise.model_dump()


def test_validate_accepts_a_workbook(cli, tmp_path) -> None:
    r = cli("validate", example_workbook(tmp_path))
    assert r.exit_code == 0, r.output
    assert "✓" in r.stdout and "赣州某某稀土新材料有限公司" in r.stdout


# --- sheet!cell in every problem ------------------------------------------------------------


def test_score_above_maximum_names_the_cell(cli, tmp_path) -> None:
    path = example_workbook(tmp_path)
    ref = {}
    edit(path, lambda wb: ref.setdefault("cell", set_cell(wb, "自评", "A4.1", "自评分", 12)))
    r = cli("validate", path)
    assert r.exit_code == 1
    assert f"{ref['cell']}: 12 超过该项满分 10（A4.1 自评分）" in r.stderr
    assert re.fullmatch(r"自评!D\d+", ref["cell"])
    assert "Traceback" not in r.output


def test_many_bad_cells_are_reported_at_once_each_with_its_cell(cli, tmp_path) -> None:
    path = example_workbook(tmp_path)
    refs: dict[str, str] = {}

    def spoil(wb) -> None:
        refs["staff"] = set_info(wb, "单位规模（职工人数）", "很多")
        refs["roles"] = set_info(wb, "单位类型", "生产企业")
        refs["soil"] = set_info(wb, "是否土壤污染重点监管单位", "也许")
        refs["date"] = set_info(wb, "申报日期", "明天")
        refs["met"] = set_cell(wb, "合规性", "H1", "是否满足", "差不多")
        refs["year"] = set_cell(wb, "年度数据", 2024, "工业总产值（万元）", 0)
        refs["kind"] = set_cell(wb, "固废台账", "钕铁硼边角料及废料", "类别", "危废品")
        refs["code"] = set_cell(wb, "固废台账", "废矿物油", "危险废物代码", "900-249-99")
        refs["tonnes"] = set_cell(wb, "固废台账", "含稀土废渣", "处置量（吨）", -1)
        refs["score"] = set_cell(wb, "自评", "A1.2", "自评分", 0.7)

    edit(path, spoil)
    r = cli("validate", path)
    assert r.exit_code == 1 and "Traceback" not in r.output
    expected = {
        "staff": "“很多” 应为整数（单位规模（职工人数））",
        "roles": "“生产企业” 不是可选的单位类型（可选：固体废物产生单位",
        "soil": "“也许” 不是可选的值，请选择“是”或“否”",
        "date": "“明天” 应为日期",
        "met": "“差不多” 不是可选的值，请选择“满足”或“不满足”（H1 是否满足）",
        "year": "工业总产值 0 万元必须大于 0（2024 年 工业总产值（万元））",
        "kind": "“危废品” 不是可选的类别（可选：危险废物、一般工业固体废物）（类别）",
        "code": "“900-249-99” 不是有效的危险废物代码（危险废物代码）",
        "tonnes": "-1 不能小于 0 吨（处置量（吨））",
        "score": "0.7 不是 0.5 的整数倍（A1.2 自评分）",
    }
    lines = r.stderr.splitlines()
    for name, fragment in expected.items():
        assert any(line.strip().startswith(f"{refs[name]}: ") and fragment in line for line in lines), (
            name,
            refs[name],
            r.stderr,
        )
    assert f"发现 {len(expected)} 个问题" in r.stderr


def test_cross_sheet_rules_name_the_cell(tmp_path) -> None:
    path = example_workbook(tmp_path)
    refs: dict[str, str] = {}

    def spoil(wb) -> None:
        refs["evidence"] = set_cell(wb, "自评", "A1.3", "支撑材料编号", "E01、E99")
        set_cell(wb, "自评", "F2.1", "自评分", None)
        refs["na"] = set_cell(wb, "自评", "F2.1", "不适用理由", "无")

    edit(path, spoil)
    assert sorted(problems(path)) == sorted(
        [
            f"{refs['evidence']}: 引用的支撑材料 E99 未在“支撑材料”工作表中列出（A1.3 支撑材料编号）",
            f"{refs['na']}: F2.1 是附加分项，不能填写不适用；未得分请填 0（F2.1 不适用理由）",
        ]
    )


def test_county_outside_ganzhou_names_the_cell(tmp_path) -> None:
    path = example_workbook(tmp_path)
    ref = {}
    edit(path, lambda wb: ref.setdefault("c", set_info(wb, "所在县（市、区）", "东湖区")))
    (found,) = problems(path)
    assert found.startswith(f"{ref['c']}: “东湖区” 不是赣州市的县（市、区）")


def test_a_cell_the_loader_rejects_is_not_reported_twice(tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: set_cell(wb, "固废台账", "废矿物油", "类别", "危废品"))
    found = problems(path)
    assert len(found) == 1 and "不是可选的类别" in found[0]


def test_problem_text_for_cells_and_for_yaml_lines() -> None:
    cell = Problem("items.A4.1.score", "12 超过该项满分 10", "自评!D14")
    assert str(cell) == "自评!D14: 12 超过该项满分 10（items.A4.1.score）"
    line = Problem("waste.streams[0].code", "不是有效的危险废物代码", "第14行")
    assert str(line) == "第14行 waste.streams[0].code: 不是有效的危险废物代码"


# --- what users type -------------------------------------------------------------------------


def test_cells_typed_the_way_people_type_them(tmp_path) -> None:
    path = example_workbook(tmp_path)

    def type_like_a_user(wb) -> None:
        set_info(wb, "联系人手机号码", 13907970000)  # a number, not text
        set_info(wb, "邮政编码", 341000)
        set_info(wb, "统一社会信用代码", "91360702ma35l0ab16 ")
        set_info(wb, "成立日期", dt.datetime(2008, 5, 20))  # an Excel date
        set_info(wb, "申报日期", "2025年3月1日")
        set_info(wb, "是否土壤污染重点监管单位", True)  # Excel TRUE
        set_info(wb, "占地面积（平方米）", "52,000")
        set_info(wb, "单位规模（职工人数）", "３２０")  # full-width digits from a Chinese IME
        set_info(wb, "单位类型", "producer")
        set_cell(wb, "合规性", "H1", "是否满足", "是")
        set_cell(wb, "年度数据", 2023, "年度", "2023年")
        set_cell(wb, "自评", "A1.1", "支撑材料编号", "E01, E02")
        set_cell(wb, "自评", "A2.4", "支撑材料编号", "E04 E05；E06")
        set_cell(wb, "自评", "A2.7", "自评分", "2.5")
        set_cell(wb, "支撑材料", "E08", "编号", "E08")

    edit(path, type_like_a_user)
    e = check(path).enterprise
    assert e.unit.contact.mobile == "13907970000" and e.unit.postcode == "341000"
    assert e.unit.uscc == "91360702MA35L0AB16"
    assert e.unit.founded == dt.date(2008, 5, 20) and e.application.date == dt.date(2025, 3, 1)
    assert e.unit.soil_key_unit is True and e.unit.area_m2 == 52000 and e.unit.staff == 320
    assert e.unit.roles == ["producer"] and e.compliance["H1"].met is True
    assert set(e.waste.years) == {2023, 2024}
    assert e.items["A1.1"].evidence == ["E01", "E02"]
    assert e.items["A2.4"].evidence == ["E04", "E05", "E06"]
    assert e.items["A2.7"].score == 2.5


def test_multi_line_text_keeps_its_line_breaks(tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: set_info(wb, "主要工作", "第一段\n第二段\r\n\n第三段"))
    assert check(path).enterprise.application.summary == "第一段\n第二段\n\n第三段"


def test_several_roles_in_one_cell_keep_their_order(tmp_path) -> None:
    data = full_marks()
    data["unit"]["roles"] = ["disposer", "producer"]
    data["compliance"]["H3"] = {"met": True}
    path = workbook_from(tmp_path, data)
    from openpyxl import load_workbook

    ws = load_workbook(path)["基本信息"]
    assert ws.cell(row_of(ws, "单位类型"), 2).value == "固体废物处置利用单位、固体废物产生单位"
    assert check(path).enterprise.unit.roles == ["disposer", "producer"]


def test_empty_cells_are_not_filled_in(tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: (set_info(wb, "法定代表人", "  "), set_cell(wb, "自评", "A1.1", "说明", None)))
    e = check(path).enterprise
    assert e.unit.legal_rep is None and e.items["A1.1"].note is None


def test_not_applicable_reason(tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(
        path,
        lambda wb: (set_cell(wb, "自评", "A2.2", "自评分", None), set_cell(wb, "自评", "A2.2", "不适用理由", "无")),
    )
    assert check(path).enterprise.items["A2.2"].na == "无"


def test_score_and_reason_together(tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: set_cell(wb, "自评", "A2.2", "不适用理由", "无"))
    (found,) = problems(path)
    assert re.match(r"自评!A\d+: 不能同时填写自评分", found)


# --- layout changes users make ------------------------------------------------------------------


def test_inserted_rows_and_moved_columns_still_read(tmp_path) -> None:
    path = example_workbook(tmp_path)
    before = check(path).enterprise.model_dump()

    def rearrange(wb) -> None:
        wb["基本信息"].insert_rows(5, amount=2)
        ws = wb["固废台账"]
        a, b = col_of(ws, "产生量（吨）"), col_of(ws, "去向（接收单位）")
        for row in range(1, ws.max_row + 1):
            x, y = ws.cell(row, a), ws.cell(row, b)
            x.value, y.value = y.value, x.value

    edit(path, rearrange)
    assert check(path).enterprise.model_dump() == before


def test_problem_cells_follow_inserted_rows(tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: (wb["基本信息"].insert_rows(3), set_info(wb, "单位规模（职工人数）", 0)))
    from openpyxl import load_workbook

    ws = load_workbook(path)["基本信息"]
    (found,) = problems(path)
    assert found.startswith(f"基本信息!B{row_of(ws, '单位规模（职工人数）')}: ")


def test_unknown_sheet_is_ignored_with_a_notice(cli, tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: wb.create_sheet("草稿").cell(1, 1, "随便写写"))
    r = cli("validate", path)
    assert r.exit_code == 0, r.output
    assert "已忽略工作表“草稿”" in r.stdout


def test_missing_sheet_is_an_error_naming_it(cli, tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: wb.remove(wb["年度数据"]))
    r = cli("validate", path)
    assert r.exit_code == 1 and "缺少工作表 “年度数据”" in r.stderr


def test_unknown_label_with_a_value(tmp_path) -> None:
    path = example_workbook(tmp_path)

    def relabel(wb) -> None:
        ws = wb["基本信息"]
        ws.cell(row_of(ws, "主导产品"), 1).value = "主打产品"

    edit(path, relabel)
    (found,) = problems(path)
    assert re.match(r"基本信息!A\d+: “主打产品” 不是已知的项目", found)


def test_renamed_header_is_an_error(tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: setattr(wb["固废台账"].cell(1, 5), "value", "产量"))
    found = problems(path)
    assert any(p.startswith("固废台账!A1: 缺少列“产生量（吨）”") for p in found), found


def test_duplicate_item_row(tmp_path) -> None:
    path = example_workbook(tmp_path)

    def duplicate(wb) -> None:
        ws = wb["自评"]
        ws.cell(row_of(ws, "A1.2"), 1).value = "A1.1"

    edit(path, duplicate)
    found = problems(path)
    assert any(re.match(r"自评!A3: 编号 A1.1 重复（另见第 2 行）", p) for p in found), found


def test_row_with_content_but_no_year(tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: setattr(wb["年度数据"].cell(2, 1), "value", None))
    found = problems(path)
    assert any(p.startswith("年度数据!A2: 已填写内容但缺少年度") for p in found), found


def test_unknown_item_id_row(tmp_path) -> None:
    path = example_workbook(tmp_path)

    def add(wb) -> None:
        ws = wb["自评"]
        ws.cell(ws.max_row + 1, 1, "A9.9")
        ws.cell(ws.max_row, 4, 1)

    edit(path, add)
    (found,) = problems(path)
    assert re.match(r"自评!A\d+: 评价指标 ganzhou-2023 中没有 A9.9 这一项", found)


def test_unanswered_hard_item_points_at_its_cell(tmp_path) -> None:
    path = example_workbook(tmp_path)
    ref = {}
    edit(path, lambda wb: ref.setdefault("c", set_cell(wb, "合规性", "H2", "是否满足", None)))
    found = problems(path)
    assert any(p.startswith(f"{ref['c']}: 适用于固体废物产生单位的硬性指标 H2 未填写") for p in found), found
    assert any(p.endswith("请选择“满足”或“不满足”（H2 是否满足）") for p in found), found
    assert not any("met" in p or "true" in p for p in found), found


# --- formulas and error values ---------------------------------------------------------------


def test_formula_with_a_saved_result_uses_the_result(cli, tmp_path) -> None:
    path = example_workbook(tmp_path)
    member = sheet_member(path, "自评")

    def add_formula(xml: bytes) -> bytes:
        new, n = re.subn(rb'(<c r="D17"[^>]*>)<v>10</v>', rb"\1<f>5*2</f><v>10</v>", xml)
        assert n == 1
        return new

    rewrite_member(path, member, add_formula)
    assert check(path).enterprise.items["A4.1"].score == 10
    r = cli("validate", path)
    assert "1 个单元格含公式，已使用 Excel 保存的计算结果" in r.stdout


def test_formula_without_a_saved_result_is_refused(cli, tmp_path) -> None:
    path = example_workbook(tmp_path)
    ref = {}
    edit(path, lambda wb: ref.setdefault("c", set_cell(wb, "自评", "A4.1", "自评分", "=5*2")))
    r = cli("validate", path)
    assert r.exit_code == 1
    assert f"{ref['c']}: 单元格含公式但没有保存的计算结果" in r.stderr


def test_error_value_is_refused(tmp_path) -> None:
    path = example_workbook(tmp_path)
    member = sheet_member(path, "自评")
    rewrite_member(
        path,
        member,
        lambda xml: re.sub(rb'<c r="D17"[^>]*><v>10</v></c>', rb'<c r="D17" t="e"><v>#DIV/0!</v></c>', xml),
    )
    (found,) = problems(path)
    assert found == "自评!D17: 单元格为错误值 #DIV/0!，请改为有效内容（A4.1 自评分）"


def test_text_starting_with_equals_stays_text(tmp_path) -> None:
    data = full_marks()
    data["items"]["A1.1"] = {"score": 1, "note": "=SUM(A1:A9) 不是公式"}
    path = workbook_from(tmp_path, data)
    assert check(path).enterprise.items["A1.1"].note == "=SUM(A1:A9) 不是公式"


def test_json_score_of_a_workbook_is_valid_json(cli, tmp_path) -> None:
    r = cli("score", example_workbook(tmp_path), "--json")
    assert json.loads(r.stdout)["verdict"] == "达标"


def test_a_year_that_is_not_a_year(tmp_path) -> None:
    path = example_workbook(tmp_path)
    edit(path, lambda wb: setattr(wb["年度数据"].cell(2, 1), "value", "去年"))
    assert problems(path) == ["年度数据!A2: “去年” 不是年份（应为 4 位数字，如 2024）"]
