"""County bundle (notice 四、(二) 验收评估): every enterprise's package with the county's 核定分, the
推荐名单, the 推荐函, a summary and one zip for the city.

Flow: discover files → assess each (load, validate, score self and evaluated; in parallel) → render the
packages that changed (in parallel) → write them → lists, letter, bundle.json, summary → zip.
One broken enterprise file is reported and does not stop the others.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .errors import InputError, OutputError, WufeiError
from .loaders import XLSX_SUFFIXES, YAML_SUFFIXES
from .model import Evaluation
from .scoring import PASS, VETO, ScoreResult

BUNDLE_FORMAT = "wufei/bundle-1"
ENTERPRISE_FOLDER = "企业"
HISTORY = "历史版本"
Progress = Callable[[str, int, int], None]  # (stage label, done, total)


@dataclass
class Entry:
    """What the bundle knows about one enterprise file; lists, letter and bundle.json read only this."""

    source: str
    uscc: str | None = None
    name: str | None = None
    county: str | None = None
    self_total: float | None = None
    self_verdict: str | None = None
    evaluated_total: float | None = None
    verdict: str | None = None
    recommended: bool = False
    reason: str | None = None
    received: str | None = None
    evaluated: str | None = None
    opinion: str | None = None
    folder: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    rebuilt: bool = False

    def to_json(self) -> dict[str, Any]:
        keys = [
            "uscc",
            "name",
            "county",
            "source",
            "folder",
            "self_total",
            "self_verdict",
            "evaluated_total",
            "verdict",
            "recommended",
            "reason",
            "received",
            "evaluated",
            "opinion",
            "files",
        ]
        d = asdict(self)
        return {k: _num(d[k]) for k in keys}


@dataclass
class BundleReport:
    out: Path
    zip_path: Path | None
    county: str
    rubric: str
    entries: list[Entry]
    warnings: list[str]

    @property
    def recommended(self) -> list[Entry]:
        return [e for e in self.entries if e.recommended]

    @property
    def not_recommended(self) -> list[Entry]:
        return [e for e in self.entries if not e.recommended]

    @property
    def failed(self) -> list[Entry]:
        return [e for e in self.entries if e.error]

    @property
    def rebuilt(self) -> list[Entry]:
        return [e for e in self.entries if e.rebuilt]


def discover(folder: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Enterprise files in `folder` (not recursive), in a stable order; the evaluation file is skipped."""
    if not folder.is_dir():
        raise InputError(folder, "不是文件夹")
    skip = {p.resolve() for p in exclude}
    suffixes = (*YAML_SUFFIXES, *XLSX_SUFFIXES)
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in suffixes
        and not p.name.startswith((".", "~$"))
        and p.resolve() not in skip
    )


def bundle(
    folder: str | Path,
    evaluation_path: str | Path,
    out: str | Path,
    *,
    pdf: bool = False,
    jobs: int | None = None,
    templates: Path | None = None,
    progress: Progress | None = None,
    zip_output: bool = True,
) -> BundleReport:
    """Build the county bundle; raises InputError (nothing written) when the evaluation file is invalid."""
    from .api import load_evaluation

    folder, out = Path(folder), Path(out)
    evaluation = load_evaluation(evaluation_path)
    _check_output(folder, out)
    files = discover(folder, exclude=[Path(evaluation_path)])
    if not files:
        raise InputError(folder, "文件夹中没有企业申报数据文件（.yaml/.yml/.xlsx）")
    notify = progress or (lambda stage, done, total: None)
    jobs = _jobs(jobs, len(files))

    with _executor(jobs) as pool:
        assessed = _map(pool, _assess, [(f, evaluation) for f in files], "校验与计分", notify)
        entries = [a.entry for a in assessed]
        warnings = _check_duplicates(assessed) + _evaluation_warnings(evaluation, assessed)
        _assign_folders(assessed)
        todo = [a for a in assessed if a.entry.error is None and not _is_current(out, a, templates, pdf)]
        rendered = _map(pool, _render, [(a, templates, pdf) for a in todo], "生成申报材料", notify)
    packages = dict(zip((a.entry.source for a in todo), rendered, strict=True))
    if pdf and packages:
        notify("转换 PDF", 0, 1)
        packages = _with_pdfs(packages)
        notify("转换 PDF", 1, 1)
    rubric_id = next((a.checked.rubric.id for a in assessed if a.checked is not None), "ganzhou-2023")
    report = BundleReport(out, None, evaluation.county, rubric_id, _ordered(entries), warnings)
    try:
        _write_packages(out, assessed, packages)
        _write_bundle_files(report, evaluation, templates, zip_output)
    except WufeiError:
        raise
    except OSError as e:
        raise OutputError(f"无法写入 {e.filename or out}：{e.strerror or e}") from None
    return report


def _write_bundle_files(report: BundleReport, evaluation: Evaluation, templates: Path | None, zip_output: bool) -> None:
    from .county_docs import write_county_documents

    write_county_documents(report, evaluation, templates=templates)
    write_bundle_json(report, evaluation)
    write_summary(report)
    if zip_output:
        from .archive import zip_folder

        report.zip_path = report.out.with_name(report.out.name + ".zip")
        zip_folder(report.out, report.zip_path, skip=_package_history)


def _package_history(parts: tuple[str, ...]) -> bool:
    """企业/<name>/历史版本/…: earlier versions stay out of the zip (a unit may be *named* 历史版本)."""
    return len(parts) > 2 and parts[0] == ENTERPRISE_FOLDER and parts[2] == HISTORY


def _check_output(folder: Path, out: Path) -> None:
    """Refuse an output location that cannot work before spending time on rendering."""
    try:
        is_file = out.exists() and not out.is_dir()
        same = out.resolve() == folder.resolve()
    except (OSError, RuntimeError) as e:  # a name too long, a symlink loop
        raise OutputError(f"无法使用输出文件夹 {out}：{getattr(e, 'strerror', None) or e}") from None
    if is_file:
        raise OutputError(f"{out} 已存在且不是文件夹，请另选输出文件夹")
    if same:
        raise OutputError(
            f"输出文件夹 {out} 与企业申报文件所在的文件夹相同；生成的推荐名单.xlsx 会在下次运行时被当作企业文件读取，"
            "请另选输出文件夹"
        )


# --- assessing one enterprise (runs in a worker process) -------------------------------------


@dataclass
class Assessed:
    entry: Entry
    checked: Any = None  # validation.Checked
    self_result: ScoreResult | None = None
    result: ScoreResult | None = None
    source_bytes: bytes = b""
    evaluation: Any = None  # model.EnterpriseEvaluation
    fingerprint: str = ""


def _assess(path: Path, evaluation: Evaluation) -> Assessed:
    from .api import check
    from .scoring import score

    entry = Entry(source=path.name)
    try:
        checked = check(path)  # first: it refuses oversize files before they are read whole
        source_bytes = path.read_bytes()
    except WufeiError as error:
        entry.error = _first_line(error)
        entry.reason = f"文件无效：{entry.error}"
        return Assessed(entry)
    ent = checked.enterprise
    entry.uscc, entry.name, entry.county = ent.unit.uscc, ent.unit.name, ent.unit.county
    self_result = score(ent, checked.rubric)
    entry.self_total, entry.self_verdict = self_result.total, self_result.verdict
    ev = evaluation.enterprises.get(ent.unit.uscc)
    result = self_result
    if ev is not None:
        result = score(ent, checked.rubric, ev)
        entry.evaluated_total, entry.verdict = result.total, result.verdict
        entry.received = ev.received.isoformat() if ev.received else None
        entry.evaluated = ev.evaluated.isoformat() if ev.evaluated else None
        entry.opinion = ev.opinion
        entry.warnings += _timing_warnings(entry, checked.rubric.evaluation_days)
    if ent.unit.county != evaluation.county:
        entry.warnings.append(f"{ent.unit.name}：所在县区为 {ent.unit.county}，与评估县区 {evaluation.county} 不一致")
    entry.recommended, entry.reason = _recommendation(ev is not None, result)
    return Assessed(entry, checked, self_result, result, source_bytes, ev)


def _recommendation(evaluated: bool, result: ScoreResult) -> tuple[bool, str | None]:
    if not evaluated:
        return False, "未验收评估"
    if result.verdict == VETO:
        return False, "否决（硬性指标 " + "、".join(v.id for v in result.vetoed) + " 不满足）"
    if result.verdict != PASS:
        return False, f"核定分 {result.total:g} 低于 {result.threshold:g} 分"
    return True, None


def _timing_warnings(entry: Entry, days_allowed: int) -> list[str]:
    if not (entry.received and entry.evaluated):
        return [f"{entry.name}：未填写受理日期或验收日期"]
    days = (dt.date.fromisoformat(entry.evaluated) - dt.date.fromisoformat(entry.received)).days
    if days > days_allowed:
        return [f"{entry.name}：受理 {entry.received} 至验收 {entry.evaluated} 共 {days} 天，超过 {days_allowed} 日"]
    return []


def _first_line(error: WufeiError) -> str:
    if isinstance(error, InputError):
        first = str(error.problems[0])
        more = len(error.problems) - 1
        return first + (f"（另有 {more} 个问题）" if more else "")
    return str(error)


# --- rendering (runs in a worker process) ---------------------------------------------------


def _evaluation_json(a: Assessed) -> Any:
    return a.evaluation.model_dump(mode="json") if a.evaluation is not None else None


def _is_current(out: Path, a: Assessed, templates: Path | None, pdf: bool) -> bool:
    """Compute the fingerprint before rendering; an unchanged enterprise is not rendered at all."""
    from .build import fingerprint
    from .package import package_is_current

    a.fingerprint = fingerprint(
        a.source_bytes,
        a.checked.rubric.id,
        templates=templates,
        evaluation=_evaluation_json(a),
        pdf=pdf,
        evaluated=a.evaluation is not None,
    )
    assert a.entry.folder is not None
    return package_is_current(out / a.entry.folder, a.fingerprint)


def _render(a: Assessed, templates: Path | None, pdf: bool) -> Any:
    """Render one package in memory; 附件1 shows 自评分 beside 核定分 when the county evaluated it."""
    from .build import build_package

    return build_package(
        a.checked,
        a.result,
        source_bytes=a.source_bytes,
        templates=templates,
        self_result=a.self_result if a.evaluation is not None else None,
        evaluation=_evaluation_json(a),
        pdf=pdf,
        defer_pdf=True,
    )


def _with_pdfs(packages: dict[str, Any]) -> dict[str, Any]:
    """All documents of all changed packages go through ONE LibreOffice process."""
    from .build import attach_pdfs

    names = list(packages)
    return dict(zip(names, attach_pdfs([packages[n] for n in names]), strict=True))


def _write_packages(out: Path, assessed: list[Assessed], packages: dict[str, Any]) -> None:
    from .package import write_package
    from .safety import inside

    valid = [a for a in assessed if a.entry.error is None and a.entry.folder is not None]
    for a in valid:  # all checked before the first write: a symlinked 企业/ must not take any package outside
        inside(out, a.entry.folder or "")
    for a in valid:
        assert a.entry.folder is not None
        target = out / a.entry.folder
        pkg = packages.get(a.entry.source)
        if pkg is not None:
            write_package(pkg, target)
            a.entry.rebuilt = True
        a.entry.files = _manifest_files(target)


def _manifest_files(folder: Path) -> dict[str, str]:
    from .package import MANIFEST

    try:
        files = json.loads((folder / MANIFEST).read_text("utf-8")).get("files", {})
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in files.items()}


# --- whole-bundle checks ---------------------------------------------------------------------


def _check_duplicates(assessed: list[Assessed]) -> list[str]:
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


def _evaluation_warnings(evaluation: Evaluation, assessed: list[Assessed]) -> list[str]:
    present = {a.entry.uscc for a in assessed if a.entry.uscc}
    warnings = [w for a in assessed for w in a.entry.warnings]
    for a in assessed:
        if a.entry.uscc and a.entry.error is None and a.evaluation is None:
            warnings.append(f"{a.entry.name}（{a.entry.uscc}）：没有验收评估记录，未列入推荐")
    for uscc in evaluation.enterprises:
        if uscc not in present:
            warnings.append(f"评估记录 {uscc} 没有对应的企业申报文件")
    return warnings


def _assign_folders(assessed: list[Assessed]) -> None:
    from .safety import unique_components

    valid = [a for a in assessed if a.entry.error is None]
    names = unique_components([a.entry.name or "" for a in valid], [a.entry.uscc or "" for a in valid])
    for a, name in zip(valid, names, strict=True):
        a.entry.folder = f"{ENTERPRISE_FOLDER}/{name}"


def _ordered(entries: list[Entry]) -> list[Entry]:
    """Recommended first by 核定分 (high to low), then the others; ties by USCC, then file name."""

    def key(e: Entry) -> tuple[int, float, str, str]:
        return (
            0 if e.recommended else 1,
            -(e.evaluated_total or 0.0) if e.recommended else 0.0,
            e.uscc or "~",
            e.source,
        )

    return sorted(entries, key=key)


# --- outputs -----------------------------------------------------------------------------------


def bundle_date(evaluation: Evaluation) -> dt.date | None:
    """The bundle's date: the latest 验收 date (no wall-clock time, so re-runs are reproducible)."""
    dates = [e.evaluated for e in evaluation.enterprises.values() if e.evaluated]
    return max(dates) if dates else None


def write_bundle_json(report: BundleReport, evaluation: Evaluation) -> None:
    from .fsutil import atomic_write_text

    date = bundle_date(evaluation)
    payload = {
        "format": BUNDLE_FORMAT,
        "tool_version": __version__,
        "rubric": report.rubric,
        "county": evaluation.county,
        "evaluators": list(evaluation.evaluators),
        "date": date.isoformat() if date else None,
        "enterprises": [e.to_json() for e in report.entries if e.error is None],
        "failed": [{"source": e.source, "reason": e.error} for e in report.entries if e.error],
        "warnings": report.warnings,
    }
    atomic_write_text(report.out / "bundle.json", json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def summary_lines(report: BundleReport) -> list[str]:
    total = len(report.entries)
    lines = [
        f"{report.county} “无废工厂” 验收评估汇总",
        f"企业文件 {total} 个：推荐 {len(report.recommended)} 家，未推荐 {len(report.not_recommended)} 家"
        f"（其中文件无效 {len(report.failed)} 个）。",
    ]
    if report.recommended:
        lines.append("推荐名单：")
        lines += [
            f"  {i}. {e.name}（{e.uscc}）核定分 {e.evaluated_total:g}" for i, e in enumerate(report.recommended, 1)
        ]
    others = report.not_recommended
    if others:
        lines.append("未推荐：")
        lines += [f"  · {e.name or e.source}：{e.reason}" for e in others]
    if report.warnings:
        lines.append(f"提示（{len(report.warnings)} 条）：")
        lines += [f"  · {w}" for w in report.warnings]
    return lines


def write_summary(report: BundleReport) -> None:
    from .fsutil import atomic_write_text

    atomic_write_text(report.out / "汇总.txt", "\n".join(summary_lines(report)) + "\n")


# --- parallelism -------------------------------------------------------------------------------


def _jobs(jobs: int | None, n: int) -> int:
    if jobs is None:
        jobs = os.cpu_count() or 1
    return max(1, min(jobs, n))


class _Serial(Executor):
    def map(self, fn, *iterables, timeout=None, chunksize=1):  # type: ignore[no-untyped-def, override]
        return map(fn, *iterables)


def _executor(jobs: int) -> Executor:
    return _Serial() if jobs == 1 else ProcessPoolExecutor(max_workers=jobs)


def _call(args: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    fn, fn_args = args
    return fn(*fn_args)


def _map(
    pool: Executor, fn: Callable[..., Any], args: list[tuple[Any, ...]], stage: str, notify: Progress
) -> list[Any]:
    notify(stage, 0, len(args))
    out = []
    chunk = max(1, len(args) // 32)
    for i, result in enumerate(pool.map(_call, [(fn, a) for a in args], chunksize=chunk), 1):
        out.append(result)
        notify(stage, i, len(args))
    return out


def _num(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
