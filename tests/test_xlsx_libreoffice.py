"""Workbooks saved again by LibreOffice (as WPS/LibreOffice users do) still read the same."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import EXAMPLES
from tests.workbooks import edit, example_workbook, set_cell
from wufei_docs.cli import app
from wufei_docs.errors import InputError
from wufei_docs.loading import check
from wufei_docs.loading.skeleton import write_skeleton

pytestmark = pytest.mark.slow


def resave(files: list[Path], out: Path) -> dict[str, Path]:
    """Open and save each file in LibreOffice Calc (headless, private profile); name → new file."""
    out.mkdir()
    profile = (out.parent / "lo-profile").as_uri()
    command = [
        "soffice",
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        "xlsx",
        "--outdir",
        str(out),
    ]
    subprocess.run([*command, *map(str, files)], capture_output=True, timeout=300, check=False)
    return {f.name: out / f.name for f in files if (out / f.name).exists()}


@pytest.fixture(scope="module")
def resaved(tmp_path_factory) -> dict[str, Path]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice 未安装")
    src = tmp_path_factory.mktemp("src")
    probe = src / "probe.xlsx"
    from openpyxl import Workbook

    Workbook().save(probe)
    files = [probe]
    for example in sorted(EXAMPLES.glob("*.yaml")):
        files.append(example_workbook(src, example, name=f"{example.stem}.xlsx"))
    files.append(write_skeleton(src / "空白.xlsx", xlsx=True))
    formula = example_workbook(src, name="公式.xlsx")
    edit(formula, lambda wb: set_cell(wb, "自评", "A4.1", "自评分", "=5*2"))
    files.append(formula)
    done = resave(files, tmp_path_factory.mktemp("lo") / "out")
    if "probe.xlsx" not in done:
        pytest.skip("LibreOffice Calc 未安装（无法转换 .xlsx）")
    import zipfile

    with zipfile.ZipFile(done["空白.xlsx"]) as z:
        assert b"LibreOffice" in z.read("docProps/app.xml")  # really written by LibreOffice
    done["_src"] = src
    return done


def score_json(path: Path) -> dict:
    r = CliRunner().invoke(app, ["score", str(path), "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_resaved_example_scores_the_same(resaved, example) -> None:
    path = resaved[f"{example.stem}.xlsx"]
    assert score_json(path) == score_json(example)
    assert check(path).enterprise.model_dump() == check(example).enterprise.model_dump()


def test_resaved_empty_form_reports_the_same_cells(resaved) -> None:
    def problems(path: Path) -> list[str]:
        with pytest.raises(InputError) as info:
            check(path)
        return [str(p) for p in info.value.problems]

    assert problems(resaved["空白.xlsx"]) == problems(resaved["_src"] / "空白.xlsx")


def test_resaved_form_keeps_its_dropdowns(resaved) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(resaved["空白.xlsx"])
    kinds = {dv.type for dv in wb["固废台账"].data_validations.dataValidation}
    assert {"list", "decimal"} <= kinds


def test_formula_computed_by_libreoffice_is_read_from_its_saved_result(resaved) -> None:
    original = resaved["_src"] / "公式.xlsx"
    with pytest.raises(InputError):
        check(original)  # openpyxl saved the formula without a result
    checked = check(resaved["公式.xlsx"])
    assert checked.enterprise.items["A4.1"].score == 10
    assert any("含公式" in w for w in checked.warnings)
