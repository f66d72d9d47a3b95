"""The 说明 sheet of an enterprise workbook: how to fill it in, in plain Chinese."""

from __future__ import annotations

from typing import Any

from wufei_docs.excel.sheets import EVIDENCE, HARD, INFO, ITEMS, STREAMS, YEARS, lines_needed
from wufei_docs.scoring.rubric import Rubric


def guide_lines(rubric: Rubric) -> list[tuple[str, str]]:
    """(style, text) pairs; style is "title", "head" or "" for body text."""
    return [
        ("title", f"{rubric.title} · 申报数据工作簿填写说明"),
        (
            "",
            "本工作簿与 YAML 申报数据文件完全等价：wufei validate / score / build 可直接读取本文件，"
            "wufei convert 可在两种格式之间转换且不丢失数据。",
        ),
        ("head", "一、各工作表"),
        ("", f"· {INFO}：单位信息、申报信息、转移联单数。A 列为项目名称（请勿修改），在 B 列填写，C 列为填写说明。"),
        ("", f"· {HARD}：硬性指标 H1–H4（一票否决）。适用于本单位类型的各项必须选择“满足”或“不满足”。"),
        ("", f"· {YEARS}：每年一行，至少填写最近两个完整年度（用于计算产生强度增长率 A1.6）。"),
        ("", f"· {STREAMS}：固体废物台账（最近一年），每种固体废物一行；危险废物须填写代码（如 900-249-08）。"),
        (
            "",
            f"· {ITEMS}：每个评价指标一行（编号、指标原文、满分已列出），填写自评分、说明、支撑材料编号；"
            "合理缺项时填写“不适用理由”，不填自评分。",
        ),
        ("", f"· {EVIDENCE}：支撑材料清单，每份材料一行；“{ITEMS}”表中引用的编号必须在此列出。"),
        (
            "",
            f"· {EVIDENCE}的“文件”：相对本工作簿所在文件夹的路径（如 支撑材料/E01.pdf），可为 .pdf、.jpg、.png、.docx，"
            "每个不超过 50 MB、合计不超过 300 MB；生成时复制进材料包，加 --pdf 时装订进 申报材料.pdf。"
            "文件暂未找到只作提示；类型与内容不符、加密或损坏的文件报错。",
        ),
        ("head", "二、填写规则"),
        ("", "· 空白单元格视为“未填写”。带下拉箭头的单元格请从列表中选择。"),
        ("", "· 单位类型可多选：从下拉列表中选择组合，或用顿号“、”分隔，如“固体废物产生单位、固体废物处置利用单位”。"),
        ("", "· 自评分：0 至该项满分，0.5 的整数倍。A1.6、A3.1、A4.2 由填报数据自动计算，自评分仅供参考。"),
        ("", "· 附加分（F 类）不能填写不适用理由；未得分请填 0。D2.2 仅土壤污染重点监管单位适用。"),
        ("", "· 支撑材料编号：多个编号用顿号、逗号或空格分隔，如 E01、E02。"),
        ("", "· 日期：如 2025-03-01（也可写 2025/3/1 或 2025年3月1日）。吨数、产值填数字，不带单位。"),
        ("", "· 多行文字（单位简介、主要工作、说明）：单元格内按 Alt+Enter 换行，分段会保留。"),
        ("", "· 可以在“年度数据”“固废台账”“支撑材料”中增加行；请勿修改工作表名称和表头。"),
        ("", "· 可以使用公式，但读取的是 Excel/WPS 保存时的计算结果；填写后请保存再校验。"),
        ("head", "三、检查与生成"),
        ("", "· 校验：wufei validate 本文件.xlsx —— 一次列出全部问题，每条注明单元格，"),
        ("", "  如 “自评!D14: 12 超过该项满分 10”。"),
        ("", "· 计分：wufei score 本文件.xlsx；生成申报材料：wufei build 本文件.xlsx -o 输出文件夹。"),
        ("", "· 文件请保存为 .xlsx（Excel 工作簿），大小不超过 20 MB；旧版 .xls 与加密文件无法读取。"),
        ("", rubric.note),
    ]


def fill_guide(ws: Any, rubric: Rubric) -> None:
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

    width = 64
    ws.column_dimensions["A"].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, (style, text) in enumerate(guide_lines(rubric), start=1):
        cell = ws.cell(row, 1, text)
        cell.alignment = wrap
        if style == "title":
            cell.font = Font(bold=True, size=14)
            ws.row_dimensions[row].height = 24
        elif style == "head":
            cell.font = Font(bold=True)
        elif lines_needed(text, width) > 1:
            ws.row_dimensions[row].height = 15 * lines_needed(text, width)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
