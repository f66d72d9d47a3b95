"""Builder of county bundles for the city tests, and tests that it keeps to docs/BUNDLE.md.

`make_bundle(tmp_path, county, enterprises) -> Path` is the one seam to swap for real `wufei bundle`
output once it exists: it writes the enterprise files and evaluation.yaml exactly as a county would
(so the swap is `cli("bundle", inputs, "--evaluation", evaluation, "-o", out)`), scores them with the
real scorer, and writes bundle.json + dummy package files + OUT.zip per the contract.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from stdnum.cn import uscc as uscc_mod

from tests.conftest import EXAMPLES, dump_yaml, variant
from wufei_docs.api import check, load_evaluation
from wufei_docs.city.bundles import read_bundle
from wufei_docs.scoring import score

PACKAGE_FILES = ("申报书.docx", "附件1-评价指标自评表.docx", "附件2-评估申报表.docx", "manifest.json")


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
    _write_bundle(out, county, sorted(inputs.glob("*.yaml")), ev_file)
    _zip(out)
    return out


def _write_bundle(out: Path, county: str, sources: list[Path], ev_file: Path) -> None:
    ev = load_evaluation(ev_file)
    rows = []
    for src in sources:
        checked = check(src)
        e = checked.enterprise
        own = score(e, checked.rubric)
        judged = score(e, checked.rubric, ev.enterprises.get(e.unit.uscc))
        rows.append((src, e, own, judged, ev.enterprises.get(e.unit.uscc)))
    rows.sort(key=lambda r: (r[3].verdict != "达标", -r[3].total, r[1].unit.uscc))
    entries = []
    for seq, (src, e, own, judged, this) in enumerate(rows, 1):
        recommended = judged.verdict == "达标"
        folder = f"企业/{seq:02d}-{e.unit.name}" if recommended else None
        files = _package(out, folder, e.unit.uscc, judged.total) if folder else {}
        entries.append(
            {
                "uscc": e.unit.uscc,
                "name": e.unit.name,
                "county": e.unit.county,
                "source": src.name,
                "folder": folder,
                "self_total": own.to_json()["total"],
                "self_verdict": own.verdict,
                "evaluated_total": judged.to_json()["total"],
                "verdict": judged.verdict,
                "recommended": recommended,
                "reason": None if recommended else f"核定分 {judged.to_json()['total']} 低于 90 分",
                "received": this.received.isoformat() if this and this.received else None,
                "evaluated": this.evaluated.isoformat() if this and this.evaluated else None,
                "opinion": this.opinion if this else None,
                "files": files,
            }
        )
    dates = [v.evaluated for v in ev.enterprises.values() if v.evaluated]
    bundle = {
        "format": "wufei/bundle-1",
        "tool_version": "0.1.0",
        "rubric": "ganzhou-2023",
        "county": county,
        "evaluators": list(ev.evaluators),
        "date": max(dates).isoformat(),
        "enterprises": entries,
        "failed": [],
        "warnings": [],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "bundle.json").write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "汇总.txt").write_text(f"{county}：推荐 {sum(r['recommended'] for r in entries)} 家\n", encoding="utf-8")


def _package(out: Path, folder: str, code: str, total: float) -> dict[str, str]:
    """Dummy package files whose bytes depend on the unit and its score (so hashes mean something)."""
    target = out / folder
    target.mkdir(parents=True, exist_ok=True)
    files = {}
    for fname in PACKAGE_FILES:
        data = f"{fname} {code} {total}\n".encode()
        (target / fname).write_bytes(data)
        files[fname] = hashlib.sha256(data).hexdigest()
    return files


def _zip(out: Path) -> Path:
    target = out.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                zf.write(path, f"{out.name}/{path.relative_to(out).as_posix()}")
    return target


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
    assert first["recommended"] and first["evaluated_total"] == 105 and first["folder"].startswith("企业/01-")
    assert second["evaluated_total"] < first["evaluated_total"]
    for entry in data["enterprises"]:
        for fname, digest in entry["files"].items():
            assert hashlib.sha256((out / entry["folder"] / fname).read_bytes()).hexdigest() == digest
    assert read_bundle(out).sha256 == read_bundle(out.with_suffix(".zip")).sha256


def test_fixture_reads_the_projects_own_examples(tmp_path: Path) -> None:
    out = make_bundle(tmp_path, "南康区", [example("南康家具制造")])
    (entry,) = read_bundle(out).entries
    assert entry.county == "南康区" and entry.recommended is False and entry.folder is None


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
