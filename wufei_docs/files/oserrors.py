"""The one place where a system error becomes a message: in Chinese, by errno, always with the path.

Python's own text (`[Errno 28] No space left on device: '.申报书.docx.x1y2.tmp'`) is English, may name a
hidden temp file of ours, or no file at all (a write that fails on a full disk). `describe` gives the
reason in Chinese (errors.py's table: the bottom layer uses it too); `message` adds the path the user
knows: a temp file or staging folder of ours is shown as the file it was going to become, and a path the
caller passes stands in when the error has none.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath

from wufei_docs.errors import REASONS, OutputError, WufeiError, os_reason

_SQLITE = {
    "SQLITE_FULL": errno.ENOSPC,
    "SQLITE_READONLY": errno.EROFS,
    "SQLITE_PERM": errno.EACCES,
    "SQLITE_AUTH": errno.EACCES,
    "SQLITE_BUSY": errno.EBUSY,
    "SQLITE_LOCKED": errno.EBUSY,
    "SQLITE_IOERR": errno.EIO,
    "SQLITE_TOOBIG": errno.EFBIG,
}
_SQLITE_TEXT = {"SQLITE_CORRUPT": "文件已损坏", "SQLITE_NOTADB": "不是登记库文件", "SQLITE_CANTOPEN": "无法打开文件"}
_TEMP_FILE = re.compile(r"^\.(.+)\.[A-Za-z0-9_]{8}\.tmp$")  # fsutil's mkstemp(prefix=".NAME.", suffix=".tmp")
_TEMP_FOLDER = ".wufei-"  # staging, old and final copies of package/writer.py


def describe(e: OSError) -> str:
    """Why, in Chinese (errors.py's table)."""
    return os_reason(e)


def user_path(path: str | PurePath) -> str:
    """A path as the user knows it: `.申报书.docx.x1y2z3w4.tmp` → `申报书.docx`, `.wufei-staging-…/` dropped."""
    parts = PurePath(path).parts
    if not parts:
        return str(path)
    kept: list[str] = []
    dropped = False
    for part in parts[:-1]:
        # a bundle's stage: OUT/.wufei-bundle-stage/new/推荐名单.xlsx is OUT/推荐名单.xlsx to the user
        if part.startswith(_TEMP_FOLDER) or (dropped and part in ("new", "old")):
            dropped = True
            continue
        dropped = False
        kept.append(part)
    last = parts[-1]
    m = _TEMP_FILE.match(last)
    if m:
        last = m.group(1)
    elif last.startswith(_TEMP_FOLDER):
        return str(PurePath(*kept)) if kept else str(path)
    return str(PurePath(*kept, last))


def where(e: OSError, path: str | PurePath | None = None) -> str:
    """The path to name: the error's own (the target of a rename whose source is our temp file), else `path`."""
    first, second = _name(e.filename), _name(getattr(e, "filename2", None))
    if first and second and user_path(first) != first:
        return user_path(second)
    if first or second:
        return user_path(first or second)
    return str(path) if path is not None else ""


def _name(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value) if isinstance(value, str | PurePath) and str(value) else ""


def message(e: OSError, path: str | PurePath | None = None, action: str = "无法写入") -> str:
    """'无法写入 OUT/申报书.docx：磁盘空间不足' — a wufei error passes through as it is."""
    if isinstance(e, WufeiError):
        return str(e)
    place = where(e, path)
    return f"{action} {place}：{describe(e)}" if place else f"{action}：{describe(e)}"


@contextmanager
def reported(path: str | Path | None = None, action: str = "无法写入") -> Iterator[None]:
    """Turn a system error inside the block into an OutputError with `message` (wufei's own errors pass)."""
    try:
        yield
    except WufeiError:
        raise
    except OSError as e:
        raise OutputError(message(e, path, action)) from None


def sqlite_describe(e: Exception) -> str:
    """A SQLite error's reason in Chinese (by its code name; 'database or disk is full' → 磁盘空间不足)."""
    name = str(getattr(e, "sqlite_errorname", "") or "")
    base = name.split("_")[0:2]
    key = "_".join(base) if len(base) == 2 else name
    if key in _SQLITE:
        return REASONS[_SQLITE[key]]
    if key in _SQLITE_TEXT:
        return _SQLITE_TEXT[key]
    text = str(e)
    if "disk is full" in text:
        return REASONS[errno.ENOSPC]
    if "readonly" in text or "read-only" in text:
        return REASONS[errno.EROFS]
    return "数据库出错"
