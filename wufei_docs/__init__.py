"""wufei-docs: turn one data file per enterprise into 赣州市“无废工厂” application packages.

The public API — everything else (the sub-packages loading/, scoring/, render/, package/, county/, city/, …)
is internal and may change between versions:

    validate(path) -> Checked                  read + validate a YAML/xlsx file; InputError lists every problem
    load(path) -> Enterprise                   the same, the model only (check: validate's earlier name)
    load_evaluation(path) -> Evaluation        a county's evaluation.yaml
    score(enterprise, rubric=None, evaluation=None) -> ScoreResult
    build(path, out_dir, *, pdf=False, templates=None, force=False) -> WriteReport
    bundle(folder, evaluation_path, out, *, pdf=False, jobs=None, …) -> BundleReport
    load_rubric(id) -> Rubric
Errors: WufeiError and its subclasses (InputError, TemplateError, OutputError, MissingToolError).

Names are imported on first use (so that `wufei --help` stays fast); type checkers see them directly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from wufei_docs._version import __version__

if TYPE_CHECKING:
    from wufei_docs.county.run import bundle
    from wufei_docs.county.types import BundleReport, Entry
    from wufei_docs.errors import InputError, MissingToolError, OutputError, Problem, TemplateError, WufeiError
    from wufei_docs.loading import check, load, load_evaluation, validate
    from wufei_docs.loading.validation import Checked
    from wufei_docs.model import Enterprise, Evaluation
    from wufei_docs.package.build import build
    from wufei_docs.package.writer import WriteReport
    from wufei_docs.scoring.rubric import Rubric, load_rubric
    from wufei_docs.scoring.score import ItemScore, ScoreResult, score

_EXPORTS = {
    "validate": "wufei_docs.loading",
    "check": "wufei_docs.loading",
    "load": "wufei_docs.loading",
    "load_evaluation": "wufei_docs.loading",
    "score": "wufei_docs.scoring.score",
    "build": "wufei_docs.package.build",
    "bundle": "wufei_docs.county.run",
    "load_rubric": "wufei_docs.scoring.rubric",
    "Checked": "wufei_docs.loading.validation",
    "Enterprise": "wufei_docs.model",
    "Evaluation": "wufei_docs.model",
    "ScoreResult": "wufei_docs.scoring.score",
    "ItemScore": "wufei_docs.scoring.score",
    "Rubric": "wufei_docs.scoring.rubric",
    "WriteReport": "wufei_docs.package.writer",
    "BundleReport": "wufei_docs.county.types",
    "Entry": "wufei_docs.county.types",
    "WufeiError": "wufei_docs.errors",
    "InputError": "wufei_docs.errors",
    "TemplateError": "wufei_docs.errors",
    "OutputError": "wufei_docs.errors",
    "MissingToolError": "wufei_docs.errors",
    "Problem": "wufei_docs.errors",
}

__all__ = [
    "BundleReport",
    "Checked",
    "Enterprise",
    "Entry",
    "Evaluation",
    "InputError",
    "ItemScore",
    "MissingToolError",
    "OutputError",
    "Problem",
    "Rubric",
    "ScoreResult",
    "TemplateError",
    "WriteReport",
    "WufeiError",
    "__version__",
    "build",
    "bundle",
    "check",
    "load",
    "load_evaluation",
    "load_rubric",
    "score",
    "validate",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value  # looked up once
        return value
    raise AttributeError(f"module 'wufei_docs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
