"""What a county bundle claims, checked before anything is imported: nothing in bundle.json is trusted.

A bundle is a file anyone can edit. Before `city import` writes, every claim is held against what it
must follow from: scores within the rubric's bounds, verdicts that follow from the scores (and a
recommendation only with 达标 at or above the threshold), counties from the rubric's list, dates that
exist, are not before the scheme and not after the import, and the sha256 of every package file
listed, recomputed from the bundle's own bytes. Each problem names its field and its enterprise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wufei_docs.city.bundles import MAX_DEPTH, Bundle, Checker, Entry, nesting_depth, parse_bundle
from wufei_docs.city.docfmt import number
from wufei_docs.city.sources import MISSING, NOT_A_FILE, TOO_LARGE, UNREADABLE
from wufei_docs.scoring.rubric import Rubric
from wufei_docs.scoring.score import FAIL, PASS, VETO

VERDICTS = (PASS, FAIL, VETO)


def read_bundle(path: Path, today: dt.date | None = None) -> Bundle:
    """Read a bundle and check everything it claims against its rubric, the import date `today` and the
    files it lists; InputError naming every problem (field and enterprise) otherwise."""
    from wufei_docs.errors import InputError

    parsed = parse_bundle(path)
    if parsed.bundle is not None:
        check_bundle(parsed.checker, parsed.bundle, parsed.data, today or dt.date.today(), parsed.source.digests)
        check_manifests(parsed.checker, parsed.bundle, parsed.source.read)
    if parsed.checker.problems or parsed.bundle is None:
        raise InputError(parsed.where, parsed.checker.problems)
    return parsed.bundle


def check_bundle(
    c: Checker, bundle: Bundle, data: dict[str, Any], today: dt.date, digests: Callable[[list[str]], dict[str, str]]
) -> None:
    """Add to `c` every way the bundle's data contradicts itself, its rubric, the import date or its files."""
    from wufei_docs.errors import InputError
    from wufei_docs.scoring.rubric import load_rubric

    try:
        rubric = load_rubric(bundle.rubric)
    except InputError:
        return  # already reported as an unknown rubric
    earliest = rubric.issued
    _not_outside(c, "date", bundle.date, earliest, today, "推荐包日期", "")
    raw_entries = data.get("enterprises") or []
    evaluated: list[dt.date] = []
    for entry in bundle.entries:
        raw = raw_entries[entry.index]
        where = f"enterprises[{entry.index}]."
        _county(c, rubric, entry, where)
        _scores(c, rubric, entry, where)
        _recommendation(c, rubric, entry, where)
        day = _entry_dates(c, raw, entry, where, earliest, today)
        if day is not None:
            evaluated.append(day)
    latest = max(evaluated, default=None)
    if latest is not None and bundle.date != latest:
        c.add("date", f"推荐包日期 {bundle.date} 应为最近的验收日期 {latest}（wufei bundle 按此填写）", "")
    _files(c, bundle, digests)


def _county(c: Checker, rubric: Rubric, entry: Entry, where: str) -> None:
    if entry.county not in rubric.counties:
        c.add(f"{where}county", f"“{entry.county}” 不是{rubric.title}所列的县（市、区）", entry.label)


def _scores(c: Checker, rubric: Rubric, entry: Entry, where: str) -> None:
    """Scores within 0 … base_max + bonus_max; each verdict one of the rubric's and consistent with its score."""
    top = rubric.base_max + rubric.bonus_max
    pairs = (("self_total", "self_verdict", entry.self_total, entry.self_verdict, "自评分"),
             ("evaluated_total", "verdict", entry.evaluated_total, entry.verdict, "核定分"))  # fmt: skip
    for key, verdict_key, total, verdict, label in pairs:
        if total is not None and not 0 <= total <= top:
            c.add(f"{where}{key}", f"{label} {number(total)} 超出评价指标的分值范围（0—{number(top)}分）", entry.label)
            continue
        if verdict is None:
            continue
        if verdict not in VERDICTS:
            c.add(f"{where}{verdict_key}", f"结论“{verdict}”不是{'、'.join(VERDICTS)}之一", entry.label)
        elif total is None:
            c.add(f"{where}{verdict_key}", f"有结论“{verdict}”却没有{label}", entry.label)
        elif _contradicts(rubric, total, verdict):
            c.add(f"{where}{verdict_key}", _contradiction(label, total, verdict, rubric), entry.label)


def _contradicts(rubric: Rubric, total: float, verdict: str) -> bool:
    """达标 below the threshold, or 未达标 at or above it (when the bonus counts toward passing)."""
    reached = total >= rubric.pass_threshold
    return (verdict == PASS and not reached) or (verdict == FAIL and reached and rubric.bonus_counts_toward_pass)


def _contradiction(label: str, total: float, verdict: str, rubric: Rubric) -> str:
    return f"结论“{verdict}”与{label} {number(total)} 不符（达标基准分 {number(rubric.pass_threshold)} 分）"


def _recommendation(c: Checker, rubric: Rubric, entry: Entry, where: str) -> None:
    """`recommended` only for an evaluated unit with 达标 at or above the threshold, with its package."""
    if not entry.recommended:
        return
    why = []
    if entry.verdict != PASS:
        why.append(f"结论为“{entry.verdict or '无'}”（只有“{PASS}”的单位可以推荐）")
    if entry.evaluated_total is None:
        why.append("没有核定分")
    elif entry.evaluated_total < rubric.pass_threshold:
        why.append(f"核定分 {number(entry.evaluated_total)} 低于达标基准分 {number(rubric.pass_threshold)} 分")
    if entry.reason:
        why.append(f"同时写有未推荐原因“{entry.reason}”")
    if entry.evaluated is None:
        why.append("没有验收日期")
    if entry.folder is None or not entry.files:
        why.append("没有材料包文件")
    if why:
        c.add(f"{where}recommended", "标为推荐，但" + "；".join(why), entry.label)


def _entry_dates(
    c: Checker, raw: dict[str, Any], entry: Entry, where: str, earliest: dt.date, today: dt.date
) -> dt.date | None:
    """受理 and 验收 dates: real dates, received ≤ evaluated, neither before the scheme nor after the import."""
    days: dict[str, dt.date] = {}
    for key, label in (("received", "受理日期"), ("evaluated", "验收日期")):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            c.add(f"{where}{key}", f"{label}应为 YYYY-MM-DD", entry.label)
            continue
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            c.add(f"{where}{key}", f"{label}“{value[:40]}”不是有效日期（应为 YYYY-MM-DD）", entry.label)
            continue
        if _not_outside(c, f"{where}{key}", day, earliest, today, label, entry.label):
            days[key] = day
    if "received" in days and "evaluated" in days and days["received"] > days["evaluated"]:
        c.add(f"{where}evaluated", f"验收日期 {days['evaluated']} 早于受理日期 {days['received']}", entry.label)
    return days.get("evaluated")


def _not_outside(c: Checker, where: str, day: dt.date, earliest: dt.date, today: dt.date, label: str, who: str) -> bool:
    if day > today:
        c.add(where, f"{label} {day} 晚于导入日期 {today}（日期不能在将来）", who)
        return False
    if day < earliest:
        c.add(where, f"{label} {day} 早于评价办法发布日期 {earliest}", who)
        return False
    return True


def _files(c: Checker, bundle: Bundle, digests: Callable[[list[str]], dict[str, str]]) -> None:
    """Every file bundle.json lists, hashed from the bundle itself and compared with the listed sha256."""
    wanted = {f"{e.folder}/{name}": (e, name, sha) for e in bundle.entries if e.folder for name, sha in e.files.items()}
    for e in bundle.entries:
        if e.files and e.folder is None:
            c.add(f"enterprises[{e.index}].folder", "列有材料文件却没有材料包文件夹", e.label)
    found = digests(sorted(wanted))
    for rel, (entry, name, listed) in wanted.items():
        actual = found.get(rel, UNREADABLE)
        if actual == listed:
            continue
        where = f"enterprises[{entry.index}].files.{name}"
        if actual == MISSING:
            c.add(where, f"推荐包中缺少此文件（{rel}）", entry.label)
        elif actual in (NOT_A_FILE, TOO_LARGE, UNREADABLE):
            c.add(where, f"{rel} {actual}，无法核对", entry.label)
        else:
            c.add(where, f"{rel} 的 sha256 与 bundle.json 所列不符（文件在生成推荐包后被改动或替换）", entry.label)


def check_manifests(c: Checker, bundle: Bundle, read: Callable[[list[str]], dict[str, bytes | None]]) -> None:
    """A recommended unit's package says the same as bundle.json: its manifest.json (written by `wufei build`
    with the county's 核定分) gives the unit, 核定分, verdict, hard items and files. Editing bundle.json alone
    (a non-recommended unit flipped, its score raised within bounds) is found here."""
    recommended = [e for e in bundle.entries if e.recommended and e.folder]
    manifests = read([f"{e.folder}/{MANIFEST}" for e in recommended])
    for e in recommended:
        where = f"enterprises[{e.index}]."
        manifest = _manifest(manifests.get(f"{e.folder}/{MANIFEST}"))
        if manifest is None:
            c.add(f"{where}folder", f"材料包中缺少或无法读取 {MANIFEST}（{e.folder}），无法核对推荐", e.label)
            continue
        for field, problem in _disagreements(e, manifest):
            c.add(f"{where}{field}", problem, e.label)


MANIFEST = "manifest.json"


def _manifest(raw: bytes | None) -> dict[str, Any] | None:
    import json

    if raw is None:
        return None
    try:
        text = raw.decode("utf-8-sig")
        if nesting_depth(text) > MAX_DEPTH:
            return None
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _disagreements(e: Entry, manifest: dict[str, Any]) -> list[tuple[str, str]]:
    score, options = _object(manifest, "score"), _object(manifest, "options")
    found: list[tuple[str, str]] = []
    if manifest.get("uscc") != e.uscc:
        found.append(
            ("uscc", f"材料包 {MANIFEST} 的统一社会信用代码为“{str(manifest.get('uscc'))[:24]}”，与 bundle.json 不符")
        )
    if options.get("evaluated") is not True:
        found.append(("recommended", f"材料包未按县级核定分生成（{MANIFEST}），不能标为推荐"))
    total = score.get("total")
    if (
        not isinstance(total, int | float)
        or isinstance(total, bool)
        or e.evaluated_total is None
        or round(float(total), 2) != round(e.evaluated_total, 2)
    ):
        shown = number(float(total)) if isinstance(total, int | float) and not isinstance(total, bool) else "无"
        found.append(("evaluated_total", f"核定分 {number(e.evaluated_total)} 与材料包 {MANIFEST} 的 {shown} 不符"))
    if score.get("verdict") != e.verdict:
        found.append(("verdict", f"结论“{e.verdict}”与材料包 {MANIFEST} 的“{str(score.get('verdict'))[:10]}”不符"))
    if manifest.get("files") != e.files:
        found.append(("files", f"材料文件清单与材料包 {MANIFEST} 所列不符"))
    failed = _failed_hard_items(manifest)
    if failed:
        found.append(
            ("recommended", f"材料包 {MANIFEST} 记载硬性指标 {'、'.join(failed)} 不满足（否决），不能标为推荐")
        )
    return found


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _failed_hard_items(manifest: dict[str, Any]) -> list[str]:
    """Hard items that apply and are not met, from the full score kept in the manifest's snapshot."""
    snapshot = manifest.get("snapshot")
    score = snapshot.get("score") if isinstance(snapshot, dict) else None
    vetoes = score.get("vetoes") if isinstance(score, dict) else None
    if not isinstance(vetoes, list):
        return []
    return [str(v.get("id"))[:10] for v in vetoes
            if isinstance(v, dict) and v.get("applies") is True and v.get("met") is False]  # fmt: skip
