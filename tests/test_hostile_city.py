"""The city register with hostile input: names from real `wufei bundle` output, edited bundle.json files,
a wrong `--db`, a wrong `-o`. Either the documents open with the names as typed, or exit 1 with a message
and the register and every file outside the output folder unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.hostile_kit import HOSTILE_LINE, Tree, built, documents_open, refused
from tests.test_hostile_paths import write_evaluation, write_inputs
from wufei_docs.model import Evaluation

WHO = ("--by", "市工信局", "--date", "2025-04-01")
NAMES = [
    HOSTILE_LINE[:100].rstrip(),
    '=HYPERLINK("http://example.com","点我")',
    "../../逃逸公司",
    "CON",
    "a/b:c*公司",
    "[bold red]标记[/bold red]公司",  # rich markup: shown as typed by city list
]


@pytest.fixture
def county_bundle(cli, tmp_path) -> Path:
    """A real bundle of five enterprises with hostile names, all recommended."""
    codes = write_inputs(tmp_path / "in", NAMES)
    evaluation = write_evaluation(tmp_path / "evaluation.yaml", codes)
    out = tmp_path / "章贡区推荐包"
    r = cli("bundle", tmp_path / "in", "-e", evaluation, "-o", out, "-j", "1")
    assert r.exit_code == 0, r.output
    return out


def test_hostile_names_go_through_import_publish_and_spotcheck(cli, tmp_path, county_bundle) -> None:
    from openpyxl import load_workbook

    db = tmp_path / "r.db"
    r = cli("city", "import", county_bundle.with_name(county_bundle.name + ".zip"), "--db", db, *WHO)
    assert r.exit_code == 0 and f"新增 {len(NAMES)} 个" in r.stdout, r.output
    out, checks = tmp_path / "名单", tmp_path / "抽查"
    outside = Tree(tmp_path, out, checks, db)  # the register changes, of course
    texts = built(cli("city", "publish", "--batch", "1", "-o", out, "--db", db, *WHO), out)
    shown = "\n".join(texts.values())
    assert all(name in shown for name in NAMES)
    [xlsx] = out.glob("*.xlsx")
    cells = [c for ws in load_workbook(xlsx).worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert set(NAMES) <= {c.value for c in cells}
    r = cli("city", "spotcheck", "--sample", "2", "--seed", "7", "-o", checks, "--db", db, *WHO)
    assert r.exit_code == 0, r.output
    documents_open(checks)
    for command in (("status",), ("history",), ("history", "--json"), ("list",), ("list", "--json")):
        r = cli("city", *command, "--db", db)
        assert r.exit_code == 0 and "Traceback" not in r.output
    listed = json.loads(cli("city", "list", "--json", "--db", db).stdout)
    assert sorted(u["name"] for u in listed) == sorted(NAMES)  # names as typed, in JSON and in the table
    shown = cli("city", "list", "--db", db).stdout
    assert all(name in shown for name in NAMES[1:])
    outside.unchanged()


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d["enterprises"][0].update(name="甲\x01公司"), ("控制字符",)),
        (lambda d: d["enterprises"][0].update(name="甲\x1b[2J公司"), ("控制字符",)),
        (lambda d: d["enterprises"][0].update(name="甲\ud800公司"), ("无效的 Unicode",)),
        (lambda d: d["enterprises"][0].update(name="甲\n公司"), ("一行文字",)),
        (lambda d: d["enterprises"][0].update(name="甲" * 201), ("一行文字",)),
        (lambda d: d["enterprises"][0].update(reason="\x07"), ("控制字符",)),
        (lambda d: d.update(evaluators=["\ud83d"]), ("无效的 Unicode",)),
        (lambda d: d["enterprises"][0]["files"].update({"\udcff.docx": "0" * 64}), ("无效的 Unicode",)),
        (lambda d: d["enterprises"][0].update(folder="../../etc"), ("相对路径",)),
        (lambda d: d["enterprises"][0].update(folder="/etc"), ("相对路径",)),
        (lambda d: d["enterprises"][0]["files"].update({"../x.docx": "0" * 64}), ("不安全",)),
        (lambda d: d["enterprises"][0].update(evaluated_total=float("inf")), ("不支持的数值",)),
    ],
)
def test_edited_bundle_json_is_refused_and_the_register_unchanged(cli, tmp_path, county_bundle, edit, words) -> None:
    db = tmp_path / "r.db"
    assert cli("city", "import", county_bundle, "--db", db, *WHO).exit_code == 0
    copy = tmp_path / "改过的推荐包"
    shutil.copytree(county_bundle, copy)
    data = json.loads((copy / "bundle.json").read_text("utf-8"))
    edit(data)
    (copy / "bundle.json").write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
    before = Tree(tmp_path)
    refused(cli("city", "import", copy, "--db", db, "--update", "--reason", "x", *WHO), *words)
    before.unchanged()


def test_db_option_naming_a_file_that_is_not_a_register(cli, tmp_path, county_bundle) -> None:
    for content in (b"x", b"note", "备忘：登记库在别处\n".encode(), b"SQLite format 3\x00" + b"\xff" * 100):
        path = tmp_path / "备忘.txt"
        path.write_bytes(content)
        before = Tree(tmp_path)
        refused(cli("city", "import", county_bundle, "--db", path, *WHO), "不是登记库")
        before.unchanged()  # a tiny text file is not silently turned into a database


def test_publish_into_a_file_is_refused(cli, tmp_path, county_bundle) -> None:
    db = tmp_path / "r.db"
    assert cli("city", "import", county_bundle, "--db", db, *WHO).exit_code == 0
    target = tmp_path / "名单"
    target.write_text("不是文件夹", encoding="utf-8")
    before = Tree(tmp_path)
    refused(cli("city", "publish", "--batch", "1", "-o", target, "--db", db, *WHO), "无法写入")
    before.unchanged()


def test_evaluation_keys_with_control_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="控制字符"):
        Evaluation.model_validate(
            {"format": "wufei/evaluation-1", "county": "章贡区", "enterprises": {"9136\x1b": {"opinion": "同意"}}}
        )


def _rewrite_zip(path: Path, change) -> None:
    import io
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for info, data in members:
            z.writestr(info, change(info.filename, data))
    path.write_bytes(buffer.getvalue())


def _encrypt_flag(path: Path) -> None:
    """Mark every member as encrypted (the flag bit in the central directory, as a password-protected zip)."""
    raw = bytearray(path.read_bytes())
    index = raw.find(b"PK\x01\x02")
    while index != -1:
        raw[index + 8] |= 0x1
        index = raw.find(b"PK\x01\x02", index + 4)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (_encrypt_flag, ("已加密",)),
        (
            lambda p: _rewrite_zip(
                p,
                lambda n, d: (
                    d.replace(b'"format"', b'"x": ' + b"9" * 5000 + b', "format"', 1)
                    if n.endswith("bundle.json")
                    else d
                ),
            ),
            ("bundle.json", "数字"),
        ),
    ],
)
def test_a_damaged_zip_is_a_chinese_message_without_python_text(cli, tmp_path, county_bundle, damage, words) -> None:
    import re

    path = county_bundle.with_name(county_bundle.name + ".zip")
    damage(path)
    before = Tree(tmp_path)
    message = refused(cli("city", "import", path, "--db", tmp_path / "r.db", *WHO), *words)
    assert not re.search(r"ZipInfo|<|object at|Exceeds|encrypted|password", message), message
    before.unchanged()
