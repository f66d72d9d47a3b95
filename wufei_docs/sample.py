"""A small built-in sample enterprise whose view model fills every field (for `templates check`)."""

from __future__ import annotations

from functools import cache
from typing import Any

SAMPLE: dict[str, Any] = {
    "format": "wufei/enterprise-1",
    "rubric": "ganzhou-2023",
    "unit": {
        "name": "赣州示例材料有限公司",
        "uscc": "91360702MA35L0AB16",
        "address": "江西省赣州市章贡区示例路1号",
        "county": "章贡区",
        "area_m2": 10000,
        "staff": 100,
        "head": {"name": "王某", "phone": "0797-8888888"},
        "contact": {"name": "李某", "mobile": "13907970000", "email": "li@example.com"},
        "roles": ["producer"],
        "soil_key_unit": False,
        "legal_rep": "张某",
        "industry": {"code": "C3240", "name": "有色金属合金制造"},
        "ownership": "民营",
        "founded": "2008-05-20",
        "postcode": "341000",
        "products": "示例产品",
        "profile": "第一段。\n第二段。",
    },
    "application": {"type": "无废工厂", "date": "2025-03-01", "summary": "一是……\n二是……"},
    "compliance": {"H1": {"met": True, "note": "示例"}, "H2": {"met": True}},
    "waste": {
        "years": {
            2023: {"output_value": 1000, "general_t": 100, "hazardous_t": 10},
            2024: {"output_value": 1100, "general_t": 100, "hazardous_t": 10},
        },
        "streams": [
            {
                "name": "废矿物油",
                "kind": "hazardous",
                "code": "900-249-08",
                "node": "设备检修",
                "generated_t": 10,
                "disposed_t": 10,
                "destination": "某环保公司",
                "method": "焚烧",
            },
        ],
        "manifests": {"total": 5, "electronic": 5},
    },
    "items": {"A1.1": {"score": 1, "note": "示例说明", "evidence": ["E01"]}},
    "evidence": [{"id": "E01", "title": "示例材料", "file": "支撑材料/E01.pdf"}],
}


@cache
def _context() -> dict[str, Any]:
    from .model import Enterprise
    from .rubric import load_rubric
    from .scoring import score
    from .view import view_model

    enterprise = Enterprise.model_validate(SAMPLE)
    rubric = load_rubric(enterprise.rubric)
    result = score(enterprise, rubric)
    return view_model(enterprise, result, rubric, self_result=result)


def sample_context() -> dict[str, Any]:
    """A fresh copy of the sample view model (templates cannot mutate the cached one)."""
    import copy

    return copy.deepcopy(_context())
