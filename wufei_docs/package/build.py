"""`wufei build` as a library: validate → score → view model → three documents → Package → disk.

build(path, out_dir, pdf=False, templates=None) -> WriteReport     the whole command
score_file(path) -> Scored                                          its first half: `wufei score`, /api/score
build_package(checked, result, source_bytes=…, …) -> Package        rendering only (bundle uses it)
fingerprint(source_bytes, rubric_id, …) -> str                      known before rendering
attach_pdfs(packages) -> list[Package]                              PDFs for many packages, one soffice
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wufei_docs._version import __version__
from wufei_docs.errors import InputError, OutputError
from wufei_docs.files import oserrors
from wufei_docs.loading.validation import Checked
from wufei_docs.package.fingerprint import fingerprint, options
from wufei_docs.package.writer import Package, WriteReport, current_renderings, sha256, write_package
from wufei_docs.render.templates import templates_for
from wufei_docs.scoring.score import ScoreResult

MANIFEST_FORMAT = "wufei/manifest-1"
DOCX = ".docx"


def build(
    path: str | Path, out_dir: str | Path, *, pdf: bool = False, templates: Path | None = None, force: bool = False
) -> WriteReport:
    """Validate, score and write 申报书, 附件1, 附件2 and manifest.json (+ PDFs) into `out_dir`.

    A folder holding another unit's package (different 统一社会信用代码) is refused unless `force`.

    Invalid input raises InputError before anything is written; template and PDF errors also
    happen before the first file is written, so a failed build leaves the folder as it was."""
    from wufei_docs.loading import check
    from wufei_docs.scoring.score import score

    path = Path(path)
    checked = check(path)  # first: it refuses what is not a regular file of sane size (a FIFO would block)
    try:
        source_bytes = path.read_bytes()
    except OSError as e:
        raise InputError(path, f"无法读取文件：{oserrors.describe(e)}") from None
    result = score(checked.enterprise, checked.rubric)
    package = build_package(checked, result, source_bytes=source_bytes, templates=templates, pdf=pdf, defer_pdf=True)
    if pdf and not current_renderings(Path(out_dir), package.fingerprint):  # PDFs already there: no LibreOffice
        [package] = attach_pdfs([package])
    try:
        report = write_package(package, Path(out_dir), other_unit=force)
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(oserrors.message(e, out_dir)) from None
    report.messages += [f"提示：{w}" for w in [*checked.warnings, *result.warnings]]
    return report


@dataclass(frozen=True)
class Scored:
    """An enterprise file validated and scored: what `wufei score` prints and `--json` (FORMAT.md §3) gives."""

    checked: Checked
    result: ScoreResult

    @property
    def warnings(self) -> list[str]:
        """The file's notices and the score's, but not whether the 支撑材料 files are at hand: that depends on
        where the data file is read (the web API gets the data file alone), never on the score, and
        `validate`/`build` report it. So the same data scores the same, wherever it is read."""
        files = set(self.checked.evidence.warnings)
        return [*(w for w in self.checked.warnings if w not in files), *self.result.warnings]

    def to_json(self) -> dict[str, Any]:
        payload = self.result.to_json()
        payload["warnings"] = self.warnings
        return payload


def score_file(path: str | Path) -> Scored:
    """Validate and score one enterprise file (YAML or xlsx); InputError lists every problem."""
    from wufei_docs.loading import check
    from wufei_docs.scoring.score import score

    checked = check(path)
    return Scored(checked, score(checked.enterprise, checked.rubric))


def build_package(
    checked: Checked,
    result: ScoreResult,
    *,
    source_bytes: bytes,
    templates: Path | None = None,
    self_result: ScoreResult | None = None,
    evaluation: Any = None,
    pdf: bool = False,
    defer_pdf: bool = False,
    cache: bool = True,
) -> Package:
    """Render the three documents in memory.

    `result` is what the documents certify; in a county bundle it is the score after 核定分 and
    `self_result` the enterprise's own (附件1 then shows both). `evaluation` (the county's entry for
    this enterprise) only feeds the fingerprint. With `pdf`, PDFs are made in one LibreOffice run;
    with `defer_pdf` too, the caller converts many packages at once with `attach_pdfs`."""
    from wufei_docs.package import evidence as ev
    from wufei_docs.render.engine import render_docx
    from wufei_docs.render.view import view_model

    evaluated = self_result is not None
    context = view_model(checked.enterprise, result, checked.rubric, self_result=self_result)
    chosen = templates_for(evaluated=evaluated, templates=templates)
    files = {out: render_docx(tpl, context, cache=cache) for out, tpl in chosen.items()}
    options_used = options(templates=templates, evaluated=evaluated)
    materials = ev.materials(checked.enterprise, checked.evidence)
    attached = ev.attachments(materials)
    manifest = _manifest(checked, result, self_result, source_bytes, options_used)
    manifest["evidence"] = ev.manifest_entries(materials, attached, {})
    package = Package(
        files=files,
        manifest=manifest,
        fingerprint=fingerprint(
            source_bytes,
            checked.rubric.id,
            templates=templates,
            evaluation=evaluation,
            evaluated=evaluated,
            evidence=ev.fingerprint_part(materials, attached),
        ),
        extra={"input": checked.enterprise.model_dump(mode="json"), "score": result.to_json()},
        attachments=attached,
        binding=_plan(chosen, context, checked, materials) if pdf else None,
    )
    if pdf and not defer_pdf:
        [package] = attach_pdfs([package])
    return package


def attach_pdfs(packages: Sequence[Package]) -> list[Package]:
    """Add a PDF of every .docx of every package and, where the package was built with a binding plan,
    申报材料.pdf (package/binding.py); LibreOffice runs once for all packages (twice when a 申报书 lists
    page ranges of bound 支撑材料)."""
    import shutil
    import tempfile

    from wufei_docs.package.binding import bound_attachment, convert_and_bind
    from wufei_docs.package.evidence import BOUND_PDF

    workdir = Path(tempfile.mkdtemp(prefix="wufei-bound-"))  # emptied by the writer, which moves the files
    try:
        results = convert_and_bind([(p.files, p.binding) for p in packages], workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    out = []
    for p, (pdfs, bound, pages) in zip(packages, results, strict=True):
        attachments, manifest = dict(p.attachments), p.manifest
        if bound is not None:
            attachments[BOUND_PDF] = bound_attachment(bound)
        if pages:  # .docx materials: their page count is known once converted
            entries = [{**e, "pages": pages.get(e["id"], e["pages"])} for e in manifest.get("evidence", [])]
            manifest = {**manifest, "evidence": entries}
        out.append(replace(p, files={**p.files, **pdfs}, attachments=attachments, manifest=manifest, binding=None))
    return out


def _plan(chosen: Mapping[str, Path], context: dict[str, Any], checked: Checked, materials: Any) -> Any:
    from wufei_docs.package.binding import REPORT, BindPlan

    return BindPlan(str(chosen[REPORT]), context, checked.enterprise.unit.name, list(materials))


def _summary(r: ScoreResult) -> dict[str, Any]:
    payload = r.to_json()
    return {k: payload[k] for k in ("total", "base", "bonus", "verdict")}


def _manifest(
    checked: Checked, result: ScoreResult, self_result: ScoreResult | None, source: bytes, options: Mapping[str, Any]
) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "tool": "wufei-docs",
        "tool_version": __version__,
        "rubric": checked.rubric.id,
        "unit": checked.enterprise.unit.name,
        "uscc": checked.enterprise.unit.uscc,
        "input_sha256": sha256(source),
        "score": _summary(result),
    }
    if self_result is not None:
        manifest["self_score"] = _summary(self_result)
    manifest["options"] = dict(options)
    return manifest
