"""Deterministic sample enterprises and evaluations (for benchmarks, demos and tests).

`sample_enterprise(i)` varies names, counties, roles, waste data and scores from a seed, and always
produces a valid file with every optional field filled; the verdict mix (达标 / 未达标 / 否决) follows from
the numbers. render/samples.py turns sample 0 into
the view model `wufei templates check` renders.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from wufei_docs.scoring.rubric import load_rubric

_PREFIX = ("华鑫", "金岭", "章江", "贡江", "虔城", "宋城", "赣南", "客家", "钨都", "红都")
_TRADE = (
    ("稀土新材料", "C3240", "有色金属合金制造", "钕铁硼永磁材料"),
    ("家具制造", "C2110", "木质家具制造", "实木家具"),
    ("钨业", "C3232", "钨钼冶炼", "仲钨酸铵"),
    ("电子科技", "C3982", "电子电路制造", "印制电路板"),
    ("食品", "C1490", "其他未列明食品制造", "脐橙果汁"),
    ("新能源", "C3841", "锂离子电池制造", "锂离子电池"),
)
_WASTE = (
    ("废矿物油", "hazardous", "900-249-08", "设备检修", "焚烧处置"),
    ("废活性炭", "hazardous", "900-039-49", "废气治理", "焚烧处置"),
    ("废包装桶", "hazardous", "900-041-49", "原料使用", "清洗再利用"),
    ("边角料", "general", None, "机加工", "回炉再利用"),
    ("废纸箱", "general", None, "拆包", "再生利用"),
)


def uscc_for(i: int, region: str = "360702") -> str:
    """A valid 统一社会信用代码 derived from i (check digit computed, so it validates)."""
    from wufei_docs._uscc import ALPHABET, check_digit

    body = "".join(ALPHABET[(i // 31**k) % 31] for k in range(9))[::-1]
    code = f"91{region}{body}"
    return code + check_digit(code)


def sample_enterprise(i: int, *, county: str | None = None, seed: int = 0) -> dict[str, Any]:
    rubric = load_rubric("ganzhou-2023")
    rnd = random.Random(seed * 1_000_003 + i)
    trade, code, industry, product = _TRADE[i % len(_TRADE)]
    county = county or rubric.counties[i % len(rubric.counties)]
    name = f"赣州{_PREFIX[i % len(_PREFIX)]}{trade}有限公司（{i + 1}号厂区）"
    output = rnd.randint(3000, 90000)
    general, hazardous = rnd.randint(300, 8000), rnd.randint(5, 300)
    streams = _streams(rnd, general, hazardous)
    items = {
        it.id: {"score": _claim(rnd, it.max), "note": f"{it.title}：已落实。", "evidence": ["E01"]}
        for it in rubric.items
    }
    return {
        "format": "wufei/enterprise-1",
        "rubric": rubric.id,
        "unit": {
            "name": name,
            "uscc": uscc_for(i),
            "address": f"江西省赣州市{county}工业园{i + 1}号",
            "county": county,
            "area_m2": rnd.randint(5000, 200000),
            "staff": rnd.randint(30, 2000),
            "head": {"name": "王某某", "phone": "0797-8888888"},
            "contact": {"name": "李某某", "mobile": f"139{i % 100000000:08d}", "email": f"contact{i}@example.com"},
            "roles": ["producer"],
            "soil_key_unit": i % 3 == 0,
            "industry": {"code": code, "name": industry},
            "legal_rep": "张某某",
            "ownership": "民营",
            "founded": f"{2000 + i % 20}-05-20",
            "postcode": "341000",
            "products": product,
            "profile": f"公司主要生产{product}。\n通过 ISO 14001 环境管理体系认证。",
        },
        "application": {
            "type": "无废工厂",
            "date": "2025-03-01",
            "summary": "一是健全组织。\n二是源头减量。\n三是规范管理。",
        },
        "compliance": {"H1": {"met": True, "note": "近三年无重大事故"}, "H2": {"met": i % 17 != 5}},
        "waste": {
            "years": {
                2023: {"output_value": output, "general_t": general, "hazardous_t": hazardous},
                2024: {
                    "output_value": round(output * rnd.uniform(0.95, 1.15)),
                    "general_t": sum(s["generated_t"] for s in streams if s["kind"] == "general"),
                    "hazardous_t": sum(s["generated_t"] for s in streams if s["kind"] == "hazardous"),
                },
            },
            "streams": streams,
            "manifests": {"total": 20 + i % 30, "electronic": 20 + i % 30},
        },
        "items": items,
        "evidence": [{"id": "E01", "title": "创建工作实施方案"}],  # listed by title: samples carry no files
    }


def _streams(rnd: random.Random, general: int, hazardous: int) -> list[dict[str, Any]]:
    out = []
    for name, kind, code, node, method in _WASTE:
        total = hazardous if kind == "hazardous" else general
        generated = round(total / 3 if kind == "hazardous" else total / 2, 1)
        stored = round(generated * rnd.choice((0, 0, 0.02)), 1)
        stream = {"name": name, "kind": kind, "node": node, "generated_t": generated, "utilized_t": 0.0,
                  "disposed_t": round(generated - stored, 1), "stored_t": stored,
                  "destination": "江西某某环保科技有限公司", "method": method}  # fmt: skip
        if code:
            stream["code"] = code
        out.append(stream)
    return out


def _claim(rnd: random.Random, maximum: float) -> float:
    # Mostly full marks, sometimes half a point or more off: totals spread around the threshold.
    r = rnd.random()
    if r < 0.72:
        return maximum
    if r < 0.92:
        return max(0.0, maximum - 0.5)
    return float(int(maximum / 2))


def sample_evaluation(enterprises: list[dict[str, Any]], county: str, *, seed: int = 0) -> dict[str, Any]:
    """A county evaluation: most evaluated within 15 days, a few 核定分 corrections."""
    rnd = random.Random(seed)
    entries = {}
    for i, e in enumerate(enterprises):
        scores = {"A4.1": 6.0} if i % 7 == 3 else {}
        entries[e["unit"]["uscc"]] = {
            "received": "2025-03-01",
            "evaluated": f"2025-03-{rnd.randint(5, 14):02d}",
            "scores": scores,
            "opinion": "同意推荐" if not scores else "部分材料不全，核减分值",
        }
    return {"format": "wufei/evaluation-1", "county": county, "evaluators": [f"{county}工信局", f"{county}生态环境局"],
            "enterprises": entries}  # fmt: skip


def write_samples(folder: Path, n: int, *, county: str = "章贡区", seed: int = 0) -> tuple[list[Path], Path]:
    """Write n enterprise YAML files and an evaluation.yaml into `folder`; returns (files, evaluation)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    folder.mkdir(parents=True, exist_ok=True)
    enterprises = [sample_enterprise(i, county=county, seed=seed) for i in range(n)]
    paths = []
    for i, data in enumerate(enterprises):
        path = folder / f"{i + 1:04d}.yaml"
        with path.open("w", encoding="utf-8") as f:
            yaml.dump(data, f)
        paths.append(path)
    evaluation = folder.parent / f"{folder.name}-evaluation.yaml"
    with evaluation.open("w", encoding="utf-8") as f:
        yaml.dump(sample_evaluation(enterprises, county, seed=seed), f)
    return paths, evaluation
