"""The three documents of `wufei build`, opened with python-docx: layout, merges, values, fonts, escaping."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import EXAMPLES, RUBRIC, full_marks, variant
from tests.docx_helpers import Cell, all_text, grid, open_docx, runs_without_east_asian_font, xml_parts

REPORT, SHEET, FORM = "申报书.docx", "附件1-评价指标自评表.docx", "附件2-评估申报表.docx"
DOCS = (REPORT, SHEET, FORM)

# FORMAT.md §2: the 29 rows of the official 附件1 table and the items each row holds.
SEED_ROWS = [
    ["H1"], ["H2"], ["H3"], ["H4"],
    ["A1.1"], ["A1.2", "A1.3"], ["A1.4", "A1.5", "A1.6"],
    ["A2.1", "A2.2"], ["A2.3", "A2.4"], ["A2.5", "A2.6"], ["A2.7", "A2.8"],
    ["A3.1"], ["A4.1", "A4.2"],
    ["B1.1", "B1.2", "B1.3"], ["B1.4"], ["B2.1", "B2.2", "B2.3"],
    ["C1.1"], ["C2.1", "C2.2"], ["C3.1"],
    ["D1.1", "D1.2"], ["D1.3"], ["D2.1", "D2.2"], ["D2.3"], ["D2.4", "D2.5"], ["D2.6"],
    ["E1.1"], ["E2.1", "E2.2"], ["F1.1"], ["F2.1"],
]  # fmt: skip
HOSTILE = "A&B <x> \"q\" 'a' {{ 7*7 }} {% if x %}{_{ </w:t><w:p>"
SHORT = HOSTILE[:40].strip()  # fits the 50-character fields
HOSTILE_TEXT = HOSTILE + "\n第二行\t制表 ]]> &amp; {%p endfor %}\n\n" + HOSTILE


def build(cli, write, tmp_path, data, name="out"):
    out = tmp_path / name
    r = cli("build", write(data), "-o", out)
    assert r.exit_code == 0, r.output
    return out


def test_example_builds_three_documents_and_manifest(cli, tmp_path) -> None:
    for example in sorted(EXAMPLES.glob("*.yaml")):
        out = tmp_path / example.stem
        r = cli("build", example, "-o", out)
        assert r.exit_code == 0, r.output
        manifest = json.loads((out / "manifest.json").read_text("utf-8"))
        copies = [e["file"] for e in manifest["evidence"] if e["file"]]  # the example's 支撑材料, if it has them
        assert sorted(p.name for p in out.iterdir()) == sorted(
            [*DOCS, "manifest.json", *(["支撑材料"] if copies else [])]
        )
        for name in copies:
            assert manifest["files"][name] == __import__("hashlib").sha256((out / name).read_bytes()).hexdigest()
        score = json.loads(cli("score", example, "--json").stdout)
        assert manifest["score"] == {k: score[k] for k in ("total", "base", "bonus", "verdict")}
        assert manifest["rubric"] == "ganzhou-2023" and manifest["tool_version"]
        for name in DOCS:
            data = (out / name).read_bytes()
            assert manifest["files"][name] == __import__("hashlib").sha256(data).hexdigest()
            parts = xml_parts(data)
            leftovers = [n for n, xml in parts.items() if "{{" in xml or "{%" in xml or "{#" in xml]
            assert leftovers == [], f"{name}: template syntax left in {leftovers}"
            assert runs_without_east_asian_font(data) == [], name


def test_sheet_reproduces_the_official_table(cli, write, tmp_path) -> None:
    out = build(cli, write, tmp_path, variant(**{"unit.soil_key_unit": False}))
    doc = open_docx(out / SHEET)
    rows = grid(doc.tables[0])
    assert [(c.text, c.span) for c in rows[0]] == [("项目", 2), ("评价内容", 1), ("评价方式", 1), ("评分", 1)]
    body = rows[1:]
    assert len(body) == 29 and all(len(r) == 5 for r in body)
    rubric_rows = [row for c in RUBRIC.categories for s in c.subcategories for row in s.rows]
    assert [r[2].text for r in body] == [h.text for h in RUBRIC.hard_items] + [row.text for row in rubric_rows]
    # 硬性指标 block: three columns merged over the four rows, one answer per row
    for col, label in ((0, "硬性指标"), (1, "合规性要求"), (3, "不满足要求一票否决")):
        assert [r[col].vmerge for r in body[:4]] == ["restart", "continue", "continue", "continue"]
        assert body[0][col].text == label and all(r[col].text == "" for r in body[1:4])
    assert [r[4].text for r in body[:4]] == ["满足", "满足", "不适用", "不适用"]
    # category cells merged over all their rows, sub-categories over their own rows
    start = 4
    for cat in RUBRIC.categories:
        n = sum(len(s.rows) for s in cat.subcategories)
        cells = [r[0] for r in body[start : start + n]]
        assert cells[0].text.startswith(f"{cat.id} {cat.name}") and cells[0].text.endswith(f"{cat.max:g}分")
        expected = [None] if n == 1 else ["restart"] + ["continue"] * (n - 1)
        assert [c.vmerge for c in cells] == expected, cat.id
        sub_start = start
        for sub in cat.subcategories:
            m = len(sub.rows)
            subs = [r[1] for r in body[sub_start : sub_start + m]]
            assert subs[0].text == f"{sub.id}（{sub.max:g}分）{sub.name}"
            assert [c.vmerge for c in subs] == ([None] if m == 1 else ["restart"] + ["continue"] * (m - 1))
            sub_start += m
        start += n
    assert [r[3].text for r in body[4:]] == [row.method for row in rubric_rows]


def test_sheet_shows_every_item_score_and_marks_not_applicable(cli, write, tmp_path) -> None:
    data = variant(**{"unit.soil_key_unit": False, "items.A1.5.score": 2, "items.E2.2.score": 2.5})
    out = build(cli, write, tmp_path, data)
    body = grid(open_docx(out / SHEET).tables[0])[1:]
    score = json.loads(cli("score", write(data, "again.yaml"), "--json").stdout)
    expected = {i["id"]: ("不适用" if i["source"] == "na" else f"{i['score']:g}") for i in score["items"]}
    shown = {}
    for ids, row in zip(SEED_ROWS[4:], body[4:], strict=True):
        terms, _, total = row[4].text.partition("＝")
        values = terms.split("＋")
        assert len(values) == len(ids), (ids, row[4].text)
        shown.update(zip(ids, values, strict=True))
        if len(ids) > 1:
            assert float(total) == sum(float(v) for v in values if v != "不适用")
    assert shown == expected and len(shown) == 42
    assert body[6][4].text == "1＋2＋3＝6"  # A1.4 + A1.5 + A1.6 (derived)
    assert body[21][4].text == "2＋不适用＝2"  # D2.1 + D2.2 (not a soil key unit)
    doc = open_docx(out / SHEET)
    text = "\n".join(all_text(doc))
    assert "注：合理缺项 D2.2（非土壤污染重点监管单位）不适用，基本分按适用项折算：97.5 ÷ 99 × 100 ＝ 98.5。" in text
    assert f"得分：{score['total']:g}分（基本分{score['base']:g}＋附加分{score['bonus']:g}），达标" in text
    assert RUBRIC.note in text and "单位名称：赣州测试材料有限公司" in text


def test_sheet_shows_the_veto(cli, write, tmp_path) -> None:
    out = build(cli, write, tmp_path, variant(**{"compliance.H2": {"met": False}}))
    doc = open_docx(out / SHEET)
    body = grid(doc.tables[0])[1:]
    assert body[1][4].text == "不满足（一票否决）"
    assert any("否决（硬性指标 H2 不满足，一票否决）" in t for t in all_text(doc))
    form = grid(open_docx(out / FORM).tables[0])
    assert "结论：否决（硬性指标 H2 不满足，一票否决）" in form[8][1].text


def test_form_reproduces_the_seed_grid(cli, write, tmp_path) -> None:
    out = build(cli, write, tmp_path, full_marks())
    doc = open_docx(out / FORM)
    paragraphs = [p.text for p in doc.paragraphs]
    assert "申报单位（盖章）：赣州测试材料有限公司" in paragraphs and "日期：2025年3月1日" in paragraphs
    rows = grid(doc.tables[0])
    c = Cell
    assert rows[:7] == [
        [c("建设申报类型", 2, None), c("无废工厂", 3, None)],
        [c("单位基本情况", 1, "restart"), c("单位全称", 1, None), c("赣州测试材料有限公司", 3, None)],
        [c("", 1, "continue"), c("详细地址", 1, None), c("江西省赣州市章贡区测试路1号", 3, None)],
        [c("", 1, "continue"), c("占地面积", 1, None), c("10000 平方米", 1, None),
         c("单位规模（职工、学生人数等）", 1, None), c("100 人", 1, None)],
        [c("", 1, "continue"), c("负责人姓名", 1, None), c("王某", 1, None), c("联系方式", 1, None),
         c("0797-8888888", 1, None)],
        [c("", 1, "continue"), c("联系人姓名", 1, "restart"), c("李某", 1, "restart"), c("手机号码", 1, None),
         c("13907970000", 1, None)],
        [c("", 1, "continue"), c("", 1, "continue"), c("", 1, "continue"), c("电子邮箱", 1, None),
         c("li@example.com", 1, None)],
    ]  # fmt: skip
    assert rows[7] == [c("主要工作（支撑材料另附件）", 2, None), c("开展了创建工作。", 3, None)]
    assert rows[8][0] == c("打分结果", 2, None) and rows[8][1].span == 3
    lines = rows[8][1].text.split("\n")
    assert lines == ["自评得分：105分（基本分100＋附加分5）", "结论：达标", "（盖章）", "年　　月　　日"]


def test_report_sections_and_tables(cli, write, tmp_path) -> None:
    a11 = {"score": 1, "note": "成立领导小组", "evidence": ["E01"]}
    data = variant(**{"unit.soil_key_unit": False, "items.A1.1": a11, "unit.legal_rep": "张某"})
    out = build(cli, write, tmp_path, data)
    doc = open_docx(out / REPORT)
    text = [p.text for p in doc.paragraphs]
    for heading in ("一、企业基本情况", "二、工业固体废物产生及利用处置情况", "三、创建工作开展情况", "四、自评情况",
                    "五、支撑材料清单", "六、真实性承诺书"):  # fmt: skip
        assert heading in text
    assert "A1.1 工厂管理机构、绿色制造制度；可循环包装（得1分）：成立领导小组；支撑材料：E01。" in text
    assert any(t.startswith("合理缺项 D2.2（非土壤污染重点监管单位）不适用，基本分按适用项折算：") for t in text)
    assert "法定代表人或单位负责人（签字）：" in text
    tables = [grid(t) for t in doc.tables]
    cover, info, ledger, intensity, categories, evidence = tables
    assert [r[1].text for r in cover] == ["赣州测试材料有限公司", "章贡区", "李某", "13907970000", "2025年3月1日"]
    assert [c.text for c in info[1]] == ["统一社会信用代码", "91360702MA35L0AB16"]  # a row of its own: never wraps
    assert [c.text for c in info[2]][:2] == ["法定代表人", "张某"]
    assert [c.text for c in info[5]] == ["所属行业", "", "单位性质", ""]  # optional fields left blank
    assert [c.text for c in info[8]] == ["单位类型", "固体废物产生单位", "土壤污染重点监管单位", "否"]
    assert [c.text for c in ledger[1]] == ["1", "废矿物油", "危险废物\n900-249-08", "设备检修", "10", "0", "10", "0",
                                          "某环保公司", "焚烧"]  # fmt: skip
    assert [c.text for c in ledger[-1]] == ["合计", "110", "100", "10", "0", "安全处理率 100%"]
    assert [[c.text for c in r] for r in intensity[1:]] == [
        ["2023", "1000", "100", "10", "110", "0.1100"],
        ["2024", "1100", "100", "10", "110", "0.1000"],
        ["产生强度年度增长率", "−9.1%"],
    ]
    assert [c.text for c in categories[1]] == ["A 工业固体废物污染防治", "50", "50"]
    assert [c.text for c in categories[-1]] == ["结论", "达标"]
    assert [c.text for c in evidence[1]] == ["1", "E01", "创建通知", "", "A1.1"]


def test_fonts_page_size_and_page_numbers(cli, write, tmp_path) -> None:
    from docx.oxml.ns import qn

    out = build(cli, write, tmp_path, full_marks())
    for name in DOCS:
        data = (out / name).read_bytes()
        doc = open_docx(data)
        for s in doc.sections:
            assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
            margins = [round(m.mm) for m in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)]
            assert margins == [37, 35, 28, 26]
        footers = "".join(xml for n, xml in xml_parts(data).items() if n.startswith("word/footer"))
        assert "— " in footers and "PAGE" in footers and " —" in footers
    report = open_docx(out / REPORT)
    assert report.sections[0].footer.is_linked_to_previous  # the cover has no page number
    fonts = {r.element.rPr.rFonts.get(qn("w:eastAsia")) for p in report.paragraphs for r in p.runs}
    assert {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"} <= fonts


def test_same_input_gives_byte_identical_documents(cli, write, tmp_path) -> None:
    path = write(full_marks())
    first, second = tmp_path / "a", tmp_path / "b"
    assert cli("build", path, "-o", first).exit_code == 0
    assert cli("build", path, "-o", second).exit_code == 0
    for name in [*DOCS, "manifest.json"]:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def hostile_enterprise() -> dict:
    d = copy.deepcopy(full_marks())
    u = d["unit"]
    u.update(name="赣州" + HOSTILE, address=HOSTILE, legal_rep=SHORT, products=HOSTILE, profile=HOSTILE_TEXT)
    u["head"]["name"] = u["contact"]["name"] = SHORT
    u["industry"] = {"code": "C3240", "name": SHORT}
    d["application"].update(type=SHORT, summary=HOSTILE_TEXT)
    d["compliance"]["H1"]["note"] = HOSTILE_TEXT
    for s in d["waste"]["streams"]:
        s.update(name=HOSTILE, node=HOSTILE, destination=HOSTILE, method=HOSTILE)
    d["waste"]["streams"][1]["code"] = HOSTILE
    d["items"]["A1.1"] = {"score": 1, "note": HOSTILE_TEXT, "evidence": ["E01"]}
    d["items"]["D2.2"] = {"na": HOSTILE}
    d["evidence"][0].update(title=HOSTILE, file=HOSTILE + ".pdf")  # a file name must end in an accepted type
    return d


def test_hostile_text_comes_out_literally(cli, write, tmp_path) -> None:
    out = build(cli, write, tmp_path, hostile_enterprise())
    form = grid(open_docx(out / FORM).tables[0])
    assert form[0][1].text == SHORT
    assert form[1][2].text == "赣州" + HOSTILE and form[2][2].text == HOSTILE
    assert form[5][2].text == SHORT
    assert form[7][1].text == HOSTILE_TEXT  # line breaks and tabs kept
    report = open_docx(out / REPORT)
    paragraphs = [p.text for p in report.paragraphs]
    for line in [ln for ln in HOSTILE_TEXT.split("\n") if ln]:
        assert line in paragraphs  # profile and summary, one paragraph per line
    ledger = grid(report.tables[2])
    assert [c.text for c in ledger[1]][1:4] == [HOSTILE, "危险废物\n900-249-08", HOSTILE]
    assert ledger[2][2].text == f"一般工业固体废物\n{HOSTILE}" and ledger[2][8].text == HOSTILE
    info = grid(report.tables[1])
    assert info[5][1].text == "C3240 " + SHORT and info[6][1].text == HOSTILE
    evidence = grid(report.tables[5])
    assert [c.text for c in evidence[1]][2:4] == [HOSTILE, HOSTILE + ".pdf"]
    assert f"A1.1 工厂管理机构、绿色制造制度；可循环包装（得1分）：{HOSTILE_TEXT}；支撑材料：E01。" in paragraphs
    assert f"D2.2 土壤污染隐患排查等制度（重点监管单位）（不适用）：{HOSTILE}。" in paragraphs
    sheet = open_docx(out / SHEET)
    assert f"单位名称：赣州{HOSTILE}" in [p.text for p in sheet.paragraphs]
    assert any(p.text.startswith(f"注：合理缺项 D2.2（{HOSTILE}）不适用") for p in sheet.paragraphs)
    for name in DOCS:
        data = (out / name).read_bytes()
        assert any("{{ 7*7 }}" in t for t in all_text(open_docx(data))), name
        assert runs_without_east_asian_font(data) == []


@pytest.mark.parametrize("field", ["unit.name", "application.summary", "items.A1.1.note", "evidence.0.title"])
def test_hostile_text_is_never_template_code(cli, write, tmp_path, field) -> None:
    data = variant(**{field: "{{ 7*7 }}{% for i in range(3) %}x{% endfor %}{{ unit.name }}"})
    out = build(cli, write, tmp_path, data)
    texts = [t for name in DOCS for t in all_text(open_docx(out / name))]
    assert any("{{ 7*7 }}{% for i in range(3) %}x{% endfor %}{{ unit.name }}" in t for t in texts)
    assert not any("xxx" in t or "49赣州" in t for t in texts)
