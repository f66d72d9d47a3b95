"""Shared builders: small enterprise files written inside each test (no hidden fixtures on disk)."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from wufei_docs.cli import app
from wufei_docs.scoring.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "inputs"
RUBRIC = load_rubric("ganzhou-2023")


def full_marks() -> dict[str, Any]:
    """A valid producer enterprise with every item at its maximum (100 + 5)."""
    return {
        "format": "wufei/enterprise-1",
        "rubric": "ganzhou-2023",
        "unit": {
            "name": "赣州测试材料有限公司",
            "uscc": "91360702MA35L0AB16",
            "address": "江西省赣州市章贡区测试路1号",
            "county": "章贡区",
            "area_m2": 10000,
            "staff": 100,
            "head": {"name": "王某", "phone": "0797-8888888"},
            "contact": {"name": "李某", "mobile": "13907970000", "email": "li@example.com"},
            "roles": ["producer"],
            "soil_key_unit": True,
        },
        "application": {"type": "无废工厂", "date": "2025-03-01", "summary": "开展了创建工作。"},
        "compliance": {"H1": {"met": True}, "H2": {"met": True}},
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
                {
                    "name": "边角料",
                    "kind": "general",
                    "node": "机加工",
                    "generated_t": 100,
                    "utilized_t": 100,
                    "destination": "厂内",
                    "method": "回用",
                },
            ],
            "manifests": {"total": 5, "electronic": 5},
        },
        "items": {i.id: {"score": i.max} for i in RUBRIC.items},
        "evidence": [{"id": "E01", "title": "创建通知"}],  # listed by title: no file to check or copy
    }


def variant(**changes: Any) -> dict[str, Any]:
    """full_marks() with dotted-path changes, e.g. variant(**{"unit.staff": 0})."""
    data = copy.deepcopy(full_marks())
    for dotted, value in changes.items():
        set_path(data, dotted, value)
    return data


def set_path(data: Any, dotted: str, value: Any) -> None:
    *parents, last = _split(dotted)
    node = data
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


DELETE = object()


def _split(dotted: str) -> list[Any]:
    # "items.A1.1.score" → ["items", "A1.1", "score"]; "waste.streams.0.code" → [..., 0, "code"]
    parts: list[Any] = []
    raw = dotted.split(".")
    i = 0
    while i < len(raw):
        part = raw[i]
        if parts == ["items"] and i + 1 < len(raw) and raw[i + 1].isdigit():
            part, i = f"{part}.{raw[i + 1]}", i + 1
        elif parts[-2:] == ["waste", "years"] or parts[-1:] == ["years"] or part.isdigit():
            part = int(part)
        parts.append(part)
        i += 1
    return parts


def dump_yaml(data: Any) -> str:
    yaml = YAML()
    yaml.default_flow_style = False
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


@pytest.fixture
def write(tmp_path: Path):
    """write(data_or_text, name="e.yaml") -> Path of a file in the test's folder."""

    def _write(data: Any, name: str = "e.yaml") -> Path:
        path = tmp_path / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data if isinstance(data, str) else dump_yaml(data), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def cli():
    """cli("score", path, ...) -> click Result, with stdout/stderr apart."""
    runner = CliRunner()

    def _run(*args: Any) -> Any:
        return runner.invoke(app, [str(a) for a in args])

    return _run
