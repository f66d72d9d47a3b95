"""The Excel workbook layout as data: sheet names, columns, and the field each cell holds.

The writer (`workbook.py`) and the reader (`loaders/xlsx.py`) both work from these tables, so a
label, a column or a dropdown exists in exactly one place. No openpyxl here (imported by the CLI).

Kinds say how a cell maps to the YAML value (FORMAT.md §1):
    text, multiline, code (text that is often typed as a number), number, int, date,
    bool (是/否), met (满足/不满足), roles (单位类型 list), kind (固废类别), evidence (编号 list),
    year, id, and info (written for the reader's benefit, never read back).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

INFO = "基本信息"
HARD = "合规性"
YEARS = "年度数据"
STREAMS = "固废台账"
ITEMS = "自评"
EVIDENCE = "支撑材料"
GUIDE = "说明"
DATA_SHEETS = (INFO, HARD, YEARS, STREAMS, ITEMS, EVIDENCE)
ALL_SHEETS = (GUIDE, *DATA_SHEETS)

KIND_LABELS = {"hazardous": "危险废物", "general": "一般工业固体废物"}
KIND_SYNONYMS = {"危废": "hazardous", "一般固废": "general", "一般固体废物": "general", "一般工业固废": "general"}
YES, NO = "是", "否"
MET, UNMET = "满足", "不满足"
TRUE_WORDS = frozenset({"是", "满足", "true", "yes", "y", "√", "✓", "✔"})
FALSE_WORDS = frozenset({"否", "不满足", "false", "no", "n", "×", "✗", "✘"})
LIST_SEPARATORS = r"[、,，;；\s]+"
JOIN = "、"

TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Field:
    """One labelled cell (基本信息) or one column (the other sheets)."""

    label: str
    key: tuple[str, ...]  # 基本信息: path from the document root; tables: path inside one row
    kind: str = "text"
    required: bool = False
    hint: str = ""
    width: float = 16


@dataclass(frozen=True)
class Table:
    """A sheet with a header row and one record per row."""

    sheet: str
    path: tuple[str, ...]  # where the records go in the document
    columns: tuple[Field, ...]
    keyed: bool  # True: a mapping keyed by the first column (编号/年度); False: a list
    rows: int  # empty rows prepared (borders, dropdowns, checks) after the filled ones

    @property
    def data_columns(self) -> tuple[Field, ...]:
        return tuple(c for c in self.columns if c.kind != "info" and c.key)


def _f(label: str, *key: str, kind: str = "text", required: bool = False, hint: str = "", width: float = 16) -> Field:
    return Field(label, tuple(key), kind, required, hint, width)


# --- 基本信息: label in column A, value in column B, hint in column C ---------------------------

INFO_COLUMNS = ("项目", "填写内容", "填写说明")
INFO_WIDTHS = (30, 60, 58)
INFO_SECTIONS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (
        "文件信息（请勿修改）",
        (
            _f("文件格式", "format", required=True, hint="固定为 wufei/enterprise-1，请勿修改"),
            _f("评价指标", "rubric", hint="评价指标编号，如 ganzhou-2023"),
        ),
    ),
    (
        "一、单位基本信息",
        (
            _f("单位全称", "unit", "name", required=True, hint="与营业执照一致"),
            _f("统一社会信用代码", "unit", "uscc", kind="code", required=True, hint="18 位，含校验位"),
            _f("详细地址", "unit", "address", required=True),
            _f("所在县（市、区）", "unit", "county", required=True, hint="从下拉列表选择"),
            _f("占地面积（平方米）", "unit", "area_m2", kind="number", required=True, hint="大于 0 的数字"),
            _f("单位规模（职工人数）", "unit", "staff", kind="int", required=True, hint="正整数"),
            _f("负责人姓名", "unit", "head", "name", required=True),
            _f(
                "负责人联系方式",
                "unit",
                "head",
                "phone",
                kind="code",
                required=True,
                hint="座机如 0797-8888888，或手机号码",
            ),
            _f("联系人姓名", "unit", "contact", "name", required=True),
            _f("联系人手机号码", "unit", "contact", "mobile", kind="code", required=True, hint="11 位手机号码"),
            _f("联系人电子邮箱", "unit", "contact", "email", required=True),
            _f(
                "单位类型",
                "unit",
                "roles",
                kind="roles",
                required=True,
                hint="从下拉列表选择；多种类型用顿号“、”分隔。决定适用的硬性指标（H2–H4）",
            ),
            _f(
                "是否土壤污染重点监管单位",
                "unit",
                "soil_key_unit",
                kind="bool",
                required=True,
                hint="是 / 否；决定 D2.2 是否适用",
            ),
            _f("法定代表人", "unit", "legal_rep", hint="选填"),
            _f("所属行业代码", "unit", "industry", "code", hint="选填；国民经济行业分类代码，如 C3240"),
            _f("所属行业名称", "unit", "industry", "name", hint="选填；如 有色金属合金制造"),
            _f("单位性质", "unit", "ownership", hint="选填；从下拉列表选择"),
            _f("成立日期", "unit", "founded", kind="date", hint="选填；如 2008-05-20"),
            _f("邮政编码", "unit", "postcode", kind="code", hint="选填；6 位数字"),
            _f("主导产品", "unit", "products", hint="选填"),
            _f("单位简介", "unit", "profile", kind="multiline", hint="选填；可分段（单元格内按 Alt+Enter 换行）"),
        ),
    ),
    (
        "二、申报信息",
        (
            _f("建设申报类型", "application", "type", hint="一般为“无废工厂”"),
            _f("申报日期", "application", "date", kind="date", required=True, hint="如 2025-03-01"),
            _f(
                "主要工作",
                "application",
                "summary",
                kind="multiline",
                required=True,
                hint="附件2“主要工作”及申报书正文；可分段（Alt+Enter 换行）",
            ),
        ),
    ),
    (
        "三、转移联单（最近一年）",
        (
            _f("转移联单总数", "waste", "manifests", "total", kind="int", required=True, hint="整数；无转移填 0"),
            _f(
                "其中电子联单数",
                "waste",
                "manifests",
                "electronic",
                kind="int",
                required=True,
                hint="整数，不超过联单总数（用于 A3.1）",
            ),
        ),
    ),
)
INFO_FIELDS = tuple(f for _, fields in INFO_SECTIONS for f in fields)

# --- tables ----------------------------------------------------------------------------------

HARD_TABLE = Table(
    HARD,
    ("compliance",),
    (
        _f("编号", "id", kind="id", width=8),
        _f("硬性指标（合规性要求）", kind="info", width=60),
        _f("适用单位", kind="info", width=20),
        _f("是否满足", "met", kind="met", hint="满足 / 不满足", width=12),
        _f("说明", "note", kind="multiline", width=46),
    ),
    keyed=True,
    rows=0,
)

YEARS_TABLE = Table(
    YEARS,
    ("waste", "years"),
    (
        _f("年度", "year", kind="year", hint="4 位年份，如 2024", width=10),
        _f("工业总产值（万元）", "output_value", kind="number", hint="大于 0", width=20),
        _f("一般工业固体废物产生量（吨）", "general_t", kind="number", hint="不小于 0", width=30),
        _f("危险废物产生量（吨）", "hazardous_t", kind="number", hint="不小于 0", width=22),
    ),
    keyed=True,
    rows=10,
)

STREAMS_TABLE = Table(
    STREAMS,
    ("waste", "streams"),
    (
        _f("固体废物名称", "name", width=22),
        _f("类别", "kind", kind="kind", hint="危险废物 / 一般工业固体废物", width=18),
        _f("危险废物代码", "code", kind="code", hint="如 900-249-08；一般固废不填", width=15),
        _f("产生节点", "node", width=16),
        _f("产生量（吨）", "generated_t", kind="number", width=12),
        _f("综合利用量（吨）", "utilized_t", kind="number", width=12),
        _f("处置量（吨）", "disposed_t", kind="number", width=12),
        _f("年末贮存量（吨）", "stored_t", kind="number", width=12),
        _f("去向（接收单位）", "destination", width=30),
        _f("利用处置方式", "method", width=20),
    ),
    keyed=False,
    rows=50,
)

ITEMS_TABLE = Table(
    ITEMS,
    ("items",),
    (
        _f("编号", "id", kind="id", width=7),
        _f("评价内容", kind="info", width=54),
        _f("满分", kind="info", width=6),
        _f("自评分", "score", kind="number", hint="0 至满分，0.5 的整数倍", width=8),
        _f("说明", "note", kind="multiline", width=40),
        _f("支撑材料编号", "evidence", kind="evidence", hint="如 E01、E02", width=14),
        _f("不适用理由", "na", kind="multiline", hint="合理缺项时填写，此时不填自评分", width=20),
        _f("提示", kind="info", width=22),
    ),
    keyed=True,
    rows=0,
)

EVIDENCE_TABLE = Table(
    EVIDENCE,
    ("evidence",),
    (
        _f("编号", "id", kind="code", hint="如 E01", width=10),
        _f("材料名称", "title", width=50),
        _f("文件", "file", hint="相对本文件所在文件夹，如 支撑材料/E01.pdf（.pdf/.jpg/.png/.docx）", width=36),
    ),
    keyed=False,
    rows=50,
)

TABLES = (HARD_TABLE, YEARS_TABLE, STREAMS_TABLE, ITEMS_TABLE, EVIDENCE_TABLE)


def column_letter(index: int) -> str:
    """1 → A, 27 → AA (without importing openpyxl)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_ref(sheet: str, row: int, column: int) -> str:
    return f"{sheet}!{column_letter(column)}{row}"


def display_width(text: str) -> int:
    """Width in Excel column units: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def lines_needed(text: str, width: float) -> int:
    """Lines a wrapped cell needs (spreadsheets cannot size rows to content when the file is written)."""
    usable = max(width * 0.9 - 1, 1)
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in text.split("\n"))
