"""Where the register stands: counts per county and status, progress toward the target, days left."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from wufei_docs.city.db import schema_version
from wufei_docs.city.documents import Progress
from wufei_docs.city.register import COUNTS_TOWARD_TARGET, DELISTED, STATUSES, rows, verify

DEFAULT_RUBRIC = "ganzhou-2023"


def progress(conn: sqlite3.Connection, day: dt.date, rubric_id: str = DEFAULT_RUBRIC) -> Progress:
    from wufei_docs.scoring.rubric import load_rubric

    rubric = load_rubric(rubric_id)
    counts = dict(
        conn.execute(
            "SELECT status, count(*) FROM units WHERE type = ? GROUP BY status", (rubric.application_type,)
        ).fetchall()
    )
    return Progress(
        published=sum(counts.get(s, 0) for s in COUNTS_TOWARD_TARGET),
        delisted=counts.get(DELISTED, 0),
        target=rubric.target_count,
        target_year=rubric.target_year,
        window_end=rubric.window_end,
        days_left=(rubric.window_end - day).days,
    )


@dataclass(frozen=True)
class Status:
    date: dt.date
    rubric: str
    progress: Progress
    counties: list[tuple[str, dict[str, int]]]  # in the rubric's county order
    batches: list[dict[str, Any]]
    spotchecks: list[dict[str, Any]]
    schema: int
    problems: list[str]

    @property
    def totals(self) -> dict[str, int]:
        return {s: sum(c[s] for _, c in self.counties) for s in STATUSES}

    def to_json(self) -> dict[str, Any]:
        p = self.progress
        return {
            "date": self.date.isoformat(),
            "rubric": self.rubric,
            "target": {
                "count": p.target,
                "year": p.target_year,
                "published": p.published,
                "remaining": p.remaining,
                "percent": p.percent,
                "reached": p.remaining == 0,
            },
            "window": {"end": p.window_end.isoformat(), "days_left": p.days_left, "closed": p.days_left < 0},
            "statuses": self.totals,
            "counties": [{"county": name, **counts, "total": sum(counts.values())} for name, counts in self.counties],
            "batches": self.batches,
            "spotchecks": self.spotchecks,
            "schema_version": self.schema,
            "problems": self.problems,
        }


def status(conn: sqlite3.Connection, day: dt.date, rubric_id: str = DEFAULT_RUBRIC) -> Status:
    """Everything `wufei city status` shows, read in one snapshot."""
    from wufei_docs.scoring.rubric import load_rubric

    order = {c: i for i, c in enumerate(load_rubric(rubric_id).counties)}
    table: dict[str, dict[str, int]] = {}
    for county, state, n in conn.execute("SELECT county, status, count(*) FROM units GROUP BY county, status"):
        table.setdefault(county, dict.fromkeys(STATUSES, 0))[state] = n
    counties = sorted(table.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    batches = [
        dict(r)
        for r in rows(
            conn,
            "SELECT b.number AS batch, b.date, b.by, count(u.uscc) AS units FROM batches b "
            "LEFT JOIN batch_units u ON u.batch = b.number GROUP BY b.number ORDER BY b.number",
        )
    ]
    checks = []
    for r in rows(conn, "SELECT id, date, by, seed, sample FROM spotchecks ORDER BY id"):
        sample = json.loads(r["sample"])
        checks.append({"check": r["id"], "date": r["date"], "by": r["by"], "seed": r["seed"], "sample": sample})
    return Status(
        date=day,
        rubric=rubric_id,
        progress=progress(conn, day, rubric_id),
        counties=counties,
        batches=batches,
        spotchecks=checks,
        schema=schema_version(conn),
        problems=verify(conn),
    )
