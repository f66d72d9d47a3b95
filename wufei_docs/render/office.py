"""A resident LibreOffice for a long-running process (`wufei serve`): started on the first PDF, kept warm.

Starting soffice costs ~1.5–2 s of the ~2.5 s a package's three PDFs take. A resident instance is started
once, headless, with its own profile and an `--accept` pipe; a later `soffice --convert-to` run with the same
profile hands its files to that instance and returns when they are converted (measured here: 0.6 s for a
package instead of 2.4 s). Conversions are serialised: one instance converts one batch at a time.
The instance is a process group of its own and is killed on `close()` (and so when the server stops).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

START_TIMEOUT = 60.0


class ResidentOffice:
    """One warm LibreOffice instance; `profile` and `env` are what a conversion must use to reach it."""

    def __init__(self, soffice: str) -> None:
        self.soffice = soffice
        self.lock = threading.Lock()  # one batch at a time; held by `pdf.convert` while it converts
        self._root = Path(tempfile.mkdtemp(prefix="wufei-office-"))
        self.profile = self._root / "profile"
        from wufei_docs.render.fonts import font_environment

        self.env = {**os.environ, "HOME": str(self._root), "SAL_USE_VCLPLUGIN": "svp", **font_environment(self._root)}
        self._process: subprocess.Popen[bytes] | None = None
        self._release: Callable[[], None] = _nothing

    def ensure_started(self) -> None:
        """Start the instance unless it runs; wait until its profile is ready (the first start writes it)."""
        if self._process is not None and self._process.poll() is None:
            return
        pipe = f"wufei-office-{os.getpid()}-{id(self)}"
        cmd = [
            self.soffice,
            f"-env:UserInstallation={self.profile.as_uri()}",
            "--headless", "--invisible", "--norestore", "--nologo", "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;",
            str(_keep_open(self._root)),  # a document kept open: without one the instance ends after a conversion
        ]  # fmt: skip
        self._process = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env, start_new_session=True
        )
        self._release = guard_group(self._process.pid)  # a server killed with -9 takes its LibreOffice with it
        # it accepts UNO connections only once fully started: until then a conversion would start a second one
        deadline = time.monotonic() + START_TIMEOUT
        while not _accepting(pipe):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self._stop()
                return  # conversions then start their own soffice, as without a resident one
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _stop(self) -> None:
        self._release()
        self._release = _nothing
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None

    def close(self) -> None:
        self._stop()
        shutil.rmtree(self._root, ignore_errors=True)


_WATCH = (
    "import os, signal, sys\n"
    "if sys.stdin.buffer.read() != b'done':\n"  # end of input without the word: the process that started us died
    "    try:\n"
    "        os.killpg(int(sys.argv[1]), signal.SIGKILL)\n"
    "    except OSError:\n"
    "        pass\n"
)


def guard_group(pgid: int) -> Callable[[], None]:
    """Kill LibreOffice's process group should this process die before it is done (a kill -9 of `wufei bundle
    --pdf` or of the server must not leave soffice running): a small watcher holds a pipe from this process and
    kills the group when the pipe closes without word. Returns what tells the watcher all is well."""
    if os.name != "posix":  # pragma: no cover - Windows: process groups work differently
        return lambda: None
    watcher = subprocess.Popen(
        [sys.executable, "-c", _WATCH, str(pgid)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C to this process group must not reach it
    )

    def release() -> None:
        with contextlib.suppress(OSError, ValueError):
            assert watcher.stdin is not None
            watcher.stdin.write(b"done")
            watcher.stdin.close()
        watcher.wait()

    return release


def _nothing() -> None:
    pass


def _keep_open(folder: Path) -> Path:
    """An empty text file for the instance to hold open."""
    path = folder / "keep-open.txt"
    path.write_text("", encoding="utf-8")
    return path


def _accepting(pipe: str) -> bool:
    """Whether LibreOffice listens on its named pipe (a Unix socket /tmp/OSL_PIPE_<uid>_<name>)."""
    path = Path(tempfile.gettempdir() if os.name != "posix" else "/tmp") / f"OSL_PIPE_{os.getuid()}_{pipe}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


_ACTIVE: list[ResidentOffice] = []  # the process's resident instance, while `resident()` is open


@contextlib.contextmanager
def resident(soffice: str | None) -> Iterator[ResidentOffice | None]:
    """For the length of the block, PDF conversions in this process go to one resident instance (started on
    the first conversion). Without LibreOffice (`soffice` None) nothing changes."""
    if soffice is None:
        yield None
        return
    office = ResidentOffice(soffice)
    _ACTIVE.append(office)
    try:
        yield office
    finally:
        _ACTIVE.remove(office)
        office.close()


def active() -> ResidentOffice | None:
    return _ACTIVE[-1] if _ACTIVE else None
