"""支撑材料 as real files (FORMAT.md §1, §4; issue 16): checked at validation, copied into the package, listed in
manifest.json, part of the version, required by `final`, carried by the county bundle. Every file is made here:
a multi-page PDF (pikepdf), a PNG and a JPEG (Pillow), a DOCX (python-docx)."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from docx import Document
from PIL import Image

from tests.conftest import dump_yaml, variant
from wufei_docs.loading import evidence as evidence_checks

MATERIALS = [
    {"id": "E01", "title": "创建领导小组通知", "file": "支撑材料/E01.pdf"},
    {"id": "E02", "title": "危废贮存库照片", "file": "支撑材料/E02.png"},
    {"id": "E03", "title": "培训现场/照片", "file": "支撑材料/E03.jpg"},
    {"id": "E04", "title": "固废管理制度", "file": "支撑材料/E04.docx"},
    {"id": "E05", "title": "应急预案备案表"},  # listed by title only
]


def make_pdf(path: Path, pages: int, *, text: str = "page") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = pikepdf.new()
    for n in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        pdf.pages[-1].contents_add(pikepdf.Stream(pdf, f"BT /F1 12 Tf 72 720 Td ({text} {n + 1}) Tj ET".encode()))
    pdf.save(path)
    return path


def make_image(path: Path, fmt: str, color: tuple[int, int, int] = (200, 30, 30), size=(640, 480)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, format=fmt)
    return path


def make_docx(path: Path, paragraphs: int = 3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = Document()
    for n in range(paragraphs):
        doc.add_paragraph(f"固体废物管理制度 第{n + 1}条")
    doc.save(str(path))
    return path


def enterprise_with_materials(folder: Path, materials: list[dict[str, Any]] = MATERIALS) -> Path:
    """An enterprise file citing every material, with the files made beside it."""
    base = folder / "支撑材料"
    make_pdf(base / "E01.pdf", 3)
    make_image(base / "E02.png", "PNG")
    make_image(base / "E03.jpg", "JPEG", (20, 120, 220), (480, 640))
    make_docx(base / "E04.docx")
    data = variant(**{"evidence": materials, "items.A1.1.evidence": [m["id"] for m in materials]})
    path = folder / "企业.yaml"
    path.write_text(dump_yaml(data), "utf-8")
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return enterprise_with_materials(tmp_path / "收件")


# --- validate ---------------------------------------------------------------------------------------


def test_real_files_of_every_kind_pass(cli, source) -> None:
    r = cli("validate", source)
    assert r.exit_code == 0, r.output
    assert "尚未找到" not in r.output


def test_a_missing_file_is_a_warning_naming_id_and_path(cli, source) -> None:
    (source.parent / "支撑材料" / "E01.pdf").unlink()
    r = cli("validate", source)
    assert r.exit_code == 0, r.output
    assert "E01 的文件 支撑材料/E01.pdf 尚未找到" in r.output


def _set_file(source: Path, index: int, file: str) -> None:
    text = source.read_text("utf-8")
    old = MATERIALS[index]["file"]
    source.write_text(text.replace(f"file: {old}", f"file: {file}"), "utf-8")


def _line_of(source: Path, needle: str) -> int:
    return next(n for n, line in enumerate(source.read_text("utf-8").splitlines(), 1) if needle in line)


def _refused(cli, source: Path, evidence_id: str, path: str, reason: str) -> None:
    r = cli("validate", source)
    assert r.exit_code == 1, r.output
    line = _line_of(source, f"file: {path}")
    assert f"第{line}行 evidence[{int(evidence_id[1:]) - 1}].file: {evidence_id} 的文件 {path}" in r.stderr
    assert reason in r.stderr
    assert "Traceback" not in r.output


def test_a_path_leaving_the_folder_is_refused(cli, source, tmp_path) -> None:
    make_pdf(tmp_path / "外面.pdf", 1)
    _set_file(source, 0, "../外面.pdf")
    _refused(cli, source, "E01", "../外面.pdf", "不能用“..”跳出")


def test_an_absolute_path_is_refused(cli, source, tmp_path) -> None:
    outside = make_pdf(tmp_path / "外面.pdf", 1)
    _set_file(source, 0, str(outside))
    _refused(cli, source, "E01", str(outside), "不能是绝对路径")


def test_a_symlink_pointing_out_is_refused(cli, source, tmp_path) -> None:
    outside = make_pdf(tmp_path / "秘密.pdf", 1)
    link = source.parent / "支撑材料" / "E01.pdf"
    link.unlink()
    link.symlink_to(outside)
    _refused(cli, source, "E01", "支撑材料/E01.pdf", "指向数据文件所在文件夹之外")


def test_a_symlinked_folder_pointing_out_is_refused(cli, source, tmp_path) -> None:
    make_pdf(tmp_path / "别处" / "E01.pdf", 1)
    (source.parent / "链接").symlink_to(tmp_path / "别处")
    _set_file(source, 0, "链接/E01.pdf")
    _refused(cli, source, "E01", "链接/E01.pdf", "指向数据文件所在文件夹之外")


def test_content_that_is_not_what_the_name_says_is_refused(cli, source) -> None:
    pdf = source.parent / "支撑材料" / "E01.pdf"
    make_image(pdf, "PNG")  # a PNG named .pdf
    _refused(cli, source, "E01", "支撑材料/E01.pdf", "内容实为 PNG 图片，与扩展名 .pdf")


def test_a_renamed_text_file_is_refused(cli, source) -> None:
    (source.parent / "支撑材料" / "E02.png").write_text("not an image", "utf-8")
    _refused(cli, source, "E02", "支撑材料/E02.png", "无法识别的格式")


@pytest.mark.parametrize("user", ["", "secret"])
def test_an_encrypted_pdf_is_refused(cli, source, user) -> None:
    path = source.parent / "支撑材料" / "E01.pdf"
    with pikepdf.open(make_pdf(path.with_name("plain.pdf"), 2)) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner="owner", user=user))
    _refused(cli, source, "E01", "支撑材料/E01.pdf", "PDF 已加密")


def test_an_unreadable_pdf_is_refused(cli, source) -> None:
    (source.parent / "支撑材料" / "E01.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    _refused(cli, source, "E01", "支撑材料/E01.pdf", "PDF 已损坏")


def test_a_truncated_jpeg_is_refused(cli, source) -> None:
    path = source.parent / "支撑材料" / "E03.jpg"
    make_image(path, "JPEG", size=(1200, 900))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _refused(cli, source, "E03", "支撑材料/E03.jpg", "图片已损坏")


def test_a_png_with_a_broken_chunk_is_refused(cli, source) -> None:
    path = source.parent / "支撑材料" / "E02.png"
    data = bytearray(path.read_bytes())
    data[40] ^= 0xFF  # inside the first chunk after the header: its CRC no longer matches
    path.write_bytes(bytes(data))
    _refused(cli, source, "E02", "支撑材料/E02.png", "图片已损坏")


def test_a_workbook_named_docx_is_refused(cli, source) -> None:
    path = source.parent / "支撑材料" / "E04.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    _refused(cli, source, "E04", "支撑材料/E04.docx", "不是 Word 文档")


def test_an_unsupported_type_is_refused(cli, source) -> None:
    _set_file(source, 0, "支撑材料/E01.gif")
    r = cli("validate", source)
    assert r.exit_code == 1 and "文件类型不受支持" in r.stderr and "E01.gif" in r.stderr


def test_a_file_over_the_limit_is_refused(cli, source, monkeypatch) -> None:
    size = (source.parent / "支撑材料" / "E01.pdf").stat().st_size
    monkeypatch.setattr(evidence_checks, "MAX_FILE_BYTES", size - 1)
    _refused(cli, source, "E01", "支撑材料/E01.pdf", "文件过大")


def test_a_package_over_the_total_limit_is_refused(cli, source, monkeypatch) -> None:
    total = sum(p.stat().st_size for p in (source.parent / "支撑材料").iterdir())
    monkeypatch.setattr(evidence_checks, "MAX_TOTAL_BYTES", total - 1)
    r = cli("validate", source)
    assert r.exit_code == 1 and "支撑材料合计" in r.stderr and "超过一个材料包的上限" in r.stderr


# --- build: copies, manifest, versions ---------------------------------------------------------------


def test_build_copies_each_file_exactly_and_lists_it_in_the_manifest(cli, source, tmp_path) -> None:
    out = tmp_path / "out"
    r = cli("build", source, "-o", out)
    assert r.exit_code == 0, r.output
    names = {
        "E01": "支撑材料/E01-创建领导小组通知.pdf",
        "E02": "支撑材料/E02-危废贮存库照片.png",
        "E03": "支撑材料/E03-培训现场_照片.jpg",  # the title's “/” cannot be in a file name
        "E04": "支撑材料/E04-固废管理制度.docx",
    }
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    evidence = {e["id"]: e for e in manifest["evidence"]}
    for m in MATERIALS[:4]:
        copy, original = out / names[m["id"]], source.parent / m["file"]
        assert copy.read_bytes() == original.read_bytes()
        assert evidence[m["id"]]["file"] == names[m["id"]]
        assert evidence[m["id"]]["sha256"] == sha(original) == manifest["files"][names[m["id"]]]
    assert [evidence[i]["pages"] for i in ("E01", "E02", "E03", "E04")] == [3, 1, 1, None]  # .docx: after --pdf
    assert evidence["E05"] == {"id": "E05", "title": "应急预案备案表", "file": None, "sha256": None, "pages": None}


def test_a_changed_added_or_removed_file_makes_a_new_version_named_in_the_note(cli, source, tmp_path) -> None:
    out = tmp_path / "out"
    assert cli("build", source, "-o", out).exit_code == 0
    r = cli("build", source, "-o", out)
    assert "无变化" in r.output

    make_image(source.parent / "支撑材料" / "E02.png", "PNG", (0, 0, 0))  # a new photo, same name
    r = cli("build", source, "-o", out)
    assert r.exit_code == 0 and "已生成第 2 版" in r.output, r.output
    note = (out / "修改说明.txt").read_text("utf-8")
    assert "已更新：支撑材料/E02-危废贮存库照片.png" in note
    old = out / "历史版本" / "1" / "支撑材料" / "E02-危废贮存库照片.png"
    assert old.is_file() and sha(old) != sha(out / "支撑材料" / "E02-危废贮存库照片.png")

    (source.parent / "支撑材料" / "E03.jpg").unlink()  # removed
    r = cli("build", source, "-o", out)
    assert "已生成第 3 版" in r.output and "E03 的文件 支撑材料/E03.jpg 尚未找到" in r.output
    assert "不再生成：支撑材料/E03-培训现场_照片.jpg" in (out / "修改说明.txt").read_text("utf-8")
    assert not (out / "支撑材料" / "E03-培训现场_照片.jpg").exists()

    make_image(source.parent / "支撑材料" / "E03.jpg", "JPEG")  # added back
    r = cli("build", source, "-o", out)
    assert "已生成第 4 版" in r.output
    assert "新增：支撑材料/E03-培训现场_照片.jpg" in (out / "修改说明.txt").read_text("utf-8")


def test_a_deleted_copy_is_restored_from_the_same_file(cli, source, tmp_path) -> None:
    out = tmp_path / "out"
    assert cli("build", source, "-o", out).exit_code == 0
    copy = out / "支撑材料" / "E01-创建领导小组通知.pdf"
    copy.unlink()
    r = cli("build", source, "-o", out)
    assert "已补回被删除的文件 支撑材料/E01-创建领导小组通知.pdf" in r.output
    assert copy.read_bytes() == (source.parent / "支撑材料" / "E01.pdf").read_bytes()


def test_final_refuses_while_a_listed_file_is_missing(cli, source, tmp_path) -> None:
    out = tmp_path / "out"
    (source.parent / "支撑材料" / "E04.docx").unlink()
    assert cli("build", source, "-o", out).exit_code == 0
    r = cli("final", out)
    assert r.exit_code == 1 and "缺少支撑材料 E04 的文件" in r.stderr and "--allow-missing-evidence" in r.stderr
    assert not (out / "历史版本").exists()
    r = cli("final", out, "--allow-missing-evidence", "--by", "李某")
    assert r.exit_code == 0, r.output
    record = json.loads((out / "历史版本" / "1-定稿" / "定稿.json").read_text("utf-8"))
    assert record["missing_evidence"] == ["E04"] and record["by"] == "李某"
    copy = out / "历史版本" / "1-定稿" / "支撑材料" / "E01-创建领导小组通知.pdf"
    assert copy.read_bytes() == (source.parent / "支撑材料" / "E01.pdf").read_bytes()


def test_final_with_every_file_present_needs_no_override(cli, source, tmp_path) -> None:
    out = tmp_path / "out"
    assert cli("build", source, "-o", out).exit_code == 0
    r = cli("final", out)
    assert r.exit_code == 0, r.output
    assert "missing_evidence" not in json.loads((out / "历史版本" / "1-定稿" / "定稿.json").read_text("utf-8"))


def test_a_build_refused_for_a_bad_file_writes_nothing(cli, source, tmp_path) -> None:
    make_image(source.parent / "支撑材料" / "E01.pdf", "JPEG")
    r = cli("build", source, "-o", tmp_path / "out")
    assert r.exit_code == 1 and "E01 的文件 支撑材料/E01.pdf" in r.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# --- county bundle -------------------------------------------------------------------------------------


def _evaluation(tmp_path: Path, uscc: str) -> Path:
    ev = tmp_path / "evaluation.yaml"
    data = {
        "format": "wufei/evaluation-1",
        "county": "章贡区",
        "evaluators": ["章贡区工信局"],
        "enterprises": {uscc: {"received": "2025-03-01", "evaluated": "2025-03-10"}},
    }
    ev.write_text(dump_yaml(data), "utf-8")
    return ev


def test_the_county_bundle_carries_the_evidence(cli, source, tmp_path) -> None:
    uscc = variant()["unit"]["uscc"]
    ev, out = _evaluation(tmp_path, uscc), tmp_path / "推荐材料"
    r = cli("bundle", source.parent, "--evaluation", ev, "-o", out)
    assert r.exit_code == 0, r.output
    [folder] = (out / "企业").iterdir()
    copy = folder / "支撑材料" / "E01-创建领导小组通知.pdf"
    assert copy.read_bytes() == (source.parent / "支撑材料" / "E01.pdf").read_bytes()
    bundle = json.loads((out / "bundle.json").read_text("utf-8"))
    [entry] = bundle["enterprises"]
    assert entry["files"]["支撑材料/E01-创建领导小组通知.pdf"] == sha(source.parent / "支撑材料" / "E01.pdf")
    with zipfile.ZipFile(out.with_name(out.name + ".zip")) as z:
        member = f"{out.name}/企业/{folder.name}/支撑材料/E04-固废管理制度.docx"
        assert z.read(member) == (source.parent / "支撑材料" / "E04.docx").read_bytes()

    # a re-run notices a changed scan although the enterprise file is the same
    make_image(source.parent / "支撑材料" / "E02.png", "PNG", (1, 2, 3))
    r = cli("bundle", source.parent, "--evaluation", ev, "-o", out)
    assert r.exit_code == 0 and "已生成 1 家企业的申报材料" in r.output, r.output
    copy = folder / "支撑材料" / "E02-危废贮存库照片.png"
    assert sha(copy) == sha(source.parent / "支撑材料" / "E02.png")
    bundle = json.loads((out / "bundle.json").read_text("utf-8"))
    assert bundle["enterprises"][0]["files"]["支撑材料/E02-危废贮存库照片.png"] == sha(copy)
    r = cli("bundle", source.parent, "--evaluation", ev, "-o", out)
    assert "已生成 0 家企业的申报材料" in r.output, r.output

    (source.parent / "支撑材料" / "E03.jpg").unlink()  # the county is told, the package goes without it
    r = cli("bundle", source.parent, "--evaluation", ev, "-o", out)
    assert r.exit_code == 0 and "支撑材料 E03 的文件尚未找到" in (out / "汇总.txt").read_text("utf-8"), r.output
    assert not (folder / "支撑材料" / "E03-培训现场_照片.jpg").exists()
