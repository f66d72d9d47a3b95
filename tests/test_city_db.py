"""The register file itself: migrations, one transaction per command (crash → rollback), busy waiting."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.test_city_fixture import enterprise, make_bundle, make_uscc, snapshot, statuses
from wufei_docs.city import Change, delist, import_bundles, read_bundles, transaction, verify
from wufei_docs.city.db import SCHEMA_VERSION, connect, open_register
from wufei_docs.errors import OutputError

ROOT = Path(__file__).resolve().parents[1]
WHO = Change(by="测试", date=dt.date(2025, 4, 1))


def imported(cli, tmp_path: Path, *numbers: int) -> Path:
    db = tmp_path / "r.db"
    bundle = make_bundle(tmp_path, "章贡区", [enterprise(n) for n in numbers or (1, 2)])
    assert cli("city", "import", bundle, "--db", db, "--date", "2025-04-01").exit_code == 0
    return db


def test_opening_a_version_1_register_migrates_it_and_keeps_its_data(cli, tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    bundle = make_bundle(tmp_path, "章贡区", [enterprise(1), enterprise(2)])
    conn = connect(db, create=True, upto=1)  # what the first release created: no batches yet
    with transaction(conn):
        import_bundles(conn, read_bundles([bundle]), WHO)
    conn.close()
    old = snapshot(db)
    assert old["user_version"] == [(1,)] and "batches" not in old
    r = cli("city", "status", "--json", "--db", db, "--date", "2025-04-01")
    assert r.exit_code == 0, r.output
    new = snapshot(db)
    assert new["user_version"] == [(SCHEMA_VERSION,)] and new["batches"] == [] and new["spotchecks"] == []
    assert all(new[t] == old[t] for t in ("units", "events", "bundles", "unit_files"))
    r = cli("city", "publish", "--batch", 1, "-o", tmp_path / "o", "--db", db)
    assert r.exit_code == 0 and set(statuses(db).values()) == {"公布"}


def test_a_newer_register_or_another_file_is_refused(cli, tmp_path: Path) -> None:
    db = imported(cli, tmp_path)
    sqlite3.connect(db).execute("PRAGMA user_version = 99")
    r = cli("city", "status", "--db", db)
    assert r.exit_code == 1 and "高于本工具支持的版本" in r.stderr
    text = tmp_path / "notes.db"
    text.write_text("这不是数据库" * 200, encoding="utf-8")
    r = cli("city", "status", "--db", text)
    assert r.exit_code == 1 and "不是登记库文件" in r.stderr
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    r = cli("city", "import", make_bundle(tmp_path / "b", "章贡区", [enterprise(1)]), "--db", other)
    assert r.exit_code == 1 and "其他程序的数据库" in r.stderr


def test_an_error_mid_publish_rolls_everything_back(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wufei_docs.city import documents

    db = imported(cli, tmp_path)
    before = snapshot(db)

    def broken(*args: object) -> bytes:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(documents, "letter_docx", broken)
    r = cli("city", "publish", "--batch", 1, "-o", tmp_path / "o", "--db", db)
    assert r.exit_code != 0
    assert snapshot(db) == before and not (tmp_path / "o").exists()


CRASH = """
import os, sys
sys.path.insert(0, {root!r})
import importlib
target = importlib.import_module("wufei_docs.city.{module}")
real, calls = target.{function}, []
def crash(*args, **kwargs):
    result = real(*args, **kwargs)
    calls.append(1)
    if len(calls) == {after}:
        os._exit(9)  # the process dies: no rollback, no cleanup, a hot journal left behind
    return result
target.{function} = crash
from wufei_docs.cli import main
sys.argv = ["wufei", "city", *{args!r}]
main()
"""


@pytest.mark.parametrize(
    ("module", "function", "after", "command"),
    [
        ("importer", "_insert", 2, "import"),  # killed after two of three units were inserted
        ("publishing", "atomic_write_bytes", 1, "publish"),  # killed after the first document was written
    ],
)
def test_a_process_killed_mid_command_leaves_the_register_consistent(
    cli, tmp_path: Path, module: str, function: str, after: int, command: str
) -> None:
    db = tmp_path / "r.db"
    bundle = make_bundle(tmp_path, "章贡区", [enterprise(1), enterprise(2), enterprise(3)])
    if command == "import":
        args = ["import", str(bundle), "--db", str(db)]  # (no register yet: the command creates it)
    else:
        assert cli("city", "import", bundle, "--db", db).exit_code == 0
        args = ["publish", "--batch", "1", "-o", str(tmp_path / "o"), "--db", str(db)]
    before = snapshot(db) if db.exists() else None
    script = CRASH.format(root=str(ROOT), module=module, function=function, after=after, args=args)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, timeout=120)
    assert proc.returncode == 9, proc.stderr.decode()
    with open_register(db) as conn:  # opening recovers from the hot journal
        assert verify(conn) == []
    after_crash = snapshot(db)
    if before is None:
        assert after_crash["units"] == after_crash["events"] == after_crash["bundles"] == []
    else:
        assert after_crash == before
    rerun = cli("city", *args)  # the same command then simply works
    assert rerun.exit_code == 0, rerun.output
    expected = "推荐" if command == "import" else "公布"
    assert statuses(db) == {make_uscc(n): expected for n in (1, 2, 3)}


def test_a_second_command_waits_for_the_first_instead_of_failing(cli, tmp_path: Path) -> None:
    db = imported(cli, tmp_path)
    r = cli("city", "publish", "--batch", 1, "-o", tmp_path / "o", "--db", db, "--date", "2025-04-10")
    assert r.exit_code == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another command is in the middle of writing
    holder.execute("UPDATE units SET updated_on = updated_on")
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            with open_register(db, wait=60) as conn, transaction(conn):
                outcome["unit"] = delist(conn, make_uscc(1), Change("王五", dt.date(2025, 5, 1), "重大事故"))
        except Exception as e:  # pragma: no cover - reported through the assertion below
            outcome["error"] = e

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive() and not outcome  # still waiting for the lock, not failed
    holder.execute("COMMIT")
    holder.close()
    thread.join(timeout=60)
    assert "error" not in outcome and statuses(db)[make_uscc(1)] == "摘牌"


def test_a_command_that_cannot_get_the_lock_in_time_says_so(cli, tmp_path: Path) -> None:
    db = imported(cli, tmp_path)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        before = statuses(db)
        r = cli("city", "publish", "--batch", 1, "-o", tmp_path / "o", "--db", db, "--wait", "0.2")
        assert r.exit_code == 1 and "正被另一个命令使用" in r.stderr and "Traceback" not in r.output
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert statuses(db) == before


def test_connect_refuses_a_folder_and_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="是文件夹"):
        connect(tmp_path, create=True)
    with pytest.raises(OutputError, match="不存在"):
        connect(tmp_path / "nope.db")
