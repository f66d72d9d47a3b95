"""`wufei city import`: bundles (folders and zips) into the register, re-import no-op, conflicts reported."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

from tests.test_city_fixture import enterprise, example, make_bundle, make_uscc, snapshot, statuses

WHO = ("--by", "市工信局张三", "--date", "2025-04-01")
LATER = ("--by", "市工信局张三", "--date", "2025-04-03")  # after the 2025-04-02 bundles below


def test_import_folder_adds_recommended_units_with_county_scores_and_files(cli, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, "章贡区", [example("赣州稀土新材料"), enterprise(1)])
    db = tmp_path / "r.db"
    r = cli("city", "import", bundle, "--db", db, *WHO)
    assert r.exit_code == 0, r.output
    assert "新增 2 个" in r.stdout and "冲突 0 个" in r.stdout
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT uscc, name, county, type, status, evaluated_total, folder FROM units").fetchall()
    assert sorted(rows) == sorted(
        [
            (
                make_uscc(1),
                "赣州测试01号材料有限公司",
                "章贡区",
                "无废工厂",
                "推荐",
                105.0,
                "企业/赣州测试01号材料有限公司",
            ),
            (
                "91360702MA35L0AB16",
                "赣州某某稀土新材料有限公司",
                "章贡区",
                "无废工厂",
                "推荐",
                100.0,
                "企业/赣州某某稀土新材料有限公司",
            ),
        ]
    )
    files = dict(conn.execute("SELECT name, sha256 FROM unit_files WHERE uscc = ?", (make_uscc(1),)).fetchall())
    listed = json.loads((bundle / "bundle.json").read_text("utf-8"))["enterprises"][0]["files"]
    assert files == listed
    path, county, by = conn.execute("SELECT path, county, imported_by FROM bundles").fetchone()
    assert Path(path) == bundle.resolve() and county == "章贡区" and by == "市工信局张三"
    events = conn.execute("SELECT action, from_status, to_status, date, by FROM events").fetchall()
    assert events == [("导入", None, "推荐", "2025-04-01", "市工信局张三")] * 2


def test_import_zip_with_top_folder_and_at_root(cli, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, "南康区", [example("南康家具制造"), enterprise(3, county="南康区")])
    root_zip = tmp_path / "root.zip"
    with zipfile.ZipFile(root_zip, "w") as zf:
        for p in sorted(bundle.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(bundle).as_posix())
    db1, db2 = tmp_path / "a.db", tmp_path / "b.db"
    r1 = cli("city", "import", bundle.with_suffix(".zip"), "--db", db1, *WHO)
    r2 = cli("city", "import", root_zip, "--db", db2, *WHO)
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
    assert statuses(db1) == statuses(db2) == {make_uscc(3): "推荐"}
    assert "未推荐 1 个" in r1.stdout and "赣州市南康区某某家具制造有限公司" in r1.stdout
    prefix = sqlite3.connect(db1).execute("SELECT prefix FROM bundles").fetchone()[0]
    assert prefix == f"{bundle.name}/"
    assert "推荐包中缺少" not in r1.stdout + r2.stdout


def test_reimport_same_bundle_changes_nothing(cli, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, "章贡区", [enterprise(1), enterprise(2)])
    db = tmp_path / "r.db"
    assert cli("city", "import", bundle, "--db", db, *WHO).exit_code == 0
    before = snapshot(db)
    for again in (bundle, bundle.with_suffix(".zip"), bundle / "bundle.json"):
        r = cli("city", "import", again, "--db", db, "--by", "李四", "--date", "2025-05-01")
        assert r.exit_code == 0, r.output
        assert "此前已导入过" in r.stdout and "未变 2 个" in r.stdout
        assert snapshot(db) == before


def test_same_uscc_from_two_counties_is_a_reported_conflict(cli, tmp_path: Path) -> None:
    first = make_bundle(tmp_path, "章贡区", [enterprise(1)])
    other = make_bundle(tmp_path, "南康区", [enterprise(1, county="南康区"), enterprise(4, county="南康区")])
    db = tmp_path / "r.db"
    assert cli("city", "import", first, "--db", db, *WHO).exit_code == 0
    r = cli("city", "import", other, "--db", db, *WHO)
    assert r.exit_code == 1
    assert "冲突" in r.stderr and make_uscc(1) in r.stderr and "县（市、区）不同" in r.stderr
    assert "章贡区 → 南康区" in r.stderr and "Traceback" not in r.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT county FROM units WHERE uscc = ?", (make_uscc(1),)).fetchone() == ("章贡区",)
    assert statuses(db) == {make_uscc(1): "推荐", make_uscc(4): "推荐"}  # the rest was imported


def test_changed_score_is_reported_not_overwritten_then_accepted_with_update(cli, tmp_path: Path) -> None:
    march = make_bundle(tmp_path, "章贡区", [enterprise(1)], name="三月")
    april = make_bundle(
        tmp_path,
        "章贡区",
        [enterprise(1)],
        evaluation={make_uscc(1): {"evaluated": "2025-04-02", "scores": {"A4.1": 5}}},
        name="四月",
    )
    db = tmp_path / "r.db"
    assert cli("city", "import", march, "--db", db, *WHO).exit_code == 0
    before = snapshot(db)
    r = cli("city", "import", april, "--db", db, *LATER)
    assert r.exit_code == 1 and "内容变化" in r.stderr and "核定分 105 → 100" in r.stderr
    assert "材料文件不同" in r.stderr
    after = snapshot(db)
    assert after["units"] == before["units"] and after["events"] == before["events"]
    assert len(after["bundles"]) == 2  # the bundle is known, its data not taken
    r = cli("city", "import", april, "--db", db, "--update", *LATER)
    assert r.exit_code == 1 and "必须说明原因" in r.stderr
    r = cli("city", "import", april, "--db", db, "--update", "--reason", "县里复核后更正核定分", *LATER)
    assert r.exit_code == 0, r.output
    assert "已按新推荐包更正" in r.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT evaluated_total, status FROM units").fetchone() == (100.0, "推荐")
    action, reason, data = conn.execute("SELECT action, reason, data FROM events ORDER BY id DESC").fetchone()
    assert action == "更正" and reason == "县里复核后更正核定分" and "核定分 105 → 100" in data
    r = cli("city", "import", march, "--db", db, *LATER)  # the older bundle no longer wins
    assert r.exit_code == 1 and "推荐包较旧" in r.stderr


def test_bundle_that_no_longer_recommends_a_unit_is_reported(cli, tmp_path: Path) -> None:
    march = make_bundle(tmp_path, "章贡区", [enterprise(1)], name="三月")
    april = make_bundle(tmp_path, "章贡区", [enterprise(1, **{"compliance.H1": {"met": False}})], name="四月")
    db = tmp_path / "r.db"
    cli("city", "import", march, "--db", db, *WHO)
    r = cli("city", "import", april, "--db", db, *WHO)
    assert r.exit_code == 1 and "未推荐" in r.stderr and statuses(db) == {make_uscc(1): "推荐"}


def test_an_older_bundle_not_recommending_a_unit_is_no_conflict(cli, tmp_path: Path) -> None:
    march = make_bundle(tmp_path, "章贡区", [enterprise(1, **{"compliance.H1": {"met": False}})], name="三月")
    april = make_bundle(
        tmp_path, "章贡区", [enterprise(1)], evaluation={make_uscc(1): {"evaluated": "2025-04-02"}}, name="四月"
    )
    db = tmp_path / "r.db"
    assert cli("city", "import", april, "--db", db, *LATER).exit_code == 0
    r = cli("city", "import", march, "--db", db, *LATER)
    assert r.exit_code == 0 and "未推荐 1 个" in r.stdout and statuses(db) == {make_uscc(1): "推荐"}


def test_bad_bundles_import_nothing(cli, tmp_path: Path) -> None:
    good = make_bundle(tmp_path, "章贡区", [enterprise(1)])
    db = tmp_path / "r.db"
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"not a zip")
    r = cli("city", "import", good, not_zip, tmp_path / "missing", "--db", db, *WHO)
    assert r.exit_code == 1 and "不是有效的 zip 文件" in r.stderr and "找不到推荐包" in r.stderr
    assert "未导入任何内容" in r.stderr and not db.exists()


def test_unsafe_zip_names_are_refused(cli, tmp_path: Path) -> None:
    good = make_bundle(tmp_path, "章贡区", [enterprise(1)])
    for i, evil in enumerate(("../evil.txt", "/etc/passwd", "a\\..\\b", "C:/x")):
        z = tmp_path / f"evil{i}.zip"
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("bundle.json", (good / "bundle.json").read_bytes())
            zf.writestr(evil, b"x")
        r = cli("city", "import", z, "--db", tmp_path / "r.db", *WHO)
        assert r.exit_code == 1 and "不安全的文件名" in r.stderr, evil


def test_zip_bomb_bundle_json_is_refused(cli, tmp_path: Path) -> None:
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bundle.json", b'{"format": "wufei/bundle-1", "pad": "' + b" " * 5_000_000 + b'"}')
    r = cli("city", "import", z, "--db", tmp_path / "r.db", *WHO)
    assert r.exit_code == 1 and "压缩比异常" in r.stderr


def test_contract_violations_are_located(cli, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, "章贡区", [enterprise(1), enterprise(2)])
    data = json.loads((bundle / "bundle.json").read_text("utf-8"))
    data["county"] = "火星区"
    data["enterprises"][0]["uscc"] = "91360702MA35L00013"
    data["enterprises"][1]["folder"] = "../../etc"
    data["enterprises"][1]["evaluated_total"] = "九十"
    (bundle / "bundle.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    r = cli("city", "import", bundle, "--db", tmp_path / "r.db", *WHO)
    assert r.exit_code == 1
    for expected in ("county", "enterprises[0].uscc", "enterprises[1].folder", "enterprises[1].evaluated_total"):
        assert expected in r.stderr, expected


def test_wrong_format_is_refused(cli, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, "章贡区", [enterprise(1)])
    data = json.loads((bundle / "bundle.json").read_text("utf-8"))
    data["format"] = "wufei/bundle-9"
    (bundle / "bundle.json").write_text(json.dumps(data), encoding="utf-8")
    r = cli("city", "import", bundle, "--db", tmp_path / "r.db", *WHO)
    assert r.exit_code == 1 and "wufei/bundle-1" in r.stderr


def test_a_missing_package_folder_refuses_the_bundle(cli, tmp_path: Path) -> None:
    import shutil

    bundle = make_bundle(tmp_path, "章贡区", [enterprise(1)])
    shutil.rmtree(bundle / "企业")
    r = cli("city", "import", bundle, "--db", tmp_path / "r.db", *WHO)
    assert r.exit_code == 1 and "未导入任何内容" in r.stderr
    assert "推荐包中缺少此文件（企业/赣州测试01号材料有限公司/申报书.docx）" in r.stderr
    assert "赣州测试01号材料有限公司（" in r.stderr and not (tmp_path / "r.db").exists()
