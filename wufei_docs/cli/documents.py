"""CLI commands for documents: `wufei build` and `wufei templates export/check`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wufei_docs.cli.app import app, err, handled, out

templates_app = typer.Typer(
    help="模板：导出内置 Word 模板供修改版式，检查修改后的模板。", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(templates_app, name="templates")

TemplatesOption = Annotated[
    Path | None, typer.Option("--templates", help="使用此文件夹中修改过的模板（缺少的文件用内置模板）。")
]


@app.command("build")
def build_cmd(
    file: Annotated[Path, typer.Argument(help="申报数据文件（.yaml 或 .xlsx）。")],
    output: Annotated[Path, typer.Option("-o", "--output", help="输出文件夹。")],
    pdf: Annotated[bool, typer.Option("--pdf", help="同时生成 PDF（需要 LibreOffice）。")] = False,
    templates: TemplatesOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="输出文件夹中是另一单位（统一社会信用代码不同）的材料包时，仍作为其新版本生成。"),
    ] = False,
) -> None:
    """生成申报书、附件1 评价指标自评表、附件2 评估申报表和 manifest.json。"""
    with handled():
        from wufei_docs.package.build import build

        report = build(file, output, pdf=pdf, templates=templates, force=force)
        if report.written and not report.unchanged:
            out(f"已生成 {report.folder}：")
            for name in report.written:
                out(f"  {name}")
        for message in report.messages:
            out(message)


@templates_app.command("export")
def export_cmd(
    folder: Annotated[Path, typer.Argument(help="导出到此文件夹。")],
    force: Annotated[bool, typer.Option("--force", help="覆盖已有的同名模板。")] = False,
) -> None:
    """把内置模板复制到文件夹中，供在 Word/WPS 中修改版式。"""
    with handled():
        from wufei_docs.render.templates import export_templates

        for path in export_templates(folder, force=force):
            out(f"已导出 {path}")
        out(f"修改后运行：wufei templates check {folder}；生成时加 --templates {folder}")


@templates_app.command("check")
def check_cmd(folder: Annotated[Path, typer.Argument(help="模板文件夹。")]) -> None:
    """检查修改过的模板：语法错误、未知变量、被拆分的标签；有错误时退出码为 1。"""
    with handled():
        from wufei_docs.render.check import check_templates

        report = check_templates(folder)
        for finding in report.findings:
            (err if finding.level == "错误" else out)(str(finding))
        for name in report.missing:
            out(f"{name}: 文件夹中没有，生成时使用内置模板")
        if not report.checked:
            err(f"{folder} 中没有可检查的模板")
            raise typer.Exit(1)
        if report.errors:
            err(f"发现 {len(report.errors)} 个错误。")
            raise typer.Exit(1)
        out(f"✓ 检查了 {len(report.checked)} 个模板，未发现错误。")
