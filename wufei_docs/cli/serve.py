"""`wufei serve`: the local web app over the same library (the web stack is imported only here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wufei_docs.cli.app import app, die, out


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="监听地址；非本机地址须同时给出 --password-file。")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口。")] = 8000,
    workspace: Annotated[
        Path, typer.Option("--workspace", help="工作文件夹（企业数据、申报材料、县级推荐包、市级登记库）。")
    ] = Path("wufei-workspace"),
    no_open: Annotated[bool, typer.Option("--no-open", help="不自动打开浏览器。")] = False,
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="登录密码文件（第一行为密码）。")
    ] = None,
) -> None:
    """启动本机网页版：在浏览器中填写申报数据、查看得分、生成材料、县级汇总、市级登记。"""
    from wufei_docs.web.server import ServeError, serve

    try:
        serve(host, port, workspace, no_open=no_open, password_file=password_file, say=out)
    except ServeError as e:
        die(str(e))
