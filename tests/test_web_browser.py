"""`wufei serve` in a real browser (Debian's Chromium driven by playwright): a new enterprise typed into the
form with the score following, build and download, a county evaluation and bundle, a city import and publish.

One server and one browser for the module; the steps run in order on one workspace."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("WUFEI_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"浏览器测试需要 Chromium（{CHROMIUM} 不存在；Debian/Ubuntu：apt-get install chromium）",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from tests.conftest import EXAMPLES  # noqa: E402
from tests.web_server import serving  # noqa: E402
from wufei_docs._samples import uscc_for  # noqa: E402
from wufei_docs.loading import check  # noqa: E402

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = os.environ.get("WUFEI_SCREENSHOTS")  # a folder: screenshots of each step are saved there


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-ws")


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[str]:
    with serving(workspace, user="测试经办人") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def shot(page: Page, name: str, full: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full)


def field(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[name="{name}"]')


def message_beside(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[name="{name}"] ~ .msg')


UNIT = {
    "unit.name": "赣州测试环保科技有限公司",
    "unit.uscc": uscc_for(1),
    "unit.address": "江西省赣州市章贡区测试路1号",
    "unit.area_m2": "12000",
    "unit.staff": "150",
    "unit.head.name": "王某",
    "unit.head.phone": "0797-8888888",
    "unit.contact.name": "李某",
    "unit.contact.mobile": "13907970000",
    "unit.profile": "公司主要从事环保材料的研发与生产。",  # the skeleton's （请填写单位简介） is refused
}


def test_a_new_enterprise_typed_into_the_form_gets_messages_and_a_live_score(
    page: Page, server: str, workspace: Path
) -> None:
    page.goto(f"{server}/enterprises")
    page.fill("#new-name", "赣州测试环保科技有限公司")
    page.click("text=新建申报数据")
    expect(page.locator("h1")).to_contain_text("赣州测试环保科技有限公司")
    expect(page.locator(".flash")).to_contain_text("已新建")
    expect(page.locator("#score-problems")).to_contain_text("个问题")

    # a wrong value: the validate message appears beside the field as one types
    field(page, "unit.contact.email").fill("not-an-email")
    expect(message_beside(page, "unit.contact.email")).to_contain_text("不是有效的电子邮箱")
    shot(page, "1-messages")
    field(page, "unit.contact.email").fill("li@example.com")
    expect(message_beside(page, "unit.contact.email")).to_be_empty()

    for name, value in UNIT.items():
        field(page, name).fill(value)
    field(page, "unit.county").select_option("章贡区")
    field(page, "unit.soil_key_unit").select_option("true")
    field(page, "compliance.H1.met").select_option("true")
    field(page, "compliance.H2.met").select_option("true")
    for i, (output, general, hazardous) in enumerate([("1000", "100", "10"), ("1100", "100", "10")]):
        field(page, f"waste.years[{i}].output_value").fill(output)
        field(page, f"waste.years[{i}].general_t").fill(general)
        field(page, f"waste.years[{i}].hazardous_t").fill(hazardous)
    field(page, "waste.streams[0].name").fill("废矿物油")
    field(page, "waste.streams[0].code").fill("900-249-08")
    field(page, "waste.streams[0].generated_t").fill("10")
    field(page, "waste.streams[0].disposed_t").fill("10")
    field(page, "evidence[0].title").fill("创建领导小组通知")
    field(page, "application.summary").fill("开展了创建工作。")
    field(page, "application.date").fill("2025-03-01")

    # valid now: the score panel shows a total; derived items (A1.6, A4.2) are computed from the data
    expect(page.locator("#score-verdict")).to_be_visible()
    before = page.locator("#score-total").inner_text()
    expect(page.locator("#score-panel")).to_contain_text("A4.2")

    # the score follows an item's self score
    field(page, "items.B2.1.score").fill("3")
    expect(page.locator("#score-total")).not_to_have_text(before)
    after = page.locator("#score-total").inner_text()
    assert float(after) > float(before)
    shot(page, "2-live-score")

    # a score over the item's maximum is named beside it
    field(page, "items.A1.1.score").fill("5")
    expect(message_beside(page, "items.A1.1.score")).to_contain_text("超过该项满分 1")
    field(page, "items.A1.1.score").fill("1")
    expect(message_beside(page, "items.A1.1.score")).to_be_empty()

    page.click("#save")
    expect(page.locator(".flash")).to_contain_text("已保存，校验通过")
    saved = workspace / "企业" / "赣州测试环保科技有限公司.yaml"
    checked = check(saved)  # the CLI's loader reads what the form wrote
    assert checked.enterprise.unit.contact.email == "li@example.com"
    assert checked.enterprise.items["B2.1"].score == 3


def test_rows_are_added_and_removed_on_the_server(page: Page) -> None:
    rows = page.locator('[name^="waste.streams["][name$="].name"]')
    expect(rows).to_have_count(1)
    page.locator("#sec-streams").get_by_text("＋ 增加一行").click()
    expect(rows).to_have_count(2)
    expect(field(page, "waste.streams[0].name")).to_have_value("废矿物油")  # typed values survive the swap
    page.locator("#sec-streams").get_by_text("删除第 2 行").click()
    expect(rows).to_have_count(1)


def test_build_then_download_the_package(page: Page, workspace: Path) -> None:
    page.click("#build")
    expect(page.locator(".flash")).to_contain_text("已生成第 1 版申报材料")
    shot(page, "3-built")
    with page.expect_download() as download:
        page.click("text=下载申报材料（zip）")
    data = Path(download.value.path()).read_bytes()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert any(n.endswith("申报书.docx") for n in names)
    assert any(n.endswith("manifest.json") for n in names)
    assert (workspace / "申报材料" / "赣州测试环保科技有限公司" / "附件1-评价指标自评表.docx").is_file()

    # a correction makes version 2 with its 修改说明
    field(page, "unit.staff").fill("160")
    page.click("#build")
    expect(page.locator(".flash")).to_contain_text("已生成第 2 版申报材料")
    expect(page.locator("pre.note").first).to_contain_text("150 → 160")


def test_a_county_evaluation_and_bundle(page: Page, server: str, workspace: Path) -> None:
    for name in ("南康家具制造.yaml", "赣州稀土新材料.yaml"):  # two more enterprises hand in their files
        shutil.copy(EXAMPLES / name, workspace / "企业" / name)
    page.goto(f"{server}/county")
    expect(page.locator("#received")).to_contain_text("赣州测试环保科技有限公司")
    expect(page.locator("#received")).to_contain_text("赣州某某稀土新材料有限公司")
    page.locator("#county").select_option("章贡区")
    uscc = "91360702MA35L0AB16"
    page.fill(f'[name="e.{uscc}.received"]', "2025-03-03")
    page.fill(f'[name="e.{uscc}.evaluated"]', "2025-03-12")
    page.fill(f'[name="e.{uscc}.opinion"]', "材料齐全，同意推荐。")
    page.locator(f'fieldset[data-uscc="{uscc}"] summary').click()
    page.fill(f'[name="e.{uscc}.score.A1.1"]', "0.5")
    page.click("#save-evaluation")
    expect(page.locator(".flash")).to_contain_text("已保存 县/evaluation.yaml")
    text = (workspace / "县" / "evaluation.yaml").read_text("utf-8")
    assert "A1.1: 0.5" in text and "同意推荐" in text

    page.click("#make-bundle")
    expect(page.locator(".flash")).to_contain_text("已生成推荐材料")
    expect(page.locator("#bundle-table")).to_contain_text("推荐")
    expect(page.locator("#bundle-warnings")).to_contain_text("南康区")  # filed in another county: a warning
    shot(page, "4-county", full=True)
    with page.expect_download() as download:
        page.click("#download-bundle")
    names = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())).namelist()
    assert any(n.endswith("推荐名单.xlsx") for n in names)


def test_a_city_import_and_publish(page: Page, server: str, workspace: Path) -> None:
    page.goto(f"{server}/city")
    page.set_input_files("#bundle-file", str(workspace / "县" / "推荐材料.zip"))
    page.click("#import")
    expect(page.locator(".flash").first).to_contain_text("新增 1 个")
    expect(page.locator("#register td.status")).to_have_text(["推荐"])
    page.click("#publish")
    expect(page.locator(".flash").first).to_contain_text("已公布第1批")
    expect(page.locator("#register td.status")).to_have_text(["公布"])
    expect(page.locator("#published")).to_have_text("1")
    expect(page.locator("#documents")).to_contain_text("建设单位名单（第1批）.docx")
    shot(page, "5-city", full=True)
    page.goto(f"{server}/city?status=推荐")
    expect(page.locator("#register")).to_contain_text("没有符合条件的单位")
