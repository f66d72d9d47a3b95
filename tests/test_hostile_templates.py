"""User templates that try to escape the sandbox, exhaust memory, or are damaged files.

Each is a built-in template (from `wufei templates export`) with one tag's text replaced inside
word/document.xml, as a user editing in Word or by hand would. `wufei build --templates` and
`wufei templates check` both refuse it: exit 1, a Chinese message, no traceback, nothing written.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.conftest import full_marks
from tests.docx_helpers import patch_docx
from tests.hostile_kit import Tree, built, dump, hostile_enterprise, refused

TAG = "{{ unit.address }}"
FORM = "申报表.docx"

# attack → a word the build's message must contain
ATTACKS = {
    "{{ ''.__class__.__mro__ }}": "__class__",
    "{{ cycler.__init__.__globals__ }}": "__init__",
    "{{ joiner.__init__.__globals__.os }}": "__init__",
    "{{ namespace.__init__.__globals__ }}": "__init__",
    "{{ self.__dict__ }}": "__dict__",
    "{{ lipsum.__globals__ }}": "__globals__",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}": "__class__",
    "{{ unit.__class__ }}": "__class__",
    "{{ unit|attr('__class__') }}": "__class__",
    "{{ unit.name.__class__.__mro__[1].__subclasses__() }}": "__class__",
    "{{ '{0.__class__}'.format(unit) }}": "__class__",
    "{{ unit.name.format_map({'a': unit}).__class__ }}": "__class__",
    "{% set x = unit.__setitem__('name', '改') %}": "__setitem__",
    "{{ unit.pop('name') }}": "修改数据",
    "{{ hard.append(1) }}": "修改数据",
    "{{ unit.update({'name': '改'}) }}": "修改数据",
    "{{ unit.name|safe }}": "|safe",
    "{{ unit.name|urlize }}": "|urlize",
    "{{ range(10**10)|list }}": "过大",
    "{{ range(200000)|list }}": "range()",
    "{{ 'a' * 10**9 }}": "过大",
    "{{ [1] * 10**8 }}": "过大",
    "{{ 9 ** 999999999 }}": "过大",
    "{{ '%999999999s' % 1 }}": "过大",
    "{{ '{:999999999}'.format(1) }}": "过大",
    "{{ 'x'|center(10**9) }}": "过大",
    "{{ 'x'.ljust(10**9) }}": "过大",
    "{% for i in range(100000) %}{% for j in range(100000) %}1234567890{% endfor %}{% endfor %}": "MB",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}": "递归",
    "{% include '/etc/passwd' %}": "引用其他文件",
    "{% import 'os' as os %}": "引用其他文件",
    "{% extends '/etc/passwd' %}": "引用其他文件",
    "{{ config }}": "不存在的变量",
    "{{ request.application.__globals__ }}": "不存在的变量",
}


def tag_xml(jinja: str) -> str:
    """How the attack looks inside word/document.xml (Word escapes &, <, > and quotes in text)."""
    return escape(jinja, {"'": "&apos;", '"': "&quot;"})


def user_folder(tmp_path: Path) -> Path:
    """A template folder holding only a copy of the built-in 申报表.docx (the others fall back to the
    built-in ones, which keeps `templates check` to the one file under test)."""
    from wufei_docs.render.templates import builtin_dir

    folder = tmp_path / "模板"
    folder.mkdir()
    (folder / FORM).write_bytes((builtin_dir() / FORM).read_bytes())
    return folder


@pytest.fixture
def template_folder(tmp_path):
    def make(attack: str) -> Path:
        folder = user_folder(tmp_path)
        patch_docx(folder / FORM, TAG, tag_xml(attack))
        return folder

    return make


@pytest.mark.parametrize("attack", list(ATTACKS), ids=range(len(ATTACKS)))
def test_attack_in_a_user_template_is_refused_by_build_and_check(cli, write, tmp_path, template_folder, attack):
    folder = template_folder(attack)
    source, out = write(dump(full_marks())), tmp_path / "out"
    before = Tree(tmp_path)
    message = refused(cli("build", source, "-o", out, "--templates", folder), FORM, ATTACKS[attack])
    assert "模板" in message
    refused(cli("templates", "check", folder), FORM)
    before.unchanged()
    assert not out.exists()


def test_an_attack_changes_nothing_for_later_builds(cli, write, tmp_path, template_folder) -> None:
    """A template that tried to change the data (`unit.pop`) cannot have changed the shared view model."""
    folder = template_folder("{{ unit.pop('name') }}")
    source = write(dump(full_marks()))
    refused(cli("build", source, "-o", tmp_path / "a", "--templates", folder), "pop")
    texts = built(cli("build", source, "-o", tmp_path / "b"), tmp_path / "b")
    assert "赣州测试材料有限公司" in texts["附件2-评估申报表.docx"]


def test_harmless_expressions_still_work_in_user_templates(cli, write, tmp_path, template_folder) -> None:
    folder = template_folder(
        "{{ unit.name|upper }}/{{ 'ab' * 3 }}/{{ 2 ** 10 }}/{{ '%05.1f' % 3.14159 }}/{{ unit.items()|length }}"
    )
    out = tmp_path / "out"
    texts = built(cli("build", write(dump(full_marks())), "-o", out, "--templates", folder), out)
    assert "赣州测试材料有限公司/ababab/1024/003.1/" in texts["附件2-评估申报表.docx"]


def test_hostile_data_in_a_user_template_is_still_escaped(cli, write, tmp_path, template_folder) -> None:
    folder = template_folder(
        "{{ unit.address }}|{{ unit.name|e }}|{{ unit.name|string }}|{{ unit.name|replace('<', '<') }}"
    )
    data, placed = hostile_enterprise()
    out = tmp_path / "out"
    texts = built(cli("build", write(dump(data)), "-o", out, "--templates", folder), out)
    assert placed["unit.address"] in texts["附件2-评估申报表.docx"]
    assert f"|{placed['unit.name']}|" in texts["附件2-评估申报表.docx"]


def _rezip(path: Path, change) -> None:
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            result = change(info.filename, data)
            if result is not None:
                z.writestr(info, result)
    path.write_bytes(buf.getvalue())


def _corrupt_member(path: Path) -> None:
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 20 : start + 60] = bytes(40)
    path.write_bytes(bytes(data))


DAMAGED = {
    "not-a-zip": (lambda p: p.write_bytes(b"PK but not a zip"), "不是有效的 Word 文档"),
    "empty": (lambda p: p.write_bytes(b""), "不是有效的 Word 文档"),
    "corrupt-member": (_corrupt_member, "已损坏"),
    "no-document": (
        lambda p: _rezip(p, lambda n, d: None if n == "word/document.xml" else d),
        "缺少 word/document.xml",
    ),
    "doctype-entity": (
        lambda p: _rezip(
            p,
            lambda n, d: (
                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + d.split(b"?>", 1)[1]
                if n == "word/document.xml"
                else d
            ),
        ),
        "DOCTYPE",
    ),
    "broken-xml": (
        lambda p: _rezip(p, lambda n, d: d[: len(d) // 2] if n == "word/document.xml" else d),
        "不是有效的 XML",
    ),
    "declared-huge": (lambda p: _declare_huge(p), "过大"),
    "symlink-to-a-text-file": (lambda p: _link_to_text(p), "不是有效的 Word 文档"),
    "over-size-limit": (lambda p: _sparse(p, 51 * 1024 * 1024), "过大"),
}


def _declare_huge(path: Path) -> None:
    """A small member whose central-directory entry claims 4 GB (a zip bomb's header, without the bomb)."""
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("word/padding.xml", b"<a/>")
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")
    assert data[entry + 46 : entry + 46 + 16] == b"word/padding.xml"
    data[entry + 24 : entry + 28] = (0xF0000000).to_bytes(4, "little")
    path.write_bytes(bytes(data))


def _link_to_text(path: Path) -> None:
    secret = path.parent.parent / "secret.txt"
    secret.write_text("机密", encoding="utf-8")
    path.unlink()
    path.symlink_to(secret)


def _sparse(path: Path, size: int) -> None:
    with path.open("r+b") as f:
        f.truncate(size)


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_template_file_is_refused(cli, write, tmp_path, case: str) -> None:
    folder = user_folder(tmp_path)
    damage, words = DAMAGED[case]
    damage(folder / FORM)
    source, out = write(dump(full_marks())), tmp_path / "out"
    before = Tree(tmp_path)
    refused(cli("build", source, "-o", out, "--templates", folder), FORM, words)
    refused(cli("templates", "check", folder), FORM)
    before.unchanged()
