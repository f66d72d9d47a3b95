"""The city's documents are templates like the others: restyleable (`--templates`), checked, worded for one
unit as for many, and made by the one docx engine (no python-docx in wufei_docs)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.docx_helpers import open_docx, patch_docx
from tests.test_city_fixture import enterprise, example, make_bundle, make_uscc, snapshot, statuses
from wufei_docs.render.templates import CITY_TEMPLATE_NAMES

LIST = "赣州市“无废城市细胞”建设单位名单（第1批）.docx"
LETTER = "关于报送第1批“无废工厂”评估结果的函.docx"
NOTICE = "抽查通知.docx"


def text(path: Path) -> str:
    return "\n".join(p.text for p in open_docx(path).paragraphs)


@pytest.fixture
def register(cli, tmp_path: Path) -> Path:
    """章贡区 (稀土 100, #1 105) and 南康区 (#3 105), all recommended."""
    db = tmp_path / "r.db"
    zg = make_bundle(tmp_path, "章贡区", [example("赣州稀土新材料"), enterprise(1)])
    nk = make_bundle(tmp_path, "南康区", [enterprise(3, county="南康区")])
    r = cli("city", "import", zg, nk, "--db", db, "--date", "2025-04-01")
    assert r.exit_code == 0, r.output
    return db


def publish(cli, db: Path, out: Path, *extra: object):
    return cli("city", "publish", "--batch", 1, "-o", out, "--db", db, "--date", "2025-04-10", *extra)


def test_wufei_docs_never_imports_python_docx() -> None:
    importers = []
    for path in sorted((ROOT / "wufei_docs").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(n == "docx" or n.startswith("docx.") for n in names):
                importers.append(path.relative_to(ROOT).as_posix())
    assert importers == []


def test_city_templates_are_exported_and_pass_the_check(cli, tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    assert cli("templates", "export", folder).exit_code == 0
    assert set(CITY_TEMPLATE_NAMES) <= {p.name for p in folder.iterdir()}
    patch_docx(folder / "报送函.docx", "{{ doc.summary }}", "{{ doc.sumary }}")
    r = cli("templates", "check", folder)
    assert r.exit_code == 1 and "报送函.docx" in r.output and "doc.sumary" in r.output


def test_a_city_office_restyled_copy_is_used_for_publish_and_spotcheck(cli, register: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    assert cli("templates", "export", folder).exit_code == 0
    patch_docx(folder / "建设单位名单.docx", "共{{ doc.count }}家。", "本批共{{ doc.count }}家单位。")
    patch_docx(folder / "抽查通知.docx", "二、抽查内容", "二、核查内容")
    out = tmp_path / "out"
    r = publish(cli, register, out, "--templates", folder)
    assert r.exit_code == 0, r.output
    assert "本批共3家单位。" in text(out / LIST) and "共3家。" not in text(out / LIST)
    assert "特此函告。" in text(out / LETTER)  # not in the folder: the built-in template
    r = cli("city", "spotcheck", "--sample", 1, "--seed", 3, "-o", out, "--db", register, "--templates", folder)
    assert r.exit_code == 0, r.output
    assert "二、核查内容" in text(out / NOTICE)
    again = tmp_path / "again"
    r = cli("city", "publish", "--batch", 1, "-o", again, "--db", register, "--templates", folder)
    assert r.exit_code == 0 and "登记库未作更改" in r.stdout
    assert (again / LIST).read_bytes() == (out / LIST).read_bytes()  # same data, same template: same bytes


def test_a_missing_templates_folder_is_refused_and_nothing_is_published(cli, register: Path, tmp_path: Path) -> None:
    before = snapshot(register)
    r = publish(cli, register, tmp_path / "out", "--templates", tmp_path / "nowhere")
    assert r.exit_code == 1 and "模板文件夹" in r.stderr and "Traceback" not in r.output
    assert snapshot(register) == before and set(statuses(register).values()) == {"推荐"}


def test_the_letter_for_one_unit_does_not_say_all(cli, register: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert publish(cli, register, out, "--uscc", make_uscc(3)).exit_code == 0
    letter = text(out / LETTER)
    assert "本批为南康区推荐的1家企业，核定分为105分，达到90分的达标基准分。" in letter
    assert "该单位自评分、核定分及评估结论如下：" in letter and "均" not in letter and "各单位" not in letter


def test_the_letter_for_units_of_one_county_names_it(cli, register: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert publish(cli, register, out, "--uscc", make_uscc(1), "--uscc", "91360702MA35L0AB16").exit_code == 0
    assert "本批共汇总章贡区推荐的2家企业，核定分在100—105分之间，均达到90分的达标基准分。" in text(out / LETTER)


def test_the_list_title_breaks_before_the_batch(cli, register: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert publish(cli, register, out).exit_code == 0
    title = open_docx(out / LIST).paragraphs[0].text
    assert title.split("\n") == ["赣州市“无废城市细胞”建设单位名单", "（第1批）"]


def test_the_county_letter_ends_its_list_with_a_full_stop(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, "章贡区", [enterprise(1), enterprise(2), enterprise(3)])
    items = [p.text for p in open_docx(bundle / "推荐函.docx").paragraphs if "统一社会信用代码" in p.text]
    assert len(items) == 3
    assert [t[-1] for t in items] == ["；", "；", "。"]


@pytest.mark.parametrize("name", CITY_TEMPLATE_NAMES)
def test_city_templates_render_the_same_from_kept_sources_memory_and_scratch(tmp_path: Path, name: str) -> None:
    from wufei_docs.render.engine import clear_cache, render_docx, use_store
    from wufei_docs.render.samples import sample_city_context
    from wufei_docs.render.templates import builtin_dir

    template, context = builtin_dir() / name, sample_city_context(name)
    plain = render_docx(template, context, cache=False)
    try:
        use_store(tmp_path / "store")
        clear_cache()
        first = render_docx(template, context)
        clear_cache()
        from_store = render_docx(template, context)
    finally:
        use_store(None)
        clear_cache()
    assert plain == first == from_store
    props = open_docx(plain).core_properties  # tags in docProps/core.xml are rendered too
    assert props.author == "赣州市工业和信息化局" and props.title.startswith(("赣州市", "关于"))


@pytest.mark.parametrize(
    ("scores", "counties", "expected"),
    [
        ([105], ["章贡区"], "本批为章贡区推荐的1家企业，核定分为105分，达到90分的达标基准分。"),
        ([105, 105, 105], ["章贡区", "南康区", "南康区"],
         "本批共汇总2个县（市、区）推荐的3家企业，核定分均为105分，达到90分的达标基准分。"),
        ([93.4, 105], ["章贡区", "章贡区"], "本批共汇总章贡区推荐的2家企业，核定分在93.4—105分之间，均达到90分的达标基准分。"),
        ([86, 105], ["章贡区", "章贡区"], "本批共汇总章贡区推荐的2家企业，核定分在86—105分之间，其中1家低于90分。"),
    ],
)  # fmt: skip
def test_the_letter_summary_reads_right_for_one_unit_and_many(
    scores: list[float], counties: list[str], expected: str
) -> None:
    import datetime as dt

    from wufei_docs.city.documents import Listed, Progress, letter_view

    rows = [Listed(i, f"单位{i}", "91360702MA35L0AB16", c, "无废工厂", s, s, "达标")
            for i, (s, c) in enumerate(zip(scores, counties, strict=True), 1)]  # fmt: skip
    progress = Progress(len(rows), 0, 12, 2025, dt.date(2025, 6, 30), 81)
    view = letter_view(1, dt.date(2025, 4, 10), rows, progress, 90)
    assert view["doc"]["summary"] == expected
    assert view["doc"]["results_intro"].startswith("该单位" if len(rows) == 1 else "各单位")
    assert "均均" not in view["doc"]["summary"] and view["doc"]["summary"].count("均") <= 1
    one_county = len(set(counties)) == 1
    assert view["doc"]["evaluated_by"] == (f"{counties[0]}工信部门" if one_county else "各县（市、区）工信部门")
