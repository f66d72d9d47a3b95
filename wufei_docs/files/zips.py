"""A minimal deterministic zip writer for .docx files.

Same members in the same order → the same bytes: fixed timestamps (1980-01-01), fixed permissions,
no extra fields. Members that do not change between renders are compressed once and their
compressed bytes are reused, which is most of what makes rendering cheap.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

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
