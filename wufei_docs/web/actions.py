"""Every call the web app makes into the rest of the library, in one place.

Each web action is one of these calls, as the CLI command of the same name makes it; nothing here scores,
validates or renders by itself.

    web function                         library call                                  CLI equivalent
    version()                            wufei_docs.__version__                        wufei --version
    rubric(id)                           scoring.rubric.load_rubric
    check_file(path)                     loading.check                                 wufei validate
    check_data(data, source)             loading.validation.validate_enterprise(raw.RawDocument(source, data))
    raw_data(path)                       loading.read_raw(path).data                   (a draft not valid yet)
    score_payload(checked)               package.build.Scored(checked, score(…)).to_json()  wufei score --json
    build(path, out, pdf)                package.build.build                                   wufei build
    mark_final(folder, by)               package.final.mark_final                             wufei final
    write_skeleton(path)                 loading.skeleton.write_skeleton                           wufei init
    convert(src, dst)                    loading.convert.convert(force=True)                   wufei convert
    enterprise_yaml(data, comment)       loading.convert.enterprise_yaml
    enterprise_data(checked)             loading.convert.enterprise_data
    write_text / write_bytes             files.fsutil.atomic_write_text / atomic_write_bytes
    read_manifest(folder)                package.writer.read_manifest
    folder_lock(folder)                  files.locking.folder_lock
    zip_folder(folder, target, exclude)  files.zips.zip_folder
    check_evaluation(data, source)       loading.validation.validate_evaluation(RawDocument(...))
    load_evaluation(path)                loading.load_evaluation
    evaluation_data(evaluation)          Evaluation.model_dump(exclude_unset=True)
    bundle(folder, evaluation, out)      county.run.bundle(jobs=1) + county.outputs.summary_lines   wufei bundle
    city_import(db, paths, by)           city.read_bundles + city.import_bundles        wufei city import
    city_publish(db, batch, out, by)     city.publish                                   wufei city publish
    city_spotcheck(db, n, seed, out, by) city.spotcheck                                 wufei city spotcheck
    city_delist(db, uscc, reason, by)    city.delist                                    wufei city delist
    city_result(db, uscc, passed, ...)   city.record_result                             wufei city result
    city_units(db)                       city.register.units                            (wufei city list)
    city_status(db)                      city.status                                    wufei city status
    city_history(db)                     city.history                                   wufei city history
    (every city_* opens the register with city.open_register + city.transaction, as cli/city.py does)
Errors: errors.WufeiError, InputError (its .problems: errors.Problem), OutputError are re-exported.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wufei_docs.errors import InputError, OutputError, Problem, WufeiError  # the error family (light module)

__all__ = ["InputError", "OutputError", "Problem", "WufeiError"]

if TYPE_CHECKING:
    from wufei_docs.city.importer import ImportReport
    from wufei_docs.city.publishing import PublishReport, SpotcheckReport
    from wufei_docs.city.register import Unit
    from wufei_docs.city.status import Status
    from wufei_docs.county.types import BundleReport
    from wufei_docs.loading.validation import Checked
    from wufei_docs.model import Evaluation
    from wufei_docs.package.final import FinalReport
    from wufei_docs.package.writer import WriteReport
    from wufei_docs.scoring.rubric import Rubric

# Rendering keeps per-process state (the bundle's worker setup, the template store it points at): one
# document-writing call at a time in this process. Checking and scoring are pure and run in parallel.
_RENDER = threading.Lock()


def version() -> str:
    from wufei_docs import __version__

    return __version__


def rubric(rubric_id: str = "ganzhou-2023") -> Rubric:
    from wufei_docs.scoring.rubric import load_rubric

    return load_rubric(rubric_id)


# --- enterprise -------------------------------------------------------------------------------------


def check_file(path: Path) -> Checked:
    """`wufei validate FILE`: raises InputError with every problem."""
    from wufei_docs.loading import check

    return check(path)


def check_data(data: Any, source: str) -> Checked:
    """The same validation on data typed into the form (no file, so problems carry no line number)."""
    from wufei_docs._raw import RawDocument
    from wufei_docs.loading.validation import validate_enterprise

    return validate_enterprise(RawDocument(source, data))


def raw_data(path: Path) -> Any:
    """A file's plain data as read (for a draft the form shows before it is valid)."""
    from wufei_docs.loading import read_raw

    return read_raw(path).data


def score_payload(checked: Checked) -> dict[str, Any]:
    """`wufei score FILE --json`: the score's JSON object, the file's warnings first (as the CLI prints it)."""
    from wufei_docs.package.build import Scored
    from wufei_docs.scoring.score import score

    return Scored(checked, score(checked.enterprise, checked.rubric)).to_json()


def build(path: Path, out: Path, *, pdf: bool = False) -> WriteReport:
    """`wufei build FILE -o OUT [--pdf]`."""
    from wufei_docs.package.build import build as build_

    with _RENDER:
        return build_(path, out, pdf=pdf)


def mark_final(folder: Path, by: str | None) -> FinalReport:
    """`wufei final FOLDER --by …`."""
    from wufei_docs.package.final import mark_final as mark_final_

    return mark_final_(folder, by)


def write_skeleton(path: Path) -> Path:
    """`wufei init NAME`."""
    from wufei_docs.loading.skeleton import write_skeleton as write_skeleton_

    return write_skeleton_(path)


def convert(src: Path, dst: Path) -> Checked:
    """`wufei convert SRC DST --force`."""
    from wufei_docs.loading.convert import convert as convert_

    with _RENDER:
        return convert_(src, dst, force=True)


def enterprise_yaml(data: dict[str, Any], comment: str) -> str:
    """Readable YAML of enterprise (or evaluation) data, as `wufei convert` writes it."""
    from wufei_docs.loading.convert import enterprise_yaml as enterprise_yaml_

    return enterprise_yaml_(data, comment=comment)


def enterprise_data(checked: Checked) -> dict[str, Any]:
    """The filled-in fields of a validated enterprise (round trip through the model)."""
    from wufei_docs.loading.convert import enterprise_data as enterprise_data_

    return enterprise_data_(checked.enterprise)


def write_text(path: Path, text: str) -> None:
    from wufei_docs.files.fsutil import atomic_write_text

    atomic_write_text(path, text)


def write_bytes(path: Path, data: bytes) -> None:
    from wufei_docs.files.fsutil import atomic_write_bytes

    atomic_write_bytes(path, data)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The current version's manifest.json of a package folder (None: no package yet)."""
    from wufei_docs.package.writer import read_manifest as read_manifest_

    return read_manifest_(folder)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """The CLI's one-writer-per-folder lock (OutputError when another run holds it)."""
    from wufei_docs.files.locking import folder_lock as folder_lock_

    with folder_lock_(folder):
        yield


# --- county ----------------------------------------------------------------------------------------


def check_evaluation(data: Any, source: str) -> Evaluation:
    from wufei_docs._raw import RawDocument
    from wufei_docs.loading.validation import validate_evaluation

    return validate_evaluation(RawDocument(source, data))


def load_evaluation(path: Path) -> Evaluation:
    from wufei_docs.loading import load_evaluation as load_evaluation_

    return load_evaluation_(path)


def evaluation_data(evaluation: Evaluation) -> dict[str, Any]:
    return evaluation.model_dump(exclude_unset=True)


def bundle(folder: Path, evaluation: Path, out: Path, *, pdf: bool = False) -> tuple[BundleReport, list[str]]:
    """`wufei bundle FOLDER --evaluation FILE -o OUT` (one process: the server's threads share it)."""
    from wufei_docs.county.outputs import summary_lines
    from wufei_docs.county.run import bundle as bundle_

    with _RENDER:
        report = bundle_(folder, evaluation, out, pdf=pdf, jobs=1)
    return report, summary_lines(report)


# --- city -------------------------------------------------------------------------------------------


@contextmanager
def _register(db: Path, *, write: bool = True, create: bool = False) -> Iterator[Any]:
    from wufei_docs.city import open_register, transaction

    with open_register(db, create=create, wait=30.0) as conn, transaction(conn, write=write):
        yield conn


def _change(by: str, day: dt.date | None, reason: str | None) -> Any:
    from wufei_docs.city import Change

    return Change(by=by, date=day or dt.date.today(), reason=reason or None)


def city_import(db: Path, paths: list[Path], by: str, reason: str | None = None) -> ImportReport:
    """`wufei city import BUNDLE… --db DB`."""
    from wufei_docs.city import import_bundles, read_bundles

    read = read_bundles(paths)
    with _register(db, create=True) as conn:
        return import_bundles(conn, read, _change(by, None, reason), update=False)


def city_publish(db: Path, batch: int, out: Path, by: str) -> PublishReport:
    """`wufei city publish --batch N -o OUT`."""
    from wufei_docs.city import publish

    with _RENDER, _register(db) as conn:
        return publish(conn, batch, out, _change(by, None, None))


def city_spotcheck(db: Path, sample: int, seed: int, out: Path, by: str) -> SpotcheckReport:
    """`wufei city spotcheck --sample N --seed S -o OUT`."""
    from wufei_docs.city import spotcheck

    with _RENDER, _register(db) as conn:
        return spotcheck(conn, sample, seed, out, _change(by, None, None))


def city_delist(db: Path, uscc: str, reason: str, by: str) -> Unit:
    """`wufei city delist USCC --reason …`."""
    from wufei_docs.city import delist, normalise_uscc

    with _register(db) as conn:
        return delist(conn, normalise_uscc(uscc), _change(by, None, reason))


def city_result(db: Path, uscc: str, passed: bool, reason: str | None, by: str) -> Unit:
    """`wufei city result USCC --pass/--fail`."""
    from wufei_docs.city import normalise_uscc, record_result

    with _register(db) as conn:
        return record_result(conn, normalise_uscc(uscc), passed, _change(by, None, reason))


def city_units(db: Path) -> list[Unit]:
    """The register's units (what `wufei city list` lists)."""
    from wufei_docs.city.register import units

    with _register(db, write=False) as conn:
        return units(conn)


def city_status(db: Path) -> Status:
    """`wufei city status`."""
    from wufei_docs.city import status

    with _register(db, write=False) as conn:
        return status(conn, dt.date.today())


def city_history(db: Path) -> list[dict[str, Any]]:
    """`wufei city history`."""
    from wufei_docs.city import history

    with _register(db, write=False) as conn:
        return history(conn, None)


def city_statuses() -> tuple[str, ...]:
    from wufei_docs.city import STATUSES

    return tuple(STATUSES)


def zip_folder(folder: Path, target: Path, *, exclude: frozenset[str] = frozenset()) -> None:
    """The project's one zip writer (deterministic: same files, same bytes)."""
    from wufei_docs.files.zips import zip_folder as zip_folder_

    zip_folder_(folder, target, exclude=exclude)
