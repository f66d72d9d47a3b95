"""What keeps `wufei serve` local: Host, Origin, size limits, login, CSRF; and 20 requests at once."""

from __future__ import annotations

import base64
import concurrent.futures
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import EXAMPLES
from tests.web_server import free_port, serving
from wufei_docs.cli import app as cli_app
from wufei_docs.web.app import Config, create_app
from wufei_docs.web.security import DATA_FILE_LIMIT, hash_password, verify_password
from wufei_docs.web.server import ServeError, prepare

BASE = "http://127.0.0.1:8000"
EXAMPLE = EXAMPLES / "赣州稀土新材料.yaml"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(create_app(Config(tmp_path_factory.mktemp("ws"))), base_url=BASE)


def score(client: TestClient, **kwargs: object) -> int:
    return client.post("/api/score", files={"file": (EXAMPLE.name, EXAMPLE.read_bytes())}, **kwargs).status_code  # type: ignore[arg-type]


# --- Host (DNS rebinding) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "127.0.0.1", "LOCALHOST:8000"])
def test_loopback_names_are_served(client: TestClient, host: str) -> None:
    assert client.get("/api/health", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8000", "evil.example", "127.0.0.1:9999", "10.0.0.1:8000", "", "a b"])
def test_a_foreign_host_header_is_refused(client: TestClient, host: str) -> None:
    r = client.get("/api/health", headers={"host": host})
    assert r.status_code == 421
    assert "拒绝访问" in r.text
    assert score(client, headers={"host": host}) == 421


# --- Origin -------------------------------------------------------------------------------------------------


def test_a_post_from_another_site_is_forbidden(client: TestClient) -> None:
    assert score(client, headers={"origin": "http://evil.example"}) == 403
    assert score(client, headers={"origin": "http://127.0.0.1:9999"}) == 403
    assert score(client, headers={"origin": "null"}) == 403


def test_a_post_from_the_app_itself_or_without_origin_is_served(client: TestClient) -> None:
    assert score(client, headers={"origin": BASE}) == 200
    assert score(client) == 200


# --- size limits ----------------------------------------------------------------------------------------------


def test_an_upload_over_the_limit_is_413_from_its_declared_length(client: TestClient) -> None:
    big = b"#" * (DATA_FILE_LIMIT + 200_000)
    r = client.post("/api/score", files={"file": ("big.yaml", big)})
    assert r.status_code == 413
    assert "过大" in r.text


def test_a_streamed_upload_is_stopped_once_it_passes_the_limit(client: TestClient) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.yaml"\r\n\r\n'
        for _ in range(200):  # 200 × 64 KB = 12.5 MB if it were all read
            sent += 1
            yield b"#" * 65536

    r = client.post("/api/score", content=chunks(), headers={"content-type": "multipart/form-data; boundary=xx"})
    assert r.status_code == 413  # (the test client buffers the body; the real server's case is below)


def test_a_data_file_just_over_2_mb_is_refused_even_within_the_envelope(client: TestClient) -> None:
    data = b"#" * (DATA_FILE_LIMIT + 10)
    r = client.post("/api/validate", files={"file": ("a.yaml", data)})
    assert r.status_code == 413


# --- starting ---------------------------------------------------------------------------------------------------


def test_a_non_loopback_host_without_a_password_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="--password-file"):
        prepare("0.0.0.0", 8000, tmp_path / "ws", None)
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--no-open", "--workspace", str(tmp_path)])
    assert result.exit_code == 1
    assert "--password-file" in result.output


def test_passwords_are_kept_hashed() -> None:
    stored = hash_password("秘密-123")
    assert stored.startswith("scrypt$") and "秘密" not in stored
    assert verify_password("秘密-123", stored)
    assert not verify_password("秘密-124", stored)


# --- login and CSRF ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    folder = tmp_path_factory.mktemp("locked")
    pw = folder / "password.txt"
    pw.write_text("correct horse\n", encoding="utf-8")
    app = prepare("0.0.0.0", 8000, folder / "ws", pw)
    return TestClient(app, base_url=BASE, follow_redirects=False)  # type: ignore[arg-type]


def test_with_a_password_pages_ask_to_log_in_and_the_api_says_401(locked: TestClient) -> None:
    assert locked.get("/enterprises").status_code == 303
    assert locked.get("/enterprises").headers["location"] == "/login"
    assert score(locked) == 401
    assert locked.get("/api/health").status_code == 200
    token = base64.b64encode(b"any:correct horse").decode()
    assert score(locked, headers={"authorization": f"Basic {token}"}) == 200
    bad = base64.b64encode(b"any:wrong").decode()
    assert score(locked, headers={"authorization": f"Basic {bad}"}) == 401


def test_logging_in_sets_a_strict_http_only_session_cookie(locked: TestClient) -> None:
    page = locked.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = locked.post("/login", data={"password": "nope", "csrf": csrf})
    assert wrong.status_code == 401
    r = locked.post("/login", data={"password": "correct horse", "csrf": csrf})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert locked.get("/enterprises").status_code == 200
    locked.cookies.clear()


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    r = client.post("/enterprises/new", data={"name": "某公司"})
    assert r.status_code == 403
    page = client.get("/enterprises")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = client.post("/enterprises/new", data={"name": "某公司", "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/enterprises/")


# --- 20 requests at once against a real server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("ws")) as url:
        yield url


def test_twenty_concurrent_requests_all_succeed(server: str) -> None:
    import httpx2 as httpx

    body = EXAMPLE.read_bytes()

    def one(i: int) -> tuple[int, float | None]:
        with httpx.Client(timeout=120) as c:
            if i % 5 == 0:
                r = c.get(f"{server}/api/health")
                return r.status_code, None
            if i % 5 == 1:  # document writers take turns; nobody is refused
                r = c.post(f"{server}/api/build", files={"file": (f"{i}.yaml", body)})
                return r.status_code, None if r.content[:2] == b"PK" else -1
            if i % 5 == 2:
                r = c.get(f"{server}/enterprises")
                return r.status_code, None
            r = c.post(f"{server}/api/score", files={"file": (f"{i}.yaml", body)})
            return r.status_code, r.json()["total"]

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(20)))
    assert [status for status, _ in results] == [200] * 20
    assert {total for _, total in results if total is not None} == {100}


def test_a_real_server_stops_reading_a_streamed_upload_over_the_limit(server: str) -> None:
    """Chunked (no Content-Length): refused with 413 once past the limit, the rest is never read."""
    port = int(server.rsplit(":", 1)[1])
    total_chunks = 1000  # 1000 × 64 KB = 62.5 MB, far more than socket buffers hold
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = (
            f"POST /api/score HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: multipart/form-data; boundary=xx\r\n\r\n"
        ).encode()
        sock.sendall(head)
        preamble = b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.yaml"\r\n\r\n'
        sock.sendall(b"%x\r\n" % len(preamble) + preamble + b"\r\n")
        chunk = b"#" * 65536
        try:
            for _ in range(total_chunks):
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += 1
        except OSError:  # the server answered and closed the connection
            pass
        reply = b""
        try:
            while not reply.endswith(b"MB\xef\xbc\x89") and len(reply) < 4096:
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
        except OSError:
            pass
    assert reply.startswith(b"HTTP/1.1 413")
    assert sent < total_chunks


def test_the_serve_command_prints_its_address_and_serves_the_workspace(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    import httpx2 as httpx

    port = free_port()
    env = {**os.environ, "CI": "true"}  # never opens a browser here, --no-open or not
    proc = subprocess.Popen(
        [sys.executable, "-m", "wufei_docs", "serve", "--port", str(port), "--workspace", str(tmp_path / "ws")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        for _ in range(200):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert r.json()["status"] == "ok"
        assert (tmp_path / "ws" / "企业").is_dir() and (tmp_path / "ws" / "市").is_dir()
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_the_browser_opens_unless_told_not_to_or_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from wufei_docs.web.server import should_open

    monkeypatch.delenv("CI", raising=False)
    assert should_open(no_open=False)
    assert not should_open(no_open=True)
    monkeypatch.setenv("CI", "true")
    assert not should_open(no_open=False)
