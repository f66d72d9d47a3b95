"""Every system error a write can meet reaches the user in Chinese, naming the path, with no Python text.

The sweep injects ENOSPC, EROFS, EACCES and ENAMETOOLONG into the write paths of `wufei build`, `final`,
`bundle` and `city publish`, two ways: a temp file that cannot be created (the error names our hidden temp
file, which the user never sees) and a write that fails with no file named at all (a full disk shows up
in fsync). The message must give the reason in Chinese, name the path the user gave, and hold no
`Errno`, no `<…>` and no `object at` (tests may run as root, who can write anywhere: so simulated).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from pathlib import Path

import pytest

from tests.conftest import full_marks, variant
from tests.hostile_kit import Tree, built, dump, refused
from tests.test_city_db import imported
from tests.test_hostile_paths import bundle
from wufei_docs.errors import REASONS

ERRNOS = [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.ENAMETOOLONG]
PYTHON_TEXT = re.compile(r"Errno|<|object at|No space|Read-only|Permission denied|File name too long|\.tmp\b")


def _temp_files_fail(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        fd, name = real(*args, **kwargs)
        os.close(fd)
        os.unlink(name)
        raise OSError(code, os.strerror(code), name)  # as the system reports it: the hidden temp name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def _writes_fail(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    real = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(code, os.strerror(code))  # a failed write names no file
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def _check(result, code: int, path: Path) -> None:
    message = refused(result, REASONS[code], str(path))
    assert not PYTHON_TEXT.search(message), message


def _each_way(monkeypatch, code: int, run, path: Path, *trees: Tree) -> None:
    for inject in (_temp_files_fail, _writes_fail):
        inject(monkeypatch, code)
        _check(run(), code, path)
        monkeypatch.undo()
        for tree in trees:
            tree.unchanged()


@pytest.mark.parametrize("code", ERRNOS, ids=errno.errorcode.get)
def test_build(cli, write, tmp_path, monkeypatch, code: int) -> None:
    out = tmp_path / "out"
    source = write(dump(full_marks()))
    _each_way(monkeypatch, code, lambda: cli("build", source, "-o", out), out, Tree(tmp_path))
    built(cli("build", source, "-o", out), out)
    changed = write(dump(variant(**{"unit.staff": 7})), "v2.yaml")
    _each_way(monkeypatch, code, lambda: cli("build", changed, "-o", out), out, Tree(tmp_path))


@pytest.mark.parametrize("code", ERRNOS, ids=errno.errorcode.get)
def test_final(cli, write, tmp_path, monkeypatch, code: int) -> None:
    out = tmp_path / "out"
    built(cli("build", write(dump(full_marks())), "-o", out), out)
    _each_way(monkeypatch, code, lambda: cli("final", out), out, Tree(tmp_path))


@pytest.mark.parametrize("code", ERRNOS, ids=errno.errorcode.get)
def test_bundle(cli, tmp_path, monkeypatch, code: int) -> None:
    """(What a failed bundle leaves in its own folder is the bundle's atomic switch, tested with it: here the
    message, and the inputs and another bundle untouched.)"""
    out, first = tmp_path / "b", tmp_path / "first"
    bundle(cli, tmp_path, ["赣州甲公司"], first)  # the inputs and an earlier bundle
    trees = Tree(tmp_path / "in"), Tree(first)
    _each_way(monkeypatch, code, lambda: bundle(cli, tmp_path, ["赣州甲公司"], out), out, *trees)


@pytest.mark.parametrize("code", ERRNOS, ids=errno.errorcode.get)
def test_city_publish(cli, tmp_path, monkeypatch, code: int) -> None:
    db = imported(cli, tmp_path)
    out = tmp_path / "o"
    run = lambda: cli("city", "publish", "--batch", 1, "-o", out, "--db", db)  # noqa: E731
    _each_way(monkeypatch, code, run, out, Tree(tmp_path, out))  # the register unchanged, nothing published
    assert not [p for p in out.rglob("*") if p.is_file()]


def test_a_folder_where_the_zip_goes_is_named_as_the_user_knows_it(tmp_path) -> None:
    """Renaming our temp file onto a folder: the message names OUT.zip, not `.OUT.zip.x1y2z3w4.tmp`."""
    from wufei_docs.files import oserrors
    from wufei_docs.files.fsutil import atomic_write_bytes

    target = tmp_path / "OUT.zip"
    target.mkdir()
    with pytest.raises(OSError) as caught:
        atomic_write_bytes(target, b"zip")
    message = oserrors.message(caught.value)
    assert message.startswith(f"无法写入 {target}：") and "." + target.name not in message, message


def test_a_full_register_is_a_chinese_message(cli, tmp_path, monkeypatch) -> None:
    """SQLite's own 'database or disk is full' (the register cannot grow: a page limit stands in for the
    disk here) → a Chinese message naming the register; the register keeps what it had."""
    import sqlite3

    from tests.test_city_db import snapshot
    from tests.test_city_fixture import enterprise, make_bundle
    from wufei_docs.city import db as register

    path = imported(cli, tmp_path)
    before = snapshot(path)
    real = sqlite3.connect

    def no_room(*args, **kwargs):
        conn = real(*args, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return conn

    more = make_bundle(tmp_path / "more", "南康区", [enterprise(n, county="南康区") for n in range(3, 30)])
    monkeypatch.setattr(register.sqlite3, "connect", no_room)
    result = cli("city", "import", more, "--db", path, "--date", "2025-04-02")
    message = refused(result, REASONS[errno.ENOSPC], str(path))
    assert not PYTHON_TEXT.search(message) and "database" not in message, message
    monkeypatch.undo()
    assert snapshot(path) == before
