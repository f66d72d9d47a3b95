"""The city's documents, as bytes: the published list (docx + xlsx), the cover letter, the 抽查通知.

Pure functions of their view data (no database, no clock), so the same batch always gives the same
files. Layout helpers live in `docfmt`; this module only says what the documents contain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from wufei_docs.city.docfmt import (
    body,
    chinese_date,
    docx_bytes,
    heading,
    new_document,
    number,
    signature,
    table,
    title,
    xlsx_bytes,
)

ISSUER = "赣州市工业和信息化局"
RECIPIENT = "市“无废城市”建设工作领导小组办公室"
SCHEME = "《赣州市“无废工厂”创建实施方案》"
LIST_HEADERS = ("序号", "单位名称", "统一社会信用代码", "所在县（市、区）", "类型", "核定分")
LIST_WIDTHS_MM = (12, 36, 48, 22, 21, 17)  # 156 mm: the text width between the margins
NOTICE_FILE = "抽查通知.docx"


@dataclass(frozen=True)
class Listed:
    """One line of a published list, as frozen at publication."""

    seq: int
    name: str
    uscc: str
    county: str
    type: str
    evaluated_total: float | None
    self_total: float | None
    verdict: str | None


@dataclass(frozen=True)
class Progress:
    """Where the city stands against the target, on a given day."""

    published: int  # units counting toward the target (公布 or 抽查中)
    delisted: int
    target: int
    target_year: int
    window_end: dt.date
    days_left: int

    @property
    def remaining(self) -> int:
        return max(self.target - self.published, 0)

    @property
    def percent(self) -> float:
        return round(100 * self.published / self.target, 1) if self.target else 100.0


@dataclass(frozen=True)
class Drawn:
    seq: int
    name: str
    uscc: str
    county: str
    batch: int | None


def list_title(batch: int) -> str:
    return f"赣州市“无废城市细胞”建设单位名单（第{batch}批）"


def letter_title(batch: int) -> str:
    return f"关于报送第{batch}批“无废工厂”评估结果的函"


def list_row(u: Listed) -> tuple[object, ...]:
    return (u.seq, u.name, u.uscc, u.county, u.type, number(u.evaluated_total))


def list_docx(batch: int, day: dt.date, rows: list[Listed]) -> bytes:
    head = list_title(batch)
    doc = new_document(head, ISSUER, day)
    title(doc, head)
    table(doc, LIST_HEADERS, [list_row(u) for u in rows], LIST_WIDTHS_MM, centred=(True, False, True, True, True, True))
    body(doc, "", indent=False)
    body(doc, f"共{len(rows)}家。", indent=False)
    return docx_bytes(doc)


def list_xlsx(batch: int, day: dt.date, rows: list[Listed]) -> bytes:
    """The same list as a workbook: header row frozen, widths set, scores as numbers."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Border, Font, Side  # type: ignore[import-untyped]

    from wufei_docs.files.safety import text_not_formulas

    wb = Workbook()
    ws = wb.active
    ws.title = f"第{batch}批"
    ws.append(list(LIST_HEADERS))
    for u in rows:
        ws.append([u.seq, u.name, u.uscc, u.county, u.type, u.evaluated_total])
    text_not_formulas(ws)
    thin = Side(style="thin")
    for row in ws.iter_rows():
        for cell in row:
            cell.font = Font(name="仿宋", size=12, bold=cell.row == 1)
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(horizontal="left" if cell.column == 2 else "center", vertical="center")
    for letter, width in zip("ABCDEF", (6, 44, 24, 18, 12, 10), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = list_title(batch)
    wb.properties.title = list_title(batch)
    wb.properties.creator = ISSUER
    return xlsx_bytes(wb, day)


def letter_docx(batch: int, day: dt.date, rows: list[Listed], progress: Progress, threshold: float) -> bytes:
    """The cover letter to the 领导小组办公室: counts per county, the evaluation results, progress."""
    head = letter_title(batch)
    doc = new_document(head, ISSUER, day)
    title(doc, head)
    body(doc, f"{RECIPIENT}：", indent=False)
    body(
        doc,
        f"根据{SCHEME}有关要求，各县（市、区）工信部门会同当地生态环境部门对申报企业开展了验收评估，"
        f"并将推荐名单和相关申报材料报送我局。经汇总审核，现将第{batch}批评估结果报送如下：",
    )
    counties = _per_county(rows)
    heading(doc, "一、评估情况")
    body(doc, _summary(rows, counties, threshold))
    table(
        doc, ("序号", "县（市、区）", "推荐单位数"), [(i, c, n) for i, (c, n) in enumerate(counties, 1)], (20, 80, 56)
    )
    heading(doc, "二、评估结果")
    body(doc, "各单位自评分、核定分及评估结论如下：")
    table(
        doc,
        ("序号", "单位名称", "所在县（市、区）", "自评分", "核定分", "评估结论"),
        [(u.seq, u.name, u.county, number(u.self_total), number(u.evaluated_total), u.verdict or "—") for u in rows],
        (12, 50, 26, 22, 22, 24),
        centred=(True, False, True, True, True, True),
    )
    heading(doc, "三、创建进展")
    body(doc, progress_sentence(progress, day, batch_count=len(rows)))
    body(doc, f"建议按程序发布{list_title(batch)}。")
    body(doc, "特此函告。")
    body(doc, "", indent=False)
    body(doc, f"附件：{list_title(batch)}", indent=True)
    signature(doc, ISSUER, day)
    return docx_bytes(doc)


def progress_sentence(p: Progress, day: dt.date, *, batch_count: int | None = None) -> str:
    this = f"（含本批{batch_count}家）" if batch_count else ""
    text = (
        f"截至{chinese_date(day)}，全市累计公布“无废工厂”{p.published}家{this}，"
        f"为到{p.target_year}年创建{p.target}家目标的{number(p.percent)}%"
    )
    text += "，已完成目标。" if p.remaining == 0 else f"，尚差{p.remaining}家。"
    if p.delisted:
        text += f"另有{p.delisted}家已摘牌，不计入。"
    if p.days_left > 0:
        text += f"申报截止日期为{chinese_date(p.window_end)}，距截止还有{p.days_left}天。"
    elif p.days_left == 0:
        text += "今天是申报截止日。"
    else:
        text += f"申报期已结束（截止日期为{chinese_date(p.window_end)}）。"
    return text


def notice_docx(check: int, day: dt.date, seed: int, population: int, drawn: list[Drawn]) -> bytes:
    """抽查通知 to the counties concerned, naming the units drawn and how they were drawn."""
    head = "关于开展“无废工厂”抽查工作的通知"
    doc = new_document(head, ISSUER, day)
    title(doc, head)
    counties = sorted({d.county for d in drawn}, key=[d.county for d in drawn].index)
    body(doc, f"{'、'.join(counties)}工信部门：", indent=False)
    body(
        doc,
        f"根据{SCHEME}“监督管理”有关要求，按照{RECIPIENT}工作安排，我局决定对已公布的“无废工厂”"
        f"开展第{check}次抽查。现将有关事项通知如下：",
    )
    heading(doc, "一、抽查对象")
    body(
        doc,
        f"从已公布的{population}家“无废工厂”中随机抽取{len(drawn)}家（按统一社会信用代码排序，"
        f"随机数种子{seed}，抽取结果可复核），名单如下：",
    )
    table(
        doc,
        ("序号", "单位名称", "统一社会信用代码", "所在县（市、区）", "公布批次"),
        [(d.seq, d.name, d.uscc, d.county, f"第{d.batch}批" if d.batch else "—") for d in drawn],
        (12, 50, 46, 24, 24),
        centred=(True, False, True, True, True),
    )
    heading(doc, "二、抽查内容")
    body(
        doc,
        "对照《赣州市“无废工厂”评价指标》，重点核查硬性指标（合规性要求）落实情况、工业固体废物产生及"
        "利用处置台账、危险废物规范化管理情况和申报材料的真实性。",
    )
    heading(doc, "三、工作要求")
    body(
        doc,
        "请有关县（市、区）工信部门及时通知被抽查单位做好准备，配合现场核查，如实提供相关资料。"
        "对抽查不合格的单位，将要求其重新开展创建；存在严重违法违规或出现重大事故的，实行摘牌处理。",
    )
    signature(doc, ISSUER, day)
    return docx_bytes(doc)


def _per_county(rows: list[Listed]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for u in rows:
        counts[u.county] = counts.get(u.county, 0) + 1
    return list(counts.items())


def _summary(rows: list[Listed], counties: list[tuple[str, int]], threshold: float) -> str:
    scores = [u.evaluated_total for u in rows if u.evaluated_total is not None]
    text = f"本批共汇总{len(counties)}个县（市、区）推荐的{len(rows)}家企业"
    if not scores:
        return text + "。"
    low, high = min(scores), max(scores)
    span = f"核定分为{number(low)}分" if low == high else f"核定分在{number(low)}—{number(high)}分之间"
    below = sum(1 for s in scores if s < threshold)
    tail = (
        f"，均达到{number(threshold)}分的达标基准分。" if not below else f"，其中{below}家低于{number(threshold)}分。"
    )
    return f"{text}，{span}{tail}"
