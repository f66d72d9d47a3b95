"""Cache files that only this machine's user can have written: HMAC-SHA256 with a local key.

The re-run caches live in the output folder (OUT/.wufei), which people copy, zip and pass around. A cache
decides what the documents say without re-reading the inputs (scores, which zip bytes belong to which file,
template sources), so a cache file planted in a folder someone hands over must not be trusted. Each cache
file is sealed with a key kept in the user's cache folder (created on first use, mode 0600); a file with no
or a wrong seal is ignored, which only costs time. Without a usable key nothing is cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from functools import cache
from pathlib import Path
from typing import Any

KEY_NAME = "cache.key"


def key_folder() -> Path:
    """$WUFEI_CACHE_HOME, else $XDG_CACHE_HOME/wufei-docs, else ~/.cache/wufei-docs (LOCALAPPDATA on Windows)."""
    if os.environ.get("WUFEI_CACHE_HOME"):
        return Path(os.environ["WUFEI_CACHE_HOME"])
    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA") or str(Path.home() / ".cache")
    return Path(base) / "wufei-docs"


@cache
def _key(folder: str) -> bytes | None:
    path = Path(folder) / KEY_NAME
    with contextlib.suppress(OSError):
        data = path.read_bytes()
        if len(data) == 32:
            return data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        with contextlib.suppress(OSError):
            data = path.read_bytes()
            return data if len(data) == 32 else None
        return None
    except OSError:
        return None
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def key() -> bytes | None:
    return _key(str(key_folder()))


def seal(text: str) -> str | None:
    """`text` with its seal as the first line, or None when there is no key."""
    sealed = seal_bytes(text.encode("utf-8"))
    return sealed.decode("utf-8") if sealed is not None else None


def unseal(sealed: str) -> str | None:
    """The text of a sealed file, or None if the seal is missing or wrong."""
    data = unseal_bytes(sealed.encode("utf-8"))
    return data.decode("utf-8") if data is not None else None


def seal_bytes(data: bytes) -> bytes | None:
    k = key()
    if k is None:
        return None
    return hmac.new(k, data, hashlib.sha256).hexdigest().encode("ascii") + b"\n" + data


def unseal_bytes(sealed: bytes) -> bytes | None:
    k = key()
    mac, sep, data = sealed.partition(b"\n")
    if k is None or not sep:
        return None
    expected = hmac.new(k, data, hashlib.sha256).hexdigest().encode("ascii")
    return data if hmac.compare_digest(mac, expected) else None


def read(path: Path) -> str | None:
    data = read_bytes(path)
    try:
        return data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError:
        return None


def read_bytes(path: Path) -> bytes | None:
    try:
        return unseal_bytes(path.read_bytes())
    except OSError:
        return None


def write(path: Path, text: str) -> None:
    """Write a sealed file atomically; silently nothing without a key or on a write error."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    from wufei_docs.files.fsutil import atomic_write_bytes

    sealed = seal_bytes(data)
    if sealed is not None:
        with contextlib.suppress(OSError):
            atomic_write_bytes(path, sealed, durable=False)  # a cache lost in a crash only costs time


def read_data(path: Path) -> Any:
    """Plain data (dicts, lists, strings, numbers) kept with `write_data`, or None. marshal, not JSON:
    a bundle's caches are ~200 KB, which JSON takes ~4 ms to read and write, marshal under 1 ms."""
    import marshal

    data = read_bytes(path)
    try:
        return marshal.loads(data) if data is not None else None
    except (EOFError, ValueError, TypeError):  # another Python's format: only costs time
        return None


def write_data(path: Path, value: Any) -> None:
    """Keep `value`; nothing happens if it holds something marshal cannot keep (it only costs time)."""
    import marshal

    try:
        data = marshal.dumps(value)
    except ValueError:
        return
    write_bytes(path, data)
