"""Bad files through every command that reads an enterprise file: validate, score, build and bundle.

Each file is either read (the encodings Windows users save: UTF-8 with or without BOM, UTF-16 with BOM,
GBK/GB18030 with a notice) and builds documents that open, or refused with exit 1 and a Chinese message,
with nothing written and nothing changed outside the output folder. A few runs go through a real
`python -m wufei_docs` process to prove no traceback reaches the user.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.conftest import full_marks, variant
from tests.hostile_kit import Tree, built, dump, refused, run_wufei
from tests.test_city_fixture import enterprise, make_uscc
from wufei_docs._raw import MAX_TEXT_BYTES

GOOD = dump(full_marks())


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# name → (file bytes, words the refusal must contain)
REFUSED: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "empty": (b"", ("文件是空的",)),
    "only-whitespace": (b"  \n\t\n", ("文件是空的",)),
    "binary-png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ("不是文本文件",)),
    "utf16-without-bom": (GOOD.encode("utf-16-le"), ("不是文本文件",)),
    "undecodable-bytes": (b"format: \xff\xfe\xfd\x80\x81\n" * 3, ("编码",)),
    "not-a-mapping-list": (b"- 1\n- 2\n", ("键值对",)),
    "not-a-mapping-scalar": ("赣州某某公司\n".encode(), ("键值对",)),
    "null-document": (b"~\n", ("键值对",)),
    "two-documents": (b"format: a\n---\nformat: b\n", ("YAML 格式错误", "第")),
    "unclosed-quote": (GOOD.replace("name: 赣州测试材料有限公司", 'name: "赣州测试').encode(), ("YAML 格式错误",)),
    "tab-indent": (GOOD.replace("  staff: 100", "\tstaff: 100").encode(), ("YAML 格式错误", "Tab")),
    "duplicate-key": (GOOD.replace("  staff: 100", "  staff: 100\n  staff: 200").encode(), ("重复的键", "第")),
    "billion-laughs": (billion_laughs().encode(), ("锚点",)),
    "merge-key": (b"x: &x {a: 1}\ny:\n  <<: *x\n", ("锚点",)),
    "anchor-on-a-section": (GOOD.replace("unit:", "unit: &u", 1).encode() + b"x: *u\n", ("锚点",)),
    "deep-nesting": (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", ("嵌套层次过深",)),
    "deep-mappings": (b"a: " + b"{x: " * 2000 + b"1" + b"}" * 2000 + b"\n", ("嵌套层次过深",)),
    "python-tag": (b'format: !!python/object/apply:os.system ["touch /tmp/pwned"]\n', ("format",)),
    "custom-tags": (GOOD.replace("name: 赣州测试材料有限公司", "name: !secret 赣州测试").encode(), ("unit.name",)),
    "complex-key": (b"? [a, b]\n: 1\n", ("未知字段",)),
    "infinite-number": (GOOD.replace("area_m2: 10000", "area_m2: .inf").encode(), ("unit.area_m2",)),
    "huge-exponent": (GOOD.replace("area_m2: 10000", "area_m2: 1e400").encode(), ("unit.area_m2",)),
    "nan": (GOOD.replace("output_value: 1000", "output_value: .nan").encode(), ("output_value",)),
    "future-founding": (dump(variant(**{"unit.founded": "9999-12-31"})).encode(), ("unit.founded",)),
    "impossible-date": (GOOD.replace("date: '2025-03-01'", "date: 2025-02-30").encode(), ("第", "2025-02-30", "日期")),
    "raw-control-char": (GOOD.replace("测试路1号", "测试路\x07号").encode(), ("控制字符",)),
    "lone-surrogate-escape": (
        GOOD.replace("name: 赣州测试材料有限公司", 'name: "赣州\\udc80"').encode(),
        ("unit.name",),
    ),
    "over-size-limit": (b"# " + b"x" * MAX_TEXT_BYTES + b"\n" + GOOD.encode(), ("文件过大", "上限为 2 MB")),
    "one-very-long-line": (GOOD.replace("测试路1号", "测" * 300_000).encode(), ("unit.address",)),
}


def test_the_catalogue_covers_every_case_below() -> None:
    assert GOOD.count("date: '2025-03-01'") == 1 and "area_m2: 10000" in GOOD  # the replacements above bite
    assert all(data != GOOD.encode() for data, _ in REFUSED.values())


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_file_is_refused_by_validate_score_and_build(cli, write, tmp_path, case: str) -> None:
    data, words = REFUSED[case]
    source = write(data)
    out = tmp_path / "out"
    outside = Tree(tmp_path)
    refused(cli("validate", source), *words)
    refused(cli("score", source, "--json"), *words)
    refused(cli("build", source, "-o", out), *words)
    assert not out.exists()
    outside.unchanged()


ENCODED: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-bom": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "utf-16-le-bom": lambda t: t.encode("utf-16"),
    "utf-16-be-bom": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
    "gbk-notepad": lambda t: t.replace("\n", "\r\n").encode("gbk"),
    "gb18030": lambda t: t.encode("gb18030"),
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
}


@pytest.mark.parametrize("encoding", sorted(ENCODED))
def test_encodings_windows_users_save_are_read_and_build(cli, write, tmp_path, encoding: str) -> None:
    text = dump(variant(**{"unit.profile": "稀土永磁材料生产，年产钕铁硼 3000 吨。\n第二段：𠀀 与 ㈱"}))
    if encoding.startswith("gbk"):
        text = text.replace("𠀀 与 ㈱", "与 ㈱")  # GBK has no astral characters
    out = tmp_path / "out"
    r = cli("build", write(ENCODED[encoding](text)), "-o", out)
    texts = built(r, out)
    assert "赣州测试材料有限公司" in texts["附件2-评估申报表.docx"]
    assert "年产钕铁硼 3000 吨。" in texts["申报书.docx"]
    notice = "已按 GB18030（GBK）读取" in r.stdout
    assert notice == encoding.startswith("gb")  # told when the file was not UTF-8


def test_input_that_is_not_a_regular_file(cli, tmp_path) -> None:
    folder = tmp_path / "目录.yaml"
    folder.mkdir()
    refused(cli("validate", folder), "文件夹")
    refused(cli("validate", tmp_path / "没有.yaml"), "文件不存在")
    refused(cli("validate", tmp_path / "x.txt"), "不支持的文件类型")
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    refused(cli("validate", loop), "无法读取")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.yaml"
        os.mkfifo(fifo)
        refused(cli("build", fifo, "-o", tmp_path / "out"), "不是普通文件")  # and does not hang reading it
    assert not (tmp_path / "out").exists()


def test_bundle_reports_each_bad_file_and_builds_the_good_ones(cli, tmp_path) -> None:
    inputs = tmp_path / "企业文件"
    inputs.mkdir()
    (inputs / "01-好.yaml").write_text(dump(enterprise(1)), encoding="utf-8")
    (inputs / "02-好GBK.yaml").write_bytes(dump(enterprise(2)).encode("gbk"))
    bad = {name: data for name, (data, _) in REFUSED.items() if name != "over-size-limit"}
    for name, data in bad.items():
        (inputs / f"{name}.yaml").write_bytes(data)
    evaluation = tmp_path / "evaluation.yaml"
    evaluation.write_text(
        dump(
            {
                "format": "wufei/evaluation-1",
                "county": "章贡区",
                "enterprises": {make_uscc(n): {"received": "2025-03-01", "evaluated": "2025-03-05"} for n in (1, 2)},
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "推荐包"
    outside = Tree(tmp_path, out, tmp_path / "推荐包.zip")
    r = cli("bundle", inputs, "-e", evaluation, "-o", out, "-j", "1")
    message = refused(r, f"{len(bad)} 个文件无效")
    for name in bad:
        assert f"{name}.yaml" in message
    texts = built(type("R", (), {"exit_code": 0, "output": ""})(), out)
    assert any("赣州测试02号材料有限公司" in t for t in texts.values())
    assert sorted(p.name for p in (out / "企业").iterdir()) == ["赣州测试01号材料有限公司", "赣州测试02号材料有限公司"]
    outside.unchanged()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ("文件是空的",)),
        ("format: wufei/evaluation-1\ncounty: 章贡区\nenterprises:\n  x\x01: {}\n", ("控制字符",)),
        ('format: wufei/evaluation-1\ncounty: 章贡区\nenterprises:\n  "9136\\u001b": {}\n', ("enterprises",)),
        (billion_laughs(), ("锚点",)),
        ("format: wufei/evaluation-1\ncounty: 章贡区\nenterprises:\n  x: {received: 2025-02-30}\n", ("第4行",)),
        ("format: wufei/evaluation-2\ncounty: 章贡区\n", ("未知的文件格式",)),
    ],
)
def test_bad_evaluation_file_stops_the_bundle_before_anything_is_written(cli, tmp_path, text: str, words) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.yaml").write_text(dump(enterprise(1)), encoding="utf-8")
    evaluation = tmp_path / "evaluation.yaml"
    evaluation.write_text(text, encoding="utf-8")
    outside = Tree(tmp_path)
    refused(cli("bundle", inputs, "-e", evaluation, "-o", tmp_path / "out", "-j", "1"), *words)
    outside.unchanged()
    assert not (tmp_path / "out").exists()


def test_real_runs_never_show_a_traceback(tmp_path) -> None:
    """The catalogue through `python -m wufei_docs validate` in one process, then score and build."""
    paths = []
    for name, (data, _) in sorted(REFUSED.items()):
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(data)
        paths.append(path)
    r = run_wufei("validate", *paths)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert f"共 {len(paths)} 个文件，0 个通过，{len(paths)} 个有问题。" in r.stdout
    for path in paths[:3]:
        for args in (("score", path), ("build", path, "-o", tmp_path / "out")):
            r = run_wufei(*args)
            assert r.returncode == 1 and "Traceback" not in r.stderr and r.stderr.strip(), args
    assert not (tmp_path / "out").exists()
    gbk = tmp_path / "记事本.yaml"
    gbk.write_bytes(GOOD.replace("\n", "\r\n").encode("gbk"))
    r = run_wufei("build", gbk, "-o", tmp_path / "gbk")
    assert r.returncode == 0 and "GB18030" in r.stdout, r.stderr
