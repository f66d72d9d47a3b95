"""Every .docx/.xlsx the project writes is valid against the ECMA-376 schemas (issue 19).

Word "repairs" a document whose XML breaks the schema (a property twice, properties out of order) before
an enterprise can stamp it. The documents are made by the real commands, as users make them, and every
part of every package is checked by tests/ooxml.py (the standard's XSD files, markup compatibility
processed as Word does, plus what the transitional schema cannot express).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import EXAMPLES, dump_yaml
from tests.ooxml import problems
from tests.test_city_fixture import enterprise, example, make_bundle
from wufei_docs.cli import app
from wufei_docs.render.templates import REVISION_NOTE, USER_TEMPLATE_NAMES, builtin_dir


def run(*args: object) -> None:
    r = CliRunner().invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, (args, r.output)


def office_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".docx", ".xlsx"))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """What each command writes, by kind."""
    base = tmp_path_factory.mktemp("schema")
    out: dict[str, list[Path]] = {}

    # an enterprise package, then a corrected one (修改说明 and 历史版本)
    data = example("赣州稀土新材料")
    source = base / "e.yaml"
    source.write_text(dump_yaml(data), encoding="utf-8")
    run("build", source, "-o", base / "pkg")
    out["申报材料"] = office_files(base / "pkg")
    data["unit"]["staff"] = int(data["unit"]["staff"]) + 20
    data["unit"]["profile"] = "第一段 & <第二段>\n第三段 {{ 不是标签 }}"
    source.write_text(dump_yaml(data), encoding="utf-8")
    run("build", source, "-o", base / "pkg")
    out["修改说明"] = office_files(base / "pkg")

    # a county bundle: 推荐名单 (docx, xlsx), 推荐函, packages with the 核定 附件1; one unit not recommended
    bundle = make_bundle(
        base, "章贡区", [example("赣州稀土新材料"), enterprise(1), enterprise(2, **{"items.A4.1.score": 0})]
    )
    out["县级推荐包"] = office_files(bundle)

    # templates a city office or an enterprise exported (restyled copies), used below with --templates
    run("templates", "export", base / "tpl")

    # the city: 名单 (docx, xlsx), 报送函 for one unit and for many, 抽查通知; built-in and exported templates
    db = base / "r.db"
    run("city", "import", bundle, "--db", db, "--date", "2025-04-01")
    run("city", "publish", "--batch", 1, "-o", base / "city", "--db", db, "--date", "2025-04-10",
        "--uscc", enterprise(1)["unit"]["uscc"], "--uscc", "91360702MA35L0AB16")  # fmt: skip
    run("city", "publish", "--batch", 2, "-o", base / "city", "--db", db, "--date", "2025-04-20",
        "--templates", base / "tpl")  # fmt: skip
    run("city", "spotcheck", "--sample", 2, "--seed", 7, "-o", base / "city", "--db", db, "--date", "2025-05-01",
        "--templates", base / "tpl")  # fmt: skip
    run("city", "list", "--db", db, "--xlsx", base / "city" / "登记库清单.xlsx")
    out["市级文件"] = office_files(base / "city")

    # workbooks
    run("init", base / "wb" / "new.xlsx", "--xlsx")
    run("convert", EXAMPLES / "南康家具制造.yaml", base / "wb" / "converted.xlsx")
    out["工作簿"] = office_files(base / "wb")

    # an enterprise package built with the exported templates
    run("build", EXAMPLES / "南康家具制造.yaml", "-o", base / "own", "--templates", base / "tpl")
    out["自定义模板"] = [*office_files(base / "tpl"), *office_files(base / "own")]
    return out


EXPECTED = {
    "申报材料": {"申报书.docx", "附件1-评价指标自评表.docx", "附件2-评估申报表.docx"},
    "修改说明": {"修改说明.docx", "申报书.docx"},
    "县级推荐包": {"推荐名单.docx", "推荐名单.xlsx", "推荐函.docx", "附件1-评价指标自评表.docx"},
    "市级文件": {
        "赣州市“无废城市细胞”建设单位名单（第1批）.docx",
        "赣州市“无废城市细胞”建设单位名单（第2批）.xlsx",
        "关于报送第1批“无废工厂”评估结果的函.docx",
        "关于报送第2批“无废工厂”评估结果的函.docx",
        "抽查通知.docx",
        "登记库清单.xlsx",
    },
    "工作簿": {"new.xlsx", "converted.xlsx"},
    "自定义模板": set(USER_TEMPLATE_NAMES) | {"申报书.docx"},
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_every_document_a_command_writes_is_schema_valid(written: dict[str, list[Path]], kind: str) -> None:
    files = written[kind]
    assert EXPECTED[kind] <= {f.name for f in files}
    found = {str(f): problems(f) for f in files}
    assert {f: p for f, p in found.items() if p} == {}


def test_the_revised_package_keeps_its_earlier_version(written: dict[str, list[Path]]) -> None:
    assert any("历史版本" in f.parts for f in written["修改说明"])


def test_the_builtin_templates_are_schema_valid() -> None:
    files = sorted(builtin_dir().glob("*.docx"))
    assert {f.name for f in files} == {*USER_TEMPLATE_NAMES, REVISION_NOTE}
    assert {f.name: problems(f) for f in files if problems(f)} == {}


# --- the validator finds what Word would repair -------------------------------------------------------


@pytest.fixture(scope="module")
def valid_docx() -> bytes:
    data = (builtin_dir() / "申报表.docx").read_bytes()
    assert problems(data) == []
    return data


def with_document(docx: bytes, change: Callable[[str], str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = change(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, data)
    return out.getvalue()


def test_a_duplicated_tbllayout_is_reported(valid_docx: bytes) -> None:
    layout = '<w:tblLayout w:type="fixed"/>'
    bad = with_document(valid_docx, lambda x: x.replace(layout, layout * 2, 1))
    found = problems(bad)
    assert len(found) == 1 and "/w:tblPr/w:tblLayout[2]" in found[0] and "not expected" in found[0]


def test_a_second_paragraph_mark_rpr_is_reported(valid_docx: bytes) -> None:
    def twice(xml: str) -> str:
        rpr = re.search(r"<w:pPr>.*?(<w:rPr>.*?</w:rPr>)</w:pPr>", xml)
        assert rpr is not None
        return xml.replace(rpr.group(1), rpr.group(1) * 2, 1)

    found = problems(with_document(valid_docx, twice))
    assert len(found) == 1 and "/w:pPr/w:rPr[2]" in found[0]


def test_cell_margins_after_tbllook_are_reported(valid_docx: bytes) -> None:
    mar = '<w:tblCellMar><w:left w:w="57" w:type="dxa"/></w:tblCellMar>'
    found = problems(with_document(valid_docx, lambda x: x.replace("</w:tblPr>", mar + "</w:tblPr>", 1)))
    assert len(found) == 1 and "w:tblCellMar" in found[0]


def test_run_properties_out_of_word_order_are_reported(valid_docx: bytes) -> None:
    def swap(xml: str) -> str:  # w:sz before w:rFonts: any order is valid transitional XML, Word wants this one
        m = re.search(r"<w:r><w:rPr>(<w:rFonts [^>]*/>)(<w:sz [^>]*/>)", xml)
        assert m is not None
        return xml.replace(m.group(0), f"<w:r><w:rPr>{m.group(2)}{m.group(1)}", 1)

    found = problems(with_document(valid_docx, swap))
    assert len(found) == 1 and "out of order" in found[0]


def test_a_relationship_to_a_missing_part_is_reported(valid_docx: bytes) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(valid_docx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != "word/styles.xml":
                dst.writestr(info.filename, src.read(info))
    found = problems(out.getvalue())
    assert any("styles.xml, which is not in the package" in p for p in found)
