"""The render engine: escaping, the vmerge tag, caching, deterministic zips, bad templates."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.docx_helpers import patch_docx
from wufei_docs.errors import TemplateError
from wufei_docs.render import engine as render
from wufei_docs.render import xmlprep
from wufei_docs.render.samples import sample_context
from wufei_docs.render.templates import FORM, REPORT, SHEET, builtin_dir


def test_text_is_escaped_and_breaks_become_word_elements() -> None:
    assert str(render.xml_text("a&b<c>\"d\"'e'")) == "a&amp;b&lt;c&gt;&quot;d&quot;&#39;e&#39;"
    assert str(render.xml_text("一\n二\t三\r\n四")) == (
        '一</w:t><w:br/><w:t xml:space="preserve">二</w:t><w:tab/><w:t xml:space="preserve">三'
        '</w:t><w:br/><w:t xml:space="preserve">四'
    )
    assert str(render.xml_text("x\x01y\ufffe")) == "x\ufffdy\ufffd"  # XML 1.0 cannot hold these
    assert str(render.xml_text(None)) == "" and str(render.xml_text(3)) == "3"


def test_vmerge_tag_sets_the_cell_merge_in_order() -> None:
    cell = (
        '<w:tc><w:tcPr><w:tcW w:w="100" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
        "<w:p><w:r><w:t>{% vmerge row.vm %}{{ row.text }}</w:t></w:r></w:p></w:tc>"
    )
    src = xmlprep.to_jinja(f"<w:tbl><w:tr>{cell}</w:tr></w:tbl>")
    env = render.environment()
    for vm, expected in (("restart", '<w:vMerge w:val="restart"/>'), ("continue", "<w:vMerge/>"), ("", "")):
        out = env.from_string(src).render(row={"vm": vm, "text": "x"})
        assert f'<w:tcW w:w="100" w:type="dxa"/>{expected}<w:vAlign' in out
        assert "vmerge" not in out


def test_cached_engine_reuses_compiled_template_until_the_file_changes(tmp_path) -> None:
    path = tmp_path / FORM
    shutil.copyfile(builtin_dir() / FORM, path)
    first = render.compile_docx(path)
    assert render.compile_docx(path) is first
    patch_docx(path, "建设申报类型", "申报类型")
    second = render.compile_docx(path)
    assert second is not first and second.digest != first.digest
    assert render.compile_docx(path, cache=False) is not second


@pytest.mark.parametrize("name", [REPORT, SHEET, FORM])
def test_rendered_docx_is_a_valid_deterministic_zip(name) -> None:
    context = sample_context()
    fast = render.render_docx(builtin_dir() / name, context)
    plain = render.render_docx(builtin_dir() / name, context, cache=False)
    assert fast == plain
    with zipfile.ZipFile(io.BytesIO(fast)) as z:
        assert z.testzip() is None
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        with zipfile.ZipFile(builtin_dir() / name) as t:
            assert z.namelist() == t.namelist()


def test_unbalanced_user_template_is_refused_not_written(tmp_path) -> None:
    path = tmp_path / FORM
    shutil.copyfile(builtin_dir() / FORM, path)
    patch_docx(path, "日期：{{ application.date }}", "日期：{% if false %}")
    patch_docx(path, "{{ unit.address }}", "{% endif %}")
    with pytest.raises(TemplateError, match="不是有效的 XML"):
        render.render_docx(path, sample_context(), cache=False)


def test_sandbox_refuses_python_internals(tmp_path) -> None:
    path = tmp_path / FORM
    shutil.copyfile(builtin_dir() / FORM, path)
    patch_docx(path, "{{ unit.address }}", "{{ doc.__class__.__subclasses__() }}")
    with pytest.raises(TemplateError, match="不允许"):
        render.render_docx(path, sample_context(), cache=False)


def test_syntax_error_names_the_template_and_the_tag(tmp_path) -> None:
    path = tmp_path / REPORT
    shutil.copyfile(builtin_dir() / REPORT, path)
    patch_docx(path, "{%p endif %}", "{%p endiff %}")
    with pytest.raises(TemplateError, match=r"模板 申报书\.docx 语法错误.*endiff"):
        render.compile_docx(path, cache=False)


@given(st.text())
def test_xml_text_fast_path_equals_full_escaping(text: str) -> None:
    """Values without special characters skip the escaping; the result is the same either way."""
    from wufei_docs.files.safety import NOT_XML

    full = NOT_XML.sub("\ufffd", text).replace("\r\n", "\n").replace("\r", "\n")
    full = full.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    full = full.replace('"', "&quot;").replace("'", "&#39;")
    full = full.replace("\n", render.BREAK).replace("\t", render.TAB)
    assert str(render.xml_text(text)) == full


def test_generated_documents_carry_only_the_styles_they_use(tmp_path) -> None:
    """The template keeps Word's whole style set (for restyling); a generated document only the styles its
    parts name (and those they are based on), and every style its parts name is there."""
    import re

    from wufei_docs.render.templates import REPORT, builtin_dir

    template = builtin_dir() / REPORT
    with zipfile.ZipFile(template) as z:
        template_styles = set(re.findall(rb'w:styleId="([^"]*)"', z.read("word/styles.xml")))
    data = render.render_docx(template, sample_context())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("word/styles.xml")
        named = {
            m
            for n in z.namelist()
            if n != "word/styles.xml"
            for m in re.findall(rb'w:pStyle w:val="([^"]*)"', z.read(n))
        }
    kept = set(re.findall(rb'w:styleId="([^"]*)"', styles))
    assert named <= kept < template_styles
    assert len(kept) < len(template_styles) / 5 and b"latentStyles" not in styles


def test_style_named_by_a_tag_keeps_every_style() -> None:
    from wufei_docs.render.xmlprep import used_styles_only

    styles = (
        b'<w:styles><w:latentStyles w:count="1"/><w:style w:type="paragraph" w:styleId="A"><w:name w:val="A"/>'
        b'</w:style><w:style w:type="paragraph" w:styleId="B"><w:basedOn w:val="A"/></w:style>'
        b'<w:style w:type="paragraph" w:styleId="C"></w:style></w:styles>'
    )
    assert used_styles_only(styles, [b'<w:pStyle w:val="{{ s }}"/>']) == styles
    slim = used_styles_only(styles, [b'<w:pStyle w:val="B"/>'])
    assert b'w:styleId="A"' in slim and b'w:styleId="B"' in slim and b'w:styleId="C"' not in slim
    assert b"latentStyles" not in slim
