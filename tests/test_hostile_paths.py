"""Where files go: never outside the output folder (names, symlinks, planted files), never over files wufei
did not write, and a failed run leaves the earlier outputs byte-identical.

Decision: the `-o` folder itself may be a symlink (the user named it; it is followed like `cd` would), but
nothing *inside* it is followed when writing: a symlinked sub-folder, lock file or history folder is refused,
a symlinked output file is replaced by the new file (its target is left alone). Input files are read through
symlinks, like any program reads them.
"""

from __future__ import annotations

import json
import os
import unicodedata
import zipfile
from pathlib import Path

import pytest

from tests.conftest import full_marks, variant
from tests.hostile_kit import Tree, built, documents_open, dump, refused
from tests.test_city_fixture import enterprise, make_uscc

DOCS = ("申报书.docx", "附件1-评价指标自评表.docx", "附件2-评估申报表.docx")
PATH_NAMES = [
    "../../逃逸公司",
    "a/b公司",
    "a\\b公司",
    "C:\\Windows\\公司",
    "CON",
    "NUL.txt",
    "com1",
    "公司...",
    'x*?"<>|y公司',
    "/etc/passwd",
    "~/公司",
    "历史版本",
    "企业",
    "manifest.json",
    ".hidden公司",
]


def write_inputs(folder: Path, names: list[str]) -> list[str]:
    """One enterprise file per name; returns their USCCs."""
    folder.mkdir(parents=True, exist_ok=True)
    codes = []
    for n, name in enumerate(names, 1):
        (folder / f"e{n:02d}.yaml").write_text(dump(enterprise(n, name=name)), encoding="utf-8")
        codes.append(make_uscc(n))
    return codes


def write_evaluation(path: Path, codes: list[str]) -> Path:
    entries = {c: {"received": "2025-03-01", "evaluated": "2025-03-05", "opinion": "=1+2"} for c in codes}
    path.write_text(
        dump(
            {"format": "wufei/evaluation-1", "county": "章贡区", "evaluators": ["章贡区工信局"], "enterprises": entries}
        ),
        encoding="utf-8",
    )
    return path


def bundle(cli, tmp_path: Path, names: list[str], out: Path | None = None):
    inputs = tmp_path / "in"
    codes = write_inputs(inputs, names)
    evaluation = write_evaluation(tmp_path / "evaluation.yaml", codes)
    return cli("bundle", inputs, "-e", evaluation, "-o", out or tmp_path / "out", "-j", "1")


# --- names from input ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../逃逸公司", "C:\\Windows\\公司", "CON", "/etc/passwd"])
def test_build_with_path_like_unit_name_writes_only_the_four_files(cli, write, tmp_path, name: str) -> None:
    source, out = write(dump(variant(**{"unit.name": name}))), tmp_path / "out"
    outside = Tree(tmp_path, out)
    texts = built(cli("build", source, "-o", out), out)
    assert sorted(p.name for p in out.iterdir()) == sorted([*DOCS, "manifest.json"])
    assert f"单位名称：{name}" in texts["附件1-评价指标自评表.docx"]
    outside.unchanged()


@pytest.mark.parametrize("name", ["..", "...", "。。", "\u200b\u200b", "赣州\u202egnp.exe"])
def test_names_that_are_only_dots_invisible_or_reversed_are_refused_before_anything_is_written(
    cli, write, tmp_path, name: str
) -> None:
    source, out = write(dump(variant(**{"unit.name": name}))), tmp_path / "out"
    outside = Tree(tmp_path, out)
    refused(cli("build", source, "-o", out), "unit.name")
    assert not out.exists()
    outside.unchanged()


def test_bundle_folder_names_are_sanitised_distinct_and_inside(cli, tmp_path) -> None:
    out = tmp_path / "out"
    write_evaluation(tmp_path / "evaluation.yaml", write_inputs(tmp_path / "in", PATH_NAMES))
    outside = Tree(tmp_path, out, tmp_path / "out.zip")
    r = bundle(cli, tmp_path, PATH_NAMES, out)
    assert r.exit_code == 0, r.output
    folders = sorted((out / "企业").iterdir())
    assert len(folders) == len(PATH_NAMES) and all(f.is_dir() and not f.is_symlink() for f in folders)
    assert len({f.name.casefold() for f in folders}) == len(PATH_NAMES)
    for folder in folders:
        assert not any(c in folder.name for c in '/\\:*?"<>|') and not folder.name.startswith(".")
        assert folder.name.upper() not in ("CON", "NUL.TXT", "COM1") and folder.name not in ("..", "...")
    units = {json.loads((f / "manifest.json").read_text("utf-8"))["unit"] for f in folders}
    assert units == set(PATH_NAMES)
    documents_open(out)
    listed = {e["name"]: e["folder"] for e in json.loads((out / "bundle.json").read_text("utf-8"))["enterprises"]}
    assert set(listed) == set(PATH_NAMES) and listed["历史版本"] == "企业/历史版本"
    with zipfile.ZipFile(tmp_path / "out.zip") as z:
        zipped = {n.split("/")[2] for n in z.namelist() if n.count("/") >= 3}
    assert zipped == {f.name for f in folders}  # a unit named 历史版本 is not taken for history
    outside.unchanged()


def test_names_colliding_after_sanitising_get_stable_distinct_folders(cli, tmp_path) -> None:
    names = ["甲/公司", "甲:公司", "甲_公司", "甲|公司", "Ab公司", "aB公司", "公司.", "公司"]
    names += ["Cafe\u0301公司", "Caf\u00e9公司", "𠀀" * 100, "𠀀" * 99 + "甲"]  # NFD/NFC; equal once cut to 60
    assert bundle(cli, tmp_path, names).exit_code == 0
    first = sorted(p.name for p in (tmp_path / "out" / "企业").iterdir())
    assert len(first) == len(names) and len({unicodedata.normalize("NFC", n).casefold() for n in first}) == len(names)
    assert all(len(n.encode("utf-8")) <= 255 for n in first)
    before = Tree(tmp_path / "out" / "企业")
    r = bundle(cli, tmp_path, names)
    assert r.exit_code == 0 and f"其余 {len(names)} 家无变化" in r.stdout
    before.unchanged()  # same names → same folders, nothing rewritten


def test_spreadsheet_cells_from_input_are_text_never_formulas(cli, tmp_path) -> None:
    from openpyxl import load_workbook

    names = ['=HYPERLINK("http://example.com","点我")', "+1+2公司", "@SUM(1)公司"]
    assert bundle(cli, tmp_path, names).exit_code == 0
    wb = load_workbook(tmp_path / "out" / "推荐名单.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert set(names) <= values and "=1+2" in values


# --- the -o folder -----------------------------------------------------------------------------


def test_output_that_is_a_file_is_refused_by_build_and_bundle(cli, write, tmp_path) -> None:
    target = tmp_path / "out"
    target.write_text("不是文件夹", encoding="utf-8")
    source = write(dump(full_marks()))
    write_evaluation(tmp_path / "evaluation.yaml", write_inputs(tmp_path / "in", ["赣州甲公司"]))
    outside = Tree(tmp_path)
    refused(cli("build", source, "-o", target), "无法写入")
    refused(cli("build", source, "-o", target / "sub"), "无法写入")
    refused(bundle(cli, tmp_path, ["赣州甲公司"], target), "不是文件夹")
    outside.unchanged()
    assert target.read_text(encoding="utf-8") == "不是文件夹"


def test_output_symlink_is_followed_and_nothing_lands_elsewhere(cli, write, tmp_path) -> None:
    real = tmp_path / "真实"
    real.mkdir()
    link = tmp_path / "链接"
    link.symlink_to(real, target_is_directory=True)
    source = write(dump(full_marks()))
    outside = Tree(tmp_path, real)
    built(cli("build", source, "-o", link), real)
    outside.unchanged()
    assert link.is_symlink() and sorted(p.name for p in real.iterdir()) == sorted([*DOCS, "manifest.json"])


def test_unrelated_files_in_the_output_folder_are_never_clobbered(cli, write, tmp_path) -> None:
    out = tmp_path / "out"
    (out / "资料").mkdir(parents=True)
    (out / "备注.txt").write_text("手工文件", encoding="utf-8")
    (out / "资料" / "合同.pdf").write_bytes(b"%PDF-1.4 mine")
    mine = Tree(out)
    built(cli("build", write(dump(full_marks())), "-o", out), out)
    built(cli("build", write(dump(variant(**{"unit.staff": 120})), "v2.yaml"), "-o", out), out)
    assert (out / "备注.txt").read_text(encoding="utf-8") == "手工文件"
    assert (out / "资料" / "合同.pdf").read_bytes() == b"%PDF-1.4 mine"
    assert {k: v for k, v in Tree(out).read().items() if k in mine.before} == mine.before


def test_same_named_file_wufei_did_not_write_is_refused(cli, write, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "申报书.docx").write_bytes(b"the user's own report")
    source = write(dump(full_marks()))
    outside = Tree(tmp_path)
    refused(cli("build", source, "-o", out), "不是 wufei 生成的", "申报书.docx")
    outside.unchanged()


def test_output_folder_equal_to_the_input_folder(cli, tmp_path) -> None:
    source = tmp_path / "申报数据.yaml"
    source.write_text(dump(full_marks()), encoding="utf-8")
    kept = source.read_bytes()
    built(cli("build", source, "-o", tmp_path), tmp_path)
    source.write_text(dump(variant(**{"unit.staff": 120})), encoding="utf-8")
    built(cli("build", source, "-o", tmp_path), tmp_path)
    assert source.read_bytes() != kept and (tmp_path / "历史版本" / "1" / "申报书.docx").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".yaml") == ["申报数据.yaml"]
    inputs = tmp_path / "县"
    write_inputs(inputs, ["赣州甲公司"])
    evaluation = write_evaluation(tmp_path / "evaluation.yaml", [make_uscc(1)])
    outside = Tree(tmp_path)
    refused(cli("bundle", inputs, "-e", evaluation, "-o", inputs), "相同")
    outside.unchanged()


def test_unwritable_output_folder_is_a_message_and_changes_nothing(cli, write, tmp_path, monkeypatch) -> None:
    """A read-only folder (simulated: tests may run as root, who can write anywhere)."""
    import tempfile

    out = tmp_path / "out"
    built(cli("build", write(dump(full_marks())), "-o", out), out)
    earlier = Tree(out)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    refused(cli("build", write(dump(variant(**{"unit.staff": 7})), "v2.yaml"), "-o", out), "没有权限", str(out))
    refused(bundle(cli, tmp_path, ["赣州甲公司"], tmp_path / "b"), "没有权限", str(tmp_path / "b"))
    monkeypatch.undo()
    earlier.unchanged()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write to read-only folders")
def test_real_read_only_folder(cli, write, tmp_path) -> None:  # pragma: no cover - only as a normal user
    parent = tmp_path / "只读"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        refused(cli("build", write(dump(full_marks())), "-o", parent / "out"), "无法写入")
    finally:
        parent.chmod(0o755)


# --- symlinks and planted files inside the output folder ----------------------------------------


def test_symlinked_enterprise_folder_in_a_bundle_is_refused_before_any_write(cli, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for how in ("企业", "企业/赣州甲公司"):
        out = tmp_path / f"out-{how.count('/')}"
        (out / how).parent.mkdir(parents=True, exist_ok=True)
        (out / how).symlink_to(elsewhere, target_is_directory=True)
        before = Tree(out)
        refused(bundle(cli, tmp_path, ["赣州乙公司", "赣州甲公司"], out), "符号链接")
        before.unchanged()
        assert list(elsewhere.iterdir()) == []


def test_symlinked_enterprise_file_pointing_outside_is_read_not_written(cli, tmp_path) -> None:
    outside_file = tmp_path / "别处" / "企业.yaml"
    outside_file.parent.mkdir()
    outside_file.write_text(dump(enterprise(1)), encoding="utf-8")
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "链接.yaml").symlink_to(outside_file)
    evaluation = write_evaluation(tmp_path / "evaluation.yaml", [make_uscc(1)])
    out = tmp_path / "out"
    outside = Tree(tmp_path, out, tmp_path / "out.zip")
    built(cli("bundle", inputs, "-e", evaluation, "-o", out, "-j", "1"), out)
    outside.unchanged()
    assert (out / "企业" / "赣州测试01号材料有限公司" / "申报书.docx").is_file()


def test_symlinked_output_file_is_replaced_not_written_through(cli, write, tmp_path) -> None:
    out = tmp_path / "out"
    built(cli("build", write(dump(full_marks())), "-o", out), out)
    victim = tmp_path / "victim.docx"
    victim.write_bytes(b"do not touch")
    (out / "申报书.docx").unlink()
    (out / "申报书.docx").symlink_to(victim)
    built(cli("build", write(dump(variant(**{"unit.staff": 7})), "v2.yaml"), "-o", out), out)
    assert victim.read_bytes() == b"do not touch" and not (out / "申报书.docx").is_symlink()


@pytest.mark.parametrize("planted", ["lock-symlink", "lock-hardlink", "history-symlink"])
def test_planted_links_are_refused_and_nothing_outside_changes(cli, write, tmp_path, planted: str) -> None:
    out = tmp_path / "out"
    built(cli("build", write(dump(full_marks())), "-o", out), out)
    victim = tmp_path / "victim.txt"
    victim.write_text("victim", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if planted == "lock-symlink":
        (out / ".wufei.lock").symlink_to(victim)
    elif planted == "lock-hardlink":
        os.link(victim, out / ".wufei.lock")
    else:
        (out / "历史版本").symlink_to(elsewhere, target_is_directory=True)
    changed = write(dump(variant(**{"unit.staff": 7})), "v2.yaml")
    earlier = Tree(tmp_path)
    refused(cli("build", changed, "-o", out), "为安全起见")
    refused(cli("final", out), "为安全起见")
    earlier.unchanged()


@pytest.mark.parametrize(
    "journal",
    [
        {"moves": [["stolen.txt", "../victim.txt"]], "cleanup": [], "created": []},
        {"moves": [["manifest.json", "../../moved.json"]], "cleanup": [], "created": []},
        {"moves": [], "cleanup": ["../.."], "created": []},
        {"moves": [], "cleanup": ["/"], "created": ["/tmp"]},
        {"moves": [["a", "b", "c"]], "cleanup": [5], "created": []},
        "not json",
    ],
)
def test_a_planted_journal_moves_and_deletes_nothing(cli, write, tmp_path, journal) -> None:
    out = tmp_path / "a" / "b" / "out"
    built(cli("build", write(dump(full_marks())), "-o", out), out)
    (tmp_path / "a" / "b" / "victim.txt").write_text("victim", encoding="utf-8")
    text = journal if isinstance(journal, str) else json.dumps(journal)
    (out / ".wufei-journal.json").write_text(text, encoding="utf-8")
    changed = write(dump(variant(**{"unit.staff": 7})), "v2.yaml")
    earlier = Tree(tmp_path)
    refused(cli("build", changed, "-o", out), ".wufei-journal.json")
    earlier.unchanged()


@pytest.mark.parametrize(
    "manifest",
    [
        {"files": 5},
        {"files": "abc"},
        {"files": {"申报书.docx": 5}},
        {"files": {"../../x": "0" * 64}},
        {"final": "yes", "files": {}},
        {"fingerprint": 5, "files": {}},
        [1, 2],
        "{not json",
    ],
)
def test_a_hand_edited_manifest_is_refused_not_crashed(cli, write, tmp_path, manifest) -> None:
    out = tmp_path / "out"
    out.mkdir()
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    (out / "manifest.json").write_text(text, encoding="utf-8")
    source = write(dump(full_marks()))
    earlier = Tree(tmp_path)
    word = "不合法" if "../../x" in text else "manifest.json"
    refused(cli("build", source, "-o", out), word)
    refused(cli("final", out), word)
    earlier.unchanged()


def test_a_damaged_data_snapshot_only_costs_the_data_comparison(cli, write, tmp_path) -> None:
    out = tmp_path / "out"
    built(cli("build", write(dump(full_marks())), "-o", out), out)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    manifest["snapshot"] = {"input": {"unit": {"name": [1]}, "items": {"A1.1": 5}}, "score": {"items": [5]}}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    texts = built(cli("build", write(dump(variant(**{"unit.staff": 7})), "v2.yaml"), "-o", out), out)
    assert "修改说明.docx" in texts


def test_every_failure_leaves_the_earlier_outputs_byte_identical(cli, write, tmp_path) -> None:
    out = tmp_path / "out"
    built(cli("build", write(dump(full_marks())), "-o", out), out)
    tpl = tmp_path / "tpl"
    failures = [
        ("build", write(dump(variant(**{"unit.uscc": "91360702MA35L0AB17"})), "bad.yaml"), "-o", out),
        ("build", write(b"\x00\x01binary", "bin.yaml"), "-o", out),
        ("build", write(dump(variant(**{"unit.staff": 7})), "v2.yaml"), "-o", out, "--templates", tpl),
    ]
    tpl.mkdir()
    (tpl / "申报书.docx").write_bytes(b"not a docx")
    earlier = Tree(tmp_path)
    for args in failures:
        refused(cli(*args))
    earlier.unchanged()


# --- impossible paths given to any command -----------------------------------------------------

COMMANDS = [
    ("validate", "{P}.yaml"),
    ("score", "{P}.yaml"),
    ("build", "{P}.yaml", "-o", "out"),
    ("build", "e.yaml", "-o", "{P}"),
    ("build", "e.yaml", "-o", "out", "--templates", "{P}"),
    ("bundle", "{P}", "-e", "ev.yaml", "-o", "out"),
    ("bundle", "in", "-e", "ev.yaml", "-o", "{P}"),
    ("bundle", "in", "-e", "{P}.yaml", "-o", "out"),
    ("templates", "export", "{P}"),
    ("templates", "check", "{P}"),
    ("init", "{P}.yaml"),
    ("final", "{P}"),
    ("city", "import", "{P}", "--db", "r.db"),
    ("city", "status", "--db", "{P}"),
    ("city", "import", "in", "--db", "{P}.db"),
]
IMPOSSIBLE = {"name-too-long": "长" * 200, "symlink-loop": "loop/x", "file-as-folder": "afile/x"}


@pytest.mark.parametrize("kind", sorted(IMPOSSIBLE))
def test_impossible_paths_are_messages_for_every_command(cli, tmp_path, monkeypatch, kind: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.yaml").write_text(dump(full_marks()), encoding="utf-8")
    write_evaluation(tmp_path / "ev.yaml", write_inputs(tmp_path / "in", ["赣州甲公司"]))
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "loop").symlink_to("loop")
    outside = Tree(tmp_path)
    for command in COMMANDS:
        args = [a.replace("{P}", IMPOSSIBLE[kind]) for a in command]
        refused(cli(*args))
    outside.unchanged()
