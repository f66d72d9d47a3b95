"""A county folder may mix YAML and Excel files; both count the same."""

from __future__ import annotations

import json

from tests.conftest import dump_yaml, variant
from wufei_docs._samples import uscc_for


def test_bundle_reads_workbooks_like_yaml(cli, tmp_path) -> None:
    src = tmp_path / "收件"
    src.mkdir()
    a, b = uscc_for(201), uscc_for(202)
    (tmp_path / "a.yaml").write_text(
        dump_yaml(variant(**{"unit.uscc": a, "unit.name": "赣州表格填报有限公司"})), "utf-8"
    )
    assert cli("convert", tmp_path / "a.yaml", src / "表格填报.xlsx").exit_code == 0
    (src / "b.yaml").write_text(dump_yaml(variant(**{"unit.uscc": b, "unit.name": "赣州文本填报有限公司"})), "utf-8")
    ev = tmp_path / "evaluation.yaml"
    entries = {u: {"received": "2025-03-01", "evaluated": "2025-03-10"} for u in (a, b)}
    ev.write_text(dump_yaml({"format": "wufei/evaluation-1", "county": "章贡区", "enterprises": entries}), "utf-8")
    r = cli("bundle", src, "-e", ev, "-o", tmp_path / "out", "--no-zip")
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "out" / "bundle.json").read_text("utf-8"))
    by_uscc = {e["uscc"]: e for e in data["enterprises"]}
    assert by_uscc[a]["source"] == "表格填报.xlsx" and by_uscc[b]["source"] == "b.yaml"
    assert by_uscc[a]["evaluated_total"] == by_uscc[b]["evaluated_total"] == 105
    assert by_uscc[a]["recommended"] and by_uscc[b]["recommended"]
