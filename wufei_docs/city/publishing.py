"""`city publish` and `city spotcheck`: the two commands that change many units and write documents.

Documents are rendered first, the register is changed, the files are written, and only then is the
transaction committed: a failure anywhere leaves the register as it was (at worst, files that the
next run of the same command rewrites identically).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from wufei_docs.city import documents as docs
from wufei_docs.city.register import (
    CHECKING,
    PUBLISHED,
    RECOMMENDED,
    Change,
    Unit,
    change_status,
    date_problem,
    record,
    require,
    require_unit,
    rows,
    units,
)
from wufei_docs.city.status import DEFAULT_RUBRIC, progress
from wufei_docs.errors import InputError
from wufei_docs.files import oserrors
from wufei_docs.files.fsutil import atomic_write_bytes

MAX_SEED = 2**63 - 1  # the seed is recorded in the register (SQLite INTEGER: signed 64 bits)


@dataclass(frozen=True)
class PublishReport:
    batch: int
    listed: list[docs.Listed]
    files: list[Path]
    reissued: bool  # the batch existed: documents written again, register unchanged


@dataclass(frozen=True)
class SpotcheckReport:
    check: int
    seed: int
    population: int
    drawn: list[docs.Drawn]
    files: list[Path]


def publish(
    conn: sqlite3.Connection,
    batch: int,
    out_dir: Path,
    change: Change,
    *,
    only: list[str] | None = None,
    rubric_id: str = DEFAULT_RUBRIC,
    templates: Path | None = None,
) -> PublishReport:
    """Publish batch N: every 推荐 unit (or the `only` ones) becomes 公布; list, xlsx and cover letter written
    (the .docx from the city office's restyled templates in `templates`, where it has them).

    Publishing an existing batch again changes nothing and rewrites its documents as they were.
    """
    from wufei_docs.scoring.rubric import load_rubric

    rubric = load_rubric(rubric_id)
    existing = conn.execute("SELECT date, progress FROM batches WHERE number = ?", (batch,)).fetchone()
    if existing:
        if only:
            raise InputError(None, f"第{batch}批已于 {existing[0]} 公布，不能再加入单位；请公布新的一批。")
        listed = _frozen(conn, batch)
        day, standing = dt.date.fromisoformat(existing[0]), _progress_from_json(existing[1])
        files = _write_list(out_dir, batch, day, listed, standing, rubric.pass_threshold, templates)
        return PublishReport(batch, listed, files, reissued=True)
    latest = conn.execute("SELECT coalesce(max(number), 0) FROM batches").fetchone()[0]
    if batch != latest + 1:
        raise InputError(None, f"批次应连续：下一批是第{latest + 1}批，不能公布第{batch}批。")
    chosen = _candidates(conn, only)
    _require_dates(conn, chosen, change, f"公布第{batch}批")
    previous = conn.execute("SELECT date FROM batches WHERE number = ?", (latest,)).fetchone()
    if previous and change.date < dt.date.fromisoformat(previous[0]):
        raise InputError(
            None, f"第{batch}批的业务日期 {change.date} 早于第{latest}批的公布日期 {previous[0]}，不能倒填日期。"
        )
    order = {c: i for i, c in enumerate(rubric.counties)}
    chosen.sort(key=lambda u: (order.get(u.county, len(order)), -(u.evaluated_total or 0), u.uscc))
    reason = change.because(f"公布第{batch}批建设单位名单")
    listed = [
        docs.Listed(seq, u.name, u.uscc, u.county, u.type, u.evaluated_total, u.self_total, u.verdict)
        for seq, u in enumerate(chosen, 1)
    ]
    for unit in chosen:
        change_status(conn, unit, PUBLISHED, "公布", change, reason, batch=batch, source=str(out_dir))
    standing = progress(conn, change.date, rubric_id)
    conn.execute(
        "INSERT INTO batches (number, date, by, reason, progress) VALUES (?, ?, ?, ?, ?)",
        (batch, change.date.isoformat(), change.by, reason, json.dumps(asdict(standing), default=str)),
    )
    conn.executemany(
        "INSERT INTO batch_units (batch, seq, uscc, name, county, type, self_total, evaluated_total, verdict) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(batch, r.seq, r.uscc, r.name, r.county, r.type, r.self_total, r.evaluated_total, r.verdict) for r in listed],
    )
    files = _write_list(out_dir, batch, change.date, listed, standing, rubric.pass_threshold, templates)
    return PublishReport(batch, listed, files, reissued=False)


def _require_dates(conn: sqlite3.Connection, chosen: list[Unit], change: Change, what: str) -> None:
    """Refuse a business date earlier than the latest event of any unit the command changes, naming each."""
    found = [p for u in chosen if (p := date_problem(conn, u, change.date))]
    if found:
        head = f"{what}的业务日期 {change.date} 早于单位最近一次变更的日期，不能倒填日期；请核对 --date："
        raise InputError(None, "\n".join([head, *(f"  {p}" for p in found)]))


def _progress_from_json(text: str) -> docs.Progress:
    d = json.loads(text)
    d["window_end"] = dt.date.fromisoformat(d["window_end"])
    return docs.Progress(**d)


def _candidates(conn: sqlite3.Connection, only: list[str] | None) -> list[Unit]:
    if only:
        chosen = []
        for uscc in dict.fromkeys(only):
            unit = require_unit(conn, uscc)
            require(unit, "publish", conn)
            chosen.append(unit)
        return chosen
    chosen = units(conn, RECOMMENDED)
    if not chosen:
        raise InputError(
            None, "没有待公布的单位（状态为“推荐”的单位为 0 个）；请先用 wufei city import 导入县级推荐包。"
        )
    return chosen


def _frozen(conn: sqlite3.Connection, batch: int) -> list[docs.Listed]:
    found = rows(
        conn,
        "SELECT seq, name, uscc, county, type, evaluated_total, self_total, verdict FROM batch_units "
        "WHERE batch = ? ORDER BY seq",
        (batch,),
    )
    return [docs.Listed(*r) for r in found]


def _write_list(
    out_dir: Path,
    batch: int,
    day: dt.date,
    listed: list[docs.Listed],
    standing: docs.Progress,
    threshold: float,
    templates: Path | None,
) -> list[Path]:
    """Render all three documents, then write them (atomically, each)."""
    rendered = {
        f"{docs.list_title(batch)}.docx": docs.list_docx(batch, day, listed, templates),
        f"{docs.list_title(batch)}.xlsx": docs.list_xlsx(batch, listed),
        f"{docs.letter_title(batch)}.docx": docs.letter_docx(batch, day, listed, standing, threshold, templates),
    }
    return _write(out_dir, rendered)


def spotcheck(
    conn: sqlite3.Connection,
    sample: int,
    seed: int,
    out_dir: Path,
    change: Change,
    *,
    templates: Path | None = None,
) -> SpotcheckReport:
    """Draw `sample` published units with random.Random(seed) over the USCC-sorted population; the 抽查通知
    from the city office's restyled template in `templates` if it has one."""
    if not 0 <= seed <= MAX_SEED:
        raise InputError(None, f"随机数种子（--seed）应为 0 到 {MAX_SEED} 之间的整数，实际为 {seed}。")
    population = units(conn, PUBLISHED)
    if sample < 1:
        raise InputError(None, "抽查数量（--sample）应至少为 1")
    if sample > len(population):
        raise InputError(None, f"当前“公布”状态的单位只有 {len(population)} 个，不能抽取 {sample} 个。")
    _require_dates(conn, population, change, "抽查")  # the draw is from the units published by that date
    drawn_units = random.Random(seed).sample(population, sample)
    usccs = [u.uscc for u in drawn_units]
    reason = change.because("按市“无废城市”建设工作领导小组办公室工作安排抽查")
    cur = conn.execute(
        "INSERT INTO spotchecks (date, by, reason, seed, population, sample) VALUES (?, ?, ?, ?, ?, ?)",
        (
            change.date.isoformat(),
            change.by,
            reason,
            seed,
            json.dumps([u.uscc for u in population]),
            json.dumps(usccs),
        ),
    )
    check = int(cur.lastrowid or 0)
    data = {"check": check, "seed": seed, "sample": usccs, "population": len(population)}
    record(conn, None, "抽查抽取", change, reason, source=str(out_dir), data=data)
    for unit in drawn_units:
        change_status(conn, unit, CHECKING, "抽查", change, reason, data={"check": check, "seed": seed})
    drawn = [docs.Drawn(i, u.name, u.uscc, u.county, u.batch) for i, u in enumerate(drawn_units, 1)]
    notice = docs.notice_docx(check, change.date, seed, len(population), drawn, templates)
    files = _write(out_dir, {docs.NOTICE_FILE: notice})
    return SpotcheckReport(check, seed, len(population), drawn, files)


def _write(out_dir: Path, rendered: dict[str, bytes]) -> list[Path]:
    from wufei_docs.errors import OutputError

    written = []
    for name, data in rendered.items():
        target = out_dir / name
        try:
            atomic_write_bytes(target, data)
        except OSError as e:
            raise OutputError(oserrors.message(e, target)) from None
        written.append(target)
    return written
