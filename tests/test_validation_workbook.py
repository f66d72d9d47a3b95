"""A workbook user is told about the workbook: the sheet, the cell, the column and the value to choose —
never YAML syntax (`met: true`, `compliance`, `（na）`, field paths like `unit.staff`) — every problem in
the first run, in sheet/row order."""

from __future__ import annotations

import re

import pytest

from tests.workbooks import edit, example_workbook, set_cell, set_info
from wufei_docs.errors import InputError
from wufei_docs.loading import check

YAML_WORDS = re.compile(r"met:|true|false|compliance|evidence|items|\bna\b|score|YAML|unit\.|waste\.|application\.")


def problems(path) -> list[str]:
    with pytest.raises(InputError) as info:
        check(path)
    return [str(p) for p in info.value.problems]


def test_every_workbook_problem_speaks_of_the_workbook_and_all_come_at_once(tmp_path) -> None:
    path = example_workbook(tmp_path)
    refs: dict[str, str] = {}

    def spoil(wb) -> None:
        refs["staff"] = set_info(wb, "单位规模（职工人数）", "很多")
        refs["county"] = set_info(wb, "所在县（市、区）", "章贡县")
        refs["area"] = set_info(wb, "占地面积（平方米）", True)
        refs["phone"] = set_info(wb, "负责人联系方式", "abc")
        refs["profile"] = set_info(wb, "单位简介", "（请填写单位简介）")
        refs["soil"] = set_info(wb, "是否土壤污染重点监管单位", "也许")
        refs["h1"] = set_cell(wb, "合规性", "H1", "是否满足", "差不多")
        refs["h2"] = set_cell(wb, "合规性", "H2", "是否满足", None)
        refs["year"] = set_cell(wb, "年度数据", 2024, "一般工业固体废物产生量（吨）", 1e25)
        refs["both"] = set_cell(wb, "自评", "A1.2", "不适用理由", "没有")
        refs["max"] = set_cell(wb, "自评", "A4.1", "自评分", 12)
        refs["evidence"] = set_cell(wb, "自评", "A1.3", "支撑材料编号", "E01、E09")
        set_cell(wb, "自评", "F2.1", "自评分", None)
        refs["na"] = set_cell(wb, "自评", "F2.1", "不适用理由", "无")

    edit(path, spoil)
    found = problems(path)
    expected = {
        "staff": "应为整数（单位规模（职工人数））",
        "county": "“章贡县” 不是赣州市的县（市、区）",
        "area": "应为数字，不能填写“是”（占地面积（平方米））",
        "phone": "不是有效的电话号码",
        "profile": "仍是模板的示例文字“（请填写单位简介）”",
        "soil": "请选择“是”或“否”",
        "h1": "请选择“满足”或“不满足”（H1 是否满足）",
        "h2": "H2 未填写",
        "year": "超出合理范围（不能大于 1 亿 吨）（2024 年 一般工业固体废物产生量（吨））",
        "max": "12 超过该项满分 10（A4.1 自评分）",
        "evidence": "E09 未在“支撑材料”工作表中列出",
        "na": "F2.1 是附加分项，不能填写不适用",
    }
    for name, fragment in expected.items():
        assert any(p.startswith(f"{refs[name]}: ") and fragment in p for p in found), (name, refs[name], found)
    both = [p for p in found if "不能同时填写自评分和不适用理由" in p]
    assert both and both[0].startswith("自评!"), found
    assert len(found) == len(expected) + 1, found
    for p in found:
        assert not YAML_WORDS.search(p), p
    order = [_place(p) for p in found]
    assert order == sorted(order), found


SHEETS = ("基本信息", "合规性", "年度数据", "固废台账", "自评", "支撑材料")


def _place(problem: str) -> tuple[int, int, int]:
    m = re.match(r"(\w+)!([A-Z]+)(\d+):", problem)
    assert m, problem
    return SHEETS.index(m.group(1)), int(m.group(3)), ord(m.group(2)[0])


def test_an_unanswered_hard_item_names_the_cell_and_the_choice(tmp_path) -> None:
    path = example_workbook(tmp_path)
    ref: dict[str, str] = {}
    edit(path, lambda wb: ref.setdefault("c", set_cell(wb, "合规性", "H2", "是否满足", None)))
    (found,) = problems(path)
    assert found.startswith(f"{ref['c']}: ") and found.endswith("请选择“满足”或“不满足”（H2 是否满足）"), found


def test_the_same_problem_in_yaml_keeps_its_yaml_words(write) -> None:
    from tests.conftest import DELETE, variant

    with pytest.raises(InputError) as info:
        check(write(variant(**{"compliance.H2": DELETE})))
    assert "请填写 met: true 或 false" in str(info.value)
