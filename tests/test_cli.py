"""End-to-end: the `wufei` commands as a user runs them."""

from __future__ import annotations

import json
import re

from tests.conftest import EXAMPLES, full_marks, variant


def test_help_lists_commands_in_chinese(cli) -> None:
    r = cli("--help")
    assert r.exit_code == 0
    for command in ("init", "validate", "score"):
        assert command in r.stdout
    assert "无废工厂" in r.stdout


def test_validate_examples(cli) -> None:
    r = cli("validate", *sorted(EXAMPLES.glob("*.yaml")))
    assert r.exit_code == 0, r.output
    assert r.stdout.count("✓") >= 2


def test_validate_bad_file_exit_1_lists_problems_without_traceback(cli, write) -> None:
    path = write(variant(**{"unit.uscc": "91360702MA35L0AB17", "items.A1.1.score": 3}))
    r = cli("validate", path)
    assert r.exit_code == 1
    assert "unit.uscc" in r.stderr and "items.A1.1.score" in r.stderr
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_validate_several_files_reports_each(cli, write) -> None:
    good = write(full_marks(), name="good.yaml")
    bad = write(variant(**{"unit.staff": 0}), name="bad.yaml")
    r = cli("validate", good, bad)
    assert r.exit_code == 1
    assert "✓" in r.stdout and "bad.yaml" in r.stderr and "1 个有问题" in r.stdout


def test_score_table(cli) -> None:
    r = cli("score", EXAMPLES / "赣州稀土新材料.yaml")
    assert r.exit_code == 0, r.output
    assert "总分 100" in r.stdout and "达标" in r.stdout and "A1.6" in r.stdout


def test_score_json_shape_and_values(cli, write) -> None:
    r = cli("score", write(full_marks()), "--json")
    assert r.exit_code == 0, r.output
    j = json.loads(r.stdout)
    assert (j["total"], j["base"], j["bonus"], j["threshold"], j["verdict"]) == (105, 100, 5, 90, "达标")
    assert j["uscc"] == "91360702MA35L0AB16" and j["rubric"] == "ganzhou-2023"
    assert {i["source"] for i in j["items"]} <= {"claimed", "derived", "na", "missing", "evaluated"}


def test_score_json_for_a_veto(cli, write) -> None:
    r = cli("score", write(variant(**{"compliance.H1": {"met": False}})), "--json")
    j = json.loads(r.stdout)
    assert j["verdict"] == "否决" and j["total"] == 105
    assert j["vetoes"][0] == {"id": "H1", "applies": True, "met": False}


def test_score_user_text_is_not_rich_markup(cli, write) -> None:
    r = cli("score", write(variant(**{"items.A1.1": {"score": 1, "note": "[red]注意[/red] [bold]"}})))
    assert r.exit_code == 0, r.output
    assert "[red]注意" in r.stdout


def test_score_invalid_file_exit_1(cli, write) -> None:
    r = cli("score", write("format: wufei/enterprise-1\n"), "--json")
    assert r.exit_code == 1 and "缺少必填项" in r.stderr and r.stdout == ""


def test_init_writes_a_commented_skeleton_that_validates_once_filled(cli, tmp_path) -> None:
    target = tmp_path / "新企业.yaml"
    r = cli("init", target)
    assert r.exit_code == 0, r.output
    text = target.read_text("utf-8")
    field_lines = [ln for ln in text.splitlines() if re.match(r"^\s+[a-z_]+:", ln)]
    assert all("#" in ln for ln in field_lines if not ln.strip().startswith("- ")), "every field has a comment"
    assert text.count("# ") > 80
    # unfilled: clear problems, exit 1
    r = cli("validate", target)
    assert r.exit_code == 1 and "unit.name: 缺少必填项" in r.stderr
    # filled in like a user would
    filled = fill_skeleton(text)
    target.write_text(filled, "utf-8")
    r = cli("validate", target)
    assert r.exit_code == 0, r.output
    r = cli("score", target, "--json")
    assert json.loads(r.stdout)["total"] > 0


def test_init_refuses_to_overwrite(cli, tmp_path) -> None:
    target = tmp_path / "a.yaml"
    target.write_text("mine", "utf-8")
    r = cli("init", target)
    assert r.exit_code == 1 and "已存在" in r.stderr
    assert target.read_text("utf-8") == "mine"


def fill_skeleton(text: str) -> str:
    values = {
        "  name: ''": "  name: 赣州填写测试有限公司",
        "  uscc: ''": "  uscc: 91360702MA35L0AB16",
        "  address: ''": "  address: 江西省赣州市章贡区某路1号",
        "  county: ''": "  county: 章贡区",
        "  area_m2: ": "  area_m2: 1000 ",
        "  staff: ": "  staff: 50 ",
        "    name: ''": "    name: 王某",
        "    phone: ''": "    phone: 0797-8888888",
        "    mobile: ''": "    mobile: 13907970000",
        "    email: ''": "    email: a@example.com",
        "met: ,": "met: true,",
        "output_value: , general_t: , hazardous_t: ": "output_value: 100, general_t: 10, hazardous_t: 1",
        "    - name: ''": "    - name: 废矿物油",
        "      code: ''": "      code: 900-249-08",
        "title: ''": "title: 创建通知",
        "score: ,": "score: 1,",
        "（请填写单位简介）": "本公司主要从事稀土金属冶炼。",
        "（请概述创建“无废工厂”开展的主要工作）": "建立固体废物管理台账，推进源头减量。",
    }
    for old, new in values.items():
        text = text.replace(old, new)
    return text


def test_usage_errors_are_explained_in_chinese_with_exit_2() -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "wufei_docs", "score", "--jsn", "x.yaml"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "没有这个选项：--jsn" in r.stderr and "--json" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "wufei_docs", "score"], capture_output=True, text=True)
    assert r.returncode == 2 and "缺少参数" in r.stderr


def test_help_option_is_chinese(cli) -> None:
    assert "显示此帮助并退出" in cli("score", "--help").stdout
