"""The 修改说明: every changed field (old → new, Chinese label) and score, as .txt and as a 公文-style .docx."""

from __future__ import annotations

import io
from typing import Any

from tests.conftest import variant
from tests.packages import make_package
from wufei_docs.package.revisions import Change, Changes, Revision, compare, label, note_docx, note_text, show


def changes(**edits: Any) -> Changes:
    return compare(make_package(variant()).extra, make_package(variant(**edits)).extra)


def rows(c: Changes) -> dict[str, tuple[str, str]]:
    return {x.label: (x.old, x.new) for x in c.fields}


def test_labels_of_the_fields_a_correction_touches() -> None:
    assert label(("unit", "staff")) == "单位规模（职工人数）"
    assert label(("unit", "contact", "mobile")) == "联系人手机号码"
    assert label(("items", "A4.1", "score")) == "A4.1 自评分"
    assert label(("waste", "streams", (0, None), "generated_t")) == "固废台账第1行产生量（吨）"
    assert label(("waste", "years", "2024", "hazardous_t")) == "2024年 危险废物产生量（吨）"
    assert label(("compliance", "H2", "met")) == "硬性指标 H2 是否满足"
    assert label(("evidence", (0, "E01"), "title")) == "支撑材料清单第1行（E01）名称"
    assert label(("something", "new")) == "something.new"  # unknown fields still show their path


def test_one_score_and_one_tonnage_are_listed_with_old_and_new_values() -> None:
    c = changes(**{"items.A4.1.score": 8, "waste.streams.0.generated_t": 12.5})
    assert rows(c) == {"A4.1 自评分": ("10", "8"), "固废台账第1行（废矿物油）产生量（吨）": ("10", "12.5")}
    assert [x.path for x in c.fields] == ["waste.streams[废矿物油].generated_t", "items.A4.1.score"]
    scores = {x.label: (x.old, x.new) for x in c.scores}
    assert scores["A4.1 依法委托利用处置、核实受托方、书面合同"] == ("10", "8")
    assert scores["A4.2 工业固体废物安全处理率达100%"] == ("3", "0")  # derived from the tonnage
    assert scores["总分"] == ("105", "100") and scores["结论"] == ("达标", "达标")
    assert c.summary() == "数据变化 2 处，得分变化 2 项，总分 105 → 100，结论 达标（未变）"


def test_verdict_and_hard_items_changes() -> None:
    c = changes(**{"compliance.H1.met": False})
    assert rows(c) == {"硬性指标 H1 是否满足": ("是", "否")}
    scores = {x.label: (x.old, x.new) for x in c.scores}
    assert scores["硬性指标 H1"] == ("满足", "不满足") and scores["结论"] == ("达标", "否决")


def test_not_applicable_and_values_shown_in_chinese() -> None:
    c = changes(**{"items.B1.2": {"na": "无纸杯采购"}, "unit.roles": ["producer", "disposer"]})
    fields = rows(c)
    assert fields["B1.2 自评分"] == ("1", "（空）") and fields["B1.2 不适用理由"] == ("（空）", "无纸杯采购")
    assert fields["单位类型"] == ("固体废物产生单位", "固体废物产生单位、固体废物处置利用单位")
    assert {x.label: x.new for x in c.scores}["B1.2 减少一次性纸杯"] == "不适用"
    assert show(True) == "是" and show(0.1 + 0.2 - 0.2) == "0.1" and show(None) == "（空）"


def test_rows_added_removed_or_reordered_in_the_ledger() -> None:
    base = variant()
    streams = base["waste"]["streams"]
    extra_row = {"name": "废活性炭", "kind": "hazardous", "code": "900-039-49", "generated_t": 2, "disposed_t": 2}
    added = compare(make_package(base).extra, make_package(variant(**{"waste.streams": [*streams, extra_row]})).extra)
    (row,) = added.fields
    assert row.label == "固废台账第3行（废活性炭）" and row.old == "（空）"
    assert "名称：废活性炭" in row.new and "产生量（吨）：2" in row.new and "类别：危险废物" in row.new
    removed = compare(make_package(base).extra, make_package(variant(**{"waste.streams": streams[:1]})).extra)
    assert [(x.label, x.new) for x in removed.fields] == [("固废台账第2行（边角料）", "（删除）")]
    swapped = compare(make_package(base).extra, make_package(variant(**{"waste.streams": streams[::-1]})).extra)
    assert swapped.fields == ()  # rows are matched by name, not position


def test_long_texts_show_the_changed_part() -> None:
    text = "开展了创建工作。" * 40
    edited = text.replace("创建工作。", "创建工作，成效明显。", 1)
    old, new = (make_package(variant(**{"application.summary": t})).extra for t in (text, edited))
    ((lbl, (before, after)),) = rows(compare(old, new)).items()
    assert lbl == "主要工作" and "成效明显" in after and len(after) < 80 and after.endswith("……")
    assert before.startswith("开展了创建工作。") and len(before) < 80


def test_without_a_snapshot_the_note_says_it_cannot_compare() -> None:
    c = compare(None, make_package(variant()).extra)
    assert not c.comparable
    text = note_text(Revision("某单位", "913", 2, 1, "历史版本/1", "2025-03-05", c))
    assert "无法逐项比较" in text


def revision() -> Revision:
    return Revision(
        "赣州测试材料有限公司",
        "91360702MA35L0AB16",
        2,
        1,
        "历史版本/1",
        "2025-03-05",
        changes(**{"items.A4.1.score": 8, "unit.staff": 120}),
    )


def test_note_text_lists_fields_scores_and_where_the_old_files_are() -> None:
    text = note_text(revision())
    assert text.startswith("修改说明\n")
    assert "第 2 版（2025-03-05 生成）" in text and "历史版本/1/" in text
    assert "1. 单位规模（职工人数）：100 → 120" in text and "2. A4.1 自评分：10 → 8" in text
    assert "总分：105 → 103" in text


def test_note_docx_is_a4_with_east_asian_fonts_on_every_run_and_two_tables() -> None:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm

    doc = Document(io.BytesIO(note_docx(revision())))
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert abs(section.top_margin - Mm(37)) < Mm(1) and abs(section.left_margin - Mm(28)) < Mm(1)
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert runs and all(r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in runs)
    body = [r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert {r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in body} == {"仿宋_GB2312"}
    assert doc.paragraphs[0].text == "修改说明"
    fields, scores = ([[c.text for c in row.cells] for row in t.rows] for t in doc.tables)
    assert fields[0] == ["字段", "原值", "新值"]
    assert ["单位规模（职工人数）", "100", "120"] in fields and ["A4.1 自评分", "10", "8"] in fields
    assert scores[0] == ["项目", "原得分", "新得分"] and ["总分", "105", "103"] in scores
    assert ["结论", "达标", "达标"] in scores


def test_other_snapshot_data_is_compared_generically() -> None:
    c = compare({"lists": {"甲": 100}}, {"lists": {"甲": 98, "乙": 91}})
    assert [(x.label, x.old, x.new) for x in c.other] == [("lists.甲", "100", "98"), ("lists.乙", "（空）", "91")]
    assert Change("a", "b", "1", "1") != Change("a", "b", "1", "2")
