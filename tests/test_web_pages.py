"""The pages through the test client: the files they write are the CLI's, typed text stays text, locks hold."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import EXAMPLES
from wufei_docs.errors import InputError
from wufei_docs.files.locking import folder_lock
from wufei_docs.loading import check, load_evaluation
from wufei_docs.web.app import Config, create_app

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "企业").mkdir()
    shutil.copy(EXAMPLES / "赣州稀土新材料.yaml", tmp_path / "企业" / "稀土.yaml")
    return tmp_path


@pytest.fixture
def client(ws: Path) -> TestClient:
    return TestClient(create_app(Config(ws)), base_url=BASE)


def csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/enterprises").text)
    assert match
    return match.group(1)


def form_of(client: TestClient, stem: str) -> dict[str, str]:
    """The enterprise form's text fields and selections as the page shows them (enough to post it back)."""
    html = client.get(f"/enterprises/{stem}").text
    fields = dict(re.findall(r'<input id="([^"]+)" name="\1" value="([^"]*)"', html))
    fields.update(re.findall(r'<textarea id="([^"]+)" name="\1" rows="\d">([^<]*)</textarea>', html))
    for name, body in re.findall(r'<select id="([^"]+)" name="\1">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = chosen.group(1) if chosen else ""
    import html as html_lib

    return {k: html_lib.unescape(v) for k, v in fields.items()}


def test_saving_the_form_writes_yaml_the_cli_reads_the_same(client: TestClient, ws: Path) -> None:
    before = check(ws / "企业" / "稀土.yaml").enterprise
    fields = form_of(client, "稀土")
    fields["unit.staff"] = "321"
    r = client.post("/enterprises/稀土/save", data={**fields, "unit.roles": "producer", "csrf": csrf(client)})
    assert r.status_code == 200 and "已保存，校验通过" in r.text
    after = check(ws / "企业" / "稀土.yaml").enterprise
    assert after.unit.staff == 321
    assert after.model_copy(update={"unit": before.unit}) == before  # nothing else changed
    assert after.unit.model_copy(update={"staff": 320}) == before.unit


def test_typed_text_is_shown_as_text(client: TestClient) -> None:
    fields = form_of(client, "稀土")
    fields["unit.products"] = '<script>alert("x")</script>'
    r = client.post("/enterprises/稀土/save", data={**fields, "unit.roles": "producer", "csrf": csrf(client)})
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;alert" in r.text


def test_a_save_while_another_run_holds_the_folder_changes_nothing(client: TestClient, ws: Path) -> None:
    path = ws / "企业" / "稀土.yaml"
    original = path.read_bytes()
    fields = form_of(client, "稀土")
    fields["unit.staff"] = "999"
    token = csrf(client)
    with folder_lock(ws / "企业"):
        r = client.post("/enterprises/稀土/save", data={**fields, "unit.roles": "producer", "csrf": token})
    assert "正被另一个 wufei 运行使用" in r.text
    assert path.read_bytes() == original


def test_an_invalid_draft_is_saved_as_typed_and_listed_with_its_problems(client: TestClient, ws: Path) -> None:
    fields = form_of(client, "稀土")
    fields["unit.contact.email"] = "not-an-email"
    r = client.post("/enterprises/稀土/save", data={**fields, "unit.roles": "producer", "csrf": csrf(client)})
    assert "已保存草稿；尚有 1 个问题" in r.text
    assert "“not-an-email” 不是有效的电子邮箱" in r.text
    assert "not-an-email" in (ws / "企业" / "稀土.yaml").read_text("utf-8")


def test_unknown_or_crafted_names_are_not_found(client: TestClient) -> None:
    for stem in ["nope", "..%2F..%2Fetc%2Fpasswd", "稀土.yaml", "%2E%2E"]:
        assert client.get(f"/enterprises/{stem}").status_code == 404
    assert client.get("/city/files/名单/../../企业/稀土.yaml").status_code == 404


def test_an_uploaded_workbook_is_kept_as_yaml_under_the_unit_name(client: TestClient, ws: Path, tmp_path: Path) -> None:
    from wufei_docs.loading.convert import convert

    book = tmp_path / "南康.xlsx"
    convert(EXAMPLES / "南康家具制造.yaml", book)
    r = client.post(
        "/enterprises/upload", data={"csrf": csrf(client)}, files={"file": ("../../x.xlsx", book.read_bytes())}
    )
    assert r.status_code == 200
    saved = ws / "企业" / "赣州市南康区某某家具制造有限公司.yaml"
    assert check(saved).enterprise == check(EXAMPLES / "南康家具制造.yaml").enterprise
    r = client.post("/enterprises/upload", data={"csrf": csrf(client)}, files={"file": ("a.exe", b"MZ")})
    assert "不支持的文件类型" in r.text


def test_export_to_xlsx_reads_back_to_the_same_data(client: TestClient, tmp_path: Path) -> None:
    r = client.get("/enterprises/稀土/export.xlsx")
    assert r.status_code == 200
    book = tmp_path / "e.xlsx"
    book.write_bytes(r.content)
    assert check(book).enterprise == check(EXAMPLES / "赣州稀土新材料.yaml").enterprise


def test_an_invalid_evaluation_is_not_saved_and_its_problems_are_listed(client: TestClient, ws: Path) -> None:
    uscc = "91360702MA35L0AB16"
    data = {
        "csrf": csrf(client),
        "county": "章贡区",
        f"e.{uscc}.received": "2025-03-20",
        f"e.{uscc}.evaluated": "2025-03-01",
    }
    r = client.post("/county/evaluation", data=data)
    assert r.status_code == 422
    assert "验收日期 2025-03-01 早于受理日期 2025-03-20" in r.text
    assert not (ws / "县" / "evaluation.yaml").exists()
    data[f"e.{uscc}.evaluated"] = "2025-03-25"
    data[f"e.{uscc}.score.A4.1"] = "10"  # the same as the self score: not a 核定分
    data[f"e.{uscc}.score.D2.6"] = "1"
    data[f"e.{uscc}.hard.H2"] = "false"
    r = client.post("/county/evaluation", data=data)
    assert r.status_code == 200
    evaluation = load_evaluation(ws / "县" / "evaluation.yaml")
    entry = evaluation.enterprises[uscc]
    assert entry.scores == {"D2.6": 1} and entry.compliance == {"H2": False}


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None, reason="需要 LibreOffice 与 poppler-utils"
)
def test_the_built_pdfs_are_shown_page_by_page(client: TestClient, ws: Path) -> None:
    """After a build with PDFs the enterprise page shows every page of every document as an image."""
    from wufei_docs.package.build import build

    page = client.get("/enterprises/稀土").text
    assert "文档预览" in page and "/preview/" not in page  # nothing built yet
    build(ws / "企业" / "稀土.yaml", ws / "申报材料" / "稀土", pdf=True)
    page = client.get("/enterprises/稀土").text
    images = re.findall(r'src="(/enterprises/稀土/preview/(\d+)/(\d+)\.png)"', page)
    documents = {doc for _, doc, _ in images}
    assert documents == {"0", "1", "2", "3"}  # 申报书, 申报材料 (all bound, with the 支撑材料), 附件1, 附件2
    assert len(images) >= 3 + 2  # the 申报书 has several pages
    for src in (images[0][0], images[-1][0], images[0][0] + "?size=large"):
        r = client.get(src)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content.startswith(b"\x89PNG")
    assert client.get("/enterprises/稀土/preview/9/1.png").status_code == 404
    assert client.get("/enterprises/稀土/preview/0/999.png").status_code == 404


def test_an_evidence_file_uploaded_for_a_row_is_kept_and_named_in_the_data_file(client: TestClient, ws: Path) -> None:
    """The 支撑材料 upload: the file goes to 企业/支撑材料/<文件名>/<编号>.<ext> (the browser's name lends only its
    suffix), the row's `file` points at it, and validation then checks the file itself."""
    import io

    from PIL import Image

    page = client.get("/enterprises/稀土").text
    assert 'action="/enterprises/稀土/evidence"' in page
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    r = client.post(
        "/enterprises/稀土/evidence",
        data={"row": "1", "csrf": csrf(client)},
        files={"file": ("../../etc/扫描件.PNG", buffer.getvalue(), "image/png")},
    )
    assert r.status_code == 200 and "已上传 E02 的文件" in r.text, r.text[-2000:]
    stored = ws / "企业" / "支撑材料" / "稀土" / "E02.png"
    assert stored.read_bytes() == buffer.getvalue()
    checked = check(ws / "企业" / "稀土.yaml")
    assert checked.enterprise.evidence[1].file == "支撑材料/稀土/E02.png"
    assert [f.id for f in checked.evidence.files] == ["E02"]  # found and read as an image

    # a file whose content is not what its name says is stored, then named by validation
    r = client.post(
        "/enterprises/稀土/evidence",
        data={"row": "0", "csrf": csrf(client)},
        files={"file": ("通知.pdf", b"not a pdf at all", "application/pdf")},
    )
    assert r.status_code == 200 and "E01" in r.text
    with pytest.raises(InputError, match="E01"):
        check(ws / "企业" / "稀土.yaml")
    # a row that does not exist, a type that is not accepted
    r = client.post(
        "/enterprises/稀土/evidence",
        data={"row": "99", "csrf": csrf(client)},
        files={"file": ("a.pdf", b"%PDF-", "application/pdf")},
    )
    assert "请先在支撑材料清单中增加这一行" in r.text
    r = client.post(
        "/enterprises/稀土/evidence",
        data={"row": "0", "csrf": csrf(client)},
        files={"file": ("a.exe", b"MZ", "application/octet-stream")},
    )
    assert "不支持的文件类型" in r.text
