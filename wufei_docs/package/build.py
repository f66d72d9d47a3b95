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
    package = build_package(checked, result, source_bytes=source_bytes, templates=templates)
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
        return [*self.checked.warnings, *self.result.warnings]

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
    from wufei_docs.render.engine import render_docx
    from wufei_docs.render.view import view_model

    evaluated = self_result is not None
    context = view_model(checked.enterprise, result, checked.rubric, self_result=self_result)
    files = {
        out: render_docx(tpl, context, cache=cache)
        for out, tpl in templates_for(evaluated=evaluated, templates=templates).items()
    }
    options_used = options(templates=templates, evaluated=evaluated)
    package = Package(
        files=files,
        manifest=_manifest(checked, result, self_result, source_bytes, options_used),
        fingerprint=fingerprint(
            source_bytes, checked.rubric.id, templates=templates, evaluation=evaluation, evaluated=evaluated
        ),
        extra={"input": checked.enterprise.model_dump(mode="json"), "score": result.to_json()},
    )
    if pdf and not defer_pdf:
        [package] = attach_pdfs([package])
    return package


def attach_pdfs(packages: Sequence[Package]) -> list[Package]:
    """Add a PDF of every .docx of every package, converted by ONE LibreOffice process."""
    from wufei_docs.render.pdf import convert

    docs = {(k, name): data for k, p in enumerate(packages) for name, data in p.files.items() if name.endswith(DOCX)}
    pdfs = convert({f"{k:05d}/{name}": data for (k, name), data in docs.items()})
    out = []
    for k, p in enumerate(packages):
        files = dict(p.files)
        for name in [n for n in p.files if n.endswith(DOCX)]:
            files[name[: -len(DOCX)] + ".pdf"] = pdfs[f"{k:05d}/{name}"]
        out.append(replace(p, files=files))
    return out


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
