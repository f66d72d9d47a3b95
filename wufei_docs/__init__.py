"""wufei-docs: turn one data file per enterprise into 赣州市“无废工厂” application packages.

Public API (imported lazily so that `wufei --help` stays fast):
    load(path) -> Enterprise                 read + validate (YAML or .xlsx), raise InputError
    check(path) -> Checked                   the same, with warnings and the rubric
    score(enterprise, rubric=None, evaluation=None) -> ScoreResult
    load_evaluation(path) -> Evaluation
    load_rubric(id) -> Rubric
Errors: WufeiError and its subclasses (InputError, TemplateError, OutputError, MissingToolError).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "wufei_docs.load",
    "check": "wufei_docs.load",
    "load_evaluation": "wufei_docs.load",
    "score": "wufei_docs.scoring.score",
    "ScoreResult": "wufei_docs.scoring.score",
    "ItemScore": "wufei_docs.scoring.score",
    "load_rubric": "wufei_docs.scoring.rubric",
    "Rubric": "wufei_docs.scoring.rubric",
    "Enterprise": "wufei_docs.model",
    "Evaluation": "wufei_docs.model",
    "Checked": "wufei_docs.load.validation",
    "WufeiError": "wufei_docs.errors",
    "InputError": "wufei_docs.errors",
    "TemplateError": "wufei_docs.errors",
    "OutputError": "wufei_docs.errors",
    "MissingToolError": "wufei_docs.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'wufei_docs' has no attribute {name!r}")
