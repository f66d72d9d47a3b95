"""What a re-run of `wufei bundle` into the same OUT may reuse: OUT/.wufei/ (hidden, so never zipped).

A county re-runs its bundle many times; most enterprise files have not changed since the last run.
`assess.data` keeps, per enterprise file, what assessing it gave (the Entry), keyed by the sha256 of
the file's bytes and of its evaluation entry; the whole cache is keyed by the tool's own code and
rubrics, the templates, the options and the folder, so any of those changing starts afresh. A hit
means the file is hashed but neither parsed nor validated. It also remembers each package folder's
manifest (its inode, size and mtime, fingerprint and file hashes), so an untouched package is known
to be current without re-reading its manifest. `county.data` lets the lists and the letter be
skipped when nothing they show has changed. A missing or unreadable cache only costs time. Every cache
file is sealed (sealed.py): one copied in from elsewhere is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wufei_docs._version import __version__
from wufei_docs.files import sealed
from wufei_docs.files.names import CACHE_DIR, JOURNAL, MANIFEST

if TYPE_CHECKING:
    from wufei_docs.county.types import Entry
    from wufei_docs.model import Evaluation

ASSESS = "assess.data"
EVALUATION = "evaluation.pickle"
COUNTY = "county.data"
FORMAT = "wufei/bundle-cache-1"
ASSESSED_FIELDS = (
    "source", "uscc", "name", "county", "self_total", "self_verdict", "evaluated_total", "verdict",
    "recommended", "reason", "received", "evaluated", "opinion", "warnings", "error",
)  # fmt: skip


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def evaluation_digest(evaluation: Evaluation, uscc: str | None) -> str | None:
    """The county's entry for one enterprise, hashed; None when there is none."""
    entry = evaluation.enterprises.get(uscc) if uscc else None
    return None if entry is None else digest(entry.model_dump_json().encode())


def load_evaluation(path: Path, out: Path) -> tuple[Evaluation, Callable[[], None]]:
    """The county evaluation, from OUT/.wufei/evaluation.pickle when the file is byte-for-byte the one
    validated last time (and the tool the same); plus what records it for the next run (called once the
    run has succeeded, so an invalid file never leaves anything behind). A pickle, not JSON to validate
    again (~5 ms for 200 entries, a twentieth of a re-run): it is sealed, so only this user's runs wrote it."""
    import pickle

    from wufei_docs.loading import load_evaluation as load

    cached = out / CACHE_DIR / EVALUATION
    try:
        file_digest = digest(Path(path).read_bytes())
    except OSError:
        return load(path), lambda: None  # load() explains the problem
    stamp = {"sha": file_digest, "code": code_digest()}
    data = sealed.read_bytes(cached)
    if data is not None:
        try:
            kept = pickle.loads(data)
        except Exception:  # written by another version of the tool: only costs time
            kept = None
        if isinstance(kept, dict) and {k: kept.get(k) for k in stamp} == stamp:
            return kept["model"], lambda: None
    evaluation = load(path)
    payload = pickle.dumps({**stamp, "model": evaluation}, pickle.HIGHEST_PROTOCOL)
    return evaluation, lambda: sealed.write_bytes(cached, payload)


@cache
def code_digest() -> str:
    """The tool's own code and rubrics: a new version or a local edit invalidates every cached result.
    Each file by its size and mtime (an install or an edit sets them; reading every file cost ~3 ms of a
    re-run)."""
    root = Path(__file__).resolve().parents[1]  # the whole package
    h = hashlib.sha256(__version__.encode())
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.yaml")]):
        st = path.stat()
        h.update(f"{path.relative_to(root).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def environment_key(folder: Path, evaluation: Evaluation, templates: Path | None, pdf: bool) -> str:
    """Everything besides the enterprise file and its evaluation entry that an assessment or a
    package depends on."""
    from wufei_docs.render.templates import ALL_TEMPLATE_NAMES, template_path

    h = hashlib.sha256()
    h.update(code_digest().encode())
    h.update(str(folder.resolve()).encode() + b"\0" + evaluation.county.encode() + b"\0")
    h.update(json.dumps({"pdf": pdf, "templates": templates is not None}).encode())
    for name in ALL_TEMPLATE_NAMES:
        h.update(name.encode() + b"\0" + digest(template_path(name, templates).read_bytes()).encode())
    return h.hexdigest()


def stat_key(path: str | Path) -> list[int] | None:
    try:
        st = os.stat(path)  # a str path is fine: called for every package on every re-run
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def file_stat(path: Path) -> list[int] | None:
    """inode, size, mtime and ctime (ns): a write, a rename over it or a touch changes at least one."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def has_records(out: Path) -> bool:
    """Whether an earlier run left its records in OUT (cheap: the file is not read)."""
    return (out / CACHE_DIR / ASSESS).is_file()


class AssessCache:
    """The per-file records of the last run (see the module docstring)."""

    def __init__(self, out: Path, key: str) -> None:
        self.path = out / CACHE_DIR / ASSESS
        self.key = key
        self.records: dict[str, dict[str, Any]] = {}
        self._ev_digests: dict[Any, str | None] = {}  # USCC → its evaluation entry, hashed (once per run)
        data = sealed.read_data(self.path)
        if isinstance(data, dict) and data.get("format") == FORMAT and data.get("key") == key:
            records = data.get("files")
            self.records = records if isinstance(records, dict) else {}

    def hashed(self, name: str, stat: list[int] | None) -> str | None:
        """The recorded sha256 of a file whose inode, size, mtime and ctime are the ones recorded with it
        (as git does; a file changed within RACY_NS of being recorded has no stat kept, see `settled`)."""
        record = self.records.get(name)
        if stat is None or not isinstance(record, dict) or record.get("stat") != stat:
            return None
        sha = record.get("sha")
        return sha if isinstance(sha, str) else None

    def lookup(self, name: str, file_digest: str, evaluation: Evaluation) -> dict[str, Any] | None:
        """The record for an unchanged file whose evaluation entry is unchanged too, else None."""
        record = self.records.get(name)
        if not isinstance(record, dict) or record.get("sha") != file_digest:
            return None
        entry = record.get("entry")
        if not isinstance(entry, dict) or set(entry) != set(ASSESSED_FIELDS):
            return None
        uscc = entry.get("uscc")
        if uscc not in self._ev_digests:
            self._ev_digests[uscc] = evaluation_digest(evaluation, uscc)
        if record.get("ev") != self._ev_digests[uscc]:
            return None
        from wufei_docs.loading.evidence import stamps_unchanged

        return record if stamps_unchanged(record.get("evidence")) else None  # a scan changed: assess again

    def current_files(self, record: dict[str, Any], folder: str, root: Path) -> dict[str, str] | None:
        """The package's file hashes when its folder still holds exactly the version this record saw."""
        package = record.get("package")
        if not isinstance(package, dict) or package.get("folder") != folder:
            return None
        target = os.path.join(root, folder)
        files = package.get("files")
        if stat_key(os.path.join(target, MANIFEST)) != package.get("manifest") or not isinstance(files, dict):
            return None
        if package.get("dir") is not None and package.get("dir") == stat_key(target):
            return files  # no file added, removed or renamed in the folder since (~4 ms for 200 packages)
        if os.path.exists(os.path.join(target, JOURNAL)):
            return None
        if not all(os.path.isfile(os.path.join(target, n)) for n in files):
            return None
        return files

    def save(self, records: dict[str, dict[str, Any]]) -> None:

        payload = {"format": FORMAT, "key": self.key, "files": records}
        sealed.write_data(self.path, payload)


def record(
    entry: Entry, file_digest: str, evaluation: Evaluation, rubric: str | None, fingerprint: str
) -> dict[str, Any]:
    """A cache record made right after assessing (before duplicate checks and folder names)."""
    data = asdict(entry)
    return {
        "sha": file_digest,
        "ev": evaluation_digest(evaluation, entry.uscc),
        "rubric": rubric,
        "fingerprint": fingerprint,
        "entry": {k: data[k] for k in ASSESSED_FIELDS},
    }


def settled(stat: list[int] | None) -> bool:
    """A file_stat not changed within RACY_NS (see `_recent`)."""
    return stat is not None and not _recent(max(stat[2], stat[3]))


def _recent(ns: int) -> bool:
    """Within RACY_NS of now: a change in the same clock tick as the last one could keep every number of a
    stat taken that soon, so such a stat is not trusted next time (as git does)."""
    import time

    return ns > time.time_ns() - RACY_NS


def package_record(root: Path, folder: str, files: dict[str, str]) -> dict[str, Any]:
    """Where a current package is: its manifest's and its folder's stat (a folder's mtime changes when a
    file in it is created, deleted or renamed), and its files' hashes."""
    target = os.path.join(root, folder)
    folder_stat = stat_key(target)
    if folder_stat is not None and _recent(folder_stat[2]):
        folder_stat = None  # changed just now: checked file by file next time
    manifest = stat_key(os.path.join(target, MANIFEST))
    return {"folder": folder, "manifest": manifest, "dir": folder_stat, "files": files}


RACY_NS = 2_000_000_000  # see _recent()


# --- county documents ----------------------------------------------------------------------------


def county_unchanged(out: Path, key: str, names: tuple[str, ...]) -> bool:
    """True when the lists and the letter were last written from the same data and are untouched."""
    data = sealed.read_data(out / CACHE_DIR / COUNTY)
    if not isinstance(data, dict) or data.get("key") != key or not isinstance(data.get("files"), dict):
        return False
    files = data["files"]
    return set(files) == set(names) and all(files[n] == stat_key(out / n) for n in names)


def remember_county(out: Path, key: str, names: tuple[str, ...]) -> None:

    payload = {"format": FORMAT, "key": key, "files": {n: stat_key(out / n) for n in names}}
    sealed.write_data(out / CACHE_DIR / COUNTY, payload)


def forget(out: Path, name: str) -> None:
    """Drop a cache file before the outputs it describes are rewritten (a crash then only costs time)."""
    with contextlib.suppress(OSError):
        os.unlink(out / CACHE_DIR / name)
