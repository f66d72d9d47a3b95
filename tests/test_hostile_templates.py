"""User templates that try to escape the sandbox, exhaust memory, or are damaged files.

Each is a built-in template (from `wufei templates export`) with one tag's text replaced inside
word/document.xml, as a user editing in Word or by hand would. `wufei build --templates` and
`wufei templates check` both refuse it: exit 1, a Chinese message, no traceback, nothing written.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.conftest import full_marks
from tests.docx_helpers import patch_docx
from tests.hostile_kit import Tree, built, dump, hostile_enterprise, refused

TAG = "{{ unit.address }}"
DOUBLING = "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"
FORM = "申报表.docx"

# attack → a word the build's message must contain
ATTACKS = {
    "{{ ''.__class__.__mro__ }}": "__class__",
    "{{ cycler.__init__.__globals__ }}": "__init__",
    "{{ joiner.__init__.__globals__.os }}": "__init__",
    "{{ namespace.__init__.__globals__ }}": "__init__",
    "{{ self.__dict__ }}": "__dict__",
    "{{ lipsum.__globals__ }}": "不存在的变量",
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
    "{% for i in range(100000) %}{% for j in range(100000) %}1234567890{% endfor %}{% endfor %}": "循环和调用次数",
    "{% for i in range(100000) %}{% for j in range(100) %}{{ unit.name * 100 }}{% endfor %}{% endfor %}": "MB",
    # budgets: texts that double at every step, however they are built
    DOUBLING: "超出限制",
    "{{ 'aaaaaaaaaa'" + "|replace('a', 'aaaaaaaaaa')" * 16 + " }}": "超出限制",
    "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s %}{{ ns.s }}{{ ns.s }}{% endset %}"
    "{% endfor %}{{ ns.s|length }}": "超出限制",
    "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s }}{% endif %}{% endmacro %}{{ d('ab', 40) }}": "超出限制",
    "{% set s = 'a' * 1000000 %}{{ ([s] * 100000)|join }}": "超出限制",
    "{% set s = 'a' * 1000000 %}{{ [s] * 100000 }}": "超出限制",
    "{% set s = 'a' * 1000000 %}{{ ('{0}' * 1000).format(s) }}": "超出限制",
    "{% set s = 'a' * 1000000 %}{{ ('%s' * 1000) % ((s,) * 1000) }}": "超出限制",
    "{% set s = 'a' * 1000000 %}{{ ('%s' * 1000)|format(*((s,) * 1000)) }}": "超出限制",
    "{% set s = 'a\n' * 500000 %}{{ s|indent(1000) }}": "超出限制",
    "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + ['x' * 1000000] %}"
    "{% endfor %}{{ ns.l|length }}": "超出限制",
    "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = ns.l + [range(100000)|list] %}"
    "{% endfor %}": "超出限制",
    "{% set s = 'a ' * 500000 %}{{ s.split()|length }}": "超出限制",
    "{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}{% endfor %}{{ ns.n }}": "过大",
    "{{ [[1] * 1000] * 1000|sum(start=[]) }}": "|sum",
    # only deterministic globals and a short list of methods; nothing that prints a memory address
    "{{ joiner() }}": "不存在的变量",
    "{{ cycler(1, 2) }}": "不存在的变量",
    "{{ lipsum() }}": "不存在的变量",
    "{{ unit.name.upper }}": "函数或方法",
    "{{ unit.items }}": "函数或方法",
    "{{ range }}": "函数或方法",
    "{{ ''.upper|string }}": "内存地址",
    "{{ 'a\tb'.expandtabs(100000) }}": "不允许调用",
    "{{ unit.name.encode() }}": "不允许调用",
    # Python's English errors never reach the user
    "{{ 1 / 0 }}": "除数为零",
    "{{ 10 ** 5000 }}": "数值过大",
    "{{ 'x'|int + [] }}": "数据类型不符",
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
    assert not re.search(r"object at|0x[0-9a-f]|Errno|Traceback|<|is unsafe|division|Exceeds", message), message
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
    "doctype-in-styles": (lambda p: _rezip(p, _declare_in("word/styles.xml")), "DOCTYPE"),
    "entity-in-settings": (lambda p: _rezip(p, _declare_in("word/settings.xml")), "DOCTYPE"),
    "doctype-in-custom-xml": (
        lambda p: _add(p, "customXml/item1.xml", DECLARED + b"<x>&a;</x>"),
        "customXml/item1.xml",
    ),
    "doctype-in-utf16": (lambda p: _add(p, "customXml/item2.xml", DECLARED.decode().encode("utf-16")), "DOCTYPE"),
    "lowercase-doctype": (
        lambda p: _add(p, "customXml/item1.xml", b"<?xml version='1.0'?><!doctype x><x/>"),
        "DOCTYPE",
    ),
    "remote-image": (lambda p: _rezip(p, _link("image", "http://198.51.100.7/pixel.png")), "外部"),
    "linked-ole-object": (lambda p: _rezip(p, _link("oleObject", "file:///C:/secret.xlsx")), "外部"),
    "hyperlink-to-a-share": (lambda p: _rezip(p, _link("hyperlink", "file://198.51.100.7/share")), "外部"),
    "includepicture-field": (
        lambda p: _rezip(p, _field(' INCLUDEPICTURE "http://198.51.100.7/p.png" \\d ')),
        "INCLUDEPICTURE",
    ),
    "dde-field": (lambda p: _rezip(p, _field(' DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc" ')), "DDEAUTO"),
    "declared-huge": (lambda p: _declare_huge(p), "过大"),
    "symlink-to-a-text-file": (lambda p: _link_to_text(p), "不是有效的 Word 文档"),
    "over-size-limit": (lambda p: _sparse(p, 51 * 1024 * 1024), "过大"),
}


DECLARED = b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def _declare_in(member: str):
    """A DOCTYPE with an ENTITY before the root element of `member`, keeping it otherwise intact."""
    return lambda n, d: DECLARED + d.split(b"?>", 1)[1] if n == member else d


def _add(path: Path, member: str, data: bytes) -> None:
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(member, data)


def _link(kind: str, target: str, rels: str = "word/_rels/document.xml.rels"):
    """An external relationship of type `kind` added to `rels` (as Word writes a linked picture or a link)."""
    rel = f'<Relationship Id="rId900" Type="{REL}{kind}" Target="{target}" TargetMode="External"/>'
    return lambda n, d: d.replace(b"</Relationships>", rel.encode() + b"</Relationships>") if n == rels else d


def _field(code: str):
    """A field (as Word stores one: begin, instrText, end) added at the end of the first paragraph."""
    field = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">'
        f'{escape(code)}</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    ).encode()
    return lambda n, d: d.replace(b"</w:p>", field, 1) if n == "word/document.xml" else d


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


def test_attached_template_link_is_dropped_and_web_links_kept(cli, write, tmp_path) -> None:
    """Word's link to a remote attached template (fetched when a document opens) never reaches an output;
    a hyperlink to a web page stays; the documents open; `templates check` has nothing to say."""
    folder = user_folder(tmp_path)
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
        '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{REL}attachedTemplate" Target="https://198.51.100.7/tracker.dotm" TargetMode="External"/>'
        "</Relationships>"
    )
    _rezip(folder / FORM, _link("hyperlink", "https://www.ganzhou.gov.cn/"))
    _add(folder / FORM, "word/_rels/settings.xml.rels", rels.encode())
    _rezip(
        folder / FORM,
        lambda n, d: (
            d.replace(b"<w:defaultTabStop", b'<w:attachedTemplate r:id="rId1"/><w:defaultTabStop')
            if n == "word/settings.xml"
            else d
        ),
    )
    assert b"tracker.dotm" in zipfile.ZipFile(folder / FORM).read("word/_rels/settings.xml.rels")
    assert b"attachedTemplate r:id" in zipfile.ZipFile(folder / FORM).read("word/settings.xml")
    out = tmp_path / "out"
    built(cli("build", write(dump(full_marks())), "-o", out, "--templates", folder), out)
    result = cli("templates", "check", folder)
    assert result.exit_code == 0 and "去掉这个链接" in result.output, result.output
    with zipfile.ZipFile(out / "附件2-评估申报表.docx") as z:
        everything = b"".join(z.read(n) for n in z.namelist())
    assert b"198.51.100.7" not in everything and b"attachedTemplate" not in everything
    assert b"https://www.ganzhou.gov.cn/" in everything


@pytest.mark.parametrize("attack", [DOUBLING, "{{ 'aaaaaaaaaa'" + "|replace('a', 'aaaaaaaaaa')" * 16 + " }}"])
def test_hostile_template_stops_with_little_memory(tmp_path, attack: str) -> None:
    """The whole build, in its own process, stops with the budget's message and peaks far below what
    the attack would take (3-5 GB before the budgets)."""
    import subprocess
    import sys

    folder = user_folder(tmp_path)
    patch_docx(folder / FORM, TAG, tag_xml(attack))
    (tmp_path / "e.yaml").write_text(dump(full_marks()), encoding="utf-8")
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from wufei_docs import build\n"
        "from wufei_docs.errors import TemplateError\n"
        "try:\n"
        "    build(Path(sys.argv[1]), Path(sys.argv[2]), templates=Path(sys.argv[3]))\n"
        "except TemplateError as e:\n"
        "    print(e)\n"
        # VmHWM: this process's own peak (ru_maxrss would start from the pytest process it was spawned from)
        "status = Path('/proc/self/status')\n"
        "peak = [l.split()[1] for l in status.read_text().splitlines() if l.startswith('VmHWM:')] if status.exists() else []\n"
        "print(peak[0] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    args = [tmp_path / "e.yaml", tmp_path / "out", folder]
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    message, peak_kb = done.stdout.strip().rsplit("\n", 1)
    assert "模板 申报表.docx 超出限制" in message, message
    assert int(peak_kb) < 300 * 1024, f"peak {int(peak_kb) // 1024} MB"
    assert not (tmp_path / "out").exists()


def test_render_time_budget(tmp_path, monkeypatch) -> None:
    """Past the time budget the render stops with a message naming it (the budget set to 0 here)."""
    from wufei_docs.errors import TemplateError
    from wufei_docs.render import budget, engine
    from wufei_docs.render.samples import sample_context

    folder = user_folder(tmp_path)
    patch_docx(folder / FORM, TAG, tag_xml("{% for i in range(3) %}{{ i }}{% endfor %}"))
    engine.render_docx(folder / FORM, sample_context(), cache=False)
    monkeypatch.setattr(budget, "MAX_SECONDS", 0.0)
    with pytest.raises(TemplateError, match=r"申报表\.docx 超出限制：生成时间超过 0 秒"):
        engine.render_docx(folder / FORM, sample_context(), cache=False)


def test_same_data_same_bytes_with_a_loop_and_methods(cli, write, tmp_path, template_folder) -> None:
    """What a user template may use prints the same bytes every time; `templates check` and the
    renderer agree on the methods (`unit.items()` was flagged by one and rendered by the other)."""
    folder = template_folder(
        "{% for k, v in unit.items() %}{{ k }}={{ v }};{% endfor %}{{ unit.keys()|list|length }}"
        "{{ unit.name.strip().replace('公司', '') }}{% for x in [1, 2] %}{{ loop.cycle('a', 'b') }}{% endfor %}"
    )
    result = cli("templates", "check", folder)
    assert result.exit_code == 0 and "未发现错误" in result.output, result.output
    source = write(dump(full_marks()))
    for out in (tmp_path / "a", tmp_path / "b"):
        built(cli("build", source, "-o", out, "--templates", folder), out)
    a, b = ((tmp_path / o / "附件2-评估申报表.docx").read_bytes() for o in "ab")
    assert a == b
    assert (
        "name=赣州测试材料有限公司;"
        in built(cli("build", source, "-o", tmp_path / "c", "--templates", folder), tmp_path / "c")[
            "附件2-评估申报表.docx"
        ]
    )
