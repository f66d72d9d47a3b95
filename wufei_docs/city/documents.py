"""The city's documents, as bytes: the published list (docx + xlsx), the cover letter, the 抽查通知.

Pure functions of their data (no database, no clock), so the same batch always gives the same files.
Each .docx is a template (templates/建设单位名单.docx, 报送函.docx, 抽查通知.docx, or a city office's restyled
copy in a `--templates` folder) rendered by `render.render_docx`; this module makes the view data: every
number and every sentence that depends on the data. The .xlsx is written by `xlsxout`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wufei_docs.city.docfmt import chinese_date, number

ISSUER = "赣州市工业和信息化局"
RECIPIENT = "市“无废城市”建设工作领导小组办公室"
LIST_HEAD = "赣州市“无废城市细胞”建设单位名单"
LIST_HEADERS = ("序号", "单位名称", "统一社会信用代码", "所在县（市、区）", "类型", "核定分")
NOTICE_TITLE = "关于开展“无废工厂”抽查工作的通知"
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
    return f"{LIST_HEAD}（第{batch}批）"


def letter_title(batch: int) -> str:
    return f"关于报送第{batch}批“无废工厂”评估结果的函"


def list_row(u: Listed) -> tuple[object, ...]:
    return (u.seq, u.name, u.uscc, u.county, u.type, number(u.evaluated_total))


def list_view(batch: int, day: dt.date, rows: list[Listed]) -> dict[str, Any]:
    """The view data of the published list (建设单位名单.docx)."""
    return {
        "doc": {**_signed(day), "title": list_title(batch), "title_head": LIST_HEAD, "batch": batch, "count": len(rows)},
        "units": [dict(zip(("seq", "name", "uscc", "county", "type", "evaluated_total"), list_row(u), strict=True))
                  for u in rows],
    }  # fmt: skip


def list_docx(batch: int, day: dt.date, rows: list[Listed], templates: Path | None = None) -> bytes:
    from wufei_docs.render.templates import CITY_LIST

    return _render(CITY_LIST, list_view(batch, day, rows), templates)


def list_xlsx(batch: int, rows: list[Listed]) -> bytes:
    """The same list as a workbook: header row frozen and printed on every page, widths set, scores as numbers
    (xlsxout: fixed file dates, so the same list gives the same bytes)."""
    from wufei_docs.excel.xlsxout import Sheet, workbook_bytes

    values = [[u.seq, u.name, u.uscc, u.county, u.type, u.evaluated_total] for u in rows]
    sheet = Sheet(f"第{batch}批", None, LIST_HEADERS, values, (6, 44, 24, 18, 12, 10), page_header=list_title(batch))
    return workbook_bytes([sheet], creator=ISSUER)


def letter_view(batch: int, day: dt.date, rows: list[Listed], progress: Progress, threshold: float) -> dict[str, Any]:
    """The view data of the cover letter to the 领导小组办公室 (报送函.docx): counts per county, the
    evaluation results, progress toward the target."""
    counties = _per_county(rows)
    return {
        "doc": {
            **_signed(day),
            "title": letter_title(batch),
            "batch": batch,
            "recipient": RECIPIENT,
            "summary": _summary(rows, counties, threshold),
            "results_intro": ("该单位" if len(rows) == 1 else "各单位") + "自评分、核定分及评估结论如下：",
            "evaluated_by": f"{counties[0][0]}工信部门" if len(counties) == 1 else "各县（市、区）工信部门",
            "progress": progress_sentence(progress, day, batch_count=len(rows)),
            "list_title": list_title(batch),
        },
        "counties": [{"no": i, "county": c, "units": n} for i, (c, n) in enumerate(counties, 1)],
        "units": [
            {"seq": u.seq, "name": u.name, "county": u.county, "self_total": number(u.self_total),
             "evaluated_total": number(u.evaluated_total), "verdict": u.verdict or "—"}
            for u in rows
        ],
    }  # fmt: skip


def letter_docx(
    batch: int, day: dt.date, rows: list[Listed], progress: Progress, threshold: float, templates: Path | None = None
) -> bytes:
    from wufei_docs.render.templates import CITY_LETTER

    return _render(CITY_LETTER, letter_view(batch, day, rows, progress, threshold), templates)


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


def notice_view(check: int, day: dt.date, seed: int, population: int, drawn: list[Drawn]) -> dict[str, Any]:
    """The view data of the 抽查通知 to the counties concerned (抽查通知.docx): the units drawn and how."""
    counties = list(dict.fromkeys(d.county for d in drawn))
    how = f"按统一社会信用代码排序，随机数种子{seed}，抽取结果可复核"
    follows = "具体如下：" if len(drawn) == 1 else "名单如下："
    if len(drawn) == population:
        selection = f"已公布的{population}家“无废工厂”全部列入本次抽查（{how}），{follows}"
    else:
        selection = f"从已公布的{population}家“无废工厂”中随机抽取{len(drawn)}家（{how}），{follows}"
    return {
        "doc": {
            **_signed(day),
            "title": NOTICE_TITLE,
            "addressees": "、".join(counties),
            "recipient": RECIPIENT,
            "check": check,
            "selection": selection,
        },
        "units": [
            {"seq": d.seq, "name": d.name, "uscc": d.uscc, "county": d.county,
             "batch": f"第{d.batch}批" if d.batch else "—"}
            for d in drawn
        ],
    }  # fmt: skip


def notice_docx(
    check: int, day: dt.date, seed: int, population: int, drawn: list[Drawn], templates: Path | None = None
) -> bytes:
    from wufei_docs.render.templates import CITY_NOTICE

    return _render(CITY_NOTICE, notice_view(check, day, seed, population, drawn), templates)


def _signed(day: dt.date) -> dict[str, str]:
    return {"issuer": ISSUER, "date_text": chinese_date(day)}


def _render(name: str, context: dict[str, Any], templates: Path | None) -> bytes:
    from wufei_docs.render.engine import render_docx
    from wufei_docs.render.templates import template_path

    return render_docx(template_path(name, templates), context)


def _per_county(rows: list[Listed]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for u in rows:
        counts[u.county] = counts.get(u.county, 0) + 1
    return list(counts.items())


def _summary(rows: list[Listed], counties: list[tuple[str, int]], threshold: float) -> str:
    """“本批共汇总2个县（市、区）推荐的4家企业，核定分在95—105分之间，均达到90分的达标基准分。”, said of one
    county by its name and of one unit without “均”."""
    where = counties[0][0] if len(counties) == 1 else f"{len(counties)}个县（市、区）"
    text = f"本批为{where}推荐的1家企业" if len(rows) == 1 else f"本批共汇总{where}推荐的{len(rows)}家企业"
    scores = [u.evaluated_total for u in rows if u.evaluated_total is not None]
    if not scores:
        return text + "。"
    low, high = min(scores), max(scores)
    below = sum(1 for s in scores if s < threshold)
    base = f"{number(threshold)}分的达标基准分"
    if low == high:  # one score for all: “均” said once, with the score (“核定分均为105分，达到…”)
        span = f"核定分{'均' if len(scores) > 1 else ''}为{number(low)}分"
        tail = f"，低于{base}。" if below else f"，达到{base}。"
        return f"{text}，{span}{tail}"
    span = f"核定分在{number(low)}—{number(high)}分之间"
    if below == 0:
        tail = f"，均达到{base}。"
    elif below == len(scores):
        tail = f"，均低于{base}。"
    else:
        tail = f"，其中{below}家低于{number(threshold)}分。"
    return f"{text}，{span}{tail}"
