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
    k = key()
    if k is None:
        return None
    mac = hmac.new(k, text.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{mac}\n{text}"


def unseal(sealed: str) -> str | None:
    """The text of a sealed file, or None if the seal is missing or wrong."""
    k = key()
    mac, sep, text = sealed.partition("\n")
    if k is None or not sep:
        return None
    expected = hmac.new(k, text.encode("utf-8"), hashlib.sha256).hexdigest()
    return text if hmac.compare_digest(mac, expected) else None


def read(path: Path) -> str | None:
    try:
        return unseal(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def write(path: Path, text: str) -> None:
    """Write a sealed file atomically; silently nothing without a key or on a write error."""
    from .fsutil import atomic_write_text

    sealed = seal(text)
    if sealed is not None:
        with contextlib.suppress(OSError):
            atomic_write_text(path, sealed)
