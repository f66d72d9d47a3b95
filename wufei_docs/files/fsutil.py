"""Filesystem helpers: atomic writes, safe relative names, and journalled moves that can be undone.

Every output is written to a temp file in the same folder and renamed into place, so readers see the old
file or the new one, never half of one. A version switch moves several files; `Journal` records the moves
before doing them, so an interrupted switch (exception or crash) is rolled back to the previous state.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from wufei_docs.errors import OutputError
from wufei_docs.files.names import JOURNAL
from wufei_docs.files.safety import ensure_inside


def _file_mode() -> int:
    """The mode a plain open() would give a new file (mkstemp's temp files are 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half of one.
    `durable=False` skips the fsync: for caches, which a crash may lose (or tear: they are sealed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)

    def write(target: Path) -> None:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())

    _fill_and_replace(Path(tmp), path, write)


def _named(e: OSError, path: Path) -> OSError:
    """A write's OSError (a full disk says no file name) with the file it was writing, for the message."""
    if e.filename is None and e.errno is not None and not isinstance(e, OutputError):
        return OSError(e.errno, e.strerror, str(path))
    return e


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_replace_with(path: Path, write: Callable[[Path], None]) -> None:
    """Let `write` fill a temp file beside `path`, then move it into place (for writers that want a path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    _fill_and_replace(Path(tmp), path, write)


def _fill_and_replace(tmp: Path, path: Path, write: Callable[[Path], None]) -> None:
    """`write` fills the temp file, which then replaces `path` in one step; on any failure it is removed."""
    try:
        write(tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _named(e, path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def fsync_dir(path: Path) -> None:
    """Make renames inside `path` durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_tree(path: Path) -> None:
    """Delete a folder we created (staging, discarded copies), including read-only files."""

    def _retry_writable(func: Any, p: str, _exc: Any) -> None:
        try:
            os.chmod(p, 0o700)
            func(p)
        except FileNotFoundError:  # gone meanwhile (a temp file its writer removed): nothing left to delete
            pass

    if not path.exists():
        return
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=_retry_writable)
    else:  # pragma: no cover - Python 3.11
        shutil.rmtree(path, onerror=_retry_writable)


def remove_empty_tree(path: Path) -> bool:
    """Remove `path` if it holds nothing but empty folders; True if it was removed."""
    children = list(path.iterdir())
    if all(c.is_dir() and not c.is_symlink() and remove_empty_tree(c) for c in children):
        path.rmdir()
        return True
    return False


def prune_empty_dirs(folder: Path, names: list[str]) -> None:
    """Remove sub-folders of `folder` that held package files and are empty now."""
    for sub in sorted({n.split("/")[0] for n in names if "/" in n}):
        path = folder / sub
        if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()


@dataclass
class Journal:
    """Moves inside one folder, recorded on disk before they happen so they can always be undone.

    The journal file exists exactly while a switch is in progress: `commit()` deletes it (the commit point);
    `rollback()` (now, after an exception) or `recover()` (next run, after a crash) undoes the moves.
    """

    folder: Path
    moves: list[tuple[str, str]]  # (src, dst), relative to folder, in the order they are done
    cleanup: list[str] = field(default_factory=list)  # folders to delete once committed or rolled back
    created: list[str] = field(default_factory=list)  # folders created for the moves (removed on rollback)
    name: str = JOURNAL

    @property
    def path(self) -> Path:
        return self.folder / self.name

    def begin(self) -> None:
        payload = {"moves": self.moves, "cleanup": self.cleanup, "created": self.created}
        atomic_write_text(self.path, json.dumps(payload, ensure_ascii=False, indent=1))
        fsync_dir(self.folder)

    def run(self) -> None:
        """Do every move; sources that do not exist (a file deleted by hand) are skipped."""
        for rel in self.created:
            (self.folder / rel).mkdir(parents=True, exist_ok=True)
        for src, dst in self.moves:
            source, target = self.folder / src, self.folder / dst
            if source.exists() or source.is_symlink():
                target.parent.mkdir(parents=True, exist_ok=True)
                move(source, target)
        fsync_dir(self.folder)

    def commit(self) -> None:
        self.path.unlink()
        fsync_dir(self.folder)
        self._tidy(self.cleanup)

    def rollback(self) -> None:
        """Undo the moves that happened (newest first), then drop what the switch created."""
        for src, dst in reversed(self.moves):
            source, target = self.folder / src, self.folder / dst
            if (target.exists() or target.is_symlink()) and not (source.exists() or source.is_symlink()):
                source.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, source)
        fsync_dir(self.folder)
        self.path.unlink(missing_ok=True)
        self._tidy([*self.cleanup, *reversed(self.created)])

    def _tidy(self, rels: list[str]) -> None:
        for rel in rels:
            path = self.folder / rel
            if not path.is_dir() or path.is_symlink():
                continue
            if rel in self.cleanup:
                remove_tree(path)
            else:
                remove_empty_tree(path)

    @classmethod
    def recover(cls, folder: Path) -> bool:
        """Roll back a switch a crashed run left behind; True if there was one."""
        path = folder / cls.name
        if not path.exists():
            return False
        try:
            payload = json.loads(path.read_text("utf-8"))
            journal = cls(folder, [tuple(m) for m in payload["moves"]], payload["cleanup"], payload["created"])
            names = [n for m in journal.moves for n in m] + list(journal.cleanup) + list(journal.created)
            if any(len(m) != 2 for m in journal.moves) or not all(_journal_name(folder, n) for n in names):
                raise _Unsafe("格式不对，或含有输出文件夹之外的路径")
        except (ValueError, KeyError, TypeError) as e:
            why = str(e) if isinstance(e, _Unsafe) else "格式不对"
            raise OutputError(f"{folder}: 上次中断留下的记录 {path.name} 无法读取（{why}），请人工检查该文件夹") from e
        journal.rollback()
        return True


class _Unsafe(ValueError):
    """A journal on disk that names paths it must not."""


def journal_names_ok(folder: Path, names: list[object]) -> bool:
    """Every name read from a journal on disk is a safe path inside `folder` (see `_journal_name`)."""
    return all(_journal_name(folder, n) for n in names)


def _journal_name(folder: Path, name: object) -> bool:
    """A path in a journal read from disk: relative, inside `folder`, not through a symlinked sub-folder
    (the file may have been edited or planted: it must never move or delete anything elsewhere)."""
    if not isinstance(name, str) or not name or name.startswith(("/", "\\")) or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    if any(p in ("..", ".") for p in parts) or ":" in parts[0]:
        return False
    try:
        ensure_inside(folder, folder / name)
    except OutputError:
        return False
    return True


def move(source: Path, target: Path) -> None:
    """Rename within one folder tree (same filesystem); the one primitive the switch uses."""
    os.replace(source, target)
