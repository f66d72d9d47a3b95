"""File and folder names made from input text are safe everywhere and never escape the output folder."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wufei_docs.errors import OutputError
from wufei_docs.files.safety import inside, safe_component, unique_components


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("赣州某某有限公司", "赣州某某有限公司"),
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("..", "未命名"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("  公司. ", "公司"),
        ("公司\n名称\t", "公司 名称"),
        ("", "未命名"),
    ],
)
def test_safe_component(name: str, expected: str) -> None:
    assert safe_component(name) == expected


@given(st.text())
def test_safe_component_is_always_one_harmless_component(name: str) -> None:
    s = safe_component(name)
    assert s and s not in (".", "..")
    assert not any(c in s for c in '/\\:*?"<>|\x00')
    assert len(s) <= 60 and s == s.strip(" .")
    assert os.path.basename(s) == s


def test_colliding_names_get_stable_distinct_suffixes() -> None:
    names = unique_components(["甲/公司", "甲:公司", "乙公司"], ["91360702MA35L0AB16", "91360703MA38K2XP3H", "x"])
    assert names == ["甲_公司-L0AB16", "甲_公司-K2XP3H", "乙公司"]
    assert len({n.casefold() for n in unique_components(["Ab", "aB"], ["1", "1"])}) == 2


def test_inside_refuses_escapes(tmp_path) -> None:
    assert inside(tmp_path, "a/b.docx") == tmp_path / "a" / "b.docx"
    for bad in ("../x", "/etc/passwd", "a/../../x"):
        with pytest.raises(OutputError):
            inside(tmp_path, bad)
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(OutputError):
        inside(tmp_path, "link/x")


@given(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF))
def test_not_xml_is_the_complement_of_xml_chars(char: str) -> None:
    """NOT_XML matches exactly the characters outside XML 1.0's Char production."""
    from wufei_docs.files.safety import NOT_XML

    code = ord(char)
    allowed = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000
    assert (NOT_XML.fullmatch(char) is None) == allowed


def test_not_xml_edges() -> None:
    from wufei_docs.files.safety import NOT_XML

    for code in (0x0, 0x8, 0xB, 0xC, 0xE, 0x1F, 0xD800, 0xDFFF, 0xFFFE, 0xFFFF):
        assert NOT_XML.fullmatch(chr(code)), hex(code)
    for code in (0x9, 0xA, 0xD, 0x20, 0xD7FF, 0xE000, 0xFFFD, 0x10000, 0x10FFFF):
        assert NOT_XML.fullmatch(chr(code)) is None, hex(code)
