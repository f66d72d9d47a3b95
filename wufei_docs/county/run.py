"""County bundle (notice 四、(二) 验收评估): every enterprise's package with the county's 核定分, the
推荐名单, the 推荐函, a summary and one zip for the city.

Flow: discover files → assess each (load, validate, score self and evaluated; in parallel) → render the
packages that changed (in parallel) → write them → lists, letter, bundle.json, summary → zip.
One broken enterprise file is reported and does not stop the others.

`bundle()` reads as that flow; a `Run` owns what makes re-runs fast — the records of the last run
(bundle/cache.py), the worker pool or early helper (bundle/pool.py) and the compiled templates they load —
so the flow never deals with them directly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wufei_docs.county import outputs
from wufei_docs.county.assess import assess, evaluation_json
from wufei_docs.county.pool import Task, Workers, inherited, run_task, settings
from wufei_docs.county.rules import assign_folders, check_duplicates, evaluation_warnings, ordered
from wufei_docs.county.types import ENTERPRISE_FOLDER, Assessed, BundleReport, Entry, Progress, RunSettings
from wufei_docs.errors import InputError, OutputError, WufeiError
from wufei_docs.files.names import CACHE_DIR
from wufei_docs.loading import XLSX_SUFFIXES, YAML_SUFFIXES

if TYPE_CHECKING:
    from wufei_docs.county.cache import AssessCache
    from wufei_docs.county.outputs import CountyWork
    from wufei_docs.county.switch import BundleSwitch
    from wufei_docs.model import Evaluation

__all__ = ["BundleReport", "Entry", "bundle", "discover"]

ASSESSING = "校验与计分"
PRODUCING = "生成申报材料"
FEW_CHANGED = 3  # changed files a re-run assesses itself (~5 ms each) rather than in the pool


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


DEFAULT_WAIT = 30.0  # seconds a run waits for another run on the same OUT


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
    wait: float = DEFAULT_WAIT,
) -> BundleReport:
    """Build the county bundle; raises InputError (nothing written) when the evaluation file is invalid.

    OUT is locked for the whole run (another run waits up to `wait` seconds, then gives up naming the
    holder). Everything new is staged, then packages, lists, letter, bundle.json, 汇总.txt and the zip
    become current together (county/switch.py): a failure or a kill leaves the previous bundle as it was.

    A re-run into the same OUT reuses what has not changed (see bundle/cache.py): unchanged files are
    hashed, not parsed; unchanged packages, lists and letter are not rewritten; the zip copies the
    records of unchanged members. The outputs are those a run into an empty OUT would give (apart from
    the 历史版本 and 修改说明 of packages that changed) and the zip is the one it would make."""
    from wufei_docs.county import cache as bundle_cache
    from wufei_docs.county.target import check_paths, zip_path_for
    from wufei_docs.files.locking import folder_lock

    folder, out = Path(folder), Path(out)
    check_paths(folder, out)
    evaluation, remember_evaluation = bundle_cache.load_evaluation(Path(evaluation_path), out)
    outputs.check_output(folder, out)
    zip_path = zip_path_for(out) if zip_output else None
    fresh = not out.exists()
    try:
        with folder_lock(out, wait=wait):
            try:
                return _bundle_locked(
                    folder, Path(evaluation_path), out, zip_path, evaluation, remember_evaluation,
                    RunSettings(evaluation, templates, pdf, out), jobs, progress,
                )  # fmt: skip
            except BaseException:
                if fresh:
                    _discard(out)
                raise
    finally:
        if fresh:
            with contextlib.suppress(OSError):
                out.rmdir()  # a failed first run: the folder it made, if nothing is left in it


def _discard(out: Path) -> None:
    """A run that failed into an OUT it created leaves nothing: its records and empty folders go."""
    from wufei_docs.files.fsutil import remove_empty_tree, remove_tree

    with contextlib.suppress(OSError):
        remove_tree(out / CACHE_DIR)
    for child in list(out.iterdir()) if out.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            with contextlib.suppress(OSError):
                remove_empty_tree(child)


def _bundle_locked(
    folder: Path,
    evaluation_path: Path,
    out: Path,
    zip_path: Path | None,
    evaluation: Evaluation,
    remember_evaluation: Callable[[], None],
    run_settings: RunSettings,
    jobs: int | None,
    progress: Progress | None,
) -> BundleReport:
    """The flow, under OUT's lock: recover, check, assess, stage, switch, remember."""
    from wufei_docs.county import cache as bundle_cache
    from wufei_docs.county import switch
    from wufei_docs.county.target import check_zip, zip_path_for
    from wufei_docs.package.writer import DEFERRED_STAGING

    if (out / CACHE_DIR).is_symlink():
        raise OutputError(f"{out / CACHE_DIR} 是符号链接，为安全起见不向其中写入；请删除它后重试")
    recovered = switch.recover(out)
    wanted_zip = zip_path
    zip_state = out / CACHE_DIR / "zip.data"
    if zip_path is not None:
        check_zip(out, zip_path, zip_state)
    templates, pdf = run_settings.templates, run_settings.pdf
    with Workers(jobs, run_settings) as workers:
        if bundle_cache.has_records(out) and not _renderer_loaded():
            # a re-run in a new process: most likely a correction or two, whose packages a helper will
            # render; it loads the renderer from now on (it is dropped if there turn out to be none or many)
            workers.prestart(_warm_renderer)
        files = discover(folder, exclude=[evaluation_path])
        if not files:
            raise InputError(folder, "文件夹中没有企业申报数据文件（.yaml/.yml/.xlsx）")
        cache = bundle_cache.AssessCache(out, bundle_cache.environment_key(folder, evaluation, templates, pdf))
        run = Run(run_settings, workers, cache, progress or (lambda stage, done, total: None))
        assessed = run.assess_all(files)
        warnings = check_duplicates(assessed) + evaluation_warnings(evaluation, assessed)
        assign_folders(assessed)
        orphans = outputs.orphan_folders(out, assessed)
        warnings += [
            f"{ENTERPRISE_FOLDER}/{name}：没有对应的有效申报文件（已移走、改名或校验未通过），未放入压缩包；"
            "确认不再需要后可删除此文件夹"
            for name in orphans
        ]
        todo = run.stale(assessed)
        rubric_id = next((a.rubric for a in assessed if a.rubric), "ganzhou-2023")
        report = BundleReport(out, None, evaluation.county, rubric_id, ordered([a.entry for a in assessed]), warnings)
        if recovered:
            report.notes.append(f"{out}：上次运行中断，已先恢复到中断前的推荐材料")
        outputs.check_package_folders(out, todo)
        change = switch.BundleSwitch(out, zip_path)
        change.prepare([a.entry.folder for a in todo if a.entry.folder], DEFERRED_STAGING)
        try:
            # the lists and the letter need the scores, not the packages: staged here while the workers render
            county = outputs.county_documents(report, evaluation, templates, cache.key, change.new)
            run.produce_all(todo, county)
            workers.release()  # they end while this process stages the rest and switches
            _plan_switch(change, todo, county, report, evaluation)
            zip_path, records = _stage_zip(change, zip_state, outputs.zip_skip(frozenset(orphans)))
            change.switch(zip_path is not None)
        except BaseException:
            change.rollback()
            raise
    # the records for the next run, once the new bundle is in place (a crash before only costs time)
    report.zip_path = wanted_zip
    stale_zip = zip_path_for(out)
    if wanted_zip is None and change.moves and stale_zip.is_file():
        report.notes.append(f"{stale_zip} 是以前生成的压缩包，未随本次（--no-zip）更新，与推荐材料不再一致")
    if zip_path is not None:
        from wufei_docs.files.zips import save_state

        _restat_moved(out, change.moves, records)
        save_state(zip_state, zip_path, records)
    if county is not None:
        county.end()
    cache.save(outputs.records(assessed, out))
    remember_evaluation()
    change.wait()
    return report


def _plan_switch(
    change: BundleSwitch, todo: list[Assessed], county: CountyWork | None, report: BundleReport, evaluation: Evaluation
) -> None:
    """Every package's switch, and the county files this run staged (bundle.json and 汇总.txt only when
    they change)."""
    for a in todo:
        if a.staged is not None and a.entry.folder is not None:
            change.add_package(a.entry.folder, a.staged.pending, a.staged.prune)
    staged = list(county.tasks) if county is not None else []
    staged += [name for name, wrote in (
        ("bundle.json", outputs.write_bundle_json(report, evaluation, change.new)),
        (outputs.SUMMARY, outputs.write_summary(report, change.new)),
    ) if wrote]  # fmt: skip
    for name in staged:
        change.add_file(name)


def _stage_zip(
    change: BundleSwitch, state: Path, skip: Callable[[tuple[str, ...]], bool]
) -> tuple[Path | None, dict[str, list[int]]]:
    """The zip of OUT as the switch will leave it, staged beside OUT.zip; (None, {}) when there is to be
    no zip, or when nothing changed and OUT.zip already is that archive."""
    from wufei_docs.files.zips import zip_folder, zip_is_current

    out, zip_path = change.out, change.zip_path
    records: dict[str, list[int]] = {}
    if zip_path is None or (not change.moves and zip_is_current(out, zip_path, state, prefix=out.name, skip=skip)):
        return None, records
    try:
        zip_folder(out, change.new_zip, prefix=out.name, skip=skip, state=state, previous=zip_path,
                   keep=records.update, moves=change.moves)  # fmt: skip
    except OSError as e:  # named after the zip, not its hidden temp name
        raise OSError(e.errno, e.strerror, str(zip_path)) if e.errno else e from None
    return zip_path, records


def _restat_moved(out: Path, moves: list[tuple[str, str]], records: dict[str, list[int]]) -> None:
    """The zip's records name each member's file by its stat; a file the switch moved in has a new ctime
    (a rename sets it): record the stat it has now, so that the next run sees it unchanged."""
    import os

    for _, dst in moves:
        record = records.get(f"{out.name}/{dst}")
        if record is not None:
            with contextlib.suppress(OSError):
                st = os.stat(out / dst, follow_symlinks=False)
                record[:4] = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class Run:
    """One bundle run's speed machinery behind one door: its settings, the last run's records (`cache`)
    and its workers. Each method is one stage of `bundle()`."""

    def __init__(self, settings: RunSettings, workers: Workers, cache: AssessCache, notify: Progress) -> None:
        self.settings, self.workers, self.cache, self.notify = settings, workers, cache, notify

    def assess_all(self, files: list[Path]) -> list[Assessed]:
        """Cached results for unchanged files, fresh ones (in parallel) for the rest; in file order."""
        known = {path: a for path in files if (a := self._remembered(path)) is not None} if self.cache.records else {}
        missing = [p for p in files if p not in known]
        if not (known and 0 < len(missing) <= FEW_CHANGED):
            self.workers.drop_helper()  # nothing to render, or enough for the pool
        if self.workers.warm:
            # a re-run after a correction or two: assessed here while the helper gets the renderer ready
            fresh = []
            for path in missing:
                fresh.append(assess(path))
                self.notify(ASSESSING, len(known) + len(fresh), len(files))
        else:
            fresh = self.workers.map(
                assess, [(p,) for p in missing], ASSESSING, self.notify, done=len(known), warm_up=_warm_up
            )
        known.update(zip(missing, fresh, strict=True))
        return [known[p] for p in files]

    def _remembered(self, path: Path) -> Assessed | None:
        """The last run's assessment of `path` if neither the file nor its evaluation entry has changed."""
        from wufei_docs.county.cache import digest, file_stat, settled

        stat = file_stat(path)
        sha = self.cache.hashed(path.name, stat)  # unchanged since it was hashed: not read again
        if sha is None:
            try:
                sha = digest(path.read_bytes())
            except OSError:
                return None  # assess() reports it
        evaluation = self.settings.evaluation
        hit = self.cache.lookup(path.name, sha, evaluation)
        if hit is None:
            return None
        if settled(stat):
            hit["stat"] = stat
        entry = Entry(**hit["entry"])
        ev = evaluation.enterprises.get(entry.uscc) if entry.uscc else None
        a = Assessed(path, entry, evaluation=ev, rubric=hit["rubric"], fingerprint=hit["fingerprint"])
        a.record = hit
        return a

    def stale(self, assessed: list[Assessed]) -> list[Assessed]:
        """The enterprises whose package folder does not already hold the current version (they need
        rendering); sets `entry.files` for the others. A cached result whose package is gone is assessed
        again, since rendering needs the parsed file."""
        from wufei_docs.package.writer import renderings_missing

        out = self.settings.out
        todo, again = [], []
        for a in assessed:
            if a.entry.error is not None or a.entry.folder is None:
                continue
            files = self.cache.current_files(a.record, a.entry.folder, out) if a.checked is None else None
            if files is None:
                files = outputs.package_files(out / a.entry.folder, a.fingerprint)
            if files is not None and self.settings.pdf and renderings_missing(files):
                files = None  # current documents without their PDFs: rendered again, written as the same version
            if files is not None:
                a.entry.files = files
            elif a.checked is None:
                again.append(a)
            else:
                todo.append(a)
        if again:
            redone = self.workers.map(assess, [(a.path,) for a in again], ASSESSING, self.notify)
            for a, b in zip(again, redone, strict=True):
                _take_fresh(a, b)
            todo += [a for a in again if a.checked is not None]
        return todo

    def produce_all(self, todo: list[Assessed], county: CountyWork | None) -> None:
        """Render (and, without PDFs, write) each stale package in the workers, writing the county documents
        here in the mean time; with PDFs, all documents of all packages go through one LibreOffice run
        (pdf.convert: one or two processes), then the packages are written here."""
        from wufei_docs.county.documents import LIST_DOCX

        workers = self.workers
        local = dict(county.tasks) if county is not None else {}
        # an early helper (a re-run in a new process) has the renderer ready, this process has not: the
        # helper renders 推荐名单.docx after the packages, this process writes the workbook and the short
        # letter (measured: the two then finish together)
        remote = [local.pop(LIST_DOCX)] if workers.warm and LIST_DOCX in local else []

        def meanwhile() -> None:
            for task in local.values():
                task()

        if county is not None:
            county.begin()
        # workers forked from here see `todo` in their copy of this process: send indexes, not pickles
        shared = workers.forks() and not workers.warm
        with workers.share(todo) if shared else contextlib.nullcontext():
            args: list[tuple[Any, ...]] = [(i,) for i in range(len(todo))] if shared else [(a,) for a in todo]
            fn: Callable[..., Any] = _produce_at if shared else _produce
            if remote:
                args, fn = [(Task(fn, a),) for a in args] + [(task,) for task in remote], run_task
            try:
                results = workers.map(fn, args, PRODUCING, self.notify, meanwhile=meanwhile if local else None)
            except BaseException:
                workers.abort()  # before the caller rolls back: no worker may still be writing into the stage
                raise
            results = results[: len(todo)]
        if self.settings.pdf and todo:
            from wufei_docs.package.build import attach_pdfs

            self.notify("转换 PDF", 0, 1)
            packages = attach_pdfs(results)
            self.notify("转换 PDF", 1, 1)
            out = self.settings.out
            results = [
                outputs.write_package_at(pkg, out, a.entry.folder) for a, pkg in zip(todo, packages, strict=True)
            ]
        for a, (files, staged) in zip(todo, results, strict=True):
            a.entry.files, a.entry.rebuilt, a.staged = files, True, staged


def _take_fresh(a: Assessed, b: Assessed) -> None:
    """`a` (from the cache) takes what assessing its file again gave: the same, unless the file changed
    since it was hashed."""
    from wufei_docs.county.cache import ASSESSED_FIELDS

    for name in ASSESSED_FIELDS:
        setattr(a.entry, name, getattr(b.entry, name))
    a.checked, a.self_result, a.result = b.checked, b.self_result, b.result
    a.source_bytes, a.evaluation, a.fingerprint, a.record = b.source_bytes, b.evaluation, b.fingerprint, b.record


# --- warming up workers ------------------------------------------------------------------------


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
    templates = settings().templates
    for name in names:
        with contextlib.suppress(WufeiError):  # reported where the template is used
            compile_docx(template_path(name, templates))
    compile_docx(builtin_dir() / REVISION_NOTE)


# --- rendering one package (runs in a worker process) -------------------------------------------


def _produce_at(index: int) -> Any:
    return _produce(inherited(index))


def _produce(a: Assessed) -> Any:
    """Render one package in memory; 附件1 shows 自评分 beside 核定分 when the county evaluated it.
    Without PDFs the package is written here too, so the parent never holds the documents."""
    from wufei_docs.package.build import build_package

    run = settings()
    assert a.checked is not None and a.result is not None
    package = build_package(
        a.checked,
        a.result,
        source_bytes=a.source_bytes,
        templates=run.templates,
        self_result=a.self_result if a.evaluation is not None else None,
        evaluation=evaluation_json(a),
        pdf=run.pdf,
        defer_pdf=True,
    )
    return package if run.pdf else outputs.write_package_at(package, run.out, a.entry.folder)
