"""Issue 14: the county's documents state only what is true. A mixed folder — one evaluated enterprise of
this county (recommended), one of another county (evaluated there, and failing), one not evaluated, one
vetoed — and every count and sentence of 推荐函, 推荐名单 (.docx/.xlsx), 汇总.txt and bundle.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.conftest import dump_yaml, variant
from wufei_docs._samples import uscc_for

OWN, FOREIGN, UNEVALUATED, VETOED = (uscc_for(i) for i in (201, 202, 203, 204))
LOW = {f"items.{i}.score": 0 for i in ("F1.1", "F2.1", "A4.1", "B1.1", "A1.1", "A1.2")}


def write_folder(tmp_path: Path, contact: dict[str, str] | None) -> tuple[Path, Path]:
    src = tmp_path / "收件"
    src.mkdir()
    files = {
        "a.yaml": variant(**{"unit.uscc": OWN, "unit.name": "赣州本县材料有限公司"}),
        "b.yaml": variant(
            **{"unit.uscc": FOREIGN, "unit.name": "南康外县家具有限公司", "unit.county": "南康区", **LOW}
        ),
        "c.yaml": variant(**{"unit.uscc": UNEVALUATED, "unit.name": "赣州未评估科技有限公司"}),
        "d.yaml": variant(
            **{"unit.uscc": VETOED, "unit.name": "赣州否决化工有限公司", "compliance.H2": {"met": False}}
        ),
    }
    for name, data in files.items():
        (src / name).write_text(dump_yaml(data), "utf-8")
    evaluation: dict[str, Any] = {
        "format": "wufei/evaluation-1",
        "county": "章贡区",
        "evaluators": ["章贡区工业和信息化局", "章贡区生态环境局"],
        "enterprises": {
            OWN: {"received": "2025-03-01", "evaluated": "2025-03-10", "opinion": "同意推荐"},
            FOREIGN: {"received": "2025-03-02", "evaluated": "2025-03-11"},
            VETOED: {"received": "2025-03-03", "evaluated": "2025-03-12", "opinion": "H2 不满足"},
        },
    }
    if contact is not None:
        evaluation["contact"] = contact
    ev = tmp_path / "evaluation.yaml"
    ev.write_text(dump_yaml(evaluation), "utf-8")
    return src, ev


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in Document(path).paragraphs if p.text.strip()]


@pytest.fixture
def bundled(cli, tmp_path: Path) -> Path:
    src, ev = write_folder(tmp_path, {"name": "刘某某", "phone": "0797-8999999"})
    out = tmp_path / "out"
    r = cli("bundle", src, "--evaluation", ev, "-o", out)
    assert r.exit_code == 0, r.output
    return out


def test_counts_come_from_bundle_json_and_count_only_this_county(bundled: Path) -> None:
    data = json.loads((bundled / "bundle.json").read_text("utf-8"))
    own = [e for e in data["enterprises"] if e["county"] == data["county"]]
    received = sum(1 for e in own if e["received"])
    evaluated = sum(1 for e in own if e["evaluated_total"] is not None)
    recommended = [e["uscc"] for e in data["enterprises"] if e["recommended"]]
    assert (len(own), received, evaluated, recommended) == (3, 2, 2, [OWN])  # the 南康区 one is not counted
    foreign = next(e for e in data["enterprises"] if e["uscc"] == FOREIGN)
    assert foreign["recommended"] is False
    assert foreign["reason"].startswith("属南康区，非本县（市、区）企业；核定分 ")
    assert foreign["reason"].endswith(" 低于 90 分")

    letter = paragraphs(bundled / "推荐函.docx")
    opening = next(p for p in letter if p.startswith("根据"))
    assert f"对辖区内受理的 {evaluated} 家企业进行了验收评估。" in opening
    assert "经评估，以下 1 家企业硬性指标全部满足、核定分不低于 90 分，达到创建要求，现予推荐：" in opening
    assert "均" not in opening  # one unit
    listing = paragraphs(bundled / "推荐名单.docx")
    assert f"（共受理 {received} 家，验收评估 {evaluated} 家，推荐 {len(recommended)} 家）" in listing
    summary = (bundled / "汇总.txt").read_text("utf-8").splitlines()
    assert summary[1] == (
        "企业文件 4 个：本县（市、区）企业 3 家，受理 2 家，验收评估 2 家，推荐 1 家；"
        "非本县（市、区）企业 1 家，不予推荐。"
    )


def test_letter_sentences(bundled: Path) -> None:
    letter = paragraphs(bundled / "推荐函.docx")
    assert letter[0] == "关于推荐章贡区“无废工厂”创建单位的函"
    assert letter[2] == (
        "根据《赣州市“无废工厂”创建实施方案》要求，我局会同章贡区生态环境局，对照《赣州市“无废工厂”评价指标》，"
        "对辖区内受理的 2 家企业进行了验收评估。经评估，以下 1 家企业硬性指标全部满足、核定分不低于 90 分，"
        "达到创建要求，现予推荐："
    )
    assert letter[3] == f"1. 赣州本县材料有限公司（统一社会信用代码：{OWN}），核定分 105 分。"
    assert letter[4] == (
        "另有 2 家辖区内企业未达到创建要求或未完成验收评估，暂不推荐；1 家企业不属本县（市、区），不予推荐。"
        "未推荐原因见推荐名单。"
    )
    assert "联系人：刘某某　　联系电话：0797-8999999" in letter
    assert letter[-3:] == ["章贡区工业和信息化局", "（盖章）", "2025年3月12日"]  # the first evaluator's full name
    assert not any(p.rstrip().endswith("；") for p in letter)


def test_every_reason_of_every_enterprise_not_recommended(bundled: Path) -> None:
    ws = load_workbook(bundled / "推荐名单.xlsx")["未推荐"]
    headers = [c.value for c in ws[2]]
    rows = {r[headers.index("统一社会信用代码")]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    reason = {k: r[headers.index("未推荐原因")] for k, r in rows.items()}
    assert reason[UNEVALUATED] == "未验收评估"
    assert reason[VETOED] == "否决（硬性指标 H2 不满足）"
    assert reason[FOREIGN].startswith("属南康区，非本县（市、区）企业；核定分 ")
    assert set(reason) == {UNEVALUATED, VETOED, FOREIGN}
    ws = load_workbook(bundled / "推荐名单.xlsx")["推荐名单"]
    assert [r[2] for r in ws.iter_rows(min_row=3, values_only=True)] == [OWN]
    table = Document(bundled / "推荐名单.docx").tables[1]
    shown = {row.cells[2].text: row.cells[-1].text for row in table.rows[1:]}
    assert shown == reason
    summary = (bundled / "汇总.txt").read_text("utf-8")
    for uscc, text in reason.items():
        assert f"：{text}" in summary, uscc


def test_not_evaluated_foreign_failing_enterprise_has_all_its_reasons(cli, tmp_path: Path) -> None:
    src, ev = write_folder(tmp_path, None)
    data = dump_yaml(variant(**{"unit.uscc": uscc_for(205), "unit.name": "南康未评估有限公司",
                                "unit.county": "南康区", **LOW}))  # fmt: skip
    (src / "e.yaml").write_text(data, "utf-8")
    out = tmp_path / "out"
    assert cli("bundle", src, "--evaluation", ev, "-o", out).exit_code == 0
    entries = json.loads((out / "bundle.json").read_text("utf-8"))["enterprises"]
    reason = next(e["reason"] for e in entries if e["uscc"] == uscc_for(205))
    assert reason.startswith("属南康区，非本县（市、区）企业；未验收评估；自评分 ") and reason.endswith(" 低于 90 分")


def test_without_a_contact_the_line_is_left_out(cli, tmp_path: Path) -> None:
    src, ev = write_folder(tmp_path, None)
    out = tmp_path / "out"
    assert cli("bundle", src, "--evaluation", ev, "-o", out).exit_code == 0
    letter = paragraphs(out / "推荐函.docx")
    assert not any("联系人" in p or "联系电话" in p for p in letter)
    assert "相关申报材料电子版随函报送，请予审核。" in letter


@pytest.mark.parametrize(
    ("received", "evaluated", "recommended", "expected"),
    [
        (2, 2, 2, "对辖区内受理的 2 家企业进行了验收评估。经评估，以下 2 家企业硬性指标全部满足、核定分均不低于 90 分"),
        (
            3,
            2,
            1,
            "共受理辖区内企业申报 3 家，对其中 2 家企业进行了验收评估。经评估，以下 1 家企业硬性指标全部满足、核定分不低于",
        ),
        (1, 2, 0, "共受理辖区内企业申报 1 家，对辖区内 2 家企业进行了验收评估。经评估，本次暂无企业达到创建要求。"),
        (2, 0, 0, "共受理辖区内企业申报 2 家，尚未完成验收评估。本次暂无推荐的企业。"),
    ],
)
def test_opening_counts_read_as_written(received: int, evaluated: int, recommended: int, expected: str) -> None:
    from wufei_docs.county.documents import Counts, _opening, _others_sentence

    counts = Counts(files=4, own=3, received=received, evaluated=evaluated, recommended=recommended, foreign=1,
                    failed=0)  # fmt: skip
    assert expected in _opening(counts, [])
    others = _others_sentence(counts)
    assert others.startswith("另有 ") == bool(recommended)
    assert f"{3 - recommended} 家辖区内企业" in others and "1 家企业不属本县（市、区）" in others
    assert not others.endswith("；") and others.endswith("。")
