"""`wufei build` and `wufei templates` end to end, plus the library entry points the bundle calls."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import full_marks, variant
from tests.docx_helpers import grid, open_docx, patch_docx
from wufei_docs.loading import check
from wufei_docs.model import EnterpriseEvaluation
from wufei_docs.package.build import build_package, fingerprint
from wufei_docs.render.templates import USER_TEMPLATE_NAMES
from wufei_docs.scoring.score import score

DOCS = ("申报书.docx", "附件1-评价指标自评表.docx", "附件2-评估申报表.docx")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_build_prints_the_files(cli, write, tmp_path) -> None:
    r = cli("build", write(full_marks()), "-o", tmp_path / "out")
    assert r.exit_code == 0, r.output
    for name in [*DOCS, "manifest.json"]:
        assert name in r.stdout


def test_invalid_input_exit_1_and_output_folder_untouched(cli, write, tmp_path) -> None:
    out = tmp_path / "out"
    assert cli("build", write(full_marks()), "-o", out).exit_code == 0
    (out / "备注.txt").write_text("手工文件", encoding="utf-8")
    before = snapshot(out)
    r = cli("build", write(variant(**{"unit.uscc": "91360702MA35L0AB17"}), "bad.yaml"), "-o", out)
    assert r.exit_code == 1
    assert "unit.uscc" in r.stderr and "Traceback" not in r.output
    assert snapshot(out) == before
    fresh = tmp_path / "fresh"
    assert cli("build", write("format: wufei/enterprise-1\n", "bad2.yaml"), "-o", fresh).exit_code == 1
    assert not fresh.exists()


def test_output_path_that_is_a_file_exit_1(cli, write, tmp_path) -> None:
    target = tmp_path / "out"
    target.write_text("不是文件夹", encoding="utf-8")
    r = cli("build", write(full_marks()), "-o", target)
    assert r.exit_code == 1 and "无法写入" in r.stderr and "Traceback" not in r.output
    assert target.read_text(encoding="utf-8") == "不是文件夹"


def test_missing_input_file_exit_1(cli, tmp_path) -> None:
    r = cli("build", tmp_path / "没有.yaml", "-o", tmp_path / "out")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


def test_templates_export_then_check_passes(cli, tmp_path) -> None:
    folder = tmp_path / "tpl"
    r = cli("templates", "export", folder)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(USER_TEMPLATE_NAMES)  # the city templates too
    r = cli("templates", "check", folder)
    assert r.exit_code == 0, r.output
    assert "未发现错误" in r.stdout
    again = cli("templates", "export", folder)
    assert again.exit_code == 1 and "--force" in again.stderr


def test_check_reports_unknown_variable_with_its_paragraph(cli, tmp_path) -> None:
    folder = tmp_path / "tpl"
    cli("templates", "export", folder)
    patch_docx(folder / "申报表.docx", "{{ unit.address }}", "{{ unit.adress }}")
    patch_docx(folder / "申报书.docx", "{{ unit.county }}", "{{ county_name }}")
    r = cli("templates", "check", folder)
    assert r.exit_code == 1
    assert "申报表.docx" in r.stderr and "unit.adress" in r.stderr and "“{{ unit.adress }}”" in r.stderr
    assert "county_name" in r.stderr


def test_check_reports_syntax_error_and_split_tags(cli, tmp_path) -> None:
    folder = tmp_path / "tpl"
    cli("templates", "export", folder)
    patch_docx(folder / "申报书.docx", "{%p for para in unit.profile_paragraphs %}", "{%p for para in %}")
    # Word splits a tag when part of it is re-formatted: simulate a run boundary inside the tag
    split = "{{ unit.contact_</w:t></w:r><w:r><w:t>email }}</w:t>"
    patch_docx(folder / "申报表.docx", "{{ unit.contact_email }}</w:t>", split)
    r = cli("templates", "check", folder)
    assert r.exit_code == 1
    assert "申报书.docx" in r.stderr and "语法错误" in r.stderr and "“{% for para in %}”" in r.stderr
    assert "{{ unit.contact_email }}" in r.stdout and "拆分" in r.stdout


def test_build_with_restyled_templates(cli, write, tmp_path) -> None:
    folder = tmp_path / "tpl"
    cli("templates", "export", folder)
    patch_docx(folder / "申报表.docx", "建设申报类型", "申报类型（自定义）")
    out = tmp_path / "out"
    r = cli("build", write(full_marks()), "-o", out, "--templates", folder)
    assert r.exit_code == 0, r.output
    assert grid(open_docx(out / "附件2-评估申报表.docx").tables[0])[0][0].text == "申报类型（自定义）"
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["options"]["templates"] == "custom"


def test_user_template_runs_in_a_sandbox(cli, write, tmp_path) -> None:
    folder = tmp_path / "tpl"
    cli("templates", "export", folder)
    patch_docx(folder / "申报表.docx", "{{ unit.address }}", "{{ unit.name.__class__.__mro__ }}")
    out = tmp_path / "out"
    r = cli("build", write(full_marks()), "-o", out, "--templates", folder)
    assert r.exit_code == 1 and "不允许" in r.stderr and "Traceback" not in r.output
    assert not out.exists()


def test_template_with_unknown_variable_fails_the_build_cleanly(cli, write, tmp_path) -> None:
    folder = tmp_path / "tpl"
    cli("templates", "export", folder)
    patch_docx(folder / "申报书.docx", "{{ unit.county }}", "{{ unit.countyy }}")
    r = cli("build", write(full_marks()), "-o", tmp_path / "out", "--templates", folder)
    assert r.exit_code == 1 and "申报书.docx" in r.stderr and "countyy" in r.stderr
    assert not (tmp_path / "out").exists()


def test_not_a_docx_template(cli, write, tmp_path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "申报书.docx").write_text("这不是 Word 文件", encoding="utf-8")
    r = cli("build", write(full_marks()), "-o", tmp_path / "out", "--templates", folder)
    assert r.exit_code == 1 and "不是有效的 Word 文档" in r.stderr
    r = cli("templates", "check", folder)
    assert r.exit_code == 1 and "不是有效的 Word 文档" in r.stderr


# --- library API (used by the county bundle) ------------------------------------------------


def test_fingerprint_known_before_rendering_and_sensitive_to_inputs(write, tmp_path) -> None:
    path = write(full_marks())
    checked = check(path)
    result = score(checked.enterprise, checked.rubric)
    source = path.read_bytes()
    pkg = build_package(checked, result, source_bytes=source)
    assert pkg.fingerprint == fingerprint(source, "ganzhou-2023")
    assert pkg.extra == {"input": checked.enterprise.model_dump(mode="json"), "score": result.to_json()}
    assert fingerprint(source + b"\n", "ganzhou-2023") != pkg.fingerprint
    evaluation = EnterpriseEvaluation(scores={"A4.1": 8})
    assert fingerprint(source, "ganzhou-2023", evaluation=evaluation) != pkg.fingerprint
    folder = tmp_path / "tpl"
    from wufei_docs.render.templates import export_templates

    export_templates(folder)
    unchanged = fingerprint(source, "ganzhou-2023", templates=folder)
    assert unchanged != pkg.fingerprint  # options record custom templates
    patch_docx(folder / "申报表.docx", "建设申报类型", "申报类型")
    assert fingerprint(source, "ganzhou-2023", templates=folder) != unchanged


def test_cached_and_plain_render_paths_give_identical_bytes(write) -> None:
    path = write(full_marks())
    checked = check(path)
    result = score(checked.enterprise, checked.rubric)
    fast = build_package(checked, result, source_bytes=path.read_bytes())
    plain = build_package(checked, result, source_bytes=path.read_bytes(), cache=False)
    assert fast.files == plain.files and fast.manifest == plain.manifest


def test_county_mode_shows_self_and_evaluated_scores(write) -> None:
    path = write(variant(**{"compliance.H2": {"met": True, "note": "持证单位处置"}}))
    checked = check(path)
    own = score(checked.enterprise, checked.rubric)
    evaluation = EnterpriseEvaluation(scores={"A4.1": 8, "E1.1": 0})
    evaluated = score(checked.enterprise, checked.rubric, evaluation)
    pkg = build_package(checked, evaluated, source_bytes=path.read_bytes(), self_result=own, evaluation=evaluation)
    sheet = open_docx(pkg.files["附件1-评价指标自评表.docx"])
    rows = grid(sheet.tables[0])
    assert [c.text for c in rows[0]] == ["项目", "评价内容", "评价方式", "自评分", "核定分"]
    assert all(len(r) == 6 for r in rows[1:]) and len(rows) == 30
    a4 = rows[13]
    assert (a4[4].text, a4[5].text) == ("10＋3＝13", "8＋3＝11")
    paragraphs = [p.text for p in sheet.paragraphs]
    assert "自评得分：105分（基本分100＋附加分5），达标" in paragraphs
    assert "核定得分：99分（基本分94＋附加分5），达标" in paragraphs
    form = grid(open_docx(pkg.files["附件2-评估申报表.docx"]).tables[0])
    assert form[8][1].text.startswith("核定得分：99分（基本分94＋附加分5）\n结论：达标")
    assert pkg.manifest["score"]["total"] == 99 and pkg.manifest["self_score"]["total"] == 105
    assert pkg.extra["score"] == evaluated.to_json()
    report = open_docx(pkg.files["申报书.docx"])
    assert any(p.text.startswith("自评总分105分") for p in report.paragraphs)
