"""CLI commands for workbooks: `wufei convert` between YAML and Excel (.xlsx)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wufei_docs.cli.app import app, handled, out


@app.command("convert")
def convert_cmd(
    src: Annotated[Path, typer.Argument(metavar="输入文件", help="要转换的申报数据文件（.yaml 或 .xlsx）。")],
    dst: Annotated[Path, typer.Argument(metavar="输出文件", help="输出文件；扩展名决定格式（.xlsx 或 .yaml）。")],
    force: Annotated[bool, typer.Option("--force", help="输出文件已存在时覆盖。")] = False,
) -> None:
    """在 YAML 与 Excel（.xlsx）之间转换申报数据；先校验，数据不丢失。"""
    with handled():
        from wufei_docs.loading.convert import convert

        checked = convert(src, dst, force=force)
        out(f"已生成 {dst}（{checked.enterprise.unit.name}）")
        for warning in checked.warnings:
            out(f"  提示：{warning}")
