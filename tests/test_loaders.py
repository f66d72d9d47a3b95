"""Reading files the way users produce them, and refusing what is not an enterprise file."""

from __future__ import annotations

import pytest

from tests.conftest import dump_yaml, full_marks
from wufei_docs import _raw as base
from wufei_docs.errors import InputError
from wufei_docs.loading import check


def message(path) -> str:
    with pytest.raises(InputError) as info:
        check(path)
    return str(info.value)


def test_utf8_bom_is_read(write) -> None:
    path = write(b"\xef\xbb\xbf" + dump_yaml(full_marks()).encode("utf-8"))
    assert check(path).enterprise.unit.county == "章贡区"


def test_gb18030_file_from_notepad_is_read_with_a_notice(write) -> None:
    path = write(dump_yaml(full_marks()).encode("gb18030"))
    checked = check(path)
    assert checked.enterprise.unit.name == "赣州测试材料有限公司"
    assert any("GB18030" in w for w in checked.warnings)


def test_utf16_with_bom_is_read(write) -> None:
    path = write(dump_yaml(full_marks()).encode("utf-16"))
    assert check(path).enterprise.unit.staff == 100


def test_empty_file(write) -> None:
    assert "文件是空的" in message(write(""))


def test_binary_file(write) -> None:
    assert "不是文本文件" in message(write(b"\x89PNG\r\n\x1a\n\x00\x00\x00"))


def test_missing_file(tmp_path) -> None:
    assert "文件不存在" in message(tmp_path / "nope.yaml")


def test_unsupported_suffix(write) -> None:
    assert "不支持的文件类型" in message(write("a: 1", name="e.json"))


def test_file_over_size_limit(write, monkeypatch) -> None:
    monkeypatch.setattr(base, "MAX_TEXT_BYTES", 100)
    monkeypatch.setattr(base.read_text, "__kwdefaults__", {"limit": 100})
    assert "文件过大" in message(write(dump_yaml(full_marks())))


def test_not_a_mapping(write) -> None:
    assert "键值对" in message(write("- 1\n- 2\n"))


def test_malformed_yaml_names_the_line(write) -> None:
    text = dump_yaml(full_marks()).replace("  staff: 100\n", "  staff: [100\n")
    assert "YAML 格式错误" in message(write(text))
    assert "第" in message(write("unit:\n  name: a\n\tstaff: 1\n"))


def test_alias_bomb_is_refused_quickly(write) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    assert "锚点" in message(write("\n".join(lines) + "\n"))


def test_merge_keys_are_refused(write) -> None:
    assert "锚点" in message(write("x: &x {a: 1}\ny:\n  <<: *x\n"))


def test_deep_nesting_is_refused(write) -> None:
    assert "嵌套" in message(write("a: " + "[" * 200 + "]" * 200 + "\n"))
