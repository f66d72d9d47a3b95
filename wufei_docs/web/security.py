"""What keeps the local web app local: allowed Host names, same-origin POSTs, body limits, login, CSRF.

`Guard` wraps the whole ASGI app (outermost, so its refusals need nothing else to work):
    Host header not a name the server is bound to  → 421 (DNS rebinding: a foreign site's name resolving here)
    POST/PUT/DELETE whose Origin is another site   → 403
    body larger than the route's limit             → 413, told by Content-Length before reading, or stopped
                                                     as soon as a streamed body passes the limit
    password mode and no valid session             → the login page (pages) or 401 (API)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import ipaddress
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wufei_docs._raw import MAX_TEXT_BYTES
from wufei_docs.loading.evidence import MAX_FILE_BYTES

MB = 1024 * 1024
DATA_FILE_LIMIT = MAX_TEXT_BYTES  # one enterprise file: the loaders' own limit
FORM_LIMIT = DATA_FILE_LIMIT + 64 * 1024  # a data file plus the multipart envelope and a few fields
BUNDLE_LIMIT = 64 * MB  # POST /api/bundle: up to ~30 enterprise files at their largest, real ones are 10–200 KB
CITY_IMPORT_LIMIT = 256 * MB  # a county bundle zip (documents of every enterprise, PDFs included)
EVIDENCE_FILE_LIMIT = MAX_FILE_BYTES  # one 支撑材料 file: validation's own limit
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SESSION_COOKIE = "wufei_session"
PUBLIC_PATHS = ("/login", "/static/", "/api/health")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def body_limit(path: str) -> int:
    if path == "/api/bundle" or path.startswith("/county/"):
        return BUNDLE_LIMIT
    if path.startswith("/city/"):
        return CITY_IMPORT_LIMIT
    if path.startswith("/enterprises/") and path.endswith("/evidence"):
        return EVIDENCE_FILE_LIMIT + 64 * 1024
    return FORM_LIMIT


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(bound: str) -> frozenset[str]:
    """Host names (without port) a request may name: loopback names, the bound address, and for a
    wildcard bind (0.0.0.0, ::) this machine's own names and addresses."""
    names = {*LOOPBACK_NAMES, bound.strip("[]").lower()}
    if bound in ("0.0.0.0", "::", ""):
        hostname = socket.gethostname()
        names |= {hostname.lower(), socket.getfqdn().lower()}
        with contextlib.suppress(OSError):
            names |= {str(info[4][0]).lower() for info in socket.getaddrinfo(hostname, None)}
    return frozenset(names)


def split_host(value: str) -> tuple[str, int | None] | None:
    """'example:8000' → ('example', 8000); '[::1]:80' → ('::1', 80); None when malformed."""
    try:
        parts = urlsplit("//" + value)
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


# --- passwords and sessions --------------------------------------------------------------------------


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        expected = bytes.fromhex(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=2**14, r=8, p=1, dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


def read_password_file(path: Path) -> str:
    """The password file holds the password (first line) or a `scrypt$salt$hash` line; only the hash is kept."""
    text = path.read_text("utf-8").strip().splitlines()
    line = text[0].strip() if text else ""
    if not line:
        raise ValueError(f"{path} 中没有密码")
    return line if line.startswith("scrypt$") else hash_password(line)


@dataclass
class Sessions:
    """Logged-in browsers (in memory: a restart logs everyone out) and each one's CSRF token."""

    password_hash: str | None
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def required(self) -> bool:
        return self.password_hash is not None

    def login(self, password: str) -> str | None:
        if self.password_hash is None or not verify_password(password, self.password_hash):
            return None
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.add(token)
        return token

    def logout(self, token: str | None) -> None:
        with self._lock:
            self._tokens.discard(token or "")

    def valid(self, token: str | None) -> bool:
        with self._lock:
            return bool(token) and token in self._tokens

    def csrf_token(self, session: str | None) -> str:
        """Forms carry this; it is tied to the session (or, without login, to this server process)."""
        return hmac.new(self.secret, (session or "local").encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: str | None, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session), token or "")


def cookie(headers: Iterable[tuple[bytes, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


# --- the guard ---------------------------------------------------------------------------------------


class BodyTooLarge(Exception):
    pass


class Guard:
    def __init__(self, app: ASGIApp, *, host: str, port: int, sessions: Sessions) -> None:
        self.app, self.port, self.sessions = app, port, sessions
        self.hosts = allowed_hosts(host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        refusal = self.refusal(scope, headers)
        if refusal is not None:
            status, text = refusal
            await _plain(send, status, text)
            return
        limit = body_limit(scope["path"])
        declared = _header(headers, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _plain(send, 400, "Content-Length 无效")
                return
            if int(declared) > limit:
                await _plain(send, 413, _too_large(limit))
                return
        if not self.authorised(scope, headers):
            if scope["path"].startswith("/api/"):
                await _plain(send, 401, "需要登录（请先在浏览器中登录，或使用 HTTP Basic 认证提供密码）")
            else:
                await _redirect(send, "/login")
            return
        started = False
        seen = 0

        async def counted_receive() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def watched_send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await _plain(send, 413, _too_large(limit))

    def refusal(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> tuple[int, str] | None:
        host = _header(headers, b"host")
        parsed = split_host(host) if host is not None else None
        if parsed is None or parsed[0] not in self.hosts or parsed[1] not in (None, self.port):
            return 421, "拒绝访问：请求的主机名不是本服务的地址（请使用 http://127.0.0.1 或 http://localhost 访问）"
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            origin = _header(headers, b"origin")
            if origin is not None and not self.same_origin(origin, host or ""):
                return 403, "拒绝访问：请求来自其他网站（Origin 不符）"
        return None

    def same_origin(self, origin: str, host: str) -> bool:
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()

    def authorised(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> bool:
        if not self.sessions.required or scope["path"].startswith(PUBLIC_PATHS):
            return True
        if self.sessions.valid(cookie(headers, SESSION_COOKIE)):
            return True
        auth = _header(headers, b"authorization")
        if auth and auth.lower().startswith("basic "):
            try:
                _, _, password = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            assert self.sessions.password_hash is not None
            return verify_password(password, self.sessions.password_hash)
        return False


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _too_large(limit: int) -> str:
    return f"上传的内容过大（上限 {limit / MB:.0f} MB）"


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, to: str) -> None:
    await send({"type": "http.response.start", "status": 303, "headers": [(b"location", to.encode())]})
    await send({"type": "http.response.body", "body": b""})
