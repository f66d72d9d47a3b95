"""The JSON API of FORMAT.md §7, through Starlette's test client: the same answers as the CLI."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import EXAMPLES, dump_yaml, full_marks
from wufei_docs.cli import app as cli_app
from wufei_docs.web.app import Config, create_app

BASE = "http://127.0.0.1:8000"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    ws = tmp_path_factory.mktemp("ws")
    return TestClient(create_app(Config(ws)), base_url=BASE)


def cli_score_json(path: Path) -> bytes:
    from typer.testing import CliRunner

    result = CliRunner().invoke(cli_app, ["score", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def write_yaml(path: Path, data: object) -> Path:
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def upload(path: Path, name: str | None = None) -> dict[str, tuple[str, bytes]]:
    return {"file": (name or path.name, path.read_bytes())}


def test_health_says_ok_and_the_version(client: TestClient) -> None:
    from wufei_docs import __version__

    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": __version__}


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("endpoint", ["/api/score", "/api/validate"])
def test_score_is_byte_for_byte_what_the_cli_prints(client: TestClient, example: Path, endpoint: str) -> None:
    r = client.post(endpoint, files=upload(example))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.content == cli_score_json(example)
    assert r.json()["unit"]


def test_an_xlsx_upload_scores_like_its_yaml(client: TestClient, tmp_path: Path) -> None:
    from wufei_docs.loading.convert import convert

    example = EXAMPLES / "赣州稀土新材料.yaml"
    book = tmp_path / "稀土.xlsx"
    convert(example, book)
    r = client.post("/api/score", files=upload(book))
    assert r.status_code == 200
    expected = json.loads(cli_score_json(example))
    got = r.json()
    assert {k: got[k] for k in ("total", "base", "bonus", "verdict", "items")} == {
        k: expected[k] for k in ("total", "base", "bonus", "verdict", "items")
    }


def test_a_bad_file_is_422_naming_the_field_and_line(client: TestClient, tmp_path: Path) -> None:
    data = full_marks()
    data["waste"]["streams"][0]["code"] = "900-249-99"
    data["unit"]["contact"]["email"] = "not-an-email"
    path = write_yaml(tmp_path / "bad.yaml", data)
    r = client.post("/api/validate", files=upload(path))
    assert r.status_code == 422
    errors = r.json()["errors"]
    by_path = {e["path"]: e for e in errors}
    assert "waste.streams[0].code" in by_path
    assert "不是有效的危险废物代码" in by_path["waste.streams[0].code"]["message"]
    assert by_path["waste.streams[0].code"]["location"].startswith("第")
    assert "unit.contact.email" in by_path
    assert set(errors[0]) == {"path", "location", "message"}


def test_an_unknown_suffix_or_a_missing_file_is_422(client: TestClient) -> None:
    r = client.post("/api/score", files={"file": ("data.txt", b"format: x\n")})
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "file"
    r = client.post("/api/score", data={"nothing": "here"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "file"


def test_a_browser_sent_name_never_becomes_a_path(client: TestClient, tmp_path: Path) -> None:
    example = EXAMPLES / "赣州稀土新材料.yaml"
    r = client.post("/api/score", files=upload(example, "../../../../tmp/evil.yaml"))
    assert r.status_code == 200
    assert not Path("/tmp/evil.yaml").exists()


def test_build_returns_the_package_as_a_zip(client: TestClient) -> None:
    r = client.post("/api/build", files=upload(EXAMPLES / "赣州稀土新材料.yaml"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert {"申报材料/申报书.docx", "申报材料/附件1-评价指标自评表.docx", "申报材料/附件2-评估申报表.docx",
            "申报材料/manifest.json"} <= set(names)  # fmt: skip
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("申报材料/manifest.json"))
    assert manifest["score"]["total"] == json.loads(cli_score_json(EXAMPLES / "赣州稀土新材料.yaml"))["total"]


def test_build_of_a_bad_file_is_422(client: TestClient, tmp_path: Path) -> None:
    data = full_marks()
    del data["unit"]["uscc"]
    r = client.post("/api/build", files=upload(write_yaml(tmp_path / "x.yaml", data)))
    assert r.status_code == 422
    assert [e["path"] for e in r.json()["errors"]] == ["unit.uscc"]


def test_bundle_returns_the_county_bundle(client: TestClient) -> None:
    files = [("files", (p.name, p.read_bytes())) for p in EXAMPLE_FILES]
    evaluation = EXAMPLES / "county" / "章贡区-evaluation.yaml"
    files.append(("evaluation", (evaluation.name, evaluation.read_bytes())))
    r = client.post("/api/bundle", files=files)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "推荐材料/推荐名单.xlsx" in names and "推荐材料/bundle.json" in names
    bundle = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("推荐材料/bundle.json"))
    assert bundle["county"] == "章贡区"


def test_bundle_with_a_bad_evaluation_is_422(client: TestClient) -> None:
    files = [("files", (p.name, p.read_bytes())) for p in EXAMPLE_FILES]
    files.append(("evaluation", ("e.yaml", "format: wufei/evaluation-1\ncounty: 章贡区\nbogus: 1\n".encode())))
    r = client.post("/api/bundle", files=files)
    assert r.status_code == 422
    assert r.json()["errors"]
