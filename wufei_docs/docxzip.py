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
        comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        return cls(name, comp.compress(data) + comp.flush(), zlib.crc32(data), len(data))


def write_zip(members: list[Member]) -> bytes:
    """Serialise members into a zip archive (deflate, UTF-8 names)."""
    out = bytearray()
    central = bytearray()
    for m in members:
        name = m.name.encode("utf-8")
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            0x0800,
            8,
            _DOS_TIME,
            _DOS_DATE,
            m.crc,
            len(m.compressed),
            m.size,
            len(name),
            0,
        )
        out += name
        out += m.compressed
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            (3 << 8) | 20,  # made by: Unix, zip 2.0
            20,
            0x0800,
            8,
            _DOS_TIME,
            _DOS_DATE,
            m.crc,
            len(m.compressed),
            m.size,
            len(name),
            0,
            0,
            0,
            0,
            0o100644 << 16,
            offset,
        )
        central += name
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0)
    return bytes(out)
