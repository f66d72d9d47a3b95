"""The library entry points the CLI (and county scripts) call: load, check, load_evaluation."""

from __future__ import annotations

from pathlib import Path

from wufei_docs.load import read_raw
from wufei_docs.load.validation import Checked, validate_enterprise, validate_evaluation
from wufei_docs.model import Enterprise, Evaluation


def check(path: str | Path) -> Checked:
    """Read and validate an enterprise file (YAML or xlsx); raise InputError with every problem."""
    return validate_enterprise(read_raw(path))


def load(path: str | Path) -> Enterprise:
    """Read and validate an enterprise file and return the model."""
    return check(path).enterprise


def load_evaluation(path: str | Path) -> Evaluation:
    """Read and validate a county evaluation file (FORMAT.md §5)."""
    return validate_evaluation(read_raw(path))
