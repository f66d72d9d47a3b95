"""The county's own documents: 推荐名单 (xlsx + docx) and the 推荐函 to 市工信局.

All of them read the bundle's Entries (which read the one ScoreResult per enterprise); no score is
recomputed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from wufei_docs.county.pool import Task
from wufei_docs.model import Evaluation

if TYPE_CHECKING:
    from wufei_docs.county.types import BundleReport, Entry

LIST_HEADERS = ("序号", "单位名称", "统一社会信用代码", "所在县区", "自评分", "核定分", "结论", "验收日期", "意见")
OTHERS_HEADERS = (*LIST_HEADERS, "未推荐原因")
LIST_XLSX = "推荐名单.xlsx"
LIST_DOCX = "推荐名单.docx"
LETTER_DOCX = "推荐函.docx"


def list_rows(entries: list[Entry], *, with_reason: bool = False) -> list[list[Any]]:
    rows = []
    for i, e in enumerate(entries, 1):
        row: list[Any] = [
            i,
            e.name or f"（{e.source}）",
            e.uscc or "",
            e.county or "",
            _score(e.self_total),
            _score(e.evaluated_total),
            "推荐" if e.recommended else (e.verdict or "—"),
            e.evaluated or "",
            e.opinion or "",
        ]
        if with_reason:
            row.append(e.reason or "")
        rows.append(row)
    return rows


def _score(value: float | None) -> float | str:
    return "" if value is None else value


def write_list_xlsx(report: BundleReport, target: Path) -> None:
    """Two sheets, 推荐名单 and 未推荐, each with a title, a frozen header and fixed widths (xlsxout:
    written directly, deterministic bytes)."""
    from wufei_docs.excel.xlsxout import Sheet, workbook_bytes
    from wufei_docs.files.fsutil import atomic_write_bytes

    widths = {"序号": 6, "单位名称": 36, "统一社会信用代码": 22, "所在县区": 11, "自评分": 8, "核定分": 8,
              "结论": 8, "验收日期": 12, "意见": 24, "未推荐原因": 36}  # fmt: skip
    sheets = [
        Sheet(title, f"{report.county}“无废工厂”{title}", headers, rows, [widths.get(h, 12) for h in headers])
        for title, headers, rows in (
            ("推荐名单", LIST_HEADERS, list_rows(report.recommended)),
            ("未推荐", OTHERS_HEADERS, list_rows(report.not_recommended, with_reason=True)),
        )
    ]
    atomic_write_bytes(target, workbook_bytes(sheets))


def issuer_name(evaluation: Evaluation) -> str:
    """The county 工信局 signing the letter: the evaluator that is one, else the standard name."""
    for name in evaluation.evaluators:
        if "工信" in name or "工业和信息化" in name or "企工局" in name:
            return name
    return f"{evaluation.county}工业和信息化局"


def county_view(report: BundleReport, evaluation: Evaluation) -> dict[str, Any]:
    """The view model of 推荐名单.docx and 推荐函.docx: every sentence and number decided here."""
    from wufei_docs.county.rules import bundle_date
    from wufei_docs.render.numfmt import cn_date

    recommended = [_entry_view(i, e) for i, e in enumerate(report.recommended, 1)]
    for i, entry in enumerate(recommended, 1):  # the 推荐函 lists them in one sentence: “…；…；…。”
        entry["end"] = "。" if i == len(recommended) else "；"
    others = [_entry_view(i, e) for i, e in enumerate(report.not_recommended, 1)]
    date = bundle_date(evaluation)
    partners = [n for n in evaluation.evaluators if n != issuer_name(evaluation)]
    total = len(report.entries)
    with_ = f"会同{'、'.join(partners)}，" if partners else ""
    opening = (
        f"根据《赣州市“无废工厂”创建实施方案》要求，我局{with_}对照《赣州市“无废工厂”评价指标》，"
        f"对辖区内申报的 {total} 家企业进行了验收评估。"
    )
    if recommended:
        opening += f"经评估，{len(recommended)} 家企业硬性指标全部满足、核定分不低于 90 分，达到创建要求，现推荐如下："
    else:
        opening += "经评估，本次暂无企业达到创建要求。"
    others_sentence = (
        f"另有 {len(others)} 家企业未达到要求或材料不全，暂不推荐（原因见推荐名单）。" if others and recommended else ""
    )
    return {
        "doc": {
            "county": evaluation.county,
            "issuer": issuer_name(evaluation),
            "recipient": "赣州市工业和信息化局",
            "evaluators": "、".join(evaluation.evaluators) or issuer_name(evaluation),
            "date_text": cn_date(date) if date else "　　　　年　　月　　日",
            "subtitle": f"（共受理 {total} 家，推荐 {len(recommended)} 家）",
            "opening": opening,
            "others_sentence": others_sentence,
        },
        "recommended": recommended,
        "others": others,
    }


def _entry_view(no: int, e: Entry) -> dict[str, Any]:
    return {
        "no": no,
        "name": e.name or f"（文件 {e.source}）",
        "uscc": e.uscc or "—",
        "county": e.county or "—",
        "self_total": _fmt(e.self_total),
        "evaluated_total": _fmt(e.evaluated_total),
        "verdict": "推荐" if e.recommended else (e.verdict or "—"),
        "evaluated": e.evaluated or "—",
        "opinion": e.opinion or "",
        "reason": e.reason or "",
    }


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def county_tasks(report: BundleReport, context: dict[str, Any], *, templates: Path | None = None) -> dict[str, Task]:
    """推荐名单.xlsx/.docx and 推荐函.docx as tasks by file name, each writing its file
    atomically; `context` is county_view(report, evaluation). The .docx tasks carry plain data, so a bundle
    helper process can run them too."""
    from wufei_docs.render.templates import COUNTY_LETTER, COUNTY_LIST, template_path

    return {
        LIST_XLSX: Task(write_list_xlsx, (report, report.out / LIST_XLSX)),
        LIST_DOCX: Task(write_docx, (template_path(COUNTY_LIST, templates), context, report.out / LIST_DOCX)),
        LETTER_DOCX: Task(write_docx, (template_path(COUNTY_LETTER, templates), context, report.out / LETTER_DOCX)),
    }


def write_docx(template: Path, context: dict[str, Any], target: Path) -> None:
    from wufei_docs.files.fsutil import atomic_write_bytes
    from wufei_docs.render.engine import render_docx

    atomic_write_bytes(target, render_docx(template, context))
