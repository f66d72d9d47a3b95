"""Hostile text in every text field: it comes out of every document literally, or it is refused by name.

XML/template/CDATA breakers, astral and bidi characters, zero-width joiners, line breaks and tabs are data
and are printed as typed; control characters (C0, C1), the XML non-characters U+FFFE/U+FFFF and lone
surrogates are refused with the field named; over-long texts are refused; nothing leaves the output folder.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import full_marks, set_path, variant
from tests.hostile_kit import (
    HOSTILE_LINE,
    HOSTILE_TEXT,
    NOT_PRINTED,
    TEMPLATE_CODE,
    Tree,
    built,
    dump,
    hostile_enterprise,
    refused,
    run_wufei,
)

# Every text field of FORMAT.md §1 (dotted as conftest.variant wants them) and the path validation names.
TEXT_FIELDS = {
    "unit.name": "unit.name",
    "unit.address": "unit.address",
    "unit.county": "unit.county",
    "unit.head.name": "unit.head.name",
    "unit.head.phone": "unit.head.phone",
    "unit.contact.name": "unit.contact.name",
    "unit.contact.mobile": "unit.contact.mobile",
    "unit.contact.email": "unit.contact.email",
    "unit.legal_rep": "unit.legal_rep",
    "unit.industry": "unit.industry.name",
    "unit.postcode": "unit.postcode",
    "unit.products": "unit.products",
    "unit.profile": "unit.profile",
    "application.type": "application.type",
    "application.summary": "application.summary",
    "compliance.H1.note": "compliance.H1.note",
    "waste.streams.0.name": "waste.streams[0].name",
    "waste.streams.0.node": "waste.streams[0].node",
    "waste.streams.0.destination": "waste.streams[0].destination",
    "waste.streams.0.method": "waste.streams[0].method",
    "waste.streams.1.code": "waste.streams[1].code",
    "items.A1.1.note": "items.A1.1.note",
    "items.B1.2": "items.B1.2.na",
    "items.B1.3.evidence": "items.B1.3.evidence[0]",
    "evidence.0.title": "evidence[0].title",
    "evidence.0.file": "evidence[0].file",
}


def poisoned(bad: str) -> dict[str, Any]:
    """full_marks() with `bad` inside every text field at once (validation reports them all in one go)."""
    data = full_marks()
    for dotted in TEXT_FIELDS:
        value = f"赣州{bad}测试"
        if dotted == "unit.industry":
            value = {"code": "C3240", "name": value}  # type: ignore[assignment]
        elif dotted == "items.B1.2":
            value = {"na": value}  # type: ignore[assignment]
        elif dotted == "items.B1.3.evidence":
            value = [f"E{bad}1"]  # type: ignore[assignment]
        elif dotted == "evidence.0.file":
            value += ".pdf"  # an accepted type: only the text is under test
        set_path(data, dotted, value)
    return data


def test_hostile_text_in_every_field_comes_out_literally(cli, write, tmp_path) -> None:
    data, placed = hostile_enterprise()
    source, out = write(dump(data)), tmp_path / "out"
    outside = Tree(tmp_path, out)
    texts = built(cli("build", source, "-o", out), out)
    everything = "\n".join(texts.values())
    for field, text in placed.items():
        for line in (ln.strip() for ln in text.split("\n")):
            if line and field not in NOT_PRINTED:
                assert line in everything, f"{field}: {line!r} not printed literally"
    for name, text in texts.items():
        assert TEMPLATE_CODE in text, name  # never run as a template…
        assert "</w:t></w:r><w:r><w:t>" in text, name  # …nor taken as markup
    outside.unchanged()


def test_hostile_text_is_printed_as_is_by_validate_and_score(cli, write) -> None:
    data, placed = hostile_enterprise()
    path = write(dump(data))
    r = cli("validate", path)
    assert r.exit_code == 0 and placed["unit.name"] in r.stdout
    r = cli("score", path)
    assert r.exit_code == 0 and "Traceback" not in r.output
    assert placed["unit.name"].split("</w:t>")[0] in r.stdout  # the table shows the name as typed


@pytest.mark.parametrize(
    "bad",
    ["\x00", "\x01", "\x08", "\x0b", "\x1b[2J", "\x7f", "\x85", "\x9b31m", "\ufffe", "\uffff"],
    ids=["NUL", "SOH", "BS", "VT", "ESC", "DEL", "NEL", "CSI", "U+FFFE", "U+FFFF"],
)
def test_control_characters_are_refused_in_every_text_field(cli, write, tmp_path, bad: str) -> None:
    out = tmp_path / "out"
    as_json = json.dumps(poisoned(bad), ensure_ascii=True)  # YAML reads JSON; \u0085 stays an escape
    r = cli("build", write(as_json), "-o", out)
    message = refused(r, "发现", "个问题")
    for path in TEXT_FIELDS.values():
        assert f" {path}: " in message, f"{path} not reported for {bad!r}: {message}"
    assert "\x1b" not in r.output and "\x9b" not in r.output  # echoed values cannot drive the terminal
    assert not out.exists()


def test_lone_surrogates_are_refused(cli, write, tmp_path) -> None:
    text = dump(full_marks()).replace("赣州测试材料有限公司", '"赣州\\ud800测试"', 1)
    refused(cli("build", write(text), "-o", tmp_path / "out"), "unit.name")
    assert not (tmp_path / "out").exists()


def test_raw_control_byte_in_the_file_is_refused_with_its_line(cli, write) -> None:
    text = dump(full_marks()).replace("测试路1号", "测试路\x1b[31m1号")
    message = refused(cli("validate", write(text.encode("utf-8"))), "第6行", "控制字符 U+001B")
    assert "\x1b" not in message


@pytest.mark.parametrize(
    "field",
    ["unit.name", "unit.address", "unit.head.name", "application.type", "waste.streams.0.name", "evidence.0.title"],
)
def test_line_breaks_and_tabs_are_refused_in_one_line_fields(cli, write, field: str) -> None:
    for bad in ("\n", "\t", "\r", "\u2028"):
        path = TEXT_FIELDS.get(field, field).replace(".0.", "[0].").replace("evidence.0", "evidence[0]")
        refused(cli("validate", write(dump(variant(**{field: f"赣州{bad}测试公司"})))), f"{path}:")


def test_ten_thousand_characters_where_text_is_long(cli, write, tmp_path) -> None:
    long = (HOSTILE_TEXT + "\n") * (10_000 // len(HOSTILE_TEXT) + 1)
    long = long[:10_000].rstrip()
    data = variant(
        **{
            "unit.profile": long,
            "application.summary": long,
            "items.A1.1.note": long,
            "unit.address": HOSTILE_LINE[:200].rstrip(),
        }
    )
    out = tmp_path / "out"
    texts = built(cli("build", write(dump(data)), "-o", out), out)
    everything = "\n".join(texts.values())
    for line in {ln.strip() for ln in long.split("\n") if ln.strip()}:
        assert line in everything


@pytest.mark.parametrize(
    ("field", "size", "path"),
    [
        ("unit.name", 101, "unit.name"),
        ("unit.address", 201, "unit.address"),
        ("unit.head.name", 51, "unit.head.name"),
        ("application.summary", 20_001, "application.summary"),
        ("waste.streams.1.code", 101, "waste.streams[1].code"),
    ],
)
def test_over_long_text_is_refused(cli, write, tmp_path, field: str, size: int, path: str) -> None:
    r = cli("build", write(dump(variant(**{field: "赣" * size}))), "-o", tmp_path / "out")
    refused(r, f"{path}:")
    assert not (tmp_path / "out").exists()


def test_escape_sequences_never_reach_the_terminal(tmp_path) -> None:
    """A real run: control characters in echoed values and in the file name are shown as \\x1b."""
    data = variant(**{"unit.head.phone": "\x1b]0;pwned\x07\x1b[2J"})
    name = tmp_path / "e\x1b[31m.yaml"
    name.write_text(dump(data), encoding="utf-8")
    r = run_wufei("validate", name)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "\x1b" not in r.stderr + r.stdout and "\x07" not in r.stderr
    assert "\\x1b" in r.stderr and "unit.head.phone" in r.stderr


def test_real_run_builds_hostile_text_and_refuses_control_characters(tmp_path) -> None:
    data, _ = hostile_enterprise()
    good, bad = tmp_path / "好.yaml", tmp_path / "坏.yaml"
    good.write_text(dump(data), encoding="utf-8")
    bad.write_text(dump(poisoned("\x01")), encoding="utf-8")
    r = run_wufei("build", good, "-o", tmp_path / "out")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    r = run_wufei("build", bad, "-o", tmp_path / "out2")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "unit.name" in r.stderr
    assert not (tmp_path / "out2").exists()


def test_hostile_text_in_the_county_evaluation_file(cli, tmp_path) -> None:
    from tests.test_hostile_paths import write_inputs

    codes = write_inputs(tmp_path / "in", ["赣州甲公司", "赣州乙公司"])
    opinion = HOSTILE_TEXT
    evaluation = {
        "format": "wufei/evaluation-1",
        "county": "章贡区",
        "evaluators": [HOSTILE_LINE[:50].rstrip(), "章贡区工信局"],
        "enterprises": {c: {"received": "2025-03-01", "evaluated": "2025-03-05", "opinion": opinion} for c in codes},
    }
    (tmp_path / "ev.yaml").write_text(dump(evaluation), encoding="utf-8")
    out = tmp_path / "out"
    outside = Tree(tmp_path, out, tmp_path / "out.zip")
    texts = built(cli("bundle", tmp_path / "in", "-e", tmp_path / "ev.yaml", "-o", out, "-j", "1"), out)
    county = texts["推荐名单.docx"] + texts["推荐函.docx"]
    assert HOSTILE_LINE[:50].rstrip() in county and TEMPLATE_CODE in county
    for line in (ln.strip() for ln in opinion.split("\n")):
        assert line in texts["推荐名单.docx"], line
    outside.unchanged()


def test_operator_text_with_control_characters_is_stored_but_never_reaches_the_terminal(cli, write, tmp_path) -> None:
    out = tmp_path / "out"
    built(cli("build", write(dump(full_marks())), "-o", out), out)
    r = cli("final", out, "--by", "经办\x1b[2J人")
    assert r.exit_code == 0 and "\x1b" not in r.output and "经办\\x1b[2J人" in r.stdout
