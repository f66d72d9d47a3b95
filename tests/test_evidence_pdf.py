"""申报材料.pdf (FORMAT.md §4, issue 16): the documents and every material bound in id order, read back with pikepdf:
page counts, the outline, page numbers on every page, the 申报书's page ranges, images and PDF pages carried
without re-encoding. Needs LibreOffice."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from tests.conftest import dump_yaml, variant
from tests.test_evidence import MATERIALS, enterprise_with_materials, make_pdf

pytestmark = pytest.mark.slow


CONVERSIONS: list[int] = []  # documents per LibreOffice run, in order


@pytest.fixture(scope="module")
def bound(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) 未安装：无法测试 PDF 装订")
    from wufei_docs.render import pdf

    real = pdf.convert

    def counting(docs: Any, **kw: Any) -> Any:
        CONVERSIONS.append(len(docs))
        return real(docs, **kw)

    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("evidence-pdf")
        mp.setenv("WUFEI_CACHE_HOME", str(folder / "cache"))  # no page counts remembered yet
        mp.setattr(pdf, "convert", counting)
        yield _build(folder)


def _build(folder: Path) -> Path:
    from typer.testing import CliRunner

    from wufei_docs.cli import app

    source = enterprise_with_materials(folder / "收件")
    rotated = folder / "收件" / "支撑材料" / "E01.pdf"
    with pikepdf.open(rotated, allow_overwriting_input=True) as pdf:
        pdf.pages[1].obj["/Rotate"] = 90  # a page scanned sideways
        pdf.save(rotated)
    r = CliRunner().invoke(app, ["build", str(source), "-o", str(folder / "out"), "--pdf"])
    assert r.exit_code == 0, r.output
    # the three documents, the .docx material and the title page; then the 申报书 with its ranges
    assert CONVERSIONS == [5, 1]
    return folder


def _pages(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def _outline(path: Path) -> list[tuple[str, int, list[tuple[str, int]]]]:
    with pikepdf.open(path) as pdf:
        index = {page.objgen: n for n, page in enumerate(pdf.pages)}

        def where(item: Any) -> int:
            return index[item.destination[0].objgen] + 1

        with pdf.open_outline() as outline:
            return [
                (item.title, where(item), [(kid.title, where(kid)) for kid in item.children]) for item in outline.root
            ]


def _text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_every_page_of_every_part_in_order_with_a_bookmark_each(bound) -> None:
    out = bound / "out"
    docs = [_pages(out / n) for n in ("申报书.pdf", "附件1-评价指标自评表.pdf", "附件2-评估申报表.pdf")]
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    material_pages = {e["id"]: e["pages"] for e in manifest["evidence"] if e["file"]}
    assert material_pages["E01"] == 3 and material_pages["E02"] == material_pages["E03"] == 1
    assert material_pages["E04"] >= 1  # the .docx, counted once converted
    total = sum(docs) + 1 + sum(material_pages.values())  # + the 支撑材料 title page
    assert _pages(out / "申报材料.pdf") == total

    outline = _outline(out / "申报材料.pdf")
    assert [(t, p) for t, p, _ in outline] == [
        ("申报书", 1),
        ("附件1", docs[0] + 1),
        ("附件2", docs[0] + docs[1] + 1),
        ("支撑材料", sum(docs) + 1),
    ]
    start, kids = sum(docs) + 2, []
    for m in MATERIALS[:4]:
        kids.append((f"{m['id']} {m['title']}", start))
        start += material_pages[m["id"]]
    assert outline[3][2] == kids
    assert "支撑材料" in _text(out / "申报材料.pdf", sum(docs) + 1)  # the title page


def test_page_numbers_on_every_page(bound) -> None:
    path = bound / "out" / "申报材料.pdf"
    total = _pages(path)
    for page in range(1, total + 1):
        assert f"{page} / {total}" in _text(path, page), page


def test_the_report_lists_each_materials_page_range(bound) -> None:
    out = bound / "out"
    outline = _outline(out / "申报材料.pdf")
    kids = outline[3][2]
    text = "".join(_text(out / "申报书.pdf").split())  # table cells wrap: compare without white space
    ends = [p for _, p in kids[1:]] + [_pages(out / "申报材料.pdf") + 1]
    for (title, first), after in zip(kids, ends, strict=True):
        last = after - 1
        where = f"第{first}页" if first == last else f"第{first}–{last}页"
        assert f"申报材料.pdf{where}" in text, (title, where)
    # the bound 申报书 is that same document
    assert _pages(out / "申报书.pdf") == outline[1][1] - 1


def _streams(contents: Any) -> list[bytes]:
    return [s.read_raw_bytes() for s in (contents if isinstance(contents, pikepdf.Array) else [contents])]


def test_pdf_pages_and_photos_are_carried_without_re_encoding(bound) -> None:
    source = bound / "收件" / "支撑材料"
    out = bound / "out"
    kids = dict(_outline(out / "申报材料.pdf")[3][2])
    with pikepdf.open(out / "申报材料.pdf") as pdf, pikepdf.open(source / "E01.pdf") as original:
        first = kids["E01 创建领导小组通知"] - 1
        for n in range(3):
            ours = _streams(pdf.pages[first + n].obj.Contents)
            theirs = _streams(original.pages[n].obj.Contents)
            assert theirs and set(theirs) <= set(ours)  # wrapped in q … Q, not rewritten
        assert int(pdf.pages[first + 1].obj.get("/Rotate", 0)) == 90
        photo = pdf.pages[kids["E03 培训现场/照片"] - 1]
        [image] = [v for _, v in photo.obj.Resources.XObject.items()]
        assert image.read_raw_bytes() == (source / "E03.jpg").read_bytes()  # the JPEG as it was
        box = [float(v) for v in photo.obj.MediaBox]
        assert round(box[2] - box[0]) == 595 and round(box[3] - box[1]) == 842  # portrait photo, A4 portrait
        landscape = pdf.pages[kids["E02 危废贮存库照片"] - 1]
        box = [float(v) for v in landscape.obj.MediaBox]
        assert round(box[2] - box[0]) == 842 and round(box[3] - box[1]) == 595  # landscape photo, A4 turned


def test_a_rebuild_of_the_same_data_is_unchanged_and_a_new_scan_moves_the_ranges(bound, tmp_path) -> None:
    from typer.testing import CliRunner

    from wufei_docs.cli import app

    source, out = bound / "收件" / "企业.yaml", bound / "out"
    before = _outline(out / "申报材料.pdf")
    del CONVERSIONS[:]
    r = CliRunner().invoke(app, ["build", str(source), "-o", str(out), "--pdf"])
    assert r.exit_code == 0 and "无变化" in r.output, r.output
    make_pdf(bound / "收件" / "支撑材料" / "E01.pdf", 5)
    r = CliRunner().invoke(app, ["build", str(source), "-o", str(out), "--pdf"])
    assert r.exit_code == 0 and "已生成第 2 版" in r.output, r.output
    # the unchanged rebuild starts no LibreOffice (its PDFs are current); the new version knows the page
    # counts from the first build: one LibreOffice run
    assert CONVERSIONS == [5]
    after = _outline(out / "申报材料.pdf")
    shift = dict(after[3][2])["E02 危废贮存库照片"] - dict(before[3][2])["E02 危废贮存库照片"]
    assert shift == 2
    assert "申报材料.pdf" in (out / "修改说明.txt").read_text("utf-8")


def test_a_photo_with_transparency_keeps_it(tmp_path) -> None:
    from PIL import Image

    from wufei_docs.package.binding import _image_pdf

    path = tmp_path / "alpha.png"
    Image.new("RGBA", (300, 200), (255, 0, 0, 128)).save(path)
    pdf_path = _image_pdf(path, tmp_path / "alpha.pdf")
    with pikepdf.open(pdf_path) as pdf:
        assert len(pdf.pages) == 1
        [image] = [v for _, v in pdf.pages[0].obj.Resources.XObject.items()]
        assert "/SMask" in image and int(image.Width) == 300  # the transparency kept, losslessly


def test_the_county_bundle_binds_each_enterprise_and_zips_it(tmp_path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) 未安装：无法测试 PDF 装订")
    from typer.testing import CliRunner

    from wufei_docs.cli import app

    source = enterprise_with_materials(tmp_path / "收件")
    uscc = variant()["unit"]["uscc"]
    ev = tmp_path / "evaluation.yaml"
    entry = {"received": "2025-03-01", "evaluated": "2025-03-10", "scores": {"A4.1": 9}}
    ev.write_text(
        dump_yaml({"format": "wufei/evaluation-1", "county": "章贡区", "enterprises": {uscc: entry}}), "utf-8"
    )
    out = tmp_path / "推荐材料"
    r = CliRunner().invoke(app, ["bundle", str(source.parent), "--evaluation", str(ev), "-o", str(out), "--pdf"])
    assert r.exit_code == 0, r.output
    [folder] = (out / "企业").iterdir()
    bound = folder / "申报材料.pdf"
    outline = _outline(bound)
    assert [t for t, _, _ in outline] == ["申报书", "附件1", "附件2", "支撑材料"]
    assert [t for t, _ in outline[3][2]] == [f"{m['id']} {m['title']}" for m in MATERIALS[:4]]
    with zipfile.ZipFile(out.with_name(out.name + ".zip")) as z:
        assert z.read(f"{out.name}/企业/{folder.name}/申报材料.pdf") == bound.read_bytes()
    bundle = json.loads((out / "bundle.json").read_text("utf-8"))
    assert bundle["enterprises"][0]["files"]["申报材料.pdf"] == hashlib.sha256(bound.read_bytes()).hexdigest()
