"""What a bundle run knows and hands around: one Entry per enterprise file, the report, the typed records
of a run's tasks. The lists, the letter, bundle.json and the caches read only these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wufei_docs.files.names import ENTERPRISE_FOLDER

if TYPE_CHECKING:
    from wufei_docs.loading.validation import Checked
    from wufei_docs.model import EnterpriseEvaluation, Evaluation
    from wufei_docs.scoring.score import ScoreResult

__all__ = ["ENTERPRISE_FOLDER", "Assessed", "BundleReport", "Entry", "Progress", "RunSettings"]

Progress = Callable[[str, int, int], None]  # (stage label, done, total)


@dataclass(frozen=True)
class RunSettings:
    """What every task of a run needs besides its own input; a worker gets it once, not with each task."""

    evaluation: Evaluation
    templates: Path | None
    pdf: bool
    out: Path


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
    notes: list[str] = field(default_factory=list)  # about this run, not the bundle: shown, never written

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


@dataclass
class Assessed:
    path: Path
    entry: Entry
    checked: Checked | None = None  # None for a result taken from the cache
    self_result: ScoreResult | None = None
    result: ScoreResult | None = None
    source_bytes: bytes = b""
    evaluation: EnterpriseEvaluation | None = None
    fingerprint: str = ""
    rubric: str | None = None
    record: dict[str, Any] = field(default_factory=dict)  # for the cache (bundle_cache.record)
    package: dict[str, Any] | None = None  # bundle_cache.package_record of a package written now
    staged: Any = None  # outputs.Staged: the package's switch, done with the bundle's


def _num(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
