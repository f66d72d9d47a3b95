"""CLI command `wufei final`: mark a package folder's current version as stamped and sent (定稿)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wufei_docs.cli.app import app, handled, out


@app.command("final")
def final_cmd(
    folder: Annotated[Path, typer.Argument(help="材料包所在文件夹（wufei build 的输出文件夹）。")],
    by: Annotated[str | None, typer.Option("--by", help="经办人（记录在定稿信息中）。")] = None,
    allow_missing_evidence: Annotated[
        bool, typer.Option("--allow-missing-evidence", help="支撑材料文件尚未齐全时也定稿（记录在 定稿.json 中）。")
    ] = False,
) -> None:
    """定稿：记录当前版本已盖章报送，并在 历史版本/<n>-定稿/ 保存一份副本；以后重新生成不会改动它。"""
    with handled():
        from wufei_docs.package.final import mark_final

        report = mark_final(folder, by, allow_missing_evidence=allow_missing_evidence)
        for message in report.messages:
            out(message)
