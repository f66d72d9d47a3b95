"""The county's own documents: 推荐名单 (xlsx + docx) and the 推荐函 to 市工信局.

All of them read the bundle's Entries (which read the one ScoreResult per enterprise); no score is
recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """Who signs the letter: the first evaluator, as the evaluation names it (the lead 工信局), else the
    standard name of the county's bureau."""
    return evaluation.evaluators[0] if evaluation.evaluators else f"{evaluation.county}工业和信息化局"


def county_view(report: BundleReport, evaluation: Evaluation) -> dict[str, Any]:
    """The view model of 推荐名单.docx and 推荐函.docx: every sentence and number decided here, from the
    same Entries as bundle.json (counts: see `Counts`)."""
    from wufei_docs.county.rules import bundle_date
    from wufei_docs.render.numfmt import cn_date

    recommended = [_entry_view(i, e) for i, e in enumerate(report.recommended, 1)]
    for i, entry in enumerate(recommended, 1):  # the 推荐函 lists them in one sentence: “…；…；…。”
        entry["end"] = "。" if i == len(recommended) else "；"
    others = [_entry_view(i, e) for i, e in enumerate(report.not_recommended, 1)]
    date = bundle_date(evaluation)
    counts = Counts.of(report)
    issuer = issuer_name(evaluation)
    contact = evaluation.contact
    return {
        "doc": {
            "county": evaluation.county,
            "issuer": issuer,
            "recipient": "赣州市工业和信息化局",
            "evaluators": "、".join(evaluation.evaluators) or issuer,
            "date_text": cn_date(date) if date else "　　　　年　　月　　日",
            "subtitle": f"（共受理 {counts.received} 家，验收评估 {counts.evaluated} 家，推荐 {counts.recommended} 家）",
            "opening": _opening(counts, evaluation.evaluators[1:]),
            "others_sentence": _others_sentence(counts),
            "contact": f"联系人：{contact.name}　　联系电话：{contact.phone}" if contact is not None else "",
        },
        "recommended": recommended,
        "others": others,
    }


@dataclass(frozen=True)
class Counts:
    """What the letter, the list and the summary count. Only this county's enterprises (valid files whose
    unit is in the evaluation's county) are counted as 受理 (a 受理 date in the evaluation), 验收评估 (an
    evaluation entry) or 推荐; other counties' enterprises and invalid files are counted apart."""

    files: int
    own: int
    received: int
    evaluated: int
    recommended: int
    foreign: int
    failed: int

    @classmethod
    def of(cls, report: BundleReport) -> Counts:
        valid = [e for e in report.entries if e.error is None]
        own = [e for e in valid if e.county == report.county]
        return cls(
            files=len(report.entries),
            own=len(own),
            received=sum(1 for e in own if e.received),
            evaluated=sum(1 for e in own if e.evaluated_total is not None),
            recommended=sum(1 for e in own if e.recommended),
            foreign=len(valid) - len(own),
            failed=len(report.entries) - len(valid),
        )


def _opening(counts: Counts, partners: list[str]) -> str:
    with_ = f"会同{'、'.join(partners)}，" if partners else ""
    text = f"根据《赣州市“无废工厂”创建实施方案》要求，我局{with_}对照《赣州市“无废工厂”评价指标》，"
    r, v = counts.received, counts.evaluated
    if v == 0:
        text += f"共受理辖区内企业申报 {r} 家，尚未完成验收评估。" if r else "本次没有受理和验收评估的辖区内企业。"
    elif r == v:
        text += f"对辖区内受理的 {v} 家企业进行了验收评估。"
    elif v < r:
        text += f"共受理辖区内企业申报 {r} 家，对其中 {v} 家企业进行了验收评估。"
    else:  # evaluation entries without a 受理 date (each one warned about in the summary)
        text += f"共受理辖区内企业申报 {r} 家，对辖区内 {v} 家企业进行了验收评估。"
    k = counts.recommended
    if k == 0:
        return text + ("经评估，本次暂无企业达到创建要求。" if v else "本次暂无推荐的企业。")
    if k == 1:
        return text + "经评估，以下 1 家企业硬性指标全部满足、核定分不低于 90 分，达到创建要求，现予推荐："
    return text + f"经评估，以下 {k} 家企业硬性指标全部满足、核定分均不低于 90 分，达到创建要求，现予推荐："


def _others_sentence(counts: Counts) -> str:
    """The enterprises not recommended, each kind in its own clause (only those there are); “另有” only
    after a list of recommended ones."""
    parts = []
    own_not = counts.own - counts.recommended
    if own_not:
        parts.append(f"{own_not} 家辖区内企业未达到创建要求或未完成验收评估，暂不推荐")
    if counts.foreign:
        parts.append(f"{counts.foreign} 家企业不属本县（市、区），不予推荐")
    if counts.failed:
        parts.append(f"{counts.failed} 个申报文件数据无效，未予评估")
    if not parts:
        return ""
    return ("另有 " if counts.recommended else "") + "；".join(parts) + "。未推荐原因见推荐名单。"


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


def county_tasks(
    report: BundleReport, context: dict[str, Any], into: Path, *, templates: Path | None = None
) -> dict[str, Task]:
    """推荐名单.xlsx/.docx and 推荐函.docx as tasks by file name, each writing its file into the folder
    `into`; `context` is county_view(report, evaluation). The .docx tasks carry plain data, so a bundle
    helper process can run them too."""
    from wufei_docs.render.templates import COUNTY_LETTER, COUNTY_LIST, template_path

    return {
        LIST_XLSX: Task(write_list_xlsx, (report, into / LIST_XLSX)),
        LIST_DOCX: Task(write_docx, (template_path(COUNTY_LIST, templates), context, into / LIST_DOCX)),
        LETTER_DOCX: Task(write_docx, (template_path(COUNTY_LETTER, templates), context, into / LETTER_DOCX)),
    }


def write_docx(template: Path, context: dict[str, Any], target: Path) -> None:
    from wufei_docs.files.fsutil import atomic_write_bytes
    from wufei_docs.render.engine import render_docx

    atomic_write_bytes(target, render_docx(template, context))
