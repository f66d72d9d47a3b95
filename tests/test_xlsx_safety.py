"""Refusing what is not a safe .xlsx: clear Chinese messages, exit 1, never a traceback."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.workbooks import example_workbook, rewrite_member, sheet_member, with_prolog
from wufei_docs.errors import InputError
from wufei_docs.excel import zipcheck
from wufei_docs.loading import check


def message(path) -> str:
    with pytest.raises(InputError) as info:
        check(path)
    return str(info.value)


def test_old_xls_file(tmp_path) -> None:
    path = tmp_path / "旧表.xlsx"
    path.write_bytes(zipcheck.OLE_MAGIC + b"\x00" * 512)
    assert "旧版 Excel（.xls）" in message(path)


def test_renamed_text_file(tmp_path) -> None:
    path = tmp_path / "e.xlsx"
    path.write_text("format: wufei/enterprise-1\n", encoding="utf-8")
    assert "不是有效的 .xlsx 文件" in message(path)


def test_word_document_renamed(tmp_path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    path = tmp_path / "e.xlsx"
    path.write_bytes(buffer.getvalue())
    assert "不是 Excel 工作簿（这是 Word 文档）" in message(path)


def test_empty_file(tmp_path) -> None:
    path = tmp_path / "e.xlsx"
    path.write_bytes(b"")
    assert "文件是空的" in message(path)


def test_file_over_the_size_limit_is_not_even_read(tmp_path) -> None:
    path = tmp_path / "big.xlsx"
    with path.open("wb") as f:
        f.truncate(zipcheck.MAX_FILE_BYTES + 1)
    assert "文件过大" in message(path) and "20 MB" in message(path)


def test_zip_bomb_member_is_refused_by_its_ratio(tmp_path) -> None:
    path = example_workbook(tmp_path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/image1.bin", b"\0" * (8 * 1024 * 1024))
    assert "压缩比异常" in message(path) and "压缩炸弹" in message(path)


def test_total_uncompressed_size_is_limited(tmp_path, monkeypatch) -> None:
    path = example_workbook(tmp_path)
    monkeypatch.setattr(zipcheck, "MAX_UNCOMPRESSED_BYTES", 50_000)
    assert "解压后过大" in message(path)


def test_sizes_are_checked_before_openpyxl_sees_the_file(tmp_path, monkeypatch) -> None:
    import openpyxl

    path = example_workbook(tmp_path)
    monkeypatch.setattr(zipcheck, "MAX_UNCOMPRESSED_BYTES", 50_000)

    def must_not_run(*args, **kwargs):
        raise AssertionError("openpyxl opened a file that should have been refused")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_run)
    assert "解压后过大" in message(path)


def test_doctype_and_entities_are_refused(tmp_path) -> None:
    path = example_workbook(tmp_path)
    bomb = b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    rewrite_member(path, sheet_member(path, "基本信息"), with_prolog(bomb))
    assert "DTD 或实体声明" in message(path)


def test_external_entity_in_a_sheet_is_refused(tmp_path) -> None:
    path = example_workbook(tmp_path)
    member = sheet_member(path, "自评")
    xxe = b'<?xml version="1.0"?>\n<!DOCTYPE x [ <!ENTITY e SYSTEM "file:///etc/passwd"> ]>'
    rewrite_member(path, member, with_prolog(xxe))
    assert "DTD 或实体声明" in message(path)


def test_utf16_xml_part_is_refused(tmp_path) -> None:
    path = example_workbook(tmp_path)
    rewrite_member(path, "xl/workbook.xml", lambda xml: xml.decode("utf-8").encode("utf-16"))
    assert "不支持的编码" in message(path)


def test_encrypted_member_is_refused(tmp_path) -> None:
    path = example_workbook(tmp_path)
    with zipfile.ZipFile(path) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info, data in parts:
            out.writestr(info, data)
    raw = bytearray(buffer.getvalue())
    # set the "encrypted" flag bit in every central directory entry
    index = raw.find(b"PK\x01\x02")
    while index != -1:
        raw[index + 8] |= 0x1
        index = raw.find(b"PK\x01\x02", index + 4)
    path.write_bytes(bytes(raw))
    assert "已加密" in message(path)


def test_corrupt_workbook_xml_is_an_input_error(tmp_path, cli) -> None:
    path = example_workbook(tmp_path)
    rewrite_member(path, "xl/workbook.xml", lambda xml: xml[: len(xml) // 2])
    r = cli("validate", path)
    assert r.exit_code == 1 and "无法读取工作簿" in r.stderr and "Traceback" not in r.output


def test_huge_row_numbers_do_not_hang(tmp_path) -> None:
    path = example_workbook(tmp_path)
    member = sheet_member(path, "支撑材料")

    def far_away_row(xml: bytes) -> bytes:
        row = b'<row r="900000000"><c r="A900000000" t="inlineStr"><is><t>E99</t></is></c></row>'
        return xml.replace(b"</sheetData>", row + b"</sheetData>")

    rewrite_member(path, member, far_away_row)
    check(path)  # rows beyond the read limit are never reached; the file still reads


def test_content_just_past_the_row_limit_is_reported(tmp_path, monkeypatch) -> None:
    from wufei_docs.excel import read as xlsx

    path = example_workbook(tmp_path)
    monkeypatch.setattr(xlsx, "MAX_ROWS", 5)
    assert "超出读取范围" in message(path)


def test_cli_refusal_has_no_traceback(cli, tmp_path) -> None:
    path = tmp_path / "e.xlsx"
    path.write_text("not a workbook", encoding="utf-8")
    r = cli("score", path)
    assert r.exit_code == 1 and "不是有效的 .xlsx 文件" in r.stderr and "Traceback" not in r.output


def test_xml_under_another_name_is_scanned_too(tmp_path) -> None:
    path = example_workbook(tmp_path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("customXml/item1.dat", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>')
    assert "DTD 或实体声明" in message(path)


def test_images_are_not_mistaken_for_xml(tmp_path) -> None:
    path = example_workbook(tmp_path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    check(path)


def test_openpyxl_parses_with_defusedxml() -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML  # defusedxml installed and not disabled (OPENPYXL_DEFUSEDXML)
