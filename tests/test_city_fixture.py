"""Builder of county bundles for the city tests, and tests that it keeps to docs/BUNDLE.md.

`make_bundle(tmp_path, county, enterprises) -> Path` writes the enterprise files and evaluation.yaml
exactly as a county would and runs the real `wufei bundle` over them (OUT and OUT.zip).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from stdnum.cn import uscc as uscc_mod

from tests.conftest import EXAMPLES, dump_yaml, variant
from wufei_docs.city.checks import read_bundle
from wufei_docs.county.run import bundle


def make_uscc(n: int, region: str = "360702") -> str:
    """A valid USCC numbered n (distinct n → distinct codes)."""
    body = f"91{region}MA35L{n:04d}"
    return body + uscc_mod.calc_check_digit(body)


def enterprise(n: int, county: str = "章贡区", name: str | None = None, **changes: Any) -> dict[str, Any]:
    """A full-marks enterprise of `county` with its own USCC and name (changes as in conftest.variant)."""
    return variant(
        **{
            "unit.uscc": make_uscc(n),
            "unit.name": name or f"赣州测试{n:02d}号材料有限公司",
            "unit.county": county,
            **changes,
        }
    )


def example(name: str) -> dict[str, Any]:
    """One of the project's own example enterprise files (inputs/), as data."""
    from ruamel.yaml import YAML

    return dict(YAML(typ="safe").load((EXAMPLES / f"{name}.yaml").read_text("utf-8")))


def make_bundle(
    tmp_path: Path,
    county: str,
    enterprises: list[dict[str, Any]],
    *,
    evaluation: dict[str, dict[str, Any]] | None = None,
    name: str | None = None,
) -> Path:
    """Write a county bundle folder OUT (and OUT.zip next to it, tree under OUT/) and return OUT."""
    inputs = tmp_path / f"{name or county}-申报文件"
    inputs.mkdir(parents=True, exist_ok=True)
    evaluation = evaluation or {}
    per_unit = {}
    for i, data in enumerate(enterprises, 1):
        (inputs / f"{i:02d}.yaml").write_text(dump_yaml(data), encoding="utf-8")
        code = data["unit"]["uscc"]
        per_unit[code] = {
            "received": "2025-03-01",
            "evaluated": "2025-03-12",
            "opinion": "同意推荐",
            **evaluation.get(code, {}),
        }
    ev_file = inputs.parent / f"{name or county}-evaluation.yaml"
    ev_file.write_text(
        dump_yaml(
            {
                "format": "wufei/evaluation-1",
                "county": county,
                "evaluators": [f"{county}工信局"],
                "enterprises": per_unit,
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / (name or f"{county}推荐包")
    bundle(inputs, ev_file, out, jobs=1)
    return out


# ---- the builder keeps to the contract --------------------------------------------------------------


def test_fixture_bundle_keeps_the_contract(tmp_path: Path) -> None:
    out = make_bundle(tmp_path, "章贡区", [enterprise(1), enterprise(2, **{"items.A4.1.score": 0})])
    data = json.loads((out / "bundle.json").read_text("utf-8"))
    assert list(data) == [
        "format",
        "tool_version",
        "rubric",
        "county",
        "evaluators",
        "date",
        "enterprises",
        "failed",
        "warnings",
    ]
    first, second = data["enterprises"]
    assert (
        first["recommended"] and first["evaluated_total"] == 105 and first["folder"] == "企业/赣州测试01号材料有限公司"
    )
    assert second["evaluated_total"] < first["evaluated_total"]
    for entry in data["enterprises"]:
        for fname, digest in entry["files"].items():
            assert hashlib.sha256((out / entry["folder"] / fname).read_bytes()).hexdigest() == digest
    assert read_bundle(out).sha256 == read_bundle(out.with_suffix(".zip")).sha256


def test_fixture_reads_the_projects_own_examples(tmp_path: Path) -> None:
    out = make_bundle(tmp_path, "南康区", [example("南康家具制造")])
    (entry,) = read_bundle(out).entries
    # every valid enterprise gets its package, recommended or not (docs/BUNDLE.md)
    assert (
        entry.county == "南康区"
        and entry.recommended is False
        and entry.folder == "企业/赣州市南康区某某家具制造有限公司"
    )


# ---- helpers for the other city tests ---------------------------------------------------------------


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema version): equal snapshots = unchanged register."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        snap = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
        snap["user_version"] = conn.execute("PRAGMA user_version").fetchall()
        return snap
    finally:
        conn.close()


def statuses(db: Path) -> dict[str, str]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT uscc, status FROM units").fetchall())
    finally:
        conn.close()
