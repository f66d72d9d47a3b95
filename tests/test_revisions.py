"""Corrections without losing anything (issue #6): versions, 修改说明, final copies — at library level.

The CLI-level version of the issue's sequence comes with `wufei build`; these tests drive `write_package`
with the packages the documents layer would hand it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import variant
from tests.packages import DOCS, contents, docx_text, make_package, tree
from wufei_docs.errors import OutputError
from wufei_docs.package.final import mark_final
from wufei_docs.package.writer import Package, package_is_current, read_manifest, write_package

# change one score and one tonnage (the tonnage also breaks A4.2: 10 t handled of 12 t generated)
CORRECTED = {"items.A4.1.score": 8, "waste.streams.0.generated_t": 12}
AGAIN = {**CORRECTED, "unit.staff": 120}
CURRENT = {"manifest.json", "修改说明.docx", "修改说明.txt", *DOCS}


def test_issue_sequence_leaves_exactly_the_expected_versions(tmp_path: Path) -> None:
    out = tmp_path / "申报材料"
    first = write_package(make_package(variant()), out)
    assert first.version == 1 and not first.unchanged
    assert {p.name for p in out.iterdir()} == {"manifest.json", *DOCS}
    v1 = contents(out)

    second = write_package(make_package(variant(**CORRECTED)), out)
    assert second.version == 2 and second.archived_to == out / "历史版本" / "1"
    assert contents(out / "历史版本" / "1") == v1  # the first version moved whole, byte for byte
    v2 = contents(out)

    before = tree(out)
    again = write_package(make_package(variant(**CORRECTED)), out)
    assert again.unchanged and again.written == [] and "无变化" in again.messages[0]
    assert tree(out) == before  # nothing rewritten, not even touched

    final = mark_final(out, by="李某")
    assert final.version == 2 and final.copy == out / "历史版本" / "2-定稿"
    assert {k: v for k, v in contents(final.copy).items() if k not in ("manifest.json", "定稿.json")} == {
        k: v for k, v in v2.items() if k != "manifest.json" and not k.startswith("历史版本")
    }
    sealed = tree(final.copy)

    third = write_package(make_package(variant(**AGAIN)), out)
    assert third.version == 3 and third.archived_to is None  # v2 lives in its final copy
    assert tree(final.copy) == sealed  # a later build never touches the final version

    layout = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert layout == {
        *CURRENT,
        *(f"历史版本/1/{n}" for n in ("manifest.json", *DOCS)),
        *(f"历史版本/2-定稿/{n}" for n in (*CURRENT, "定稿.json")),
    }
    assert read_manifest(out)["version"] == 3
    assert read_manifest(out / "历史版本" / "2-定稿")["final"]["by"] == "李某"

    # 第 2 版的修改说明 (sent with the final version) names both changes with old and new values
    note2 = (final.copy / "修改说明.txt").read_text("utf-8")
    assert "A4.1 自评分：10 → 8" in note2
    assert "固废台账第1行（废矿物油）产生量（吨）：10 → 12" in note2
    assert "A4.2 工业固体废物安全处理率达100%：3 → 0" in note2  # the derived score it caused
    assert "总分：105 → 100" in note2 and "结论：达标 → 达标（未变）" in note2
    doc2 = docx_text(final.copy / "修改说明.docx")
    assert "A4.1 自评分 | 10 | 8" in doc2
    assert "固废台账第1行（废矿物油）产生量（吨） | 10 | 12" in doc2
    assert "总分 | 105 | 100" in doc2
    # 第 3 版's note: only the third change, against the final version
    note3 = (out / "修改说明.txt").read_text("utf-8")
    assert "单位规模（职工人数）：100 → 120" in note3 and "A4.1 自评分" not in note3
    assert "历史版本/2-定稿/" in note3

    unchanged = write_package(make_package(variant(**AGAIN)), out)
    assert unchanged.unchanged and "无变化" in unchanged.messages[0] and "已定稿" not in unchanged.messages[0]


def test_unchanged_rebuild_of_a_final_version_says_so_and_touches_nothing(tmp_path: Path) -> None:
    write_package(make_package(variant()), tmp_path)
    mark_final(tmp_path)
    before = tree(tmp_path)
    report = write_package(make_package(variant()), tmp_path)
    assert report.unchanged and report.final
    assert report.messages[0].startswith("无变化（已定稿）")
    assert tree(tmp_path) == before


def test_new_templates_or_tool_version_make_a_new_version_and_say_why(tmp_path: Path) -> None:
    write_package(make_package(variant()), tmp_path)
    report = write_package(make_package(variant(), tool="0.2.0"), tmp_path)
    assert report.version == 2
    note = (tmp_path / "修改说明.txt").read_text("utf-8")
    assert "申报数据没有变化" in note and "得分没有变化" in note
    assert "工具版本：0.1.0 → 0.2.0" in note


def test_a_change_after_final_is_listed_against_the_final_version_too(tmp_path: Path) -> None:
    write_package(make_package(variant()), tmp_path)
    mark_final(tmp_path)
    write_package(make_package(variant(**{"items.A4.1.score": 8})), tmp_path)
    write_package(make_package(variant(**{"items.A4.1.score": 8, "unit.staff": 150})), tmp_path)
    note = (tmp_path / "修改说明.txt").read_text("utf-8")
    head, since_final = note.split("四、与定稿（第 1 版")
    assert "单位规模（职工人数）：100 → 150" in head and "A4.1 自评分" not in head
    assert "A4.1 自评分：10 → 8" in since_final and "单位规模（职工人数）：100 → 150" in since_final
    since_fields, since_scores = since_final.split("五、与定稿相比的得分变化")
    assert "总分" not in since_fields and "总分：105 → 103" in since_scores


def test_mark_final_twice_is_harmless_and_needs_a_package(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="没有 wufei 生成的材料包"):
        mark_final(tmp_path)
    write_package(make_package(variant()), tmp_path)
    first = mark_final(tmp_path)
    state = tree(tmp_path)
    second = mark_final(tmp_path)
    assert second.already and second.date == first.date and tree(tmp_path) == state


def test_final_copy_is_read_only_and_records_what_was_on_disk(tmp_path: Path) -> None:
    write_package(make_package(variant()), tmp_path)
    (tmp_path / DOCS[0]).write_bytes(b"edited in Word before printing")
    report = mark_final(tmp_path)
    assert any("被修改过" in m for m in report.messages)
    copy = report.copy
    assert (copy / DOCS[0]).read_bytes() == b"edited in Word before printing"
    record = json.loads((copy / "定稿.json").read_text("utf-8"))
    assert record["version"] == 1 and DOCS[0] in record["files"]
    assert all(not (p.stat().st_mode & 0o222) for p in copy.iterdir())
    # the hand-edited top-level file differs from nothing in the copy → no second archive needed
    write_package(make_package(variant(**{"unit.staff": 5})), tmp_path)
    assert sorted(p.name for p in (tmp_path / "历史版本").iterdir()) == ["1-定稿"]


def test_hand_edits_after_final_are_archived_not_dropped(tmp_path: Path) -> None:
    write_package(make_package(variant()), tmp_path)
    mark_final(tmp_path)
    (tmp_path / DOCS[2]).write_bytes(b"edited after stamping")
    write_package(make_package(variant(**{"unit.staff": 5})), tmp_path)
    assert sorted(p.name for p in (tmp_path / "历史版本").iterdir()) == ["1", "1-定稿"]
    assert (tmp_path / "历史版本" / "1" / DOCS[2]).read_bytes() == b"edited after stamping"


def test_unchanged_rebuild_keeps_hand_edits_and_restores_deleted_files(tmp_path: Path) -> None:
    pkg = make_package(variant())
    write_package(pkg, tmp_path)
    (tmp_path / DOCS[0]).write_bytes(b"hand edit")
    (tmp_path / DOCS[1]).unlink()
    report = write_package(pkg, tmp_path)
    assert report.unchanged and report.written == [DOCS[1]]
    assert (tmp_path / DOCS[0]).read_bytes() == b"hand edit"
    assert (tmp_path / DOCS[1]).read_bytes() == pkg.files[DOCS[1]]
    assert any("被修改过" in m for m in report.messages)


def test_a_changed_rebuild_archives_hand_edited_files_as_they_were(tmp_path: Path) -> None:
    write_package(make_package(variant()), tmp_path)
    (tmp_path / DOCS[0]).write_bytes(b"hand edit")
    write_package(make_package(variant(**{"unit.staff": 5})), tmp_path)
    assert (tmp_path / "历史版本" / "1" / DOCS[0]).read_bytes() == b"hand edit"


def test_files_no_longer_built_go_to_history_and_empty_subfolders_are_removed(tmp_path: Path) -> None:
    write_package(make_package(variant(), pdf=True), tmp_path)
    assert (tmp_path / "PDF" / "申报书.pdf").is_file()
    write_package(make_package(variant(**{"unit.staff": 5})), tmp_path)  # the documents change, no --pdf
    assert not (tmp_path / "PDF").exists()
    assert (tmp_path / "历史版本" / "1" / "PDF" / "申报书.pdf").is_file()
    assert "不再生成：PDF/申报书.pdf" in (tmp_path / "修改说明.txt").read_text("utf-8")


def test_package_is_current_lets_a_bundle_skip_unchanged_enterprises(tmp_path: Path) -> None:
    """The bundle's pattern: per-enterprise folders, skip the current ones, rebuild the corrected one
    and the lists; the lists' package in OUT never sweeps the enterprise folders into its history."""
    out = tmp_path / "OUT"
    enterprises = {"01-甲": variant(), "02-乙": variant(**{"unit.staff": 200})}

    def run(data: dict[str, dict]) -> list[str]:
        rebuilt = []
        for folder, values in data.items():
            pkg = make_package(values)
            if not package_is_current(out / "企业" / folder, pkg.fingerprint):
                write_package(pkg, out / "企业" / folder)
                rebuilt.append(folder)
        lists = {name: make_package(values).extra["score"]["total"] for name, values in data.items()}
        payload = json.dumps(lists, ensure_ascii=False, sort_keys=True).encode()
        write_package(
            Package({"推荐名单.txt": payload}, {"format": "wufei/bundle-1"}, str(lists), {"lists": lists}), out
        )
        return rebuilt

    assert run(enterprises) == ["01-甲", "02-乙"]
    untouched = tree(out / "企业" / "01-甲")
    corrected = {**enterprises, "02-乙": variant(**{"unit.staff": 200, "items.A4.1.score": 7})}
    assert run(corrected) == ["02-乙"]
    assert tree(out / "企业" / "01-甲") == untouched
    assert (out / "企业" / "02-乙" / "历史版本" / "1").is_dir()
    assert (out / "企业" / "01-甲" / "manifest.json").is_file()  # not moved by the lists' switch
    assert sorted(p.name for p in (out / "历史版本" / "1").iterdir()) == ["manifest.json", "推荐名单.txt"]
    assert "lists.02-乙：105 → 102" in (out / "修改说明.txt").read_text("utf-8")
    assert run(corrected) == []


def test_package_is_current_is_false_for_missing_files_or_other_fingerprints(tmp_path: Path) -> None:
    pkg = make_package(variant())
    assert not package_is_current(tmp_path / "nothing", pkg.fingerprint)
    write_package(pkg, tmp_path)
    assert package_is_current(tmp_path, pkg.fingerprint)
    assert not package_is_current(tmp_path, "other")
    (tmp_path / DOCS[2]).unlink()
    assert not package_is_current(tmp_path, pkg.fingerprint)


def test_cli_final_marks_the_version_and_reports_errors(cli, tmp_path: Path) -> None:
    write_package(make_package(variant()), tmp_path / "包")
    r = cli("final", tmp_path / "包", "--by", "王某")
    assert r.exit_code == 0, r.output
    assert "已将第 1 版定稿" in r.stdout and "王某" in r.stdout and "1-定稿" in r.stdout
    assert read_manifest(tmp_path / "包")["final"]["by"] == "王某"
    r = cli("final", tmp_path / "包")
    assert r.exit_code == 0 and "无需重复" in r.stdout
    r = cli("final", tmp_path / "空")
    assert r.exit_code == 1 and "不存在" in r.stderr and "Traceback" not in r.output


def test_adding_or_dropping_pdfs_is_no_new_version(tmp_path: Path) -> None:
    """PDFs are a rendering of a version: adding them adds them to it, a build without them leaves them."""
    first = write_package(make_package(variant()), tmp_path)
    assert first.version == 1
    added = write_package(make_package(variant(), pdf=True), tmp_path)
    assert added.unchanged and added.version == 1 and added.written == ["PDF/申报书.pdf"]
    assert any("已为第 1 版生成 PDF/申报书.pdf（版本不变）" in m for m in added.messages)
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert manifest["version"] == 1 and "PDF/申报书.pdf" in manifest["files"]
    dropped = write_package(make_package(variant()), tmp_path)
    assert dropped.unchanged and dropped.version == 1 and dropped.written == []
    assert (tmp_path / "PDF" / "申报书.pdf").is_file()
    assert not (tmp_path / "历史版本").exists() and not (tmp_path / "修改说明.txt").exists()
    again = write_package(make_package(variant(), pdf=True), tmp_path)  # PDF there: nothing to do
    assert again.unchanged and again.written == []
    (tmp_path / "PDF" / "申报书.pdf").unlink()  # a deleted PDF comes back, same version
    back = write_package(make_package(variant(), pdf=True), tmp_path)
    assert back.unchanged and back.version == 1 and (tmp_path / "PDF" / "申报书.pdf").is_file()
    changed = write_package(make_package(variant(**{"unit.staff": 5})), tmp_path)
    assert changed.version == 2
    assert (tmp_path / "历史版本" / "1" / "PDF" / "申报书.pdf").is_file()  # the old PDF goes with its version
    note = (tmp_path / "修改说明.txt").read_text("utf-8")
    assert "生成选项" not in note and "生成 PDF" not in note
