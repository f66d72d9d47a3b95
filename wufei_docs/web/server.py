"""`wufei serve`: check the options, build the app, run uvicorn, open the browser."""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from wufei_docs.files import oserrors
from wufei_docs.web.security import Guard, is_loopback, read_password_file


class ServeError(Exception):
    """A refusal to start, with the Chinese reason."""


def prepare(host: str, port: int, workspace: Path, password_file: Path | None) -> Guard:
    """The ASGI app for these options, or ServeError (non-loopback without a password, bad password file)."""
    from wufei_docs.web.app import Config, create_app

    password_hash = None
    if password_file is not None:
        try:
            password_hash = read_password_file(password_file)
        except UnicodeDecodeError:
            raise ServeError(f"无法读取密码文件 {password_file}：不是 UTF-8 文本") from None
        except ValueError as e:  # its own Chinese message
            raise ServeError(f"无法读取密码文件 {password_file}：{e}") from None
        except OSError as e:
            raise ServeError(oserrors.message(e, password_file, "无法读取密码文件")) from None
    elif not is_loopback(host):
        raise ServeError(
            f"--host {host} 会让本机以外的电脑访问本服务，必须同时用 --password-file 设置登录密码；"
            "只在本机使用时请省略 --host（默认 127.0.0.1）。"
        )
    if not 0 < port < 65536:
        raise ServeError(f"端口 {port} 无效")
    try:
        workspace.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ServeError(oserrors.message(e, workspace, "无法建立工作文件夹")) from None
    return create_app(Config(workspace.resolve(), host=host, port=port, password_hash=password_hash))


def address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}/"


def should_open(no_open: bool) -> bool:
    return not no_open and not os.environ.get("CI")


def serve(
    host: str,
    port: int,
    workspace: Path,
    *,
    no_open: bool = False,
    password_file: Path | None = None,
    say: Callable[[str], None] = print,
) -> None:
    import uvicorn

    app = prepare(host, port, workspace, password_file)
    url = address(host, port)
    say(f"wufei serve：{url}  （工作文件夹：{workspace.resolve()}；按 Ctrl-C 停止）")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if should_open(no_open):

        def open_when_ready() -> None:
            for _ in range(100):
                if server.started:
                    webbrowser.open(url)
                    return
                threading.Event().wait(0.1)

        threading.Thread(target=open_when_ready, daemon=True).start()
    from wufei_docs.render.office import resident
    from wufei_docs.render.pdf import find_soffice

    with resident(find_soffice()):  # PDFs: one warm LibreOffice, started on the first one, ended with the server
        server.run()
    if not server.started:
        print(f"无法在 {host}:{port} 上启动（端口被占用或地址无效）", file=sys.stderr)
        raise SystemExit(1)
