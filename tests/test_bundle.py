"""`wufei bundle`: the county's 推荐名单, 推荐函 and packages from a folder of enterprise files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.conftest import dump_yaml, variant
from wufei_docs._samples import uscc_for

PASS, VETO, PULLED, UNEVALUATED, UNKNOWN = (uscc_for(i) for i in (101, 102, 103, 104, 105))


def enterprise(uscc: str, name: str, **changes: Any) -> dict[str, Any]:
    return variant(**{"unit.uscc": uscc, "unit.name": name, **changes})


@pytest.fixture
def county(tmp_path: Path) -> tuple[Path, Path]:
    """达标, 否决, pulled below 90 by 核定分, not evaluated (other county), one invalid file."""
    src = tmp_path / "收件"
    src.mkdir()
    files = {
        "a-达标.yaml": enterprise(PASS, "赣州达标材料有限公司"),
        "b-否决.yaml": enterprise(VETO, "赣州否决化工有限公司", **{"compliance.H2": {"met": False}}),
        "c-核减.yaml": enterprise(PULLED, "赣州核减制造有限公司", **{"items.F1.1.score": 0, "items.F2.1.score": 0}),
        "d-未评估.yaml": enterprise(UNEVALUATED, "赣州未评估科技有限公司", **{"unit.county": "南康区"}),
        "e-无效.yaml": enterprise("91360702MA35L0AB17", "赣州无效数据有限公司"),
    }
    for name, data in files.items():
        (src / name).write_text(dump_yaml(data), "utf-8")
    evaluation = {
        "format": "wufei/evaluation-1",
        "county": "章贡区",
        "evaluators": ["章贡区工信局", "章贡区生态环境局"],
        "enterprises": {
            PASS: {"received": "2025-03-01", "evaluated": "2025-03-12", "scores": {"A4.1": 9}, "opinion": "同意推荐"},
            VETO: {"received": "2025-03-01", "evaluated": "2025-03-10", "opinion": "H2 不满足"},
            PULLED: {
                "received": "2025-03-01",
                "evaluated": "2025-03-25",
                "scores": {"A4.1": 0, "B1.1": 0},
                "opinion": "合同不全",
            },
            UNKNOWN: {"received": "2025-03-01", "evaluated": "2025-03-05"},
        },
    }
    ev = tmp_path / "evaluation.yaml"
    ev.write_text(dump_yaml(evaluation), "utf-8")
    return src, ev


def run(cli, src: Path, ev: Path, out: Path, *extra: Any):
    return cli("bundle", src, "--evaluation", ev, "-o", out, *extra)


def sheet_column(path: Path, sheet: str, header: str) -> list[Any]:
    ws = load_workbook(path)[sheet]
    headers = [c.value for c in ws[2]]
    col = headers.index(header)
    return [row[col] for row in ws.iter_rows(min_row=3, values_only=True)]


def test_done_when_recommended_list_by_uscc(cli, county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "章贡区推荐材料"
    r = run(cli, src, ev, out, "--jobs", "2")
    assert r.exit_code == 1, r.output  # one invalid file → exit 1, the rest complete
    assert "e-无效.yaml" in r.stderr and "校验位" in r.stderr
    assert "Traceback" not in r.output

    xlsx = out / "推荐名单.xlsx"
    assert sheet_column(xlsx, "推荐名单", "统一社会信用代码") == [PASS]
    assert sheet_column(xlsx, "推荐名单", "核定分") == [104]
    assert sheet_column(xlsx, "推荐名单", "自评分") == [105]
    others = dict(
        zip(sheet_column(xlsx, "未推荐", "统一社会信用代码"), sheet_column(xlsx, "未推荐", "未推荐原因"), strict=True)
    )
    assert others[VETO] == "否决（硬性指标 H2 不满足）"
    assert others[PULLED] == "核定分 88 低于 90 分"
    assert others[UNEVALUATED] == "属南康区，非本县（市、区）企业；未验收评估"
    assert any(reason.startswith("文件无效：") for reason in others.values())

    # complete packages for every valid enterprise
    folders = sorted(p.name for p in (out / "企业").iterdir())
    assert folders == sorted(
        ["赣州达标材料有限公司", "赣州否决化工有限公司", "赣州核减制造有限公司", "赣州未评估科技有限公司"]
    )
    for folder in (out / "企业").iterdir():
        names = {p.name for p in folder.iterdir()}
        assert {"申报书.docx", "附件1-评价指标自评表.docx", "附件2-评估申报表.docx", "manifest.json"} <= names


def test_pulled_below_90_by_the_county(cli, county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "out"
    run(cli, src, ev, out)
    data = json.loads((out / "bundle.json").read_text("utf-8"))
    pulled = next(e for e in data["enterprises"] if e["uscc"] == PULLED)
    assert pulled["self_total"] == 100 and pulled["self_verdict"] == "达标"
    assert pulled["evaluated_total"] == 88 and pulled["verdict"] == "未达标"
    assert pulled["recommended"] is False and pulled["reason"] == "核定分 88 低于 90 分"


def test_bundle_json_follows_the_contract(cli, county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "out"
    run(cli, src, ev, out)
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
    assert data["format"] == "wufei/bundle-1" and data["county"] == "章贡区" and data["date"] == "2025-03-25"
    first = data["enterprises"][0]
    assert first["uscc"] == PASS and first["recommended"] is True and first["reason"] is None
    assert first["folder"] == "企业/赣州达标材料有限公司"
    assert set(first["files"]) >= {"申报书.docx", "附件1-评价指标自评表.docx", "附件2-评估申报表.docx"}
    for name, digest in first["files"].items():
        import hashlib

        assert hashlib.sha256((out / first["folder"] / name).read_bytes()).hexdigest() == digest
    assert [f["source"] for f in data["failed"]] == ["e-无效.yaml"]


def test_warnings_for_days_county_and_missing_records(cli, county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "out"
    r = run(cli, src, ev, out)
    summary = (out / "汇总.txt").read_text("utf-8")
    assert "共 24 天，超过 15 日" in summary  # PULLED: 03-01 → 03-25
    assert "所在县区为 南康区，与评估县区 章贡区 不一致" in summary
    assert f"赣州未评估科技有限公司（{UNEVALUATED}）：没有验收评估记录" in summary
    assert f"评估记录 {UNKNOWN} 没有对应的企业申报文件" in summary
    assert summary.splitlines()[1] in r.stdout


def test_evaluated_packages_show_self_and_county_scores(cli, county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "out"
    run(cli, src, ev, out)
    sheet = Document(out / "企业" / "赣州达标材料有限公司" / "附件1-评价指标自评表.docx")
    header = [c.text for c in sheet.tables[0].rows[0].cells]
    assert header[-2:] == ["自评分", "核定分"]
    text = "\n".join(p.text for p in sheet.paragraphs)
    assert "核定得分" in text and "104" in text
    form = Document(out / "企业" / "赣州达标材料有限公司" / "附件2-评估申报表.docx")
    cells = {c.text for row in form.tables[0].rows for c in row.cells}
    assert any("104" in c and "核定" in c for c in cells)
    unevaluated = Document(out / "企业" / "赣州未评估科技有限公司" / "附件1-评价指标自评表.docx")
    assert [c.text for c in unevaluated.tables[0].rows[0].cells][-1] == "评分"


def test_list_docx_and_letter(cli, county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "out"
    run(cli, src, ev, out)
    listing = Document(out / "推荐名单.docx")
    recommended_rows = [[c.text for c in row.cells] for row in listing.tables[0].rows[1:]]
    assert len(recommended_rows) == 1 and recommended_rows[0][2] == PASS and recommended_rows[0][5] == "104"
    others = [[c.text for c in row.cells] for row in listing.tables[1].rows[1:]]
    assert {row[2] for row in others} >= {VETO, PULLED, UNEVALUATED}
    letter = "\n".join(p.text for p in Document(out / "推荐函.docx").paragraphs)
    assert "赣州市工业和信息化局：" in letter
    assert f"赣州达标材料有限公司（统一社会信用代码：{PASS}），核定分 104 分" in letter
    assert "会同章贡区生态环境局" in letter and "章贡区工信局" in letter
    assert "2025年3月25日" in letter
    for doc in (out / "推荐名单.docx", out / "推荐函.docx"):
        with zipfile.ZipFile(doc) as z:
            xml = z.read("word/document.xml").decode()
        assert "{{" not in xml and "{%" not in xml


def test_zip_holds_the_tree_without_hidden_files(cli, county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "out"
    run(cli, src, ev, out)
    with zipfile.ZipFile(tmp_path / "out.zip") as z:
        names = z.namelist()
    assert "out/bundle.json" in names and "out/推荐名单.xlsx" in names and "out/推荐函.docx" in names
    assert "out/企业/赣州达标材料有限公司/申报书.docx" in names
    assert not any("/." in n for n in names)


def test_rerun_unchanged_rebuilds_nothing_and_gives_identical_files(cli, county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "out"
    run(cli, src, ev, out)
    before = snapshot(out)
    r = run(cli, src, ev, out)
    assert "已生成 0 家企业的申报材料" in r.stdout
    assert snapshot(out) == before


def test_rerun_after_one_correction_rebuilds_only_that_enterprise(cli, county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "out"
    run(cli, src, ev, out)
    before = snapshot(out)
    corrected = src / "b-否决.yaml"
    corrected.write_text(corrected.read_text("utf-8").replace("met: false", "met: true"), "utf-8")
    r = run(cli, src, ev, out)
    assert "已生成 1 家企业的申报材料" in r.stdout
    after = snapshot(out)
    changed = {k for k in after if before.get(k) != after[k]}
    enterprise_changes = {k.split("/")[1] for k in changed if k.startswith("企业/")}
    assert enterprise_changes == {"赣州否决化工有限公司"}
    assert "企业/赣州否决化工有限公司/历史版本/1/申报书.docx" in after
    assert sheet_column(out / "推荐名单.xlsx", "推荐名单", "统一社会信用代码") == [VETO, PASS]


def test_serial_and_parallel_give_identical_bundles(cli, county, tmp_path) -> None:
    src, ev = county
    run(cli, src, ev, tmp_path / "one", "--jobs", "1")
    run(cli, src, ev, tmp_path / "two", "--jobs", "2")
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
    assert (tmp_path / "one.zip").read_bytes() != b""


def test_invalid_evaluation_writes_nothing(cli, county, tmp_path) -> None:
    src, ev = county
    ev.write_text("format: wufei/evaluation-1\ncounty: 章贡区\nenterprises: {X: {evaluated: 明天}}\n", "utf-8")
    out = tmp_path / "out"
    r = run(cli, src, ev, out)
    assert r.exit_code == 1 and "evaluated" in r.stderr and "Traceback" not in r.output
    assert not out.exists()


def test_empty_folder_is_an_error(cli, county, tmp_path) -> None:
    _, ev = county
    empty = tmp_path / "空"
    empty.mkdir()
    r = run(cli, empty, ev, tmp_path / "out")
    assert r.exit_code == 1 and "没有企业申报数据文件" in r.stderr


def test_all_valid_exit_0(cli, county, tmp_path) -> None:
    src, ev = county
    (src / "e-无效.yaml").unlink()
    r = run(cli, src, ev, tmp_path / "out", "--no-zip")
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "out.zip").exists()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every output file; OUT/.wufei (the re-run cache, which records inodes and mtimes) is not an output."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] != ".wufei"
    }


@pytest.mark.slow
def test_pdf_for_the_whole_bundle_in_one_libreoffice_run(cli, county, tmp_path, monkeypatch) -> None:
    import shutil

    from wufei_docs.render import pdf

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) 未安装：无法测试 PDF 转换")
    src, ev = county
    for name in ("b-否决.yaml", "d-未评估.yaml", "e-无效.yaml"):
        (src / name).unlink()
    calls: list[int] = []
    real = pdf.convert

    def counting(docs, **kw):  # type: ignore[no-untyped-def]
        calls.append(len(docs))
        return real(docs, **kw)

    monkeypatch.setattr(pdf, "convert", counting)
    r = run(cli, src, ev, tmp_path / "out", "--pdf", "--jobs", "1")
    assert r.exit_code == 0, r.output
    assert calls == [6]  # 2 enterprises × 3 documents, one LibreOffice process
    for folder in (tmp_path / "out" / "企业").iterdir():
        pdfs = sorted(p.name for p in folder.glob("*.pdf"))
        assert pdfs == ["申报书.pdf", "申报材料.pdf", "附件1-评价指标自评表.pdf", "附件2-评估申报表.pdf"]
        assert all((folder / p).read_bytes().startswith(b"%PDF") for p in pdfs)
