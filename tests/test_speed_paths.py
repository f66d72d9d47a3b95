"""Every fast path gives the same result as the plain one: YAML via the C parser, templates compiled from
kept sources or from memory, packages made by the bundle's workers, zips made from reused records."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import EXAMPLES, dump_yaml, variant
from wufei_docs._samples import sample_enterprise, write_samples
from wufei_docs.county.run import bundle
from wufei_docs.files import zips as archive
from wufei_docs.loading import yamlfile
from wufei_docs.render.engine import clear_cache, render_docx, use_store
from wufei_docs.render.templates import ALL_TEMPLATE_NAMES, builtin_dir


def _plain_yaml(text: str, path: Path) -> object:
    return yamlfile.to_plain(yamlfile.parse_yaml(text, path), path)


@pytest.mark.parametrize("i", range(12))
def test_c_parser_gives_the_round_trip_parsers_data(tmp_path, i) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(dump_yaml(sample_enterprise(i, seed=i)), "utf-8")
    raw = yamlfile.load_yaml(path)
    assert yamlfile._fast_plain(path.read_text("utf-8")) is not yamlfile._SLOW
    assert raw.data == _plain_yaml(path.read_text("utf-8"), path)


def test_c_parser_on_examples_and_odd_scalars(tmp_path) -> None:
    texts = [p.read_text("utf-8") for p in EXAMPLES.glob("*.yaml")]
    texts.append(dump_yaml(variant()))
    texts.append(
        "a: 2025-03-01\nb: 0o17\nc: 1_000\nd: .inf\ne: yes\nf: ~\ng: 12:30\nh: 0x1F\ni: '007'\nj: |\n  x\n  y\n"
    )
    for text in texts:
        fast = yamlfile._fast_plain(text)
        assert fast is not yamlfile._SLOW
        assert fast == _plain_yaml(text, tmp_path / "x.yaml")


@pytest.mark.parametrize(
    "text",
    ["a: &x 1\nb: *x\n", "a: !!binary AAAA\n", "a: 1\na: 2\n", "a: [1, 2\n", "<<: {a: 1}\n"],
)
def test_anchors_tags_and_errors_take_the_located_path(tmp_path, text) -> None:
    from wufei_docs.errors import InputError

    assert yamlfile._fast_plain(text) is yamlfile._SLOW
    path = tmp_path / "x.yaml"
    path.write_text(text, "utf-8")
    try:
        plain = _plain_yaml(text, path)
    except InputError as e:
        with pytest.raises(InputError) as fast_error:
            yamlfile.load_yaml(path)
        assert str(fast_error.value) == str(e)
    else:
        assert repr(yamlfile.load_yaml(path).data) == repr(plain)


def test_line_numbers_still_found_for_fast_parsed_files(write) -> None:
    from wufei_docs.errors import InputError
    from wufei_docs.loading import check

    path = write(variant(**{"unit.staff": -1}))
    with pytest.raises(InputError) as error:
        check(path)
    assert "第" in str(error.value) and "行" in str(error.value)


@pytest.mark.parametrize("name", ALL_TEMPLATE_NAMES)
def test_every_template_renders_the_same_from_kept_sources_memory_and_scratch(tmp_path, name) -> None:
    from wufei_docs.render.samples import sample_county_context
    from wufei_docs.render.templates import COUNTY_TEMPLATE_NAMES
    from wufei_docs.render.view import view_model

    if name in COUNTY_TEMPLATE_NAMES:
        context = sample_county_context()
    else:
        from wufei_docs.loading import check
        from wufei_docs.scoring.score import score

        checked = check(EXAMPLES / "赣州稀土新材料.yaml")
        result = score(checked.enterprise, checked.rubric)
        context = view_model(checked.enterprise, result, checked.rubric, self_result=result)
    template = builtin_dir() / name
    plain = render_docx(template, context, cache=False)
    try:
        use_store(tmp_path / "store")
        clear_cache()
        first = render_docx(template, context)  # compiles, keeps the sources
        assert any((tmp_path / "store").iterdir())
        clear_cache()
        from_store = render_docx(template, context)  # a new process: compiles from the kept sources
        from_memory = render_docx(template, context)
    finally:
        use_store(None)
        clear_cache()
    assert plain == first == from_store == from_memory


def test_bundle_package_equals_wufei_build_of_the_same_file(cli, tmp_path) -> None:
    """An enterprise without an evaluation entry: the bundle's worker-made package is byte for byte
    what `wufei build` makes of the same file."""
    files, evaluation = write_samples(tmp_path / "收件", 3)
    ev = json.loads(json.dumps(__import__("ruamel.yaml").yaml.YAML(typ="safe").load(evaluation.read_text("utf-8"))))
    uscc = ev["enterprises"].popitem()[0]
    evaluation.write_text(dump_yaml(ev), "utf-8")
    bundle(files[0].parent, evaluation, tmp_path / "out", jobs=2)
    entry = next(e for e in json.loads((tmp_path / "out" / "bundle.json").read_text("utf-8"))["enterprises"]
                 if e["uscc"] == uscc)  # fmt: skip
    r = cli("build", files[0].parent / entry["source"], "-o", tmp_path / "built")
    assert r.exit_code == 0, r.output
    packaged = tmp_path / "out" / entry["folder"]
    names = sorted(p.name for p in packaged.iterdir() if p.is_file() and not p.name.startswith("."))
    assert names == sorted(p.name for p in (tmp_path / "built").iterdir() if p.is_file() and not p.name.startswith("."))
    for name in names:
        assert (packaged / name).read_bytes() == (tmp_path / "built" / name).read_bytes(), name


def test_list_workbook_written_directly_opens_with_its_layout(tmp_path) -> None:
    files, evaluation = write_samples(tmp_path / "收件", 5)
    bundle(files[0].parent, evaluation, tmp_path / "out", jobs=1, zip_output=False)
    wb = load_workbook(tmp_path / "out" / "推荐名单.xlsx")
    assert wb.sheetnames == ["推荐名单", "未推荐"]
    ws = wb["推荐名单"]
    assert ws["A1"].value == "章贡区“无废工厂”推荐名单" and ws["A1"].font.b
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:I1"]
    assert ws.freeze_panes == "A3" and ws.column_dimensions["B"].width == 36
    assert ws["A2"].value == "序号" and ws["A2"].font.b and ws["B3"].border.left.style == "thin"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$2:$2"
    data = json.loads((tmp_path / "out" / "bundle.json").read_text("utf-8"))
    recommended = [e for e in data["enterprises"] if e["recommended"]]
    assert [ws.cell(3 + i, 3).value for i in range(len(recommended))] == [e["uscc"] for e in recommended]
    assert [ws.cell(3 + i, 6).value for i in range(len(recommended))] == [e["evaluated_total"] for e in recommended]
    again = tmp_path / "again"
    bundle(files[0].parent, evaluation, again, jobs=1, zip_output=False)
    assert (again / "推荐名单.xlsx").read_bytes() == (tmp_path / "out" / "推荐名单.xlsx").read_bytes()


def test_large_archives_use_zip64_and_stay_deterministic(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "包"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("甲" * 1000, "utf-8")
    (folder / "sub" / "b.docx").write_bytes(b"PK" + bytes(range(256)) * 10)
    (folder / ".hidden").write_text("x", "utf-8")
    monkeypatch.setattr(archive, "_ZIP32_LIMIT", 100)
    archive.zip_folder(folder, tmp_path / "one.zip")
    archive.zip_folder(folder, tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as z:
        assert z.namelist() == ["包/a.txt", "包/sub/b.docx"]
        assert z.read("包/a.txt").decode() == "甲" * 1000 and z.testzip() is None


def test_rerun_of_the_real_command_equals_a_first_run(tmp_path) -> None:
    """`wufei bundle` as a user runs it (a new process each time: the early helper, the quick exit), after a
    text and a score correction, gives the outputs of a first run over the corrected files."""
    import subprocess
    import sys

    from tests.bundle_checks import outputs

    files, evaluation = write_samples(tmp_path / "收件", 5, seed=4)
    folder, out = files[0].parent, tmp_path / "out"

    def wufei_bundle(target: Path) -> None:
        cmd = [sys.executable, "-m", "wufei_docs", "bundle", str(folder), "-e", str(evaluation), "-o", str(target)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert "已生成" in done.stdout

    wufei_bundle(out)
    target = files[2]
    text = target.read_text("utf-8").replace("已落实", "已全面落实", 1)
    target.write_text(re.sub(r"(\n {4}score: )([1-9][0-9]*)(\.0)?\n", r"\g<1>0\n", text, count=1), "utf-8")
    wufei_bundle(out)
    wufei_bundle(tmp_path / "fresh")
    assert outputs(out) == outputs(tmp_path / "fresh")
    assert len(list(out.glob("企业/*/修改说明.txt"))) == 1  # the corrected package is a new version
