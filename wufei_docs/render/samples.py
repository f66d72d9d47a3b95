"""The data `wufei templates check` renders each template with: shaped exactly like what the template gets
in a real run (tests/test_layout.py compares the county sample's keys with a real bundle's view)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from wufei_docs._samples import sample_enterprise
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


def sample_city_context(template: str) -> dict[str, Any]:
    """A city document's view (city/documents.py: list_view, letter_view, notice_view) of two units in two
    counties."""
    return copy.deepcopy(_CITY[template])


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
        "subtitle": "（共受理 2 家，验收评估 2 家，推荐 1 家）",
        "opening": "根据《赣州市“无废工厂”创建实施方案》要求，我局会同章贡区生态环境局，对照《赣州市“无废工厂”评价指标》，"
        "对辖区内受理的 2 家企业进行了验收评估。经评估，以下 1 家企业硬性指标全部满足、核定分不低于 90 分，达到创建要求，现予推荐：",
        "others_sentence": "另有 1 家辖区内企业未达到创建要求或未完成验收评估，暂不推荐。未推荐原因见推荐名单。",
        "contact": "联系人：刘某某　　联系电话：0797-8999999",
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
            "end": "。",
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

_CITY: dict[str, dict[str, Any]] = {
    "建设单位名单.docx": {
        "doc": {
            "issuer": "赣州市工业和信息化局",
            "date_text": "2025年4月10日",
            "title": "赣州市“无废城市细胞”建设单位名单（第1批）",
            "title_head": "赣州市“无废城市细胞”建设单位名单",
            "batch": 1,
            "count": 2,
        },
        "units": [
            {
                "seq": 1,
                "name": "赣州示例材料有限公司",
                "uscc": "91360702MA35L0AB16",
                "county": "章贡区",
                "type": "无废工厂",
                "evaluated_total": "98",
            },
            {
                "seq": 2,
                "name": "赣州示例制造有限公司",
                "uscc": "91360703MA38K2XP3H",
                "county": "南康区",
                "type": "无废工厂",
                "evaluated_total": "92.5",
            },
        ],
    },
    "报送函.docx": {
        "doc": {
            "issuer": "赣州市工业和信息化局",
            "date_text": "2025年4月10日",
            "title": "关于报送第1批“无废工厂”评估结果的函",
            "batch": 1,
            "recipient": "市“无废城市”建设工作领导小组办公室",
            "summary": "本批共汇总2个县（市、区）推荐的2家企业，核定分在92.5—98分之间，均达到90分的达标基准分。",
            "results_intro": "各单位自评分、核定分及评估结论如下：",
            "evaluated_by": "各县（市、区）工信部门",
            "progress": "截至2025年4月10日，全市累计公布“无废工厂”2家（含本批2家），为到2025年创建12家目标的16.7%，尚差10家。申报截止日期为2025年6月30日，距截止还有81天。",
            "list_title": "赣州市“无废城市细胞”建设单位名单（第1批）",
        },
        "counties": [{"no": 1, "county": "章贡区", "units": 1}, {"no": 2, "county": "南康区", "units": 1}],
        "units": [
            {
                "seq": 1,
                "name": "赣州示例材料有限公司",
                "county": "章贡区",
                "self_total": "100",
                "evaluated_total": "98",
                "verdict": "达标",
            },
            {
                "seq": 2,
                "name": "赣州示例制造有限公司",
                "county": "南康区",
                "self_total": "95",
                "evaluated_total": "92.5",
                "verdict": "达标",
            },
        ],
    },
    "抽查通知.docx": {
        "doc": {
            "issuer": "赣州市工业和信息化局",
            "date_text": "2025年4月10日",
            "title": "关于开展“无废工厂”抽查工作的通知",
            "addressees": "章贡区",
            "recipient": "市“无废城市”建设工作领导小组办公室",
            "check": 1,
            "selection": "从已公布的2家“无废工厂”中随机抽取1家（按统一社会信用代码排序，随机数种子7，抽取结果可复核），具体如下：",
        },
        "units": [
            {
                "seq": 1,
                "name": "赣州示例材料有限公司",
                "uscc": "91360702MA35L0AB16",
                "county": "章贡区",
                "batch": "第1批",
            }
        ],
    },
}
