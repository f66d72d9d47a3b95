"""The life of a unit after publication: 摘牌, 抽查 (seeded), 抽查结果, 重新创建, status and history."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from docx import Document

from tests.test_city_fixture import enterprise, example, make_bundle, make_uscc, snapshot, statuses

RARE_EARTH = "91360702MA35L0AB16"


def build_register(cli, tmp_path: Path, db: Path, *, publish: bool = True) -> Path:
    """Our own county bundles (the examples in inputs/ plus generated units), imported and published."""
    zg = make_bundle(
        tmp_path,
        "章贡区",
        [example("赣州稀土新材料"), enterprise(1), enterprise(2, **{"items.A4.1.score": 0}), enterprise(5)],
    )
    nk = make_bundle(tmp_path, "南康区", [example("南康家具制造"), enterprise(3, county="南康区")])
    assert cli("city", "import", zg, nk, "--db", db, "--by", "张三", "--date", "2025-04-01").exit_code == 0
    if publish:
        r = cli("city", "publish", "--batch", 1, "-o", tmp_path / "名单", "--db", db, "--date", "2025-04-10")
        assert r.exit_code == 0, r.output
    return db


@pytest.fixture
def db(cli, tmp_path: Path) -> Path:
    return build_register(cli, tmp_path, tmp_path / "r.db")


def status_json(cli, db: Path, date: str) -> dict:
    r = cli("city", "status", "--json", "--db", db, "--date", date)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_delist_records_reason_and_stops_counting(cli, db: Path) -> None:
    r = cli(
        "city",
        "delist",
        make_uscc(1),
        "--reason",
        "发生重大环境事故",
        "--db",
        db,
        "--by",
        "王五",
        "--date",
        "2025-05-01",
    )
    assert r.exit_code == 0, r.output
    assert "已摘牌：赣州测试01号材料有限公司" in r.stdout
    assert statuses(db)[make_uscc(1)] == "摘牌"
    last = (
        sqlite3.connect(db)
        .execute("SELECT action, from_status, to_status, date, by, reason FROM events ORDER BY id DESC")
        .fetchone()
    )
    assert last == ("摘牌", "公布", "摘牌", "2025-05-01", "王五", "发生重大环境事故")
    s = status_json(cli, db, "2025-05-01")
    assert s["target"]["published"] == 4 and s["statuses"]["摘牌"] == 1


def test_reimporting_the_original_bundle_after_delisting_is_no_conflict(cli, db: Path, tmp_path: Path) -> None:
    cli("city", "delist", make_uscc(1), "--reason", "重大事故", "--db", db)
    before = snapshot(db)
    r = cli("city", "import", tmp_path / "章贡区推荐包", "--db", db)
    assert r.exit_code == 0, r.output
    assert "未变 4 个" in r.stdout and snapshot(db) == before
    newer = make_bundle(
        tmp_path / "新", "章贡区", [enterprise(1)], evaluation={make_uscc(1): {"evaluated": "2025-06-01"}}
    )
    r = cli("city", "import", newer, "--db", db)
    assert r.exit_code == 1 and "已摘牌" in r.stderr and statuses(db)[make_uscc(1)] == "摘牌"


def test_refused_delists_say_why_and_change_nothing(cli, db: Path, tmp_path: Path) -> None:
    before = snapshot(db)
    r = cli("city", "delist", make_uscc(9), "--reason", "x", "--db", db)
    assert r.exit_code == 1 and f"登记库中没有统一社会信用代码为 {make_uscc(9)} 的单位" in r.stderr
    r = cli("city", "delist", "91360702MA35L00013", "--reason", "x", "--db", db)
    assert r.exit_code == 1 and "不是有效的统一社会信用代码" in r.stderr
    r = cli("city", "delist", make_uscc(1), "--db", db)
    assert r.exit_code == 2  # --reason is required: usage error
    assert snapshot(db) == before
    cli("city", "delist", make_uscc(1), "--reason", "重大事故", "--db", db, "--date", "2025-05-01")
    r = cli("city", "delist", make_uscc(1), "--reason", "再来一次", "--db", db)
    assert r.exit_code == 1 and "当前状态为“摘牌”（2025-05-01 起）" in r.stderr
    fresh = build_register(cli, tmp_path / "b", tmp_path / "b.db", publish=False)
    r = cli("city", "delist", make_uscc(1), "--reason", "x", "--db", fresh)
    assert r.exit_code == 1 and "当前状态为“推荐”" in r.stderr and "只有已公布" in r.stderr


def test_spotcheck_is_reproducible_and_recorded(cli, tmp_path: Path) -> None:
    drawn = []
    for name in ("a", "b"):
        db = build_register(cli, tmp_path / name, tmp_path / f"{name}.db")
        out = tmp_path / name / "抽查"
        r = cli("city", "spotcheck", "--sample", 3, "--seed", 20250510, "-o", out, "--db", db, "--date", "2025-05-10")
        assert r.exit_code == 0, r.output
        rows = [[c.text for c in row.cells] for row in Document(str(out / "抽查通知.docx")).tables[0].rows]
        drawn.append([row[2] for row in rows[1:]])
        assert {u: s for u, s in statuses(db).items() if s == "抽查中"}.keys() == set(drawn[-1])
    population = sorted([RARE_EARTH, *(make_uscc(n) for n in (1, 2, 3, 5))])
    assert drawn[0] == drawn[1] == random.Random(20250510).sample(population, 3)
    conn = sqlite3.connect(tmp_path / "a.db")
    seed, sample, pop = conn.execute("SELECT seed, sample, population FROM spotchecks").fetchone()
    assert (seed, json.loads(sample), json.loads(pop)) == (20250510, drawn[0], population)
    event = conn.execute("SELECT uscc, data FROM events WHERE action = '抽查抽取'").fetchone()
    assert event[0] is None and json.loads(event[1])["sample"] == drawn[0]
    text = "\n".join(p.text for p in Document(str(tmp_path / "a" / "抽查" / "抽查通知.docx")).paragraphs)
    assert "从已公布的5家“无废工厂”中随机抽取3家" in text and "随机数种子20250510" in text


def test_spotcheck_only_draws_published_units(cli, db: Path, tmp_path: Path) -> None:
    cli("city", "delist", make_uscc(1), "--reason", "重大事故", "--db", db)
    r = cli("city", "spotcheck", "--sample", 5, "--seed", 1, "-o", tmp_path, "--db", db)
    assert r.exit_code == 1 and "只有 4 个" in r.stderr
    r = cli("city", "spotcheck", "--sample", 4, "--seed", 1, "-o", tmp_path, "--db", db)
    assert r.exit_code == 0 and make_uscc(1) not in r.stdout


def test_result_pass_and_fail_then_recreate_from_a_later_bundle(cli, db: Path, tmp_path: Path) -> None:
    r = cli("city", "result", make_uscc(1), "--pass", "--db", db)
    assert r.exit_code == 1 and "只有“抽查中”的单位可以登记抽查结果" in r.stderr
    r = cli("city", "spotcheck", "--sample", 5, "--seed", 3, "-o", tmp_path, "--db", db, "--date", "2025-05-10")
    assert r.exit_code == 0
    r = cli("city", "result", make_uscc(1), "--pass", "--db", db, "--date", "2025-05-20")
    assert r.exit_code == 0 and "合格" in r.stdout
    r = cli("city", "result", make_uscc(2), "--fail", "--db", db, "--date", "2025-05-20")
    assert r.exit_code == 1 and "必须说明原因" in r.stderr
    r = cli("city", "result", make_uscc(2), "--fail", "--reason", "台账与现场不符", "--db", db, "--date", "2025-05-20")
    assert r.exit_code == 0 and "须重新创建" in r.stdout
    assert statuses(db)[make_uscc(1)] == "公布" and statuses(db)[make_uscc(2)] == "重新创建"
    assert status_json(cli, db, "2025-05-20")["target"]["published"] == 4  # 5 published − 1 to re-create
    # the same (old) bundle does not bring it back; a bundle dated after the failure does
    old = make_bundle(tmp_path / "old", "章贡区", [enterprise(2, **{"items.A4.1.score": 0})])
    r = cli("city", "import", old, "--db", db, "--date", "2025-05-21")
    assert r.exit_code == 1 and "不晚于此" in r.stderr and statuses(db)[make_uscc(2)] == "重新创建"
    later = make_bundle(
        tmp_path / "new", "章贡区", [enterprise(2)], evaluation={make_uscc(2): {"evaluated": "2025-06-01"}}
    )
    r = cli("city", "import", later, "--db", db, "--date", "2025-06-02")
    assert r.exit_code == 0 and "重新推荐 1 个" in r.stdout
    assert statuses(db)[make_uscc(2)] == "推荐"
    r = cli("city", "publish", "--batch", 2, "-o", tmp_path / "二", "--db", db, "--date", "2025-06-05")
    assert r.exit_code == 0 and "共 1 家" in r.stdout
    actions = [
        a
        for (a,) in sqlite3.connect(db).execute("SELECT action FROM events WHERE uscc = ? ORDER BY id", (make_uscc(2),))
    ]
    assert actions == ["导入", "公布", "抽查", "抽查不合格", "重新推荐", "公布"]


def test_status_json_and_table(cli, db: Path) -> None:
    s = status_json(cli, db, "2025-04-10")
    assert s["target"] == {"count": 12, "year": 2025, "published": 5, "remaining": 7, "percent": 41.7, "reached": False}
    assert s["window"] == {"end": "2025-06-30", "days_left": 81, "closed": False}
    assert s["counties"][0] == {
        "county": "章贡区",
        "推荐": 0,
        "撤回": 0,
        "公布": 4,
        "抽查中": 0,
        "摘牌": 0,
        "重新创建": 0,
        "total": 4,
    }
    assert s["counties"][1]["county"] == "南康区" and s["counties"][1]["公布"] == 1
    assert s["batches"] == [{"batch": 1, "date": "2025-04-10", "by": s["batches"][0]["by"], "units": 5}]
    assert s["problems"] == [] and s["schema_version"] == 3
    late = status_json(cli, db, "2025-07-02")
    assert late["window"] == {"end": "2025-06-30", "days_left": -2, "closed": True}
    r = cli("city", "status", "--db", db, "--date", "2025-07-02")
    assert r.exit_code == 0 and "申报期已结束（截止日期为2025年6月30日）" in r.stdout and "5 / 12" in r.stdout
    r = cli("city", "status", "--db", db, "--date", "2025-13-01")
    assert r.exit_code == 2 and "不是有效日期" in r.stderr


def test_status_of_a_missing_register_says_how_to_start(cli, tmp_path: Path) -> None:
    r = cli("city", "status", "--db", tmp_path / "none.db")
    assert r.exit_code == 1 and "不存在" in r.stderr and "wufei city import" in r.stderr
    assert not (tmp_path / "none.db").exists()


def test_history_is_append_only(cli, db: Path) -> None:
    conn = sqlite3.connect(db)
    for sql in ("DELETE FROM events", "UPDATE events SET reason = 'x'", "DELETE FROM units", "DELETE FROM batch_units"):
        with pytest.raises(sqlite3.IntegrityError, match="历史记录"):
            conn.execute(sql)
    r = cli("city", "history", RARE_EARTH, "--db", db)
    assert r.exit_code == 0 and "导入" in r.stdout and "推荐 → 公布 第1批" in r.stdout
    events = json.loads(cli("city", "history", RARE_EARTH, "--json", "--db", db).stdout)
    assert [e["action"] for e in events] == ["导入", "公布"] and events[0]["data"]["evaluated_total"] == 100


def test_done_when_scenario(cli, db: Path, tmp_path: Path) -> None:
    """Our own county bundles imported, one batch published, one unit delisted, a seeded spot check."""
    assert (
        cli(
            "city", "delist", RARE_EARTH, "--reason", "发生重大环境污染事故", "--db", db, "--date", "2025-05-01"
        ).exit_code
        == 0
    )
    r = cli(
        "city", "spotcheck", "--sample", 2, "--seed", 42, "-o", tmp_path / "抽查", "--db", db, "--date", "2025-05-10"
    )
    assert r.exit_code == 0, r.output
    published = sorted(make_uscc(n) for n in (1, 2, 3, 5))
    sample = random.Random(42).sample(published, 2)
    expected = {u: "公布" for u in published} | {u: "抽查中" for u in sample} | {RARE_EARTH: "摘牌"}
    assert statuses(db) == expected  # 南康家具 (not recommended) never entered the register
    s = status_json(cli, db, "2025-05-10")
    assert s["target"]["published"] == 4 and s["target"]["remaining"] == 8 and s["window"]["days_left"] == 51
    assert s["statuses"] == {"推荐": 0, "撤回": 0, "公布": 2, "抽查中": 2, "摘牌": 1, "重新创建": 0}
    assert s["spotchecks"][0]["seed"] == 42 and s["spotchecks"][0]["sample"] == sample
    listed = Document(str(tmp_path / "名单" / "赣州市“无废城市细胞”建设单位名单（第1批）.docx")).tables[0]
    assert len(listed.rows) == 1 + 5 and RARE_EARTH in [row.cells[2].text for row in listed.rows]
    assert (tmp_path / "抽查" / "抽查通知.docx").exists()
