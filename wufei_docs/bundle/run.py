"""County bundle (notice 四、(二) 验收评估): every enterprise's package with the county's 核定分, the
推荐名单, the 推荐函, a summary and one zip for the city.

Flow: discover files → assess each (load, validate, score self and evaluated; in parallel) → render the
packages that changed (in parallel) → write them → lists, letter, bundle.json, summary → zip.
One broken enterprise file is reported and does not stop the others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wufei_docs._version import __version__
from wufei_docs.bundle.pool import Progress, Workers, setup
from wufei_docs.errors import InputError, OutputError, WufeiError
from wufei_docs.load import XLSX_SUFFIXES, YAML_SUFFIXES
from wufei_docs.model import Evaluation
from wufei_docs.scoring.score import PASS, VETO, ScoreResult

BUNDLE_FORMAT = "wufei/bundle-1"
ENTERPRISE_FOLDER = "企业"
HISTORY = "历史版本"


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
        return {k: _num(dict(v) if isinstance(v := getattr(self, k), dict) else v) for k in keys}


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
    names = {p.name for p in skip}
    suffixes = (*YAML_SUFFIXES, *XLSX_SUFFIXES)
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in suffixes
        and not p.name.startswith((".", "~$"))
        and p.is_file()
        and not (p.name in names and p.resolve() in skip)  # resolve (slow) only a possible match
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
    """Build the county bundle; raises InputError (nothing written) when the evaluation file is invalid.

    A re-run into the same OUT reuses what has not changed (see bundle_cache): unchanged files are
    hashed, not parsed; unchanged packages, lists and letter are not rewritten; the zip copies the
    records of unchanged members. The outputs are those a run into an empty OUT would give (apart from
    the 历史版本 and 修改说明 of packages that changed) and the zip is the one it would make."""
    from wufei_docs.bundle import cache as bundle_cache

    folder, out = Path(folder), Path(out)
    evaluation, remember_evaluation = bundle_cache.load_evaluation(Path(evaluation_path), out)
    with Workers(jobs, (evaluation, templates, pdf, out)) as workers:
        if bundle_cache.has_records(out) and not _renderer_loaded():
            # a re-run in a new process: most likely a correction or two, whose packages a helper will
            # render; it loads the renderer from now on (it is dropped if there turn out to be none or many)
            workers.prestart(_warm_renderer)
        _check_output(folder, out)
        files = discover(folder, exclude=[Path(evaluation_path)])
        if not files:
            raise InputError(folder, "文件夹中没有企业申报数据文件（.yaml/.yml/.xlsx）")
        if (out / bundle_cache.CACHE_DIR).is_symlink():
            raise OutputError(f"{out / bundle_cache.CACHE_DIR} 是符号链接，为安全起见不向其中写入；请删除它后重试")
        notify = progress or (lambda stage, done, total: None)
        cache = bundle_cache.AssessCache(out, bundle_cache.environment_key(folder, evaluation, templates, pdf))
        assessed = _assess_all(workers, files, cache, evaluation, notify)
        entries = [a.entry for a in assessed]
        warnings = _check_duplicates(assessed) + _evaluation_warnings(evaluation, assessed)
        _assign_folders(assessed)
        orphans = _orphan_folders(out, assessed)
        warnings += [
            f"{ENTERPRISE_FOLDER}/{name}：没有对应的有效申报文件（已移走、改名或校验未通过），未放入压缩包；"
            "确认不再需要后可删除此文件夹"
            for name in orphans
        ]
        todo = _stale(workers, assessed, cache, out, notify)
        rubric_id = next((a.rubric for a in assessed if a.rubric), "ganzhou-2023")
        report = BundleReport(out, None, evaluation.county, rubric_id, _ordered(entries), warnings)
        # the lists and the letter need the scores, not the packages: written here while the workers render
        _check_package_folders(out, todo)
        try:
            county = _county_documents(report, evaluation, templates, cache.key)
            _produce_all(workers, todo, pdf, out, notify, county)
        except OSError as e:
            raise OutputError(f"无法写入 {e.filename or out}：{e.strerror or e}") from None
        workers.release()  # they end while this process writes the rest

        def save_caches() -> None:
            cache.save(_records(assessed, out))
            remember_evaluation()

        try:
            write_bundle_json(report, evaluation)
            write_summary(report)
            if zip_output:
                from wufei_docs.files.archive import zip_folder

                report.zip_path = out.with_name(out.name + ".zip")
                state = out / ".wufei" / "zip.data"
                skip = _zip_skip(frozenset(orphans))
                zip_folder(out, report.zip_path, skip=skip, state=state, meanwhile=save_caches)
            else:
                save_caches()
        except OSError as e:
            raise OutputError(f"无法写入 {e.filename or out}：{e.strerror or e}") from None
    return report


def _orphan_folders(out: Path, assessed: list[Assessed]) -> list[str]:
    """Package folders in OUT/企业 that no valid enterprise file of this run owns (its file was taken out
    of the folder, renamed or is now invalid): left on disk as they are, but not sent in the zip."""
    current = {a.entry.folder for a in assessed if a.entry.error is None and a.entry.folder}
    try:
        found = sorted(d.name for d in os.scandir(out / ENTERPRISE_FOLDER) if d.is_dir(follow_symlinks=False))
    except OSError:
        return []
    return [name for name in found if not name.startswith(".") and f"{ENTERPRISE_FOLDER}/{name}" not in current]


def _zip_skip(orphans: frozenset[str]) -> Callable[[tuple[str, ...]], bool]:
    """What stays out of the zip: earlier versions, and the package folders of no current enterprise."""

    def skip(parts: tuple[str, ...]) -> bool:
        return _package_history(parts) or (len(parts) == 2 and parts[0] == ENTERPRISE_FOLDER and parts[1] in orphans)

    return skip


def _package_history(parts: tuple[str, ...]) -> bool:
    """企业/<name>/历史版本/…: earlier versions stay out of the zip (a unit may be *named* 历史版本)."""
    return len(parts) > 2 and parts[0] == ENTERPRISE_FOLDER and parts[2] == HISTORY


def _check_package_folders(out: Path, assessed: list[Assessed]) -> None:
    """The folders about to be written, all checked before the first write: a symlinked 企业/ (or unit
    folder) must not take any package outside OUT."""
    from wufei_docs.files.safety import inside

    for a in assessed:
        if a.entry.error is None and a.entry.folder is not None:
            inside(out, a.entry.folder)


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


def _assess_all(
    workers: Workers, files: list[Path], cache: Any, evaluation: Evaluation, notify: Progress
) -> list[Assessed]:
    """Cached results for unchanged files, fresh ones (in parallel) for the rest; in file order."""
    from wufei_docs.bundle.cache import digest, file_stat, settled

    known: dict[Path, Assessed] = {}
    for path in files if cache.records else ():
        stat = file_stat(path)
        sha = cache.hashed(path.name, stat)  # unchanged since it was hashed: not read again
        if sha is None:
            try:
                sha = digest(path.read_bytes())
            except OSError:
                continue  # _assess reports it
        hit = cache.lookup(path.name, sha, evaluation)
        if hit is not None and settled(stat):
            hit["stat"] = stat
        if hit is not None:
            entry = Entry(**hit["entry"])
            ev = evaluation.enterprises.get(entry.uscc) if entry.uscc else None
            known[path] = Assessed(path, entry, evaluation=ev, rubric=hit["rubric"], fingerprint=hit["fingerprint"])
            known[path].record = hit
    missing = [p for p in files if p not in known]
    if not (known and 0 < len(missing) <= FEW_CHANGED):
        workers.drop_helper()  # nothing to render, or enough for the pool
    if workers.warm:
        # a re-run after a correction or two: assessed here while the helper gets the renderer ready
        fresh = []
        for path in missing:
            fresh.append(_assess(path))
            notify("校验与计分", len(known) + len(fresh), len(files))
    else:
        fresh = workers.map(_assess, [(p,) for p in missing], "校验与计分", notify, done=len(known), warm_up=_warm_up)
    known.update(zip(missing, fresh, strict=True))
    return [known[p] for p in files]


FEW_CHANGED = 3  # changed files a re-run assesses itself (~5 ms each) rather than in the pool


def _renderer_loaded() -> bool:
    import sys

    render = sys.modules.get("wufei_docs.render.engine")
    return render is not None and render.has_compiled()


def _warm_renderer() -> None:
    """In a helper started early: what rendering and writing a package needs, loaded while the parent
    assesses (the rubrics too: the 修改说明 looks items up by id)."""
    from xml.parsers import expat  # noqa: F401 - checks each rendered part

    from wufei_docs.package import build, revisions, writer  # noqa: F401
    from wufei_docs.render import view  # noqa: F401
    from wufei_docs.render.templates import COUNTY_LIST, TEMPLATE_NAMES

    _load_rubrics_and_templates((*TEMPLATE_NAMES, COUNTY_LIST))  # it renders 推荐名单.docx too


def _warm_up() -> None:
    """While the workers assess: load the rubrics, import the document libraries and compile every template
    here, once; the rendering stage's workers are then started from this process and inherit all that
    (instead of each worker spending ~0.1 s on it)."""
    from wufei_docs.render.templates import ALL_TEMPLATE_NAMES

    _load_rubrics_and_templates(ALL_TEMPLATE_NAMES)


def _load_rubrics_and_templates(names: Iterable[str]) -> None:
    """Every rubric, the templates `names` and the change note (a re-run's corrected packages get one)."""
    from wufei_docs.render.engine import compile_docx
    from wufei_docs.render.templates import REVISION_NOTE, builtin_dir, template_path
    from wufei_docs.scoring.rubric import available_rubrics, load_rubric

    for rubric in available_rubrics():
        load_rubric(rubric)  # in a helper: from the user's cache, no YAML parser needed
    templates = setup()[1]
    for name in names:
        with contextlib.suppress(WufeiError):  # reported where the template is used
            compile_docx(template_path(name, templates))
    compile_docx(builtin_dir() / REVISION_NOTE)


def _stale(workers: Workers, assessed: list[Assessed], cache: Any, out: Path, notify: Progress) -> list[Assessed]:
    """The enterprises whose package folder does not already hold the current version (they need
    rendering); sets `entry.files` for the others. A cached result whose package is gone is assessed
    again, since rendering needs the parsed file."""
    todo, again = [], []
    for a in assessed:
        if a.entry.error is not None or a.entry.folder is None:
            continue
        files = cache.current_files(a.record, a.entry.folder, out) if a.checked is None else None
        if files is None:
            files = _package_files(out / a.entry.folder, a.fingerprint)
        if files is not None:
            a.entry.files = files
        elif a.checked is None:
            again.append(a)
        else:
            todo.append(a)
    if again:
        redone = workers.map(_assess, [(a.path,) for a in again], "校验与计分", notify)
        from wufei_docs.bundle.cache import ASSESSED_FIELDS

        for a, b in zip(again, redone, strict=True):
            for name in ASSESSED_FIELDS:  # the same, unless the file changed since it was hashed
                setattr(a.entry, name, getattr(b.entry, name))
            a.checked, a.self_result, a.result = b.checked, b.self_result, b.result
            a.source_bytes, a.evaluation, a.fingerprint, a.record = (
                b.source_bytes,
                b.evaluation,
                b.fingerprint,
                b.record,
            )
        todo += [a for a in again if a.checked is not None]
    return todo


def _produce_all(
    workers: Workers,
    todo: list[Assessed],
    pdf: bool,
    out: Path,
    notify: Progress,
    county: CountyWork | None,
) -> None:
    """Render (and, without PDFs, write) each stale package in the workers, writing the county documents
    here in the mean time; with PDFs, all documents of all packages go through one LibreOffice run
    (pdf.convert: one or two processes), then the packages are written here."""
    from wufei_docs.bundle.documents import LIST_DOCX
    from wufei_docs.bundle.pool import call_task

    local = dict(county.tasks) if county is not None else {}
    # an early helper (a re-run in a new process) has the renderer ready, this process has not: the helper
    # renders 推荐名单.docx after the packages, this process writes the workbook and the short letter
    # (measured: the two then finish together)
    remote = [local.pop(LIST_DOCX)] if workers.warm and LIST_DOCX in local else []

    def meanwhile() -> None:
        for task, task_args in local.values():
            task(*task_args)

    if county is not None:
        county.begin()
    if workers.forks() and not workers.warm:
        # workers forked from here see `todo` in their copy of this process: send indexes, not pickles
        workers.restart()  # (a pool forked before `todo` existed would not see it)
        _TODO[:] = todo
        args: list[tuple[Any, ...]] = [(i,) for i in range(len(todo))]
        fn: Callable[..., Any] = _produce_at
    else:
        args, fn = [(a,) for a in todo], _produce
    if remote:
        args, fn = [((fn, a),) for a in args] + [(task,) for task in remote], call_task
    try:
        results = workers.map(fn, args, "生成申报材料", notify, meanwhile=meanwhile if local else None)
        results = results[: len(todo)]
    finally:
        _TODO.clear()
    if county is not None:
        county.end()
    if pdf and todo:
        from wufei_docs.package.build import attach_pdfs

        notify("转换 PDF", 0, 1)
        packages = attach_pdfs(results)
        notify("转换 PDF", 1, 1)
        results = [_write(pkg, out, a.entry.folder) for a, pkg in zip(todo, packages, strict=True)]
    for a, (files, package) in zip(todo, results, strict=True):
        a.entry.files, a.entry.rebuilt, a.package = files, True, package


# --- assessing one enterprise (runs in a worker process) -------------------------------------


@dataclass
class Assessed:
    path: Path
    entry: Entry
    checked: Any = None  # validation.Checked; None for a result taken from the cache
    self_result: ScoreResult | None = None
    result: ScoreResult | None = None
    source_bytes: bytes = b""
    evaluation: Any = None  # model.EnterpriseEvaluation
    fingerprint: str = ""
    rubric: str | None = None
    record: dict[str, Any] = field(default_factory=dict)  # for the cache (bundle_cache.record)
    package: dict[str, Any] | None = None  # bundle_cache.package_record of a package written now


def _assess(path: Path) -> Assessed:
    from wufei_docs.bundle.cache import digest, file_stat, record, settled

    evaluation, templates, pdf, _ = setup()
    stat = file_stat(path)  # before reading: a change made after it shows next time
    a = _assess_one(path, evaluation)
    if a.checked is not None:
        from wufei_docs.package.fingerprint import fingerprint

        a.rubric = a.checked.rubric.id
        a.fingerprint = fingerprint(
            a.source_bytes,
            a.checked.rubric.id,
            templates=templates,
            evaluation=_evaluation_json(a),
            pdf=pdf,
            evaluated=a.evaluation is not None,
        )
    if a.source_bytes:
        a.record = record(a.entry, digest(a.source_bytes), evaluation, a.rubric, a.fingerprint)
        if settled(stat):
            a.record["stat"] = stat
    return a


def _small_file_bytes(path: Path) -> bytes:
    """The bytes of an invalid file, so the cache can tell when it changes; b"" for what is too big to read."""
    from wufei_docs.raw import MAX_TEXT_BYTES

    try:
        return path.read_bytes() if path.is_file() and path.stat().st_size <= MAX_TEXT_BYTES else b""
    except OSError:
        return b""


def _assess_one(path: Path, evaluation: Evaluation) -> Assessed:
    from wufei_docs.load import check
    from wufei_docs.scoring.score import score

    entry = Entry(source=path.name)
    source_bytes = b""
    try:
        checked = check(path)  # first: it refuses oversize or odd files before they are read whole
        source_bytes = path.read_bytes()
    except OSError as error:
        entry.error = f"无法读取文件：{error.strerror or error}"
        entry.reason = f"文件无效：{entry.error}"
        return Assessed(path, entry)
    except WufeiError as error:
        entry.error = _first_line(error)
        entry.reason = f"文件无效：{entry.error}"
        return Assessed(path, entry, source_bytes=_small_file_bytes(path))
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
    return Assessed(path, entry, checked, self_result, result, source_bytes, ev)


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


# --- rendering and writing (runs in a worker process) ----------------------------------------


def _evaluation_json(a: Assessed) -> Any:
    return a.evaluation.model_dump(mode="json") if a.evaluation is not None else None


def _package_files(target: Path, fingerprint: str) -> dict[str, str] | None:
    """The file hashes of the package in `target` if it is complete and built from `fingerprint`
    (same test as package.package_is_current, reading the manifest once)."""
    from wufei_docs.files.fsutil import Journal
    from wufei_docs.package.writer import MANIFEST

    try:
        manifest = json.loads((target / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("fingerprint") != fingerprint:
        return None
    files = manifest.get("files")
    if not isinstance(files, dict) or (target / Journal.name).exists():
        return None
    if not all((target / name).is_file() for name in files):
        return None
    return {str(k): str(v) for k, v in files.items()}


_TODO: list[Assessed] = []  # the packages to render, for workers forked from the parent


def _produce_at(index: int) -> Any:
    return _produce(_TODO[index])


def _produce(a: Assessed) -> Any:
    """Render one package in memory; 附件1 shows 自评分 beside 核定分 when the county evaluated it.
    Without PDFs the package is written here too, so the parent never holds the documents."""
    from wufei_docs.package.build import build_package

    _, templates, pdf, out = setup()
    assert a.checked is not None and a.result is not None
    package = build_package(
        a.checked,
        a.result,
        source_bytes=a.source_bytes,
        templates=templates,
        self_result=a.self_result if a.evaluation is not None else None,
        evaluation=_evaluation_json(a),
        pdf=pdf,
        defer_pdf=True,
    )
    return package if pdf else _write(package, out, a.entry.folder)


def _write(package: Any, out: Path, folder: str | None) -> tuple[dict[str, str], dict[str, Any]]:
    from wufei_docs.bundle.cache import package_record
    from wufei_docs.package.writer import write_package

    assert folder is not None
    write_package(package, out / folder)
    files = _package_files(out / folder, package.fingerprint) or {}
    return files, package_record(out, folder, files)


def _records(assessed: list[Assessed], out: Path) -> dict[str, dict[str, Any]]:
    """The cache records of this run: what was assessed, and where each current package is."""
    from wufei_docs.bundle.cache import package_record

    records = {}
    for a in assessed:
        if not a.record.get("sha"):
            continue  # unreadable file: nothing to key it by
        rec = {k: v for k, v in a.record.items() if k != "package"}
        if a.entry.error is None and a.entry.folder is not None and a.entry.files:
            rec["package"] = a.package or package_record(out, a.entry.folder, a.entry.files)
        records[a.entry.source] = rec
    return records


@dataclass
class CountyWork:
    """The county documents to write in this run (file name → task), and the cache's note of them."""

    out: Path
    key: str
    tasks: dict[str, tuple[Callable[..., None], tuple[Any, ...]]]

    def begin(self) -> None:
        from wufei_docs.bundle.cache import COUNTY, forget

        forget(self.out, COUNTY)  # until all are written, the next run must not skip them

    def end(self) -> None:
        from wufei_docs.bundle.cache import remember_county

        remember_county(self.out, self.key, tuple(self.tasks))


def _county_documents(
    report: BundleReport, evaluation: Evaluation, templates: Path | None, key: str
) -> CountyWork | None:
    """What writes 推荐名单 and 推荐函, or None when the last run wrote them from the same data and they
    are untouched."""
    from wufei_docs.bundle.cache import canonical, county_unchanged, digest
    from wufei_docs.bundle.documents import LETTER_DOCX, LIST_DOCX, LIST_XLSX, county_tasks, county_view, list_rows

    names = (LIST_XLSX, LIST_DOCX, LETTER_DOCX)
    view = county_view(report, evaluation)
    shown = {
        "view": view,
        "rows": [list_rows(report.recommended), list_rows(report.not_recommended, with_reason=True)],
        "county": report.county,
    }
    data_key = digest(key.encode() + canonical(shown))
    if county_unchanged(report.out, data_key, names):
        return None
    return CountyWork(report.out, data_key, county_tasks(report, view, templates=templates))


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
    from wufei_docs.files.safety import unique_components

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
    from wufei_docs.package.writer import readable_json

    _write_if_changed(report.out / "bundle.json", readable_json(payload) + "\n")


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
    _write_if_changed(report.out / "汇总.txt", "\n".join(summary_lines(report)) + "\n")


def _write_if_changed(path: Path, text: str) -> None:
    """Leave a file with the same content alone (a re-run then touches only what changed)."""
    from wufei_docs.files.fsutil import atomic_write_bytes

    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    atomic_write_bytes(path, data)


def _num(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
