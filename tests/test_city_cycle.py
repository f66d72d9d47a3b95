"""A unit's whole life through the register, with `city list --json` and `city history` at every step:
推荐 → 撤回 → 推荐 → 公布 → 抽查中 → 重新创建 → 推荐 → 公布 → 摘牌 → 推荐; business dates that go back
in time refused (naming both dates); the spot-check seed bounded; `city list` as text, JSON and xlsx."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_city_fixture import enterprise, make_bundle, make_uscc, snapshot

X, Y = make_uscc(1), make_uscc(2)


def bundle_of(tmp_path: Path, name: str, evaluated: str, *numbers: int) -> Path:
    """A real 章贡区 bundle of these enterprises, evaluated on `evaluated` (its bundle date)."""
    units = [enterprise(n) for n in numbers]
    evaluation = {make_uscc(n): {"evaluated": evaluated} for n in numbers}
    return make_bundle(tmp_path / name, "章贡区", units, evaluation=evaluation, name=name)


def listed(cli, db: Path, *options: str) -> dict[str, dict[str, Any]]:
    r = cli("city", "list", "--json", "--db", db, *options)
    assert r.exit_code == 0, r.output
    return {u["uscc"]: u for u in json.loads(r.stdout)}


def actions(cli, db: Path, uscc: str = X) -> list[tuple[str, str | None, str | None, str]]:
    r = cli("city", "history", uscc, "--json", "--db", db)
    assert r.exit_code == 0, r.output
    return [(e["action"], e["from_status"], e["to_status"], e["date"]) for e in json.loads(r.stdout)]


def ok(cli, *args: object) -> str:
    r = cli(*args)
    assert r.exit_code == 0, r.output
    return str(r.stdout)


def refused(cli, db: Path, *args: object) -> str:
    before = snapshot(db)
    r = cli(*args)
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert snapshot(db) == before
    return str(r.stderr)


def step(cli, db: Path, status: str, date: str, history: list[tuple[str, str | None, str | None, str]]) -> None:
    """The unit's row in `city list --json` and its `city history` after a step."""
    row = listed(cli, db)[X]
    assert (row["status"], row["last_date"], row["last_event"]) == (status, date, history[-1][0])
    assert row["county"] == "章贡区" and row["evaluated_total"] == 105 and row["name"] == "赣州测试01号材料有限公司"
    assert actions(cli, db) == history


def test_the_whole_life_cycle(cli, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    b1 = bundle_of(tmp_path, "三月", "2025-03-12", 1, 2)
    b2 = bundle_of(tmp_path, "四月", "2025-04-10", 1)
    b3 = bundle_of(tmp_path, "六月", "2025-06-01", 1)
    b4 = bundle_of(tmp_path, "八月", "2025-08-01", 1)
    h: list[tuple[str, str | None, str | None, str]] = []

    # 推荐
    ok(cli, "city", "import", b1, "--db", db, "--date", "2025-04-01")
    h.append(("导入", None, "推荐", "2025-04-01"))
    step(cli, db, "推荐", "2025-04-01", h)

    # → 撤回 (not on a date before the import; with a reason)
    text = refused(cli, db, "city", "withdraw", X, "--reason", "企业申请撤回", "--db", db, "--date", "2025-03-30")
    assert "业务日期 2025-03-30 早于其最近一次变更的日期 2025-04-01（导入）" in text
    r = cli("city", "withdraw", X, "--db", db, "--date", "2025-04-05")
    assert r.exit_code == 2  # --reason is required
    assert "已撤回" in ok(cli, "city", "withdraw", X, "--reason", "企业申请撤回", "--db", db, "--date", "2025-04-05")
    h.append(("撤回", "推荐", "撤回", "2025-04-05"))
    step(cli, db, "撤回", "2025-04-05", h)
    text = refused(cli, db, "city", "withdraw", X, "--reason", "再撤", "--db", db, "--date", "2025-04-06")
    assert "当前状态为“撤回”（2025-04-05 起）" in text and "只有尚未公布" in text
    text = refused(cli, db, "city", "publish", "--batch", 1, "--uscc", X, "-o", tmp_path / "一", "--db", db)
    assert "当前状态为“撤回”" in text  # a withdrawn unit is not published
    # the bundle it came from, again: nothing changes
    before = snapshot(db)
    assert "未变 2 个" in ok(cli, "city", "import", b1, "--db", db, "--date", "2025-04-06")
    assert snapshot(db) == before

    # → 推荐 from a later bundle
    assert "重新推荐 1 个" in ok(cli, "city", "import", b2, "--db", db, "--date", "2025-04-12")
    h.append(("重新推荐", "撤回", "推荐", "2025-04-12"))
    step(cli, db, "推荐", "2025-04-12", h)
    before = snapshot(db)
    assert "未变 1 个" in ok(cli, "city", "import", b2, "--db", db, "--date", "2025-04-13")
    assert snapshot(db) == before  # the same bundle twice changes nothing

    # → 公布 (not dated before the re-admission)
    text = refused(cli, db, "city", "publish", "--batch", 1, "--uscc", X, "-o", tmp_path / "一", "--db", db,
                   "--date", "2025-04-11")  # fmt: skip
    assert "业务日期 2025-04-11 早于其最近一次变更的日期 2025-04-12（重新推荐）" in text
    ok(cli, "city", "publish", "--batch", 1, "--uscc", X, "-o", tmp_path / "一", "--db", db, "--date", "2025-04-20")
    h.append(("公布", "推荐", "公布", "2025-04-20"))
    step(cli, db, "公布", "2025-04-20", h)
    assert listed(cli, db)[X]["batch"] == 1

    # → 抽查中 (the seed bounded)
    for seed in ("9223372036854775808", "-1"):
        text = refused(cli, db, "city", "spotcheck", "--sample", 1, "--seed", seed, "-o", tmp_path / "抽", "--db", db,
                       "--date", "2025-05-10")  # fmt: skip
        assert "随机数种子（--seed）应为 0 到 9223372036854775807 之间的整数" in text
    ok(cli, "city", "spotcheck", "--sample", 1, "--seed", 2**63 - 1, "-o", tmp_path / "抽", "--db", db,
       "--date", "2025-05-10")  # fmt: skip
    h.append(("抽查", "公布", "抽查中", "2025-05-10"))
    step(cli, db, "抽查中", "2025-05-10", h)

    # → 重新创建
    text = refused(cli, db, "city", "result", X, "--fail", "--reason", "台账与现场不符", "--db", db,
                   "--date", "2025-05-01")  # fmt: skip
    assert "2025-05-01" in text and "2025-05-10" in text
    ok(cli, "city", "result", X, "--fail", "--reason", "台账与现场不符", "--db", db, "--date", "2025-05-20")
    h.append(("抽查不合格", "抽查中", "重新创建", "2025-05-20"))
    step(cli, db, "重新创建", "2025-05-20", h)
    before = snapshot(db)
    r = cli("city", "import", b1, "--db", db, "--date", "2025-05-21")  # dated before the failure: a conflict
    assert r.exit_code == 1 and "须重新创建" in r.stderr and "不晚于此" in r.stderr and snapshot(db) == before
    assert "未变 1 个" in ok(cli, "city", "import", b2, "--db", db, "--date", "2025-05-21")  # where it came from
    assert snapshot(db) == before

    # → 推荐 → 公布 (second batch)
    assert "重新推荐 1 个" in ok(cli, "city", "import", b3, "--db", db, "--date", "2025-06-02")
    h.append(("重新推荐", "重新创建", "推荐", "2025-06-02"))
    step(cli, db, "推荐", "2025-06-02", h)
    ok(cli, "city", "publish", "--batch", 2, "--uscc", X, "-o", tmp_path / "二", "--db", db, "--date", "2025-06-10")
    h.append(("公布", "推荐", "公布", "2025-06-10"))
    step(cli, db, "公布", "2025-06-10", h)

    # → 摘牌 (a delist dated before the publication is refused, naming both dates)
    text = refused(cli, db, "city", "delist", X, "--reason", "重大事故", "--db", db, "--date", "2020-01-01")
    assert "业务日期 2020-01-01 早于其最近一次变更的日期 2025-06-10（公布）" in text
    ok(cli, "city", "delist", X, "--reason", "发生重大环境事故", "--db", db, "--date", "2025-07-01")
    h.append(("摘牌", "公布", "摘牌", "2025-07-01"))
    step(cli, db, "摘牌", "2025-07-01", h)
    before = snapshot(db)
    assert "未变 1 个" in ok(cli, "city", "import", b3, "--db", db, "--date", "2025-07-02")
    assert snapshot(db) == before
    r = cli("city", "import", b2, "--db", db, "--date", "2025-07-02")
    assert r.exit_code == 1 and "已摘牌" in r.stderr and "2025-07-01" in r.stderr and snapshot(db) == before

    # → 推荐 from a bundle dated after the delisting
    assert "重新推荐 1 个" in ok(cli, "city", "import", b4, "--db", db, "--date", "2025-08-02")
    h.append(("重新推荐", "摘牌", "推荐", "2025-08-02"))
    step(cli, db, "推荐", "2025-08-02", h)

    # the other unit stayed 推荐 all along; filters; the register is consistent
    assert listed(cli, db)[Y]["status"] == "推荐" and actions(cli, db, Y) == [("导入", None, "推荐", "2025-04-01")]
    assert set(listed(cli, db, "--status", "推荐")) == {X, Y} and listed(cli, db, "--status", "公布") == {}
    assert set(listed(cli, db, "--county", "章贡区")) == {X, Y} and listed(cli, db, "--county", "南康区") == {}
    status = json.loads(ok(cli, "city", "status", "--json", "--db", db, "--date", "2025-08-02"))
    assert status["problems"] == [] and status["statuses"]["推荐"] == 2


def test_a_backdated_publish_after_an_import_of_today_is_refused(cli, tmp_path: Path) -> None:
    """Issue 14: `publish --date 2025-04-01` after an import recorded today (no --date)."""
    db = tmp_path / "r.db"
    ok(cli, "city", "import", bundle_of(tmp_path, "三月", "2025-03-12", 1), "--db", db)
    today = dt.date.today().isoformat()
    text = refused(cli, db, "city", "publish", "--batch", 1, "-o", tmp_path / "o", "--db", db, "--date", "2025-04-01")
    assert "公布第1批的业务日期 2025-04-01 早于单位最近一次变更的日期" in text
    assert f"业务日期 2025-04-01 早于其最近一次变更的日期 {today}（导入）" in text
    assert not (tmp_path / "o").exists()


def test_a_batch_dated_before_the_previous_one_is_refused(cli, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    ok(cli, "city", "import", bundle_of(tmp_path, "三月", "2025-03-12", 1, 2), "--db", db, "--date", "2025-04-01")
    ok(cli, "city", "publish", "--batch", 1, "--uscc", X, "-o", tmp_path / "o", "--db", db, "--date", "2025-04-20")
    text = refused(cli, db, "city", "publish", "--batch", 2, "-o", tmp_path / "o", "--db", db, "--date", "2025-04-10")
    assert "第2批的业务日期 2025-04-10 早于第1批的公布日期 2025-04-20" in text


def test_list_as_text_json_and_xlsx(cli, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    db = tmp_path / "r.db"
    ok(cli, "city", "import", bundle_of(tmp_path, "三月", "2025-03-12", 1, 2), "--db", db, "--date", "2025-04-01")
    ok(cli, "city", "publish", "--batch", 1, "--uscc", Y, "-o", tmp_path / "o", "--db", db, "--date", "2025-04-20")
    rows = json.loads(ok(cli, "city", "list", "--json", "--db", db))
    assert [r["uscc"] for r in rows] == [X, Y]  # 推荐 before 公布 within a county
    assert {"uscc", "name", "county", "status", "evaluated_total"} <= set(rows[0])
    assert rows[1] | {"bundle_date": None} == {
        "uscc": Y, "name": "赣州测试02号材料有限公司", "county": "章贡区", "status": "公布", "evaluated_total": 105,
        "self_total": 105, "verdict": "达标", "batch": 1, "type": "无废工厂", "last_event": "公布",
        "last_date": "2025-04-20", "recommended_by": "章贡区", "bundle_date": None,
    }  # fmt: skip
    text = ok(cli, "city", "list", "--db", db, "--xlsx", tmp_path / "清单.xlsx")
    for expected in (
        "统一社会信用代码",
        "核定分",
        "批次",
        X,
        "赣州测试01号材料有限公司",
        "第1批",
        "2025-04-20",
        "共 2 家",
    ):
        assert expected in text, expected
    ws = load_workbook(tmp_path / "清单.xlsx").worksheets[0]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header = values.index(["统一社会信用代码", "单位名称", "县（市、区）", "状态", "核定分", "自评分", "批次", "最近变更",
                           "变更日期", "推荐县"])  # fmt: skip
    assert values[header + 1][:5] == [X, "赣州测试01号材料有限公司", "章贡区", "推荐", 105]
    assert values[header + 2][6] == "第1批" and len(values) == header + 3
    r = cli("city", "list", "--db", db, "--status", "待定")
    assert r.exit_code == 1 and "“待定” 不是登记库的状态" in r.stderr
    r = cli("city", "list", "--db", db, "--county", "火星区")
    assert r.exit_code == 1 and "“火星区” 不是" in r.stderr
    r = cli("city", "list", "--db", db, "--xlsx", tmp_path / "清单.txt")
    assert r.exit_code == 1 and ".xlsx" in r.stderr and not (tmp_path / "清单.txt").exists()


@pytest.mark.parametrize("seed", ["9223372036854775808", "-5", str(10**30)])
def test_an_out_of_range_seed_is_refused_in_chinese(cli, tmp_path: Path, seed: str) -> None:
    db = tmp_path / "r.db"
    ok(cli, "city", "import", bundle_of(tmp_path, "三月", "2025-03-12", 1), "--db", db, "--date", "2025-04-01")
    ok(cli, "city", "publish", "--batch", 1, "-o", tmp_path / "o", "--db", db, "--date", "2025-04-20")
    text = refused(cli, db, "city", "spotcheck", "--sample", 1, "--seed", seed, "-o", tmp_path / "c", "--db", db)
    assert "随机数种子（--seed）应为 0 到" in text and "OverflowError" not in text


def test_a_version_2_register_is_migrated_and_can_withdraw(cli, tmp_path: Path) -> None:
    from wufei_docs.city import Change, import_bundles, read_bundles, transaction
    from wufei_docs.city.db import SCHEMA_VERSION, connect

    db = tmp_path / "old.db"
    bundle = bundle_of(tmp_path, "三月", "2025-03-12", 1, 2)
    conn = connect(db, create=True, upto=2)  # what the previous release created: 撤回 not allowed
    with transaction(conn):
        import_bundles(conn, read_bundles([bundle], dt.date(2025, 4, 1)), Change("测试", dt.date(2025, 4, 1)))
    conn.close()
    old = snapshot(db)
    ok(cli, "city", "withdraw", X, "--reason", "企业申请撤回", "--db", db, "--date", "2025-04-05")
    new = snapshot(db)
    assert new["user_version"] == [(SCHEMA_VERSION,)] == [(3,)]
    assert new["bundles"] == old["bundles"] and new["unit_files"] == old["unit_files"]
    assert new["events"][: len(old["events"])] == old["events"]
    assert {r[0]: r[4] for r in new["units"]} == {X: "撤回", Y: "推荐"}
    import sqlite3

    raw = sqlite3.connect(db, isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError, match="历史记录"):  # still append-only after the rebuild
        raw.execute("DELETE FROM units")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        raw.execute("UPDATE units SET status = '跑路'")
    raw.close()
