"""One run per output folder: a lock file `.wufei.lock` held with an OS lock while a run writes.

POSIX: `fcntl.flock` on the lock file; the kernel drops the lock when a process dies, so a lock left by a
crashed run is simply taken over (the pid written in the file is only there for the message).
Elsewhere: the file is created with O_CREAT|O_EXCL and removed afterwards; a lock whose pid no longer runs
on this machine is taken over.
Re-entrant within one thread, so `bundle` may hold its output folder while `write_package` writes into it.
A run may wait for the lock (`wait` seconds, polled); the message then names the holder (pid, host, start).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from wufei_docs.errors import OutputError
from wufei_docs.files import oserrors

LOCK_NAME = ".wufei.lock"

_held: dict[Path, tuple[int, int]] = {}  # folder → (owner thread id, depth)
_guard = threading.Lock()

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@contextmanager
def folder_lock(folder: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the folder's lock for the duration of the block; raise OutputError if another run has it
    (after waiting up to `wait` seconds for it to end)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = folder.resolve()
    me = threading.get_ident()
    with _guard:
        owner = _held.get(key)
        if owner and owner[0] == me:
            _held[key] = (me, owner[1] + 1)
            reentered = True
        elif owner:
            raise OutputError(_busy_message(folder, _read_owner(folder / LOCK_NAME)))
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key] = (me, _held[key][1] - 1)
        return
    release = _acquire_waiting(folder, wait)
    with _guard:
        _held[key] = (me, 1)
    try:
        yield
    finally:
        with _guard:
            del _held[key]
        release()


def _acquire_waiting(folder: Path, wait: float) -> Callable[[], None]:
    """`_acquire`, tried again every POLL seconds until `wait` seconds have passed."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            return _acquire(folder)
        except Busy as e:
            if time.monotonic() >= deadline:
                if wait <= 0:
                    raise
                raise Busy(
                    str(e).removesuffix("请等它结束后再试。") + f"已等待 {wait:g} 秒；请等它结束后再试。"
                ) from None
            time.sleep(min(POLL, max(0.0, deadline - time.monotonic())))


POLL = 0.1  # seconds between two tries of a held lock


class Busy(OutputError):
    """Another run holds the lock."""


def _acquire(folder: Path) -> Callable[[], None]:
    path = folder / LOCK_NAME
    if fcntl is not None:
        return _acquire_flock(folder, path)
    return _acquire_exclusive(folder, path)  # pragma: no cover - Windows


def _acquire_flock(folder: Path, path: Path) -> Callable[[], None]:
    for _ in range(10):
        fd = _open_lock_file(folder, path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise Busy(_busy_message(folder, _read_owner(path))) from None
        # The previous holder may have unlinked the file between our open() and flock(): retry on the new one.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.write(fd, _owner_record())

        def release(fd: int = fd) -> None:
            try:
                path.unlink(missing_ok=True)  # unlink while still locked, so waiters re-check the inode
            finally:
                os.close(fd)

        return release
    raise OutputError(f"{folder}: 无法获得文件夹锁 {LOCK_NAME}，请稍后再试")  # pragma: no cover


def _open_lock_file(folder: Path, path: Path) -> int:
    """Open (or create) the lock file itself, never a file elsewhere that a symlink or hard link named
    .wufei.lock points to: the lock is truncated and rewritten once held."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as e:
        if path.is_symlink():
            raise OutputError(
                f"{folder}: 锁文件 {LOCK_NAME} 是符号链接，为安全起见不使用它；请删除该文件后重试"
            ) from None
        raise OutputError(oserrors.message(e, folder / LOCK_NAME, "无法创建锁文件")) from None
    if os.fstat(fd).st_nlink > 1:
        os.close(fd)
        raise OutputError(f"{folder}: 锁文件 {LOCK_NAME} 另有硬链接，为安全起见不使用它；请删除该文件后重试")
    return fd


def _acquire_exclusive(folder: Path, path: Path) -> Callable[[], None]:  # pragma: no cover - Windows
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            owner = _read_owner(path)
            if owner and owner.get("host") == socket.gethostname() and not _pid_alive(int(str(owner.get("pid", 0)))):
                path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            raise Busy(_busy_message(folder, owner)) from None
        os.write(fd, _owner_record())
        os.close(fd)
        return lambda: path.unlink(missing_ok=True)
    raise Busy(_busy_message(folder, _read_owner(path)))


def _owner_record() -> bytes:
    now = dt.datetime.now().replace(microsecond=0).isoformat()
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": now}).encode()


def _read_owner(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _busy_message(folder: Path, owner: dict[str, object] | None) -> str:
    who = ""
    if owner:
        who = f"（进程 {owner.get('pid')}，{owner.get('host')}，开始于 {owner.get('started')}）"
    return f"文件夹 {folder} 正被另一个 wufei 运行使用{who}，请等它结束后再试。"


def _pid_alive(pid: int) -> bool:  # pragma: no cover - Windows
    if pid <= 0:
        return False
    if os.name == "nt":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
