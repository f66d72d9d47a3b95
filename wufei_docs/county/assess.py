"""Assessing one enterprise file (a worker task): load, validate, score it as claimed and as evaluated,
and say whether the county recommends it. A broken file becomes an Entry with its error, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wufei_docs.county.pool import settings
from wufei_docs.county.rules import first_line, recommendation, timing_warnings
from wufei_docs.county.types import Assessed, Entry
from wufei_docs.errors import WufeiError
from wufei_docs.files import oserrors
from wufei_docs.model import Evaluation


def assess(path: Path) -> Assessed:
    """The task: one file assessed with the running bundle's settings, plus its record for the next run."""
    from wufei_docs.county.cache import digest, file_stat, record, settled
    from wufei_docs.loading.evidence import RECHECK, evidence_stamps

    run = settings()
    evaluation = run.evaluation
    stat = file_stat(path)  # before reading: a change made after it shows next time
    a = _assess_one(path, evaluation)
    if a.checked is not None:
        from wufei_docs.package.evidence import evidence_fingerprint
        from wufei_docs.package.fingerprint import fingerprint

        a.rubric = a.checked.rubric.id
        a.fingerprint = fingerprint(
            a.source_bytes,
            a.checked.rubric.id,
            templates=run.templates,
            evaluation=evaluation_json(a),
            evaluated=a.evaluation is not None,
            evidence=evidence_fingerprint(a.checked.enterprise, a.checked.evidence),
        )
    if a.source_bytes:
        a.record = record(a.entry, digest(a.source_bytes), evaluation, a.rubric, a.fingerprint)
        if settled(stat):
            a.record["stat"] = stat
        a.record["evidence"] = evidence_stamps(path, a.checked.enterprise.evidence) if a.checked else RECHECK
    return a


def _small_file_bytes(path: Path) -> bytes:
    """The bytes of an invalid file, so the cache can tell when it changes; b"" for what is too big to read."""
    from wufei_docs._raw import MAX_TEXT_BYTES

    try:
        return path.read_bytes() if path.is_file() and path.stat().st_size <= MAX_TEXT_BYTES else b""
    except OSError:
        return b""


def _assess_one(path: Path, evaluation: Evaluation) -> Assessed:
    from wufei_docs.loading import check
    from wufei_docs.scoring.score import score

    entry = Entry(source=path.name)
    source_bytes = b""
    try:
        checked = check(path)  # first: it refuses oversize or odd files before they are read whole
        source_bytes = path.read_bytes()
    except OSError as error:
        entry.error = f"无法读取文件：{oserrors.describe(error)}"
        entry.reason = f"文件无效：{entry.error}"
        return Assessed(path, entry)
    except WufeiError as error:
        entry.error = first_line(error)
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
        entry.warnings += timing_warnings(entry, checked.rubric.evaluation_days)
    if ent.unit.county != evaluation.county:
        entry.warnings.append(f"{ent.unit.name}：所在县区为 {ent.unit.county}，与评估县区 {evaluation.county} 不一致")
    if checked.evidence.missing:  # listed scans not in the folder: the package goes out without them
        entry.warnings.append(f"{ent.unit.name}：支撑材料 {'、'.join(checked.evidence.missing)} 的文件尚未找到")
    entry.recommended, entry.reason = recommendation(ent.unit.county, evaluation.county, ev is not None, result)
    return Assessed(path, entry, checked, self_result, result, source_bytes, ev)


def evaluation_json(a: Assessed) -> Any:
    return a.evaluation.model_dump(mode="json") if a.evaluation is not None else None
