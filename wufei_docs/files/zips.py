"""The one deterministic zip writer: .docx/.xlsx documents in memory, and folders (bundles) on disk.

Same members in the same order → the same bytes: fixed timestamps (1980-01-01), fixed permissions, no
extra fields, sorted names.
- `write_zip(members)`: a document. Members that do not change between renders are compressed once and
  their compressed bytes reused, which is most of what makes rendering cheap.
- `zip_folder(folder, target)`: a bundle. When the target already exists, the compressed bytes of members
  whose content (CRC-32 and size) has not changed are copied from it instead of being compressed again, so
  a re-run costs little more than reading the files; the result is the same bytes as a fresh archive.
  Archives beyond the plain zip limits (4 GiB, 65535 members) are written by `zipfile` with ZIP64 instead.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import BinaryIO, NamedTuple

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0
STATIC_LEVEL = 6  # members copied from the template: compressed once, so compress well
RENDERED_LEVEL = 1  # members rendered per document: compressed every time, so compress fast


@dataclass(frozen=True)
class Member:
    """One zip entry, already compressed (raw deflate), with the numbers the headers need."""

    name: str
    compressed: bytes
    crc: int
    size: int

    @classmethod
    def of(cls, name: str, data: bytes, level: int = STATIC_LEVEL) -> Member:
        return cls(name, deflate_raw(data, level), zlib.crc32(data), len(data))


def deflate_raw(data: bytes, level: int = STATIC_LEVEL) -> bytes:
    """Raw deflate (no zlib header), as zip members hold it."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush()


_UTF8 = 0x0800  # general purpose flag: names are UTF-8
DEFLATED = 8


def local_header(name: bytes, method: int, crc: int, compressed_size: int, size: int) -> bytes:
    """A zip local file header (fixed 1980-01-01 time, UTF-8 name, no extra field)."""
    fixed = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, _UTF8, method, _DOS_TIME, _DOS_DATE, crc, compressed_size, size, len(name), 0
    )
    return fixed + name


def central_header(
    name: bytes, method: int, crc: int, compressed_size: int, size: int, offset: int, mode: int
) -> bytes:
    """The matching central directory entry; `mode` is the Unix file mode stored in the external attributes."""
    fixed = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        (3 << 8) | 20,  # made by: Unix, zip 2.0
        20,
        _UTF8,
        method,
        _DOS_TIME,
        _DOS_DATE,
        crc,
        compressed_size,
        size,
        len(name),
        0,
        0,
        0,
        0,
        mode << 16,
        offset,
    )
    return fixed + name


def end_of_central_directory(count: int, central_size: int, central_offset: int) -> bytes:
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, central_size, central_offset, 0)


def write_zip(members: list[Member]) -> bytes:
    """Serialise members into a zip archive (deflate, UTF-8 names)."""
    out = bytearray()
    central = bytearray()
    for m in members:
        name = m.name.encode("utf-8")
        central += central_header(name, DEFLATED, m.crc, len(m.compressed), m.size, len(out), 0o100644)
        out += local_header(name, DEFLATED, m.crc, len(m.compressed), m.size)
        out += m.compressed
    start = len(out)
    out += central
    out += end_of_central_directory(len(members), len(central), start)
    return bytes(out)


# --- folders (a bundle's zip) ---------------------------------------------------------------

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_ALREADY_COMPRESSED = {".docx", ".xlsx", ".pdf", ".zip", ".png", ".jpg"}
_LEVEL = 6  # zipfile's default deflate level
_ZIP32_LIMIT = 0xFFFFFFFF - (1 << 24)  # keep clear of the 4 GiB offset/size fields
_MAX_MEMBERS = 0xFFFF
_UTF8 = 0x0800


def zip_folder(
    folder: Path,
    target: Path,
    *,
    prefix: str | None = None,
    exclude: frozenset[str] = frozenset(),
    skip: Callable[[tuple[str, ...]], bool] | None = None,
    state: Path | None = None,
    meanwhile: Callable[[], None] | None = None,
    previous: Path | None = None,
    keep: Callable[[dict[str, list[int]]], None] | None = None,
    moves: list[tuple[str, str]] | None = None,
) -> int:
    """Zip every file under `folder` into `target` (written via a temp file); returns the file count.
    Office files and PDFs are already compressed, so they are stored, which keeps this fast. Paths with a
    part in `exclude`, paths whose parts `skip` rejects, symlinks and hidden files (lock, caches) are left out.

    With `state` (a sealed data file, see sealed.py), the next call copies the zip records of files whose
    inode, size, mtime and ctime are unchanged straight from the previous archive, without reading them.

    `meanwhile` runs while the replaced archive is released (the kernel takes ~7 ms to free an 11 MB file,
    in a close() that lets this thread go on), or at the end when there was none.

    Staged (a county bundle): `previous` is the archive whose records may be copied (the current one, which
    `target` will replace later); the records are then handed to `keep` instead of being saved, so that the
    caller saves them (`save_state`) once the archive has its final name. `moves` (relative to `folder`, in
    order, sources possibly hidden: staged files) are applied to the listing first: the archive is the one
    of `folder` as it will be once they are made."""
    from wufei_docs.files.fsutil import atomic_replace_with

    listing = _listing(folder, exclude, skip)
    paths = {r: folder / r for r, _ in listing}
    if moves:
        listing, paths = _after_moves(folder, listing, moves, exclude, skip)
    files = [paths[r] for r, _ in listing]
    root = prefix if prefix is not None else folder.name
    names = [f"{root}/{r}" if root else r for r, _ in listing]
    stats = [stat for _, stat in listing]
    if len(files) >= _MAX_MEMBERS or sum(stat[1] for stat in stats) >= _ZIP32_LIMIT // 2:
        _forget(state)
        if keep is not None:
            keep({})
        atomic_replace_with(target, lambda tmp: _write_zip64(tmp, files, names))
        if meanwhile is not None:
            meanwhile()
        return len(files)
    source = previous if previous is not None else target
    old = _Previous(source, _load_state(state, source))
    _forget(state)
    records: dict[str, list[int]] = {}
    try:
        atomic_replace_with(target, lambda tmp: records.update(_write(tmp, files, names, stats, old)))
    except BaseException:
        old.close()
        raise
    release = threading.Thread(target=old.close, name="wufei-zip-release")
    release.start()
    try:
        if keep is not None:
            keep(records)
        else:
            save_state(state, target, records)
        if meanwhile is not None:
            meanwhile()
    finally:
        release.join()
    return len(files)


def zip_is_current(
    folder: Path,
    target: Path,
    state: Path,
    *,
    prefix: str | None = None,
    skip: Callable[[tuple[str, ...]], bool] | None = None,
) -> bool:
    """Whether `zip_folder(folder, target, …)` would write the very archive `target` already is: the
    records saved with it (`state`) name the same members, in order, each from a file whose inode, size,
    mtime and ctime are unchanged. Costs a listing of `folder`, no read of any file."""
    records = _load_state(state, target)
    if not records:
        return False
    listing = _listing(folder, frozenset(), skip)
    root = prefix if prefix is not None else folder.name
    if len(listing) != len(records):
        return False
    for (rel, stat), (name, record) in zip(listing, records.items(), strict=True):
        if name != (f"{root}/{rel}" if root else rel) or not isinstance(record, list) or record[:4] != stat:
            return False
    return True


class _Entry(NamedTuple):  # a tuple: a bundle zip has ~1000 of them to make on every re-run
    name: bytes
    method: int
    crc: int
    size: int
    compressed_size: int
    offset: int


def _write(
    tmp: Path, files: list[Path], names: list[str], stats: list[list[int]], previous: _Previous
) -> dict[str, list[int]]:
    """Write the archive; returns, per member, its file's stat and where its record is (for `state`).
    Runs of records reused from the previous archive are copied in one go."""
    entries: list[_Entry] = []
    records: dict[str, list[int]] = {}
    offset = 0
    run: list[int] = []  # [start, length] in the previous archive, not yet copied
    with tmp.open("wb", buffering=0) as out:
        for path, name, stat in zip(files, names, stats, strict=True):
            old = previous.unchanged(name, stat)
            if old is not None:
                length = 30 + len(old.name) + old.compressed_size
                if run and run[0] + run[1] == old.offset:
                    run[1] += length
                else:
                    previous.copy(run, out)
                    run = [old.offset, length]
                entry = old._replace(offset=offset)
            else:
                previous.copy(run, out)
                run = []
                data = path.read_bytes()
                crc, stored = zlib.crc32(data), _stored(path)
                method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                body = data if stored else (previous.deflated(name, crc, len(data)) or deflate_raw(data, _LEVEL))
                entry = _Entry(name.encode("utf-8"), method, crc, len(data), len(body), offset)
                header = _local_header(entry)
                _write_all(out, header + body if len(body) < (1 << 16) else header)
                if len(body) >= (1 << 16):
                    _write_all(out, body)
                length = len(header) + len(body)
            records[name] = [*stat, offset, entry.method, entry.crc, entry.size, entry.compressed_size]
            offset += length
            entries.append(entry)
        previous.copy(run, out)
        central = b"".join(_central_header(e) for e in entries)
        _write_all(out, central)
        end = end_of_central_directory(len(entries), len(central), offset)
        _write_all(out, end)
    return records


def _write_all(out: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[out.write(view) or 0 :]


def _local_header(e: _Entry) -> bytes:
    return local_header(e.name, e.method, e.crc, e.compressed_size, e.size)


def _central_header(e: _Entry) -> bytes:
    return central_header(e.name, e.method, e.crc, e.compressed_size, e.size, e.offset, 0o644)


class _Previous:
    """The archive being replaced: a source of member records that need not be written again.

    `records` (from the state file) are trusted only while the archive is the very file they were saved
    with (same inode, size, mtime and ctime); its central directory is read only when needed."""

    def __init__(self, path: Path, records: dict[str, list[int]]) -> None:
        self.path = path
        self.file: BinaryIO | None = None
        self.records = records
        self._members: dict[str, zipfile.ZipInfo] | None = None
        try:
            self.file = path.open("rb")
        except OSError:
            self.file = None

    @property
    def members(self) -> dict[str, zipfile.ZipInfo]:
        if self._members is None:
            self._members = {}
            if self.file is not None:
                with contextlib.suppress(OSError, zipfile.BadZipFile, ValueError):
                    self._members = {i.filename: i for i in zipfile.ZipFile(self.file).infolist()}
        return self._members

    def unchanged(self, name: str, stat: list[int]) -> _Entry | None:
        """The member's entry (offset in the old archive) if its file has not been touched since the old
        archive was written: same inode, size, mtime and ctime as recorded then."""
        record = self.records.get(name)
        if self.file is None or not isinstance(record, list) or len(record) != 9 or record[:4] != stat:
            return None
        offset, method, crc, size, compressed = record[4:]
        return _Entry(name.encode("utf-8"), method, crc, size, compressed, offset)

    def copy(self, run: list[int], out: BinaryIO) -> None:
        if run and self.file is not None:
            _copy_range(self.file, out, run[0], run[1])

    def deflated(self, name: str, crc: int, size: int) -> bytes | None:
        """The compressed bytes of `name` if the old archive holds the same content, deflated at our level.
        Only without records: with them, a file whose stat changed has almost always changed, and reading
        the old central directory would cost more than it saves."""
        if self.records:
            return None
        info = self.members.get(name) if self.file is not None else None
        if self.file is None or info is None or info.compress_type != zipfile.ZIP_DEFLATED:
            return None
        if crc != info.CRC or info.file_size != size or info.flag_bits & ~_UTF8:
            return None
        try:
            self.file.seek(info.header_offset)
            header = self.file.read(30)
            if len(header) != 30 or header[:4] != b"PK\x03\x04":
                return None
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            self.file.seek(info.header_offset + 30 + name_len + extra_len)
            body = self.file.read(info.compress_size)
        except OSError:
            return None
        if len(body) != info.compress_size or zlib.crc32(zlib.decompress(body, -15)) != crc:
            return None
        return body

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def _copy_range(src: BinaryIO, out: BinaryIO, offset: int, count: int) -> None:
    """Append `count` bytes of `src` from `offset` to `out` (in the kernel where the OS can)."""
    copy = getattr(os, "copy_file_range", None)
    while count > 0:
        if copy is not None:
            try:
                done = copy(src.fileno(), out.fileno(), count, offset)
            except OSError:
                copy = None
                continue
        else:
            src.seek(offset)
            chunk = src.read(min(count, 1 << 20))
            _write_all(out, chunk)
            done = len(chunk)
        if done <= 0:
            raise OSError(f"zip 文件 {getattr(src, 'name', '')} 意外截断")
        offset, count = offset + done, count - done


def _load_state(state: Path | None, target: Path) -> dict[str, list[int]]:
    """The member records saved with the archive, if the archive is still the one they describe."""

    from wufei_docs.files import sealed

    if state is None:
        return {}
    data = sealed.read_data(state)
    try:
        st = target.stat()
    except OSError:
        return {}
    if not isinstance(data, dict) or data.get("zip") != [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]:
        return {}
    members = data.get("members")
    return members if isinstance(members, dict) else {}


def save_state(state: Path | None, target: Path, records: dict[str, list[int]]) -> None:
    """Record where each member of the archive `target` is, for the next `zip_folder` (see there)."""

    from wufei_docs.files import sealed

    if state is None:
        return
    try:
        st = target.stat()
    except OSError:
        return  # without a state the next run reads every file
    payload = {"zip": [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns], "members": records}
    sealed.write_data(state, payload)


def _forget(state: Path | None) -> None:
    if state is not None:
        with contextlib.suppress(OSError):
            state.unlink()


def _write_zip64(tmp: Path, files: list[Path], names: list[str]) -> None:
    """Very large bundles: zipfile's writer, which switches to ZIP64 where needed."""
    with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
        for path, name in zip(files, names, strict=True):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if _stored(path) else zipfile.ZIP_DEFLATED
            with path.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)


def _stored(path: Path) -> bool:
    return path.suffix.lower() in _ALREADY_COMPRESSED


def _after_moves(
    folder: Path,
    listing: list[tuple[str, list[int]]],
    moves: list[tuple[str, str]],
    exclude: frozenset[str],
    skip: Callable[[tuple[str, ...]], bool] | None,
) -> tuple[list[tuple[str, list[int]]], dict[str, Path]]:
    """The listing (and each name's file) once `moves` are made: a moved file under its new name."""
    tree = {rel: (folder / rel, stat) for rel, stat in listing}
    for src, dst in moves:
        entry = tree.pop(src, None)
        if entry is None:  # a staged file (hidden, so not listed)
            try:
                st = os.stat(folder / src, follow_symlinks=False)
            except OSError:
                continue
            if not S_ISREG(st.st_mode):
                continue
            entry = (folder / src, [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
        tree[dst] = entry

    def shown(rel: str) -> bool:
        parts = tuple(rel.split("/"))
        if any(p.startswith(".") or p in exclude for p in parts):
            return False
        return skip is None or not any(skip(parts[: i + 1]) for i in range(len(parts)))

    names = sorted((r for r in tree if shown(r)), key=lambda r: tuple(r.split("/")))
    return [(r, tree[r][1]) for r in names], {r: tree[r][0] for r in names}


def _listing(
    folder: Path, exclude: frozenset[str], skip: Callable[[tuple[str, ...]], bool] | None = None
) -> list[tuple[str, list[int]]]:
    """(relative POSIX path, [inode, size, mtime, ctime]) of the regular files under `folder`, sorted like
    the paths they name; hidden and excluded folders are not even entered, symlinks are not followed."""
    out: list[tuple[tuple[str, ...], str, list[int]]] = []
    todo: list[tuple[str, tuple[str, ...]]] = [(str(folder), ())]
    while todo:
        here, rel = todo.pop()
        with os.scandir(here) as it:
            for item in it:
                name = item.name
                if name.startswith(".") or name in exclude or (skip is not None and skip((*rel, name))):
                    continue
                if item.is_dir(follow_symlinks=False):
                    todo.append((item.path, (*rel, name)))
                elif item.is_file(follow_symlinks=False):
                    st = item.stat(follow_symlinks=False)
                    stat = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
                    out.append(((*rel, name), "/".join((*rel, name)), stat))
    out.sort()
    return [(r, stat) for _, r, stat in out]
