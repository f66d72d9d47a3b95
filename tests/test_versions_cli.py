"""Issue 6 through the real CLI: build → correct → rebuild → unchanged → final → correct → rebuild."""

from __future__ import annotations

import json
from pathlib import Path

from docx import Document

from tests.conftest import dump_yaml, full_marks


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_the_correction_sequence_keeps_every_version(cli, tmp_path) -> None:
    data = full_marks()
    src = tmp_path / "企业.yaml"
    out = tmp_path / "申报材料"

    def build():  # type: ignore[no-untyped-def]
        r = cli("build", src, "-o", out)
        assert r.exit_code == 0, r.output
        return r

    src.write_text(dump_yaml(data), "utf-8")
    build()
    v1 = files(out)

    # the county asks for corrections: one score and one tonnage
    data["items"]["A4.1"]["score"] = 8
    data["waste"]["streams"][0]["generated_t"] = 10.4
    src.write_text(dump_yaml(data), "utf-8")
    r = build()
    assert "第 2 版" in r.stdout
    assert {k.removeprefix("历史版本/1/"): v for k, v in files(out).items() if k.startswith("历史版本/1/")} == {
        k: v for k, v in v1.items()
    }
    note = (out / "修改说明.txt").read_text("utf-8")
    assert "A4.1 自评分：10 → 8" in note
    assert "产生量（吨）：10 → 10.4" in note
    assert "总分：105 → 100" in note  # A4.1 −2 and A4.2 −3 (10.4 t generated, 10 t handled)
    assert "A4.2" in note and "3 → 0" in note
    docx_note = "\n".join(c.text for t in Document(out / "修改说明.docx").tables for row in t.rows for c in row.cells)
    assert "10" in docx_note and "8" in docx_note and "10.4" in docx_note

    # unchanged: nothing rewritten
    v2 = files(out)
    r = build()
    assert "无变化" in r.stdout
    assert files(out) == v2

    # mark final (stamped and sent)
    r = cli("final", out, "--by", "李某")
    assert r.exit_code == 0, r.output
    final_dirs = [p for p in (out / "历史版本").iterdir() if p.name.endswith("定稿")]
    assert len(final_dirs) == 1
    final_copy = files(final_dirs[0])

    # change again and rebuild: the final copy is never touched
    data["unit"]["staff"] = 120
    src.write_text(dump_yaml(data), "utf-8")
    r = build()
    assert "第 3 版" in r.stdout
    assert files(final_dirs[0]) == final_copy
    assert "单位规模（职工人数）：100 → 120" in (out / "修改说明.txt").read_text("utf-8")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["version"] == 3
    versions = sorted(p.name for p in (out / "历史版本").iterdir())
    assert versions == ["1", final_dirs[0].name]


def test_bad_input_leaves_the_package_untouched(cli, tmp_path) -> None:
    src = tmp_path / "企业.yaml"
    out = tmp_path / "申报材料"
    src.write_text(dump_yaml(full_marks()), "utf-8")
    assert cli("build", src, "-o", out).exit_code == 0
    before = files(out)
    src.write_text(dump_yaml(full_marks()).replace("staff: 100", "staff: -1"), "utf-8")
    r = cli("build", src, "-o", out)
    assert r.exit_code == 1 and "unit.staff" in r.stderr
    assert files(out) == before


def test_another_units_file_into_an_existing_folder_is_refused(cli, tmp_path) -> None:
    """A different company's file (another 统一社会信用代码) built into a folder holding a package does not
    silently become its new version: exit 1 naming both units, nothing changed; `--force` allows it."""
    from tests.hostile_kit import Tree, refused
    from tests.test_city_fixture import enterprise, make_uscc

    first, other = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(dump_yaml(enterprise(1, name="赣州甲材料有限公司")), encoding="utf-8")
    other.write_text(dump_yaml(enterprise(2, name="赣州乙材料有限公司")), encoding="utf-8")
    out = tmp_path / "out"
    assert cli("build", first, "-o", out).exit_code == 0
    before = Tree(out)
    message = refused(
        cli("build", other, "-o", out), "赣州甲材料有限公司", make_uscc(1), "赣州乙材料有限公司", "--force"
    )
    assert make_uscc(2) in message
    before.unchanged()
    renamed = enterprise(1, name="赣州甲材料股份有限公司")  # the same unit under a new name: its next version
    first.write_text(dump_yaml(renamed), encoding="utf-8")
    assert cli("build", first, "-o", out).exit_code == 0
    result = cli("build", other, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text("utf-8"))["uscc"] == make_uscc(2)
