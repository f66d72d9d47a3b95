"""`wufei city publish`: the published list (docx + xlsx) and the cover letter, statuses → 公布."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from tests.test_city_fixture import enterprise, example, make_bundle, make_uscc, snapshot, statuses

LIST = "赣州市“无废城市细胞”建设单位名单（第1批）"
LETTER = "关于报送第1批“无废工厂”评估结果的函.docx"


@pytest.fixture
def register(cli, tmp_path: Path) -> Path:
    """A register with 章贡区 (稀土 100, #1 105, #2 95) and 南康区 (#3 105; 家具 not recommended)."""
    db = tmp_path / "r.db"
    zg = make_bundle(
        tmp_path, "章贡区", [example("赣州稀土新材料"), enterprise(1), enterprise(2, **{"items.A4.1.score": 0})]
    )
    nk = make_bundle(tmp_path, "南康区", [example("南康家具制造"), enterprise(3, county="南康区")])
    r = cli("city", "import", zg, nk, "--db", db, "--by", "张三", "--date", "2025-04-01")
    assert r.exit_code == 0, r.output
    return db


def publish(cli, db: Path, out: Path, *extra: object):
    return cli("city", "publish", "--batch", 1, "-o", out, "--db", db, "--by", "李四", "--date", "2025-04-10", *extra)


def table_rows(path: Path, index: int = 0) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in Document(str(path)).tables[index].rows]


def test_publish_writes_list_docx_xlsx_and_letter_and_sets_status(cli, register: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = publish(cli, register, out)
    assert r.exit_code == 0, r.output
    assert "共 4 家" in r.stdout
    assert set(statuses(register).values()) == {"公布"}
    rows = table_rows(out / f"{LIST}.docx")
    assert rows[0] == ["序号", "单位名称", "统一社会信用代码", "所在县区", "类型", "核定分"]
    assert rows[1:] == [
        ["1", "赣州测试01号材料有限公司", make_uscc(1), "章贡区", "无废工厂", "105"],
        ["2", "赣州某某稀土新材料有限公司", "91360702MA35L0AB16", "章贡区", "无废工厂", "100"],
        ["3", "赣州测试02号材料有限公司", make_uscc(2), "章贡区", "无废工厂", "95"],
        ["4", "赣州测试03号材料有限公司", make_uscc(3), "南康区", "无废工厂", "105"],
    ]
    doc = Document(str(out / f"{LIST}.docx"))
    assert doc.paragraphs[0].text == LIST.replace("（第1批）", "\n（第1批）")  # a line break, not “批）” left alone
    ws = load_workbook(out / f"{LIST}.xlsx").active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0] == ["序号", "单位名称", "统一社会信用代码", "所在县（市、区）", "类型", "核定分"]
    assert values[1] == [1, "赣州测试01号材料有限公司", make_uscc(1), "章贡区", "无废工厂", 105]
    assert [v[2] for v in values[1:]] == [r[2] for r in rows[1:]]
    assert ws.freeze_panes == "A2" and ws.column_dimensions["B"].width >= 30 and ws["A1"].font.b


def test_cover_letter_summarises_counts_results_and_progress(cli, register: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert publish(cli, register, out).exit_code == 0
    doc = Document(str(out / LETTER))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "关于报送第1批“无废工厂”评估结果的函"
    assert "市“无废城市”建设工作领导小组办公室：" in text
    assert "本批共汇总2个县（市、区）推荐的4家企业，核定分在95—105分之间，均达到90分的达标基准分。" in text
    assert "全市累计公布“无废工厂”4家（含本批4家），为到2025年创建12家目标的33.3%，尚差8家。" in text
    assert "距截止还有81天" in text and "赣州市工业和信息化局" in text and "2025年4月10日" in text
    assert table_rows(out / LETTER, 0)[1:] == [["1", "章贡区", "3"], ["2", "南康区", "1"]]
    results = table_rows(out / LETTER, 1)
    assert results[0] == ["序号", "单位名称", "所在县（市、区）", "自评分", "核定分", "评估结论"]
    assert results[3] == ["3", "赣州测试02号材料有限公司", "章贡区", "95", "95", "达标"]


def test_documents_follow_official_formatting(cli, register: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert publish(cli, register, out).exit_code == 0
    for path in (out / f"{LIST}.docx", out / LETTER):
        doc = Document(str(path))
        s = doc.sections[0]
        assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
        assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
        runs = doc.element.body.iter(qn("w:r"))
        footer_runs = s.footer._element.iter(qn("w:r"))
        for run in [*runs, *footer_runs]:
            fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
            assert fonts is not None and fonts.get(qn("w:eastAsia")), path
        title_run = doc.paragraphs[0].runs[0]
        assert title_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
        assert title_run.font.size.pt == 22
        cell_run = doc.tables[0].rows[1].cells[1].paragraphs[0].runs[0]
        assert cell_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312" and cell_run.font.size.pt == 12
        footer = s.footer.paragraphs[0]
        assert footer.text.startswith("— ") and footer.text.endswith(" —")
        assert "PAGE" in "".join(t.text for t in footer._element.iter(qn("w:instrText")))
    body = Document(str(out / LETTER)).paragraphs[1].runs[0]
    assert body._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312" and body.font.size.pt == 16


def test_publishing_an_existing_batch_again_rewrites_identical_files_and_changes_nothing(
    cli, register: Path, tmp_path: Path
) -> None:
    assert publish(cli, register, tmp_path / "a").exit_code == 0
    before = snapshot(register)
    r = cli("city", "publish", "--batch", 1, "-o", tmp_path / "b", "--db", register, "--date", "2025-06-01")
    assert r.exit_code == 0 and "登记库未作更改" in r.stdout
    assert snapshot(register) == before
    for f in (tmp_path / "a").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_batches_are_consecutive_and_need_recommended_units(cli, register: Path, tmp_path: Path) -> None:
    r = cli("city", "publish", "--batch", 2, "-o", tmp_path / "o", "--db", register)
    assert r.exit_code == 1 and "下一批是第1批" in r.stderr
    assert publish(cli, register, tmp_path / "o").exit_code == 0
    r = cli("city", "publish", "--batch", 2, "-o", tmp_path / "o", "--db", register)
    assert r.exit_code == 1 and "没有待公布的单位" in r.stderr
    assert not (tmp_path / "o" / "赣州市“无废城市细胞”建设单位名单（第2批）.docx").exists()


def test_publish_only_chosen_units(cli, register: Path, tmp_path: Path) -> None:
    r = publish(cli, register, tmp_path / "o", "--uscc", make_uscc(3), "--uscc", make_uscc(1).lower())
    assert r.exit_code == 0, r.output
    assert statuses(register) == {
        make_uscc(1): "公布",
        make_uscc(2): "推荐",
        make_uscc(3): "公布",
        "91360702MA35L0AB16": "推荐",
    }
    batch = sqlite3.connect(register).execute("SELECT uscc FROM batch_units ORDER BY seq").fetchall()
    assert batch == [(make_uscc(1),), (make_uscc(3),)]  # county order: 章贡区 before 南康区


def test_publishing_a_delisted_or_unknown_unit_is_refused(cli, register: Path, tmp_path: Path) -> None:
    assert (
        cli("city", "publish", "--batch", 1, "-o", tmp_path / "o", "--db", register, "--uscc", make_uscc(1)).exit_code
        == 0
    )
    assert cli("city", "delist", make_uscc(1), "--reason", "重大环境事故", "--db", register).exit_code == 0
    before = snapshot(register)
    r = cli("city", "publish", "--batch", 2, "-o", tmp_path / "o", "--db", register, "--uscc", make_uscc(1))
    assert r.exit_code == 1
    assert "当前状态为“摘牌”" in r.stderr and "只有“推荐”状态的单位可以公布" in r.stderr
    r = cli("city", "publish", "--batch", 2, "-o", tmp_path / "o", "--db", register, "--uscc", make_uscc(9))
    assert r.exit_code == 1 and "登记库中没有" in r.stderr
    assert snapshot(register) == before
