"""`--pdf` is not a data change: PDFs are a rendering of a version (wufei build and wufei bundle, real LibreOffice)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, full_marks, variant
from wufei_docs.render.pdf import find_soffice

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_soffice() is None, reason="LibreOffice（soffice）未安装：apt-get install libreoffice-writer-nogui"
    ),
]
PDFS = ["申报书.pdf", "附件1-评价指标自评表.pdf", "附件2-评估申报表.pdf"]


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text("utf-8"))


@pytest.fixture
def soffice_calls(tmp_path, monkeypatch) -> Path:
    """A log with one line per LibreOffice start."""
    log = tmp_path / "soffice.log"
    wrapper = tmp_path / "soffice-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{find_soffice()}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("WUFEI_SOFFICE", str(wrapper))
    return log


def starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_build_with_and_without_pdf_keeps_one_version(cli, write, tmp_path, soffice_calls) -> None:
    path, out = write(full_marks()), tmp_path / "out"
    assert cli("build", path, "-o", out).exit_code == 0
    r = cli("build", path, "-o", out, "--pdf")  # PDFs added to version 1
    assert r.exit_code == 0, r.output
    assert "已生成第" not in r.output and "版本不变" in r.output
    assert manifest(out)["version"] == 1 and all(n in manifest(out)["files"] for n in PDFS)
    assert all((out / n).is_file() for n in PDFS) and not (out / "历史版本").exists()
    r = cli("build", path, "-o", out)  # without --pdf: the PDFs of this version stay
    assert r.exit_code == 0 and "无变化" in r.output, r.output
    assert all((out / n).is_file() for n in PDFS) and manifest(out)["version"] == 1
    before = starts(soffice_calls)
    r = cli("build", path, "-o", out, "--pdf")  # PDFs present and current: LibreOffice is not started
    assert r.exit_code == 0 and "无变化" in r.output, r.output
    assert starts(soffice_calls) == before == 1
    r = cli("build", write(variant(**{"unit.staff": 150})), "-o", out)  # the documents change, no --pdf
    assert r.exit_code == 0, r.output
    assert manifest(out)["version"] == 2 and not any((out / n).exists() for n in PDFS)
    assert all((out / "历史版本" / "1" / n).is_file() for n in PDFS)  # the old PDFs go with their version
    note = (out / "修改说明.txt").read_text("utf-8")
    assert "生成选项" not in note and "（已变化）" not in note


def test_bundle_with_and_without_pdf_keeps_each_package_version(cli, tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(EXAMPLES / "赣州稀土新材料.yaml", folder)
    evaluation = EXAMPLES / "county" / "章贡区-evaluation.yaml"
    out = tmp_path / "county"
    assert cli("bundle", folder, "--evaluation", evaluation, "-o", out).exit_code == 0
    [package] = [p.parent for p in (out / "企业").rglob("manifest.json") if "历史版本" not in p.parts]
    assert manifest(package)["version"] == 1 and not list(package.glob("*.pdf"))
    r = cli("bundle", folder, "--evaluation", evaluation, "-o", out, "--pdf")
    assert r.exit_code == 0, r.output
    assert manifest(package)["version"] == 1 and all((package / n).is_file() for n in PDFS)
    assert not (package / "历史版本").exists()
    r = cli("bundle", folder, "--evaluation", evaluation, "-o", out)
    assert r.exit_code == 0, r.output
    assert manifest(package)["version"] == 1 and all((package / n).is_file() for n in PDFS)
