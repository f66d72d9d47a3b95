"""The data `wufei templates check` renders each template with: shaped exactly like what the template gets
in a real run (tests/test_layout.py compares the county sample's keys with a real bundle's view)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from wufei_docs.samples import sample_enterprise
from wufei_docs.scoring.rubric import load_rubric


@cache
def _context() -> dict[str, Any]:
    from wufei_docs.model import Enterprise
    from wufei_docs.render.view import view_model
    from wufei_docs.scoring.score import score

    enterprise = Enterprise.model_validate(sample_enterprise(0))
    rubric = load_rubric(enterprise.rubric)
    result = score(enterprise, rubric)
    return view_model(enterprise, result, rubric, self_result=result)


def sample_context() -> dict[str, Any]:
    """A fresh copy of an enterprise's complete view model (templates cannot mutate the cached one)."""
    return copy.deepcopy(_context())


def sample_county_context() -> dict[str, Any]:
    """A county's view (bundle/documents.county_view) of one recommended and one not recommended unit."""
    return copy.deepcopy(_COUNTY)


_COUNTY: dict[str, Any] = {
    "doc": {
        "county": "章贡区",
        "issuer": "章贡区工信局",
        "recipient": "赣州市工业和信息化局",
        "evaluators": "章贡区工信局、章贡区生态环境局",
        "date_text": "2025年3月12日",
        "subtitle": "（共受理 2 家，推荐 1 家）",
        "opening": "根据《赣州市“无废工厂”创建实施方案》要求，我局会同章贡区生态环境局，对照《赣州市“无废工厂”评价指标》，对辖区内申报的 2 家企业进行了验收评估。经评估，1 "
        "家企业硬性指标全部满足、核定分不低于 90 分，达到创建要求，现推荐如下：",
        "others_sentence": "另有 1 家企业未达到要求或材料不全，暂不推荐（原因见推荐名单）。",
    },
    "recommended": [
        {
            "no": 1,
            "name": "赣州示例材料有限公司",
            "uscc": "91360702MA35L0AB16",
            "county": "章贡区",
            "self_total": "100",
            "evaluated_total": "98",
            "verdict": "推荐",
            "evaluated": "2025-03-12",
            "opinion": "同意推荐",
            "reason": "",
        }
    ],
    "others": [
        {
            "no": 1,
            "name": "赣州示例制造有限公司",
            "uscc": "91360703MA38K2XP3H",
            "county": "章贡区",
            "self_total": "92",
            "evaluated_total": "86.5",
            "verdict": "未达标",
            "evaluated": "2025-03-12",
            "opinion": "核减 A4.1",
            "reason": "核定分 86.5 低于 90 分",
        }
    ],
}
