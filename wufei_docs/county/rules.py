"""The county's rules (notice 四、(二)): who is recommended and why not, the 15-day rule, duplicates,
evaluation entries without a file, folder names and the order of the lists. Pure functions of Entries."""

from __future__ import annotations

import datetime as dt

from wufei_docs.county.types import ENTERPRISE_FOLDER, Assessed, Entry
from wufei_docs.errors import InputError, WufeiError
from wufei_docs.model import Evaluation
from wufei_docs.scoring.score import PASS, VETO, ScoreResult


def recommendation(county: str, own_county: str, evaluated: bool, result: ScoreResult) -> tuple[bool, str | None]:
    """Whether the county recommends the enterprise and, if not, every reason why (joined by “；”):
    another county's enterprise, no evaluation, a veto, a total below the threshold."""
    reasons = []
    if county != own_county:
        reasons.append(f"属{county}，非本县（市、区）企业")
    if not evaluated:
        reasons.append("未验收评估")
    kind = "核定分" if evaluated else "自评分"
    if result.verdict == VETO:
        reasons.append("否决（硬性指标 " + "、".join(v.id for v in result.vetoed) + " 不满足）")
    elif result.verdict != PASS:
        reasons.append(f"{kind} {result.total:g} 低于 {result.threshold:g} 分")
    return (False, "；".join(reasons)) if reasons else (True, None)


def timing_warnings(entry: Entry, days_allowed: int) -> list[str]:
    if not (entry.received and entry.evaluated):
        return [f"{entry.name}：未填写受理日期或验收日期"]
    days = (dt.date.fromisoformat(entry.evaluated) - dt.date.fromisoformat(entry.received)).days
    if days > days_allowed:
        return [f"{entry.name}：受理 {entry.received} 至验收 {entry.evaluated} 共 {days} 天，超过 {days_allowed} 日"]
    return []


def first_line(error: WufeiError) -> str:
    if isinstance(error, InputError):
        first = str(error.problems[0])
        more = len(error.problems) - 1
        return first + (f"（另有 {more} 个问题）" if more else "")
    return str(error)


def check_duplicates(assessed: list[Assessed]) -> list[str]:
    seen: dict[str, str] = {}
    warnings = []
    for a in assessed:
        uscc = a.entry.uscc
        if uscc is None:
            continue
        if uscc in seen:
            a.entry.error = f"统一社会信用代码 {uscc} 与 {seen[uscc]} 重复"
            a.entry.reason, a.entry.recommended = f"文件无效：{a.entry.error}", False
            warnings.append(f"{a.entry.source}：{a.entry.error}，未处理")
        else:
            seen[uscc] = a.entry.source
    return warnings


def evaluation_warnings(evaluation: Evaluation, assessed: list[Assessed]) -> list[str]:
    present = {a.entry.uscc for a in assessed if a.entry.uscc}
    warnings = [w for a in assessed for w in a.entry.warnings]
    for a in assessed:
        if a.entry.uscc and a.entry.error is None and a.evaluation is None:
            warnings.append(f"{a.entry.name}（{a.entry.uscc}）：没有验收评估记录，未列入推荐")
    for uscc in evaluation.enterprises:
        if uscc not in present:
            warnings.append(f"评估记录 {uscc} 没有对应的企业申报文件")
    return warnings


def assign_folders(assessed: list[Assessed]) -> None:
    from wufei_docs.files.safety import unique_components

    valid = [a for a in assessed if a.entry.error is None]
    names = unique_components([a.entry.name or "" for a in valid], [a.entry.uscc or "" for a in valid])
    for a, name in zip(valid, names, strict=True):
        a.entry.folder = f"{ENTERPRISE_FOLDER}/{name}"


def ordered(entries: list[Entry]) -> list[Entry]:
    """Recommended first by 核定分 (high to low), then the others; ties by USCC, then file name."""

    def key(e: Entry) -> tuple[int, float, str, str]:
        return (
            0 if e.recommended else 1,
            -(e.evaluated_total or 0.0) if e.recommended else 0.0,
            e.uscc or "~",
            e.source,
        )

    return sorted(entries, key=key)


def bundle_date(evaluation: Evaluation) -> dt.date | None:
    """The bundle's date: the latest 验收 date (no wall-clock time, so re-runs are reproducible)."""
    dates = [e.evaluated for e in evaluation.enterprises.values() if e.evaluated]
    return max(dates) if dates else None
