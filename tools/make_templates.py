"""Author the built-in .docx templates in templates/ (run: python tools/make_templates.py).

The committed .docx files are what users restyle in Word/WPS; this script is how they were first
made and how we regenerate them after a layout change. Layout lives here and in the .docx; every
number and sentence comes from the view model (wufei_docs/view.py). Tags are docxtpl's
(`{{ }}`, `{%tr %}`, `{%p %}`) plus `{% vmerge EXPR %}` (wufei_docs/xmlprep.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docxkit import (
    BODY,
    H1,
    H2,
    TABLE,
    TITLE,
    bottom_border,
    cant_split,
    cell_para,
    cell_style,
    cell_styled,
    cell_text,
    loop_row,
    new_document,
    new_section,
    page_numbers,
    para,
    repeat_header,
    row_height,
    run,
    save,
    table,
)

OUT = Path(__file__).resolve().parents[1] / "templates"
T5, T4 = 10.5, 12  # 五号, 小四


def v(expr: str) -> str:
    """A Jinja print tag for `expr`."""
    return "{{ " + expr + " }}"


def heading1(doc, text: str, **kw) -> None:
    para(doc, text, font=H1, style="Heading 1", indent=2, keep_next=True, **kw)


def heading2(doc, text: str, **kw) -> None:
    para(doc, text, font=H2, style="Heading 2", indent=2, keep_next=True, **kw)


def body(doc, *parts, **kw) -> None:
    para(doc, *parts, indent=2, **kw)


def tag(doc, text: str) -> None:
    """A paragraph that holds only a {%p %} tag (removed when rendering)."""
    para(doc, text, size=10.5, line=None)


def doc_title(doc, text: str, *, before: float = 0, after: float = 12) -> None:
    para(doc, text, font=TITLE, size=22, align="center", line=36, before=before, after=after, style="Title")


def header_row(t, labels, *, size=T5) -> None:
    row = t.rows[0]
    for cell, label in zip(row.cells, labels, strict=False):
        cell_text(cell, label, size=size, font=H1)
    repeat_header(row)


# --- 申报书 --------------------------------------------------------------------------------


def report() -> None:
    doc = new_document("赣州市“无废工厂”申报书")
    _cover(doc)
    section = new_section(doc)
    page_numbers(section)
    _instructions(doc)
    _part_unit(doc)
    _part_waste(doc)
    _part_work(doc)
    _part_self_assessment(doc)
    _part_evidence(doc)
    _part_pledge(doc)
    save(doc, OUT / "申报书.docx")


def _cover(doc) -> None:
    doc_title(doc, "赣州市“无废工厂”申报书", before=110, after=100)
    labels = [
        ("申报单位（盖章）", "{{ unit.name }}"),
        ("所在县（市、区）", "{{ unit.county }}"),
        ("联系人", "{{ unit.contact_name }}"),
        ("联系电话", "{{ unit.contact_mobile }}"),
        ("申报日期", "{{ application.date }}"),
    ]
    t = table(doc, [52, 100], len(labels), borders=False)
    for row, (label, value) in zip(t.rows, labels, strict=True):
        cell_text(row.cells[0], label, size=16, font=H1, align="distribute", valign="bottom")
        cell_text(row.cells[1], value, size=16, font=BODY, align="center", valign="bottom")
        bottom_border(row.cells[1])
        row_height(row, 14)
    para(doc, "{{ doc.issuer }}制", font=H2, align="center", before=90)


def _instructions(doc) -> None:
    para(doc, "填写说明", font=H1, align="center", after=14)
    lines = [
        "一、本申报书由申报单位对照《{{ doc.rubric_title }}》自评后填写，所填内容应真实、准确、完整。",
        "二、本申报书连同附件1《评价指标自评表》、附件2《“无废细胞”评估申报表》及支撑材料，"
        "报送所在县（市、区）工业和信息化主管部门。",
        "三、封面“申报单位”处及真实性承诺书须加盖单位公章，承诺书须由法定代表人或单位负责人签字。",
        "四、本申报书中的数据、得分由申报数据文件自动生成；数据修改后请重新生成，请勿手工改动数字。",
    ]
    for line in lines:
        body(doc, line)


def _part_unit(doc) -> None:
    heading1(doc, "一、企业基本情况", page_break_before=True)
    heading2(doc, "（一）基本信息")
    rows = [  # the 18-character USCC has a row of its own: it never wraps inside its cell
        ("单位名称", "{{ unit.name }}", None, None),
        ("统一社会信用代码", "{{ unit.uscc }}", None, None),
        ("法定代表人", "{{ unit.legal_rep }}", "成立日期", "{{ unit.founded }}"),
        ("详细地址", "{{ unit.address }}", None, None),
        ("所在县（市、区）", "{{ unit.county }}", "邮政编码", "{{ unit.postcode }}"),
        ("所属行业", "{{ unit.industry }}", "单位性质", "{{ unit.ownership }}"),
        ("主导产品", "{{ unit.products }}", None, None),
        ("占地面积", "{{ unit.area }} 平方米", "职工人数", "{{ unit.staff }} 人"),
        ("单位类型", "{{ unit.roles }}", "土壤污染重点监管单位", "{{ unit.soil_key_unit }}"),
        ("负责人", "{{ unit.head_name }}", "联系方式", "{{ unit.head_phone }}"),
        ("联系人", "{{ unit.contact_name }}", "手机号码", "{{ unit.contact_mobile }}"),
        ("电子邮箱", "{{ unit.contact_email }}", None, None),
    ]
    t = table(doc, [30, 48, 30, 48], len(rows))
    for row, (l1, v1, l2, v2) in zip(t.rows, rows, strict=True):
        cells = row.cells
        row_height(row, 9)
        cell_text(cells[0], l1, size=T4)
        if l2 is None:
            merged = cells[1].merge(cells[3])
            cell_text(merged, v1, size=T4, align="left")
        else:
            cell_text(cells[1], v1, size=T4, align="left")
            cell_text(cells[2], l2, size=T4)
            cell_text(cells[3], v2, size=T4, align="left")
    heading2(doc, "（二）单位简介", before=8)
    tag(doc, "{%p for para in unit.profile_paragraphs %}")
    body(doc, "{{ para }}")
    tag(doc, "{%p else %}")
    body(doc, "（未填写单位简介）")
    tag(doc, "{%p endfor %}")


def _part_waste(doc) -> None:
    heading1(doc, "二、工业固体废物产生及利用处置情况", before=8)
    heading2(doc, "（一）固体废物产生及利用处置台账（{{ ledger.year }}年）")
    widths = [7, 19, 22, 15, 14, 14, 14, 14, 21, 16]
    labels = ["序号", "名称", "类别及代码", "产生节点", "产生量", "利用量", "处置量", "贮存量", "去向", "利用处置方式"]
    para(doc, "单位：吨", size=T5, align="right", line=None, keep_next=True)
    t = table(doc, widths, 4, margin=1)
    header_row(t, labels, size=9)
    loop_row(t, 1, "{%tr for s in ledger.rows %}")
    fields = ["no", "name", "kind_code", "node", "generated", "utilized", "disposed", "stored", "destination", "method"]
    row = t.rows[2]
    cant_split(row)
    for cell, field in zip(row.cells, fields, strict=True):
        align = "center" if field in ("no", "generated", "utilized", "disposed", "stored") else "left"
        cell_text(cell, v(f"s.{field}"), size=9, align=align)
    loop_row(t, 3, "{%tr endfor %}")
    total = t.add_row()
    cells = total.cells
    cell_text(cells[0].merge(cells[3]), "合计", size=9, font=H1)
    for cell, field in zip(cells[4:8], ["generated", "utilized", "disposed", "stored"], strict=True):
        cell_text(cell, v(f"ledger.{field}"), size=9)
    cell_text(cells[8].merge(cells[9]), "安全处理率 {{ ledger.safe_rate }}", size=9)
    body(doc, "{{ ledger.summary }}", before=6)

    heading2(doc, "（二）工业固体废物产生强度")
    widths = [20, 28, 30, 26, 24, 28]
    labels = [
        "年度",
        "工业总产值（万元）",
        "一般工业固体废物产生量（吨）",
        "危险废物产生量（吨）",
        "合计（吨）",
        "产生强度（吨/万元）",
    ]
    t = table(doc, widths, 4)
    header_row(t, labels, size=T5)
    loop_row(t, 1, "{%tr for y in intensity.rows %}")
    for cell, field in zip(
        t.rows[2].cells, ["year", "output_value", "general", "hazardous", "total", "intensity"], strict=True
    ):
        cell_text(cell, v(f"y.{field}"), size=T5)
    row_height(t.rows[2], 8)
    loop_row(t, 3, "{%tr endfor %}")
    last = t.add_row()
    row_height(last, 8)
    cell_text(last.cells[0].merge(last.cells[4]), "产生强度年度增长率", size=T5, font=H1)
    cell_text(last.cells[5], "{{ intensity.growth }}", size=T5)
    body(doc, "{{ intensity.sentence }}", before=6)


def _part_work(doc) -> None:
    heading1(doc, "三、创建工作开展情况")
    tag(doc, "{%p for para in application.summary_paragraphs %}")
    body(doc, "{{ para }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for sec in work %}")
    heading2(doc, "{{ sec.heading }}")
    tag(doc, "{%p for it in sec.entries %}")
    body(doc, ("{{ it.label }}：", {"bold": True}), "{{ it.text }}")
    tag(doc, "{%p else %}")
    body(doc, "本类别未填写具体说明。")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")


def _part_self_assessment(doc) -> None:
    heading1(doc, "四、自评情况")
    body(doc, "对照《{{ doc.rubric_title }}》，本单位自评情况如下（明细见附件1）：")
    t = table(doc, [86, 35, 35], 4)
    header_row(t, ["类别", "满分", "自评得分"], size=T4)
    loop_row(t, 1, "{%tr for c in categories %}")
    for cell, field, align in zip(
        t.rows[2].cells, ["label", "max", "self_score"], ["left", "center", "center"], strict=True
    ):
        cell_text(cell, v(f"c.{field}"), size=T4, align=align)
    row_height(t.rows[2], 8)
    loop_row(t, 3, "{%tr endfor %}")
    for label, maximum, value in (
        ("基本分", "{{ self_score.base_max }}", "{{ self_score.base }}"),
        ("附加分", "{{ self_score.bonus_max }}", "{{ self_score.bonus }}"),
        ("总分", "{{ self_score.max }}", "{{ self_score.total }}"),
    ):
        row = t.add_row()
        row_height(row, 8)
        cell_text(row.cells[0], label, size=T4, font=H1)
        cell_text(row.cells[1], maximum, size=T4)
        cell_text(row.cells[2], value, size=T4, font=H1)
    row = t.add_row()
    row_height(row, 8)
    cell_text(row.cells[0], "结论", size=T4, font=H1)
    cell_text(row.cells[1].merge(row.cells[2]), "{{ self_score.verdict }}", size=T4, font=H1)
    body(doc, "硬性指标：{{ self_score.hard_line }}。", before=6)
    tag(doc, "{%p if self_score.base_note %}")
    body(doc, "{{ self_score.base_note }}")
    tag(doc, "{%p endif %}")
    body(
        doc,
        "自评总分{{ self_score.total }}分（基本分{{ self_score.base }}分，附加分{{ self_score.bonus }}分），"
        "{{ self_score.conclusion }}",
    )


def _part_evidence(doc) -> None:
    heading1(doc, "五、支撑材料清单")
    t = table(doc, [12, 16, 62, 40, 26], 6)
    header_row(t, ["序号", "编号", "材料名称", "文件", "对应指标"], size=T5)
    loop_row(t, 1, "{%tr for ev in evidence %}")
    loop_row(t, 3, "{%tr else %}")
    empty = t.rows[4].cells[0].merge(t.rows[4].cells[-1])
    cell_text(empty, "（未列出支撑材料）", size=T5)
    row_height(t.rows[4], 8)
    for cell, field, align in zip(
        t.rows[2].cells,
        ["no", "id", "title", "file", "cited"],
        ["center", "center", "left", "left", "center"],
        strict=True,
    ):
        cell_text(cell, v(f"ev.{field}"), size=T5, align=align)
    row_height(t.rows[2], 8)
    loop_row(t, 5, "{%tr endfor %}")
    body(doc, "支撑材料另附，编号与上表一致。", before=6)


def _part_pledge(doc) -> None:
    heading1(doc, "六、真实性承诺书", page_break_before=True)
    body(doc, "本单位郑重承诺：")
    body(doc, "一、本单位对照《{{ doc.rubric_title }}》如实开展自评，本申报书及附件所填报的全部数据和材料真实、有效，"
         "不存在虚报、瞒报、伪造等情况。")  # fmt: skip
    body(doc, "二、本单位自愿接受各级工业和信息化、生态环境主管部门的监督管理和抽查；如有不实，"
         "愿意承担相应责任，并接受撤销“无废工厂”称号（摘牌）等处理。")  # fmt: skip
    lines = [
        "申报单位：{{ unit.name }}",
        "单位公章：",
        "法定代表人或单位负责人（签字）：",
        "日期：　　　　年　　月　　日",
    ]
    for k, line in enumerate(lines):
        para(doc, line, align="left", left=16, line=36, before=60 if k == 0 else 0)


# --- 附件1 ---------------------------------------------------------------------------------


def rubric_sheet(evaluated: bool) -> None:
    name = "附件1-评价指标自评表-核定.docx" if evaluated else "附件1-评价指标自评表.docx"
    doc = new_document("评价指标自评表")
    page_numbers(doc.sections[0])
    para(doc, "附件1", font=H1, align="left")
    doc_title(doc, "{{ doc.rubric_title }}", after=6)
    para(doc, "单位名称：{{ unit.name }}", size=14, align="left", line=24)
    if evaluated:
        para(doc, "自评得分：{{ self_score.summary }}", size=14, align="left", line=24)
        para(doc, "核定得分：{{ score.summary }}", size=14, align="left", line=24, after=6)
        widths = [13, 18, 53, 20, 26, 26]
        labels = ["项目", "", "评价内容", "评价方式", "自评分", "核定分"]
        scores = ["self_score", "score"]
    else:
        para(doc, "得分：{{ score.summary }}", size=14, align="left", line=24, after=6)
        widths = [15, 21, 68, 22, 30]
        labels = ["项目", "", "评价内容", "评价方式", "评分"]
        scores = ["score"]
    t = table(doc, widths, 4, margin=1)
    header_row(t, labels)
    t.rows[0].cells[0].merge(t.rows[0].cells[1])
    cell_text(t.rows[0].cells[0], "项目", size=T5, font=H1)
    loop_row(t, 1, "{%tr for row in rows %}")
    cant_split(t.rows[2])
    cells = t.rows[2].cells
    cell_text(cells[0], "{% vmerge row.cat_vm %}{{ row.cat }}", size=T5)
    cell_text(cells[1], "{% vmerge row.sub_vm %}{{ row.sub }}", size=T5)
    cell_text(cells[2], "{{ row.text }}", size=T5, align="justify")
    cell_text(cells[3], "{% vmerge row.method_vm %}{{ row.method }}", size=T5)
    for cell, field in zip(cells[4:], scores, strict=True):
        cell_text(cell, v(f"row.{field}"), size=9 if evaluated else T5)
    loop_row(t, 3, "{%tr endfor %}")
    para(doc, "{{ doc.note }}", size=T4, align="left", line=20, before=6)
    tag(doc, "{%p for n in notes %}")
    para(doc, "注：{{ n }}", size=T4, align="left", line=20)
    tag(doc, "{%p endfor %}")
    who = "评估单位（盖章）：" if evaluated else "申报单位（盖章）："
    para(doc, who, size=14, align="left", line=24, before=24)
    para(doc, "日期：　　　　年　　月　　日", size=14, align="left", line=24)
    save(doc, OUT / name)


# --- 附件2 ---------------------------------------------------------------------------------


def application_form() -> None:
    doc = new_document("“无废细胞”评估申报表")
    page_numbers(doc.sections[0])
    para(doc, "附件2", font=H1, align="left")
    doc_title(doc, "赣州市“无废细胞”评估申报表", after=6)
    para(doc, "申报单位（盖章）：{{ unit.name }}", size=14, align="left", line=22)
    para(doc, "日期：{{ application.date }}", size=14, align="left", line=22, after=6)
    t = table(doc, [20, 28, 32, 26, 50], 9)
    for row in t.rows:
        row_height(row, 10)
    c = [row.cells for row in t.rows]
    cell_text(c[0][0].merge(c[0][1]), "建设申报类型", size=T4)
    cell_text(c[0][2].merge(c[0][4]), "{{ application.type }}", size=T4, align="left")
    cell_text(c[1][0].merge(c[6][0]), "单位基本情况", size=T4)
    for r, (label, value) in enumerate([("单位全称", "unit.name"), ("详细地址", "unit.address")], start=1):
        cell_text(c[r][1], label, size=T4)
        cell_text(c[r][2].merge(c[r][4]), v(value), size=T4, align="left")
    pairs = [
        (3, "占地面积", "{{ unit.area }} 平方米", "单位规模（职工、学生人数等）", "{{ unit.staff }} 人"),
        (4, "负责人姓名", "{{ unit.head_name }}", "联系方式", "{{ unit.head_phone }}"),
    ]
    for r, l1, v1, l2, v2 in pairs:
        cell_text(c[r][1], l1, size=T4)
        cell_text(c[r][2], v1, size=T4, align="left")
        cell_text(c[r][3], l2, size=T4)
        cell_text(c[r][4], v2, size=T4, align="left")
    cell_text(c[5][1].merge(c[6][1]), "联系人姓名", size=T4)
    cell_text(c[5][2].merge(c[6][2]), "{{ unit.contact_name }}", size=T4, align="left")
    cell_text(c[5][3], "手机号码", size=T4)
    cell_text(c[5][4], "{{ unit.contact_mobile }}", size=T4, align="left")
    cell_text(c[6][3], "电子邮箱", size=T4)
    cell_text(c[6][4], "{{ unit.contact_email }}", size=T4, align="left")
    cell_text(c[7][0].merge(c[7][1]), "主要工作（支撑材料另附件）", size=T4)
    cell_text(c[7][2].merge(c[7][4]), "{{ application.summary }}", size=T4, align="left", valign="top", line=18)
    row_height(t.rows[7], 50)
    cell_text(c[8][0].merge(c[8][1]), "打分结果", size=T4)
    result = c[8][2].merge(c[8][4])
    score = "{{ score.kind }}得分：{{ score.total }}分（基本分{{ score.base }}＋附加分{{ score.bonus }}）"
    cell_text(result, score, size=T4, align="left", valign="top", line=20)
    cell_para(result, "结论：{{ score.verdict_text }}", size=T4, align="left", line=20)
    cell_para(result, "（盖章）", size=T4, align="right", line=30)
    cell_para(result, "年　　月　　日", size=T4, align="right", line=24)
    row_height(t.rows[8], 28)
    save(doc, OUT / "申报表.docx")


# --- county: 推荐名单 and 推荐函 ------------------------------------------------------------


def _landscape(section) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(28), Mm(26)
    section.left_margin, section.right_margin = Mm(37), Mm(35)


LIST_COLUMNS = [
    ("序号", 9, "e.no"),
    ("单位名称", 48, "e.name"),
    ("统一社会信用代码", 44, "e.uscc"),
    ("所在县区", 16, "e.county"),
    ("自评分", 13, "e.self_total"),
    ("核定分", 13, "e.evaluated_total"),
    ("结论", 13, "e.verdict"),
    ("验收日期", 24, "e.evaluated"),
]


def _entry_table(doc, loop: str, last: tuple[str, float, str]) -> None:
    columns = [*LIST_COLUMNS, last]
    t = table(doc, [w for _, w, _ in columns], 4, margin=1)
    header_row(t, [label for label, _, _ in columns], size=9)
    loop_row(t, 1, "{%tr for e in " + loop + " %}")
    cant_split(t.rows[2])
    style = _list_cell_style(doc)
    for cell, (_, _, expr) in zip(t.rows[2].cells, columns, strict=True):
        cell_styled(cell, v(expr), style, align="left" if expr in ("e.name", "e.opinion", "e.reason") else "center")
    loop_row(t, 3, "{%tr endfor %}")


def _list_cell_style(doc):
    try:
        return doc.styles["List Cell"]
    except KeyError:
        return cell_style(doc, "List Cell", size=9)


def recommendation_list() -> None:
    doc = new_document("“无废工厂”推荐名单")
    _landscape(doc.sections[0])
    page_numbers(doc.sections[0])
    doc_title(doc, "{{ doc.county }}“无废工厂”推荐名单", after=4)
    para(doc, "{{ doc.subtitle }}", font=H2, size=14, align="center", line=24, after=8)
    _entry_table(doc, "recommended", ("意见", 45, "e.opinion"))
    tag(doc, "{%p if not recommended %}")
    para(doc, "（本次无推荐单位）", size=T4, align="center", line=24)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if others %}")
    para(doc, "未推荐单位", font=H1, size=14, align="left", line=28, before=12, keep_next=True)
    _entry_table(doc, "others", ("未推荐原因", 45, "e.reason"))
    tag(doc, "{%p endif %}")
    para(doc, "评估单位：{{ doc.evaluators }}", size=14, align="left", line=24, before=18)
    para(doc, "{{ doc.issuer }}（盖章）　　　　{{ doc.date_text }}", size=14, align="right", line=24, before=18)
    save(doc, OUT / "推荐名单.docx")


def recommendation_letter() -> None:
    doc = new_document("推荐函")
    page_numbers(doc.sections[0])
    doc_title(doc, "关于推荐{{ doc.county }}“无废工厂”创建单位的函", before=12, after=24)
    para(doc, "{{ doc.recipient }}：", align="left")
    body(doc, "{{ doc.opening }}")
    tag(doc, "{%p for e in recommended %}")
    body(
        doc, "{{ e.no }}. {{ e.name }}（统一社会信用代码：{{ e.uscc }}），核定分 {{ e.evaluated_total }} 分{{ e.end }}"
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if doc.others_sentence %}")
    body(doc, "{{ doc.others_sentence }}")
    tag(doc, "{%p endif %}")
    body(doc, "相关申报材料电子版随函报送，请予审核。")
    tag(doc, "{%p if doc.contact %}")
    body(doc, "{{ doc.contact }}")
    tag(doc, "{%p endif %}")
    para(doc, "附件：1. {{ doc.county }}“无废工厂”推荐名单", align="left", left=0, before=16)
    para(doc, "2. 推荐企业申报材料（电子版）", align="left", left=16)
    para(doc, "{{ doc.issuer }}", align="right", before=48)
    para(doc, "（盖章）", align="right")
    para(doc, "{{ doc.date_text }}", align="right")
    save(doc, OUT / "推荐函.docx")


# --- 修改说明 (written with every corrected version) ---------------------------------------------


def revision_note() -> None:
    doc = new_document("修改说明")
    page_numbers(doc.sections[0])
    doc_title(doc, "修改说明", after=12)
    tag(doc, "{%p for line in intro %}")
    body(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for s in sections %}")
    heading1(doc, "{{ s.head }}", before=12)
    tag(doc, "{%p for line in s.lines %}")
    body(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if s.rows %}")
    t = table(doc, [64, 46, 46], 4)
    for k, cell in enumerate(t.rows[0].cells):
        cell_text(cell, v(f"s.header[{k}]"), size=T4, font=BODY, bold=True)
    repeat_header(t.rows[0])
    loop_row(t, 1, "{%tr for r in s.rows %}")
    cant_split(t.rows[2])
    for cell, field in zip(t.rows[2].cells, ("r.label", "r.old", "r.new"), strict=True):
        cell_text(cell, v(field), size=T4, font=BODY, align="left" if field == "r.label" else "center")
    loop_row(t, 3, "{%tr endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    save(doc, OUT / "修改说明.docx")


# --- city: 建设单位名单, 报送函, 抽查通知 (wufei city publish / spotcheck) -------------------------------
# Numbers and sentences that depend on the data come from wufei_docs/city/documents.py; fixed wording is here.

CITY_TABLE = 12  # 仿宋 小四
CITY_LINE = 28  # the body's exact line height (about 22 lines a page)


def city_document(kind: str):
    """A new city document whose file properties name it and its issuer (tags in docProps/core.xml, rendered
    like the body)."""
    doc = new_document(kind)
    props = doc.core_properties
    props.title = "{{ doc.title }}"
    props.author = props.last_modified_by = "{{ doc.issuer }}"
    page_numbers(doc.sections[0])
    return doc


def city_title(doc, first: str, *more: str) -> None:
    """方正小标宋简体 二号, centred, a blank line below; each of `more` after a manual line break (a long title
    breaks where it reads well, not wherever the line is full)."""
    p = para(doc, first, font=TITLE, size=22, align="center", line=35, after=CITY_LINE, style="Title")
    for line in more:
        r = run(p, "", font=TITLE, size=22)
        r.add_break()
        r.add_text(line)


# An 18-character USCC in 小四 is 42 mm in Times New Roman and up to 53 mm in the wider fonts that stand in
# for it where it is missing (DejaVu Serif on a Linux PC): its column is 56 mm, 54 mm inside the 1 mm padding.
USCC_MM = 56


def city_table(doc, columns, loop: str) -> None:
    """A bordered table in 仿宋 小四 with narrow cell padding (the 18-character USCC stays on one line): a bold
    header row repeated on every page, and one row per item of `loop`. `columns`: (header, width mm, field,
    align)."""
    t = table(doc, [w for _, w, _, _ in columns], 4, margin=1)
    for cell, (label, _, _, _) in zip(t.rows[0].cells, columns, strict=True):
        cell_text(cell, label, size=CITY_TABLE, font=TABLE, bold=True)
    repeat_header(t.rows[0])
    loop_row(t, 1, "{%tr for u in " + loop + " %}")
    cant_split(t.rows[2])
    for cell, (_, _, field, align) in zip(t.rows[2].cells, columns, strict=True):
        cell_text(cell, v("u." + field), size=CITY_TABLE, font=TABLE, align=align)
    loop_row(t, 3, "{%tr endfor %}")


def city_signature(doc) -> None:
    para(doc)
    para(doc, "{{ doc.issuer }}", align="right", right_chars=2)
    para(doc, "{{ doc.date_text }}", align="right", right_chars=2)


def city_list() -> None:
    doc = city_document("“无废城市细胞”建设单位名单")
    city_title(doc, "{{ doc.title_head }}", "（第{{ doc.batch }}批）")
    columns = [
        ("序号", 11, "seq", "center"),
        ("单位名称", 34, "name", "left"),
        ("统一社会信用代码", USCC_MM, "uscc", "center"),
        ("所在县区", 20, "county", "center"),  # 4 characters: one line in 20 mm (“（市、区）” broke into three)
        ("类型", 19, "type", "center"),
        ("核定分", 16, "evaluated_total", "center"),
    ]  # 156 mm: the text width between the margins
    city_table(doc, columns, "units")
    para(doc)
    para(doc, "共{{ doc.count }}家。")
    save(doc, OUT / "建设单位名单.docx")


def city_letter() -> None:
    doc = city_document("评估结果报送函")
    city_title(doc, "{{ doc.title }}")
    para(doc, "{{ doc.recipient }}：")
    body(doc, "根据《赣州市“无废工厂”创建实施方案》有关要求，{{ doc.evaluated_by }}会同当地生态环境部门对申报企业"
         "开展了验收评估，并将推荐名单和相关申报材料报送我局。经汇总审核，现将第{{ doc.batch }}批评估结果报送如下：")  # fmt: skip
    heading1(doc, "一、评估情况")
    body(doc, "{{ doc.summary }}")
    city_table(doc, [("序号", 20, "no", "center"), ("县（市、区）", 80, "county", "center"),
                     ("推荐单位数", 56, "units", "center")], "counties")  # fmt: skip
    heading1(doc, "二、评估结果")
    body(doc, "{{ doc.results_intro }}")
    columns = [
        ("序号", 12, "seq", "center"),
        ("单位名称", 50, "name", "left"),
        ("所在县（市、区）", 26, "county", "center"),
        ("自评分", 22, "self_total", "center"),
        ("核定分", 22, "evaluated_total", "center"),
        ("评估结论", 24, "verdict", "center"),
    ]
    city_table(doc, columns, "units")
    heading1(doc, "三、创建进展")
    body(doc, "{{ doc.progress }}")
    body(doc, "建议按程序发布{{ doc.list_title }}。")
    body(doc, "特此函告。")
    para(doc)
    body(doc, "附件：{{ doc.list_title }}")
    city_signature(doc)
    save(doc, OUT / "报送函.docx")


def city_notice() -> None:
    doc = city_document("抽查通知")
    city_title(doc, "{{ doc.title }}")
    para(doc, "{{ doc.addressees }}工信部门：")
    body(doc, "根据《赣州市“无废工厂”创建实施方案》“监督管理”有关要求，按照{{ doc.recipient }}工作安排，我局决定对"
         "已公布的“无废工厂”开展第{{ doc.check }}次抽查。现将有关事项通知如下：")  # fmt: skip
    heading1(doc, "一、抽查对象")
    body(doc, "{{ doc.selection }}")
    columns = [
        ("序号", 11, "seq", "center"),
        ("单位名称", 43, "name", "left"),
        ("统一社会信用代码", USCC_MM, "uscc", "center"),
        ("所在县（市、区）", 24, "county", "center"),
        ("公布批次", 22, "batch", "center"),
    ]
    city_table(doc, columns, "units")
    heading1(doc, "二、抽查内容")
    body(doc, "对照《赣州市“无废工厂”评价指标》，重点核查硬性指标（合规性要求）落实情况、工业固体废物产生及"
         "利用处置台账、危险废物规范化管理情况和申报材料的真实性。")  # fmt: skip
    heading1(doc, "三、工作要求")
    body(doc, "请有关县（市、区）工信部门及时通知被抽查单位做好准备，配合现场核查，如实提供相关资料。"
         "对抽查不合格的单位，将要求其重新开展创建；存在严重违法违规或出现重大事故的，实行摘牌处理。")  # fmt: skip
    city_signature(doc)
    save(doc, OUT / "抽查通知.docx")


def main() -> None:
    report()
    rubric_sheet(evaluated=False)
    rubric_sheet(evaluated=True)
    application_form()
    recommendation_list()
    recommendation_letter()
    revision_note()
    city_list()
    city_letter()
    city_notice()
    for path in sorted(OUT.glob("*.docx")):
        print(f"{path.relative_to(OUT.parent)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
