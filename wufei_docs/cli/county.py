"""`wufei bundle`: the county's recommendation bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from wufei_docs.cli.app import app, err, handled, out


@app.command("bundle")
def bundle_cmd(
    folder: Annotated[Path, typer.Argument(help="存放各企业申报数据文件（.yaml/.xlsx）的文件夹。")],
    evaluation: Annotated[Path, typer.Option("--evaluation", "-e", help="县（市、区）验收评估文件 evaluation.yaml。")],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹（同名 .zip 生成在其旁边）。")],
    pdf: Annotated[bool, typer.Option("--pdf", help="同时生成 PDF（需要 LibreOffice）。")] = False,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="并行进程数（默认：CPU 核数）。")] = None,
    templates: Annotated[Path | None, typer.Option("--templates", help="自定义模板文件夹。")] = None,
    no_zip: Annotated[bool, typer.Option("--no-zip", help="不生成 zip 压缩包。")] = False,
    wait: Annotated[
        float, typer.Option("--wait", min=0, help="输出文件夹正被另一次运行使用时，最多等待的秒数。")
    ] = 30.0,
) -> None:
    """生成县级推荐材料：推荐名单（xlsx/docx）、推荐函、各企业申报材料（附核定分）及 zip 压缩包。"""
    with handled():
        from wufei_docs.county.outputs import summary_lines
        from wufei_docs.county.run import bundle
        from wufei_docs.files.oserrors import reported

        with _progress() as notify, reported(output):  # a system refusal named with the output folder
            report = bundle(
                folder,
                evaluation,
                output,
                pdf=pdf,
                jobs=jobs,
                templates=templates,
                progress=notify,
                zip_output=not no_zip,
                wait=wait,
            )
        for line in [*report.notes, *summary_lines(report)]:
            out(line)
        rebuilt = len(report.rebuilt)
        out(
            f"已生成 {rebuilt} 家企业的申报材料（其余 {len(report.entries) - len(report.failed) - rebuilt} 家无变化）。"
        )
        out(f"输出：{report.out}" + (f"，压缩包：{report.zip_path}" if report.zip_path else ""))
        if report.failed:
            err(f"{len(report.failed)} 个文件无效，已跳过：")
            for entry in report.failed:
                err(f"  {entry.source}：{entry.error}")
            raise typer.Exit(1)


class _progress:
    """A rich progress bar on stderr, one task per stage; shown only once a run has taken a moment
    (a re-run after a correction is over in ~0.1 s: no bar, no import of rich.progress, no refresh
    thread competing with the work)."""

    DELAY = 0.3  # seconds before the bar appears

    def __enter__(self):  # type: ignore[no-untyped-def]
        import time

        self.clock = time.monotonic
        self.started = self.clock()
        self.bar: Any = None
        self.stages: dict[str, tuple[int, int]] = {}  # stage → (done, total), in order
        self.tasks: dict[str, Any] = {}  # stage → rich TaskID
        return self.update

    def update(self, stage: str, done: int, total: int) -> None:
        self.stages[stage] = (done, total)
        if self.bar is None:
            if self.clock() - self.started < self.DELAY:
                return
            self._show()
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.bar.start()
        for stage, (done, total) in self.stages.items():  # the stages so far, as they stand
            self.tasks[stage] = self.bar.add_task(stage, total=total, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
