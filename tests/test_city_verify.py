"""`city import` trusts nothing a bundle claims: real bundles made by `wufei bundle`, then tampered with
(scores, verdicts, counties, dates, files changed after hashing, nesting, size). Each is refused as a whole,
every problem named with its field and enterprise, nothing imported, exit 1."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_city_fixture import enterprise, make_bundle, make_uscc, snapshot
from wufei_docs.city.checks import read_bundle
from wufei_docs.errors import InputError

WHO = ("--by", "市工信局", "--date", "2025-04-01")
GOOD, VETOED, LOW = make_uscc(1), make_uscc(2), make_uscc(3)
LOW_SCORES = {f"items.{i}.score": 0 for i in ("A4.1", "A2.1", "A2.2", "A2.3", "A2.4")}  # 105 − 22 = 83


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 章贡区 bundle: one recommended unit (105), one vetoed (H1), one below the threshold (83)."""
    base = tmp_path_factory.mktemp("bundle")
    return make_bundle(
        base,
        "章贡区",
        [enterprise(1), enterprise(2, **{"compliance.H1": {"met": False}}), enterprise(3, **LOW_SCORES)],
    )


def entry(data: dict[str, Any], uscc: str) -> dict[str, Any]:
    return next(e for e in data["enterprises"] if e["uscc"] == uscc)


def tampered(original: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the bundle with bundle.json edited (as a county clerk with a text editor would)."""
    copy = tmp_path / "改过的推荐包"
    shutil.copytree(original, copy)
    data = json.loads((copy / "bundle.json").read_text("utf-8"))
    edit(data)
    (copy / "bundle.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return copy


def zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, f"{folder.name}/{p.relative_to(folder).as_posix()}")
    return target


def refused(cli, bundle: Path, db: Path, *expected: str) -> str:
    before = snapshot(db) if db.exists() else None
    r = cli("city", "import", bundle, "--db", db, *WHO)
    assert r.exit_code == 1, r.output
    assert "未导入任何内容" in r.stderr and "Traceback" not in r.output
    for text in expected:
        assert text in r.stderr, (text, r.stderr)
    assert (snapshot(db) if db.exists() else None) == before
    return str(r.stderr)


def test_the_untouched_bundle_passes(cli, original: Path, tmp_path: Path) -> None:
    r = cli("city", "import", original, "--db", tmp_path / "r.db", *WHO)
    assert r.exit_code == 0 and "新增 1 个" in r.stdout and "未推荐 2 个" in r.stdout, r.output
    r = cli("city", "import", original.with_suffix(".zip"), "--db", tmp_path / "z.db", *WHO)
    assert r.exit_code == 0 and "新增 1 个" in r.stdout, r.output


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: entry(d, GOOD).update(evaluated_total=999), ["enterprises[0].evaluated_total", "核定分 999 超出评价指标的分值范围（0—105分）"]),
        (lambda d: entry(d, GOOD).update(self_total=-1), ["enterprises[0].self_total", "自评分 -1 超出评价指标的分值范围（0—105分）"]),
        (lambda d: entry(d, GOOD).update(evaluated_total=10), ["结论“达标”与核定分 10 不符（达标基准分 90 分）", "核定分 10 低于达标基准分 90 分"]),
        (lambda d: entry(d, VETOED).update(recommended=True), ["enterprises[1].recommended", "结论为“否决”（只有“达标”的单位可以推荐）", "同时写有未推荐原因“否决（硬性指标 H1 不满足）”"]),
        (lambda d: entry(d, LOW).update(recommended=True, verdict="达标", reason=None), ["enterprises[2].verdict", "结论“达标”与核定分 83 不符", "核定分 83 低于达标基准分 90 分"]),
        (lambda d: entry(d, LOW).update(verdict="优秀"), ["结论“优秀”不是达标、未达标、否决之一"]),
        (lambda d: entry(d, GOOD).update(verdict="未达标"), ["结论“未达标”与核定分 105 不符"]),
        (lambda d: d.update(county="火星区"), ["county: “火星区” 不是赣州市“无废工厂”评价指标所列的县（市、区）"]),
        (lambda d: entry(d, LOW).update(county="火星区"), ["enterprises[2].county: “火星区” 不是"]),
        (lambda d: d.update(date="9999-12-31"), ["date: 推荐包日期 9999-12-31 晚于导入日期 2025-04-01"]),
        (lambda d: d.update(date="0001-01-01"), ["推荐包日期 0001-01-01 早于评价办法发布日期 2023-06-16"]),
        (lambda d: d.update(date="2025-03-20"), ["推荐包日期 2025-03-20 应为最近的验收日期 2025-03-12"]),
        (lambda d: entry(d, GOOD).update(evaluated="9999-12-31"), ["enterprises[0].evaluated: 验收日期 9999-12-31 晚于导入日期"]),
        (lambda d: entry(d, GOOD).update(received="0001-01-01"), ["enterprises[0].received: 受理日期 0001-01-01 早于评价办法发布日期"]),
        (lambda d: entry(d, GOOD).update(received="2025-02-30"), ["受理日期“2025-02-30”不是有效日期"]),
        (lambda d: entry(d, GOOD).update(received="2025-03-20"), ["验收日期 2025-03-12 早于受理日期 2025-03-20"]),
        (lambda d: entry(d, LOW).update(recommended=True, verdict="达标", evaluated_total=95, reason=None),
         ["enterprises[2].evaluated_total: 核定分 95 与材料包 manifest.json 的 83 不符",
          "enterprises[2].verdict: 结论“达标”与材料包 manifest.json 的“未达标”不符"]),
        (lambda d: entry(d, VETOED).update(recommended=True, verdict="达标", reason=None),
         ["enterprises[1].recommended: 材料包 manifest.json 记载硬性指标 H1 不满足（否决）", "结论“达标”与材料包"]),
        (lambda d: entry(d, GOOD).update(evaluated_total=99), ["核定分 99 与材料包 manifest.json 的 105 不符"]),
        (lambda d: entry(d, GOOD)["files"].update({"申报书.docx": "0" * 64}), ["enterprises[0].files.申报书.docx", "sha256 与 bundle.json 所列不符"]),
        (lambda d: entry(d, LOW)["files"].update({"附件9.docx": "0" * 64}), ["enterprises[2].files.附件9.docx: 推荐包中缺少此文件"]),
    ],
    ids=["score-999", "score-negative", "ten-points-recommended", "veto-recommended", "low-flipped", "unknown-verdict",
         "pass-as-fail", "bundle-county", "entry-county", "date-9999", "date-0001", "date-not-latest", "evaluated-9999",
         "received-0001", "received-invalid", "received-after-evaluated", "low-flipped-consistently",
         "veto-flipped-consistently", "score-lowered-in-bounds", "hash-edited", "listed-file-missing"],
)  # fmt: skip
def test_a_tampered_claim_refuses_the_whole_bundle(cli, original: Path, tmp_path: Path, edit, expected) -> None:
    db = tmp_path / "r.db"
    other = make_bundle(tmp_path, "南康区", [enterprise(9, county="南康区")])
    assert cli("city", "import", other, "--db", db, *WHO).exit_code == 0
    before = snapshot(db)
    bundle = tampered(original, tmp_path, edit)
    text = refused(cli, bundle, db, *expected)
    assert snapshot(db) == before
    who = [line for line in text.splitlines() if expected[0].split(":")[0] in line]
    if expected[0].startswith("enterprises["):  # the enterprise is named, not only its index
        assert who and "材料有限公司（91360702MA35L" in who[0], text
    zipped_copy = zipped(bundle, tmp_path / "改过的推荐包.zip")
    refused(cli, zipped_copy, db, *expected)


def test_every_problem_is_named_at_once(cli, original: Path, tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["county"] = "火星区"
        entry(d, GOOD).update(evaluated_total=999)
        entry(d, VETOED).update(recommended=True)
        entry(d, LOW).update(evaluated="9999-12-31")

    text = refused(cli, tampered(original, tmp_path, edit), tmp_path / "r.db", "火星区", "核定分 999", "否决")
    assert "验收日期 9999-12-31 晚于导入日期" in text and not (tmp_path / "r.db").exists()


def test_a_package_file_changed_after_hashing(cli, original: Path, tmp_path: Path) -> None:
    copy = tmp_path / "推荐包"
    shutil.copytree(original, copy)
    target = copy / "企业" / "赣州测试01号材料有限公司" / "附件1-评价指标自评表.docx"
    target.write_bytes(target.read_bytes() + b"\0")
    expected = ("赣州测试01号材料有限公司（91360702MA35L00012）", "enterprises[0].files.附件1-评价指标自评表.docx",
                "sha256 与 bundle.json 所列不符")  # fmt: skip
    refused(cli, copy, tmp_path / "r.db", *expected)
    refused(cli, zipped(copy, tmp_path / "推荐包.zip"), tmp_path / "r.db", *expected)
    target.unlink()
    refused(
        cli, copy, tmp_path / "r.db", "推荐包中缺少此文件（企业/赣州测试01号材料有限公司/附件1-评价指标自评表.docx）"
    )


def test_a_recommended_package_without_its_manifest(cli, original: Path, tmp_path: Path) -> None:
    copy = tmp_path / "推荐包"
    shutil.copytree(original, copy)
    (copy / "企业" / "赣州测试01号材料有限公司" / "manifest.json").unlink()
    expected = ("enterprises[0].folder: 材料包中缺少或无法读取 manifest.json（企业/赣州测试01号材料有限公司）",)
    refused(cli, copy, tmp_path / "r.db", *expected)
    refused(cli, zipped(copy, tmp_path / "推荐包.zip"), tmp_path / "r.db", *expected)


def test_a_listed_file_swapped_for_a_symlink_is_not_followed(cli, original: Path, tmp_path: Path) -> None:
    copy = tmp_path / "推荐包"
    shutil.copytree(original, copy)
    target = copy / "企业" / "赣州测试01号材料有限公司" / "申报书.docx"
    outside = tmp_path / "outside.docx"
    shutil.copy(target, outside)
    target.unlink()
    target.symlink_to(outside)  # same bytes, but outside the bundle
    refused(cli, copy, tmp_path / "r.db", "申报书.docx 不是普通文件，无法核对")


def test_a_deeply_nested_bundle_json_is_refused_without_recursing(cli, tmp_path: Path) -> None:
    folder = tmp_path / "深"
    folder.mkdir()
    body = '{"format": "wufei/bundle-1", "x": ' + "[" * 2500 + "]" * 2500 + "}"
    (folder / "bundle.json").write_text(body, encoding="utf-8")
    refused(cli, folder, tmp_path / "r.db", "嵌套层数过深（2501 层，上限 32 层）")
    z = tmp_path / "深.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("bundle.json", body)
    refused(cli, z, tmp_path / "r.db", "嵌套层数过深")
    strings = '{"format": "wufei/bundle-1", "x": "' + "[" * 5000 + '"}'  # brackets inside a string do not count
    (folder / "bundle.json").write_text(strings, encoding="utf-8")
    text = refused(cli, folder, tmp_path / "r.db", "rubric")
    assert "嵌套" not in text


def test_an_oversized_bundle_json_is_refused(cli, tmp_path: Path) -> None:
    folder = tmp_path / "大"
    folder.mkdir()
    (folder / "bundle.json").write_bytes(b'{"pad": "' + b" " * (20 * 1024 * 1024) + b'"}')
    refused(cli, folder, tmp_path / "r.db", "文件过大（超过 20 MB）")


def test_read_bundle_checks_against_the_import_date(original: Path) -> None:
    import datetime as dt

    assert read_bundle(original, dt.date(2025, 3, 12)).date == dt.date(2025, 3, 12)
    with pytest.raises(InputError, match="推荐包日期 2025-03-12 晚于导入日期 2025-03-11"):
        read_bundle(original, dt.date(2025, 3, 11))


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('{"a": "[[[\\"]]]{", "b": [[[]]]}', 4),  # brackets and escaped quotes inside strings do not count
        ('{"a": "\\\\", "b": [1]}', 2),  # an escaped backslash ends before the closing quote
        ("[" * 3000 + "]" * 3000, 3000),
        ('"[[["', 0),
    ],
)
def test_nesting_depth_without_recursion(text: str, depth: int) -> None:
    from wufei_docs.city.bundles import nesting_depth

    assert nesting_depth(text) == depth
