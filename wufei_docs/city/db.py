"""The register's SQLite file: opening it, its schema migrations and one-transaction-per-command.

The schema version lives in `PRAGMA user_version`; `MIGRATIONS[i]` takes a register from version i to
i + 1, so an older file is brought up to date when it is opened. History tables are append-only:
triggers refuse DELETE (and UPDATE of events), so nothing the city recorded can vanish.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wufei_docs.errors import OutputError
from wufei_docs.files import oserrors

DEFAULT_WAIT = 30.0  # seconds a command waits for another one to release the register


def _append_only(table: str, *, updates: bool) -> tuple[str, ...]:
    """Triggers that make `table` keep its rows forever (and, for pure logs, unchanged)."""
    stmts = [
        f"CREATE TRIGGER {table}_keep BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '登记库的历史记录不能删除（{table}）'); END"
    ]
    if not updates:
        stmts.append(
            f"CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '登记库的历史记录不能修改（{table}）'); END"
        )
    return tuple(stmts)


_STATUSES = "'推荐','公布','摘牌','抽查中','重新创建'"
_STATUSES_3 = _STATUSES + ",'撤回'"  # from schema 3: a county may withdraw a recommendation


def _units_table(name: str, statuses: str) -> str:
    return f"""CREATE TABLE {name} (
                uscc TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                county TEXT NOT NULL,                 -- 所在县（市、区） from the enterprise file
                type TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ({statuses})),
                self_total REAL,
                evaluated_total REAL,
                verdict TEXT,
                bundle_id INTEGER NOT NULL REFERENCES bundles(id),
                folder TEXT,                          -- package folder, relative to the bundle
                batch INTEGER,                        -- latest batch it was published in
                updated_on TEXT NOT NULL
            )"""


# Each entry: (what it adds, statements). Never edit a shipped entry; append a new one.
MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "推荐包、单位、材料文件与变更记录",
        (
            """CREATE TABLE bundles (
                id INTEGER PRIMARY KEY,
                sha256 TEXT NOT NULL UNIQUE,          -- of bundle.json: the same bundle is imported once
                path TEXT NOT NULL,                   -- folder or zip, absolute
                prefix TEXT NOT NULL DEFAULT '',      -- folder inside the zip that holds bundle.json
                county TEXT NOT NULL,                 -- the recommending county
                date TEXT NOT NULL,
                rubric TEXT NOT NULL,
                format TEXT NOT NULL,
                tool_version TEXT,
                evaluators TEXT NOT NULL,             -- JSON list
                imported_on TEXT NOT NULL,
                imported_by TEXT NOT NULL
            )""",
            _units_table("units", _STATUSES),
            """CREATE TABLE unit_files (
                bundle_id INTEGER NOT NULL REFERENCES bundles(id),
                uscc TEXT NOT NULL REFERENCES units(uscc),
                name TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                PRIMARY KEY (bundle_id, uscc, name)
            )""",
            """CREATE TABLE events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                uscc TEXT REFERENCES units(uscc),     -- NULL for register-wide events (a spot-check draw)
                action TEXT NOT NULL,
                from_status TEXT,
                to_status TEXT,
                date TEXT NOT NULL,                   -- the business date (--date)
                by TEXT NOT NULL,
                reason TEXT NOT NULL,
                batch INTEGER,
                source TEXT,                          -- bundle path, output folder…
                data TEXT,                            -- JSON details (old/new values, seed, sample)
                recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            )""",
            "CREATE INDEX events_by_unit ON events(uscc, id)",
            *_append_only("events", updates=False),
            *_append_only("units", updates=True),
            *_append_only("bundles", updates=False),
            *_append_only("unit_files", updates=False),
        ),
    ),
    (
        "公布批次与抽查",
        (
            """CREATE TABLE batches (
                number INTEGER PRIMARY KEY CHECK (number > 0),
                date TEXT NOT NULL,
                by TEXT NOT NULL,
                reason TEXT NOT NULL,
                progress TEXT NOT NULL                -- JSON: progress as stated in the cover letter
            )""",
            """CREATE TABLE batch_units (                 -- the list as published, frozen
                batch INTEGER NOT NULL REFERENCES batches(number),
                seq INTEGER NOT NULL,
                uscc TEXT NOT NULL REFERENCES units(uscc),
                name TEXT NOT NULL,
                county TEXT NOT NULL,
                type TEXT NOT NULL,
                self_total REAL,
                evaluated_total REAL,
                verdict TEXT,
                PRIMARY KEY (batch, seq),
                UNIQUE (batch, uscc)
            )""",
            """CREATE TABLE spotchecks (
                id INTEGER PRIMARY KEY,
                date TEXT NOT NULL,
                by TEXT NOT NULL,
                reason TEXT NOT NULL,
                seed INTEGER NOT NULL,
                population TEXT NOT NULL,             -- JSON list of USCCs drawn from, sorted
                sample TEXT NOT NULL                  -- JSON list of USCCs drawn, in draw order
            )""",
            *_append_only("batches", updates=False),
            *_append_only("batch_units", updates=False),
            *_append_only("spotchecks", updates=False),
        ),
    ),
    (
        "撤回（单位表重建：状态约束加入“撤回”）",
        (  # SQLite cannot alter a CHECK: the table is rebuilt (foreign keys are off while migrating)
            _units_table("units_v3", _STATUSES_3),
            "INSERT INTO units_v3 SELECT uscc, name, county, type, status, self_total, evaluated_total, verdict, "
            "bundle_id, folder, batch, updated_on FROM units",
            "DROP TABLE units",
            "ALTER TABLE units_v3 RENAME TO units",
            *_append_only("units", updates=True),
        ),
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def connect(
    path: Path, *, create: bool = False, wait: float = DEFAULT_WAIT, upto: int | None = None
) -> sqlite3.Connection:
    """Open (or with `create`, make) the register and migrate it; `wait` is the busy timeout in seconds."""
    path = Path(path)
    if not create and not path.exists():
        raise OutputError(f"登记库 {path} 不存在；请先用 wufei city import 导入县级推荐包，或用 --db 指定登记库文件。")
    if path.exists() and path.is_dir():
        raise OutputError(f"{path} 是文件夹，不是登记库文件。")
    if not _empty_or_sqlite(path):  # SQLite would silently turn a tiny file (a typo in --db) into a database
        raise OutputError(f"{path} 不是登记库文件（不是 SQLite 数据库）。")
    try:
        conn = sqlite3.connect(path, timeout=wait, isolation_level=None)
    except sqlite3.Error as e:
        raise OutputError(f"无法打开登记库 {path}：{oserrors.sqlite_describe(e)}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path, upto=upto)
    except BaseException:
        conn.close()
        raise
    return conn


def _empty_or_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return True
    except OSError as e:
        raise OutputError(oserrors.message(e, path, "无法打开登记库")) from None
    return head in (b"", b"SQLite format 3\x00")


@contextmanager
def open_register(path: Path, *, create: bool = False, wait: float = DEFAULT_WAIT) -> Iterator[sqlite3.Connection]:
    """`with open_register(db) as conn:` — closed afterwards whatever happens."""
    conn = connect(path, create=create, wait=wait)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool = True) -> Iterator[sqlite3.Connection]:
    """One command = one transaction: all of it is committed, or (on any exception, a crash) none of it.

    Writers take the write lock up front (BEGIN IMMEDIATE), so two commands queue behind the busy
    timeout instead of failing half-way through; readers get a consistent snapshot.
    """
    where = _db_name(conn)
    try:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    except sqlite3.OperationalError as e:
        raise _locked(e, where) from None
    try:
        yield conn
    except sqlite3.OperationalError as e:
        conn.rollback()
        if _is_busy(e) or _is_disk(e):
            raise _locked(e, where) from e
        raise
    except BaseException:
        conn.rollback()
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as e:
        conn.rollback()
        raise _locked(e, where) from None


def migrate(conn: sqlite3.Connection, path: Path | str = "", *, upto: int | None = None) -> int:
    """Bring the register to `upto` (default: the current schema), all migrations in one transaction."""
    target = SCHEMA_VERSION if upto is None else upto
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError:
        raise OutputError(f"{path} 不是登记库文件（不是 SQLite 数据库）。") from None
    if version > SCHEMA_VERSION:
        raise OutputError(
            f"登记库 {path} 的版本（{version}）高于本工具支持的版本（{SCHEMA_VERSION}），请升级 wufei-docs。"
        )
    if version >= target:
        return version
    conn.execute("PRAGMA foreign_keys = OFF")  # a rebuilt table is dropped and renamed (SQLite's 12 steps)
    try:
        with transaction(conn):
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version == 0 and _has_foreign_tables(conn):
                raise OutputError(f"{path} 是其他程序的数据库，不是登记库。")
            for _desc, statements in MIGRATIONS[version:target]:
                for sql in statements:
                    conn.execute(sql)
            if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise OutputError(f"登记库 {path} 升级失败：外键不一致，未作更改。")
            conn.execute(f"PRAGMA user_version = {max(version, target)}")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return target


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _has_foreign_tables(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0)


def _db_name(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else "登记库"


def _is_busy(e: sqlite3.Error) -> bool:
    return "locked" in str(e) or "busy" in str(e)


def _is_disk(e: sqlite3.Error) -> bool:
    """Disk full, read-only, no permission, an I/O error: the system's doing, not a bug of ours."""
    name = str(getattr(e, "sqlite_errorname", ""))
    return name.startswith(("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PERM"))


def _locked(e: sqlite3.Error, where: str) -> OutputError:
    if _is_busy(e):
        return OutputError(f"登记库 {where} 正被另一个命令使用，等待后仍未释放；请稍后重试（可用 --wait 加长等待）。")
    return OutputError(f"登记库 {where} 写入失败：{oserrors.sqlite_describe(e)}")
