"""The Typer app, error handling and the enterprise commands (init, validate, score)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer


def _chinese_help_option(command_class: Any) -> None:
    """Click's built-in `--help` says "Show this message and exit."; say it in Chinese."""
    original = command_class.get_help_option

    def get_help_option(self, ctx):  # type: ignore[no-untyped-def]
        option = original(self, ctx)
        if option is not None:
            option.help = "显示此帮助并退出。"
        return option

    command_class.get_help_option = get_help_option


for _cls in (typer.core.TyperCommand, typer.core.TyperGroup):
    _chinese_help_option(_cls)

app = typer.Typer(
    name="wufei",
    help="赣州市“无废工厂”申报材料生成工具：校验申报数据、计算得分、生成申报书及附件。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# Control characters other than tab and newline (ESC sequences, CR, C1 controls) in a file name or an
# echoed input value could rewrite the user's terminal; they are shown as \x1b etc. instead.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    return _TERMINAL_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def err(message: str) -> None:
    """Print a user-facing message on stderr (no markup interpretation of user text)."""
    from rich.console import Console

    Console(stderr=True, soft_wrap=True, highlight=False).print(printable(message), style="red", markup=False)


def die(message: str) -> NoReturn:
    err(message)
    raise typer.Exit(1)


@contextmanager
def handled() -> Iterator[None]:
    """Turn library errors into a Chinese message and exit 1; Ctrl-C into a short note."""
    from wufei_docs.errors import WufeiError

    try:
        yield
    except WufeiError as e:
        die(str(e))
    except OSError as e:  # a path the user gave that the system refuses (too long, a loop, no permission…)
        die(os_message(e))
    except KeyboardInterrupt:
        err("已中断。")
        raise typer.Exit(130) from None


def os_message(e: OSError) -> str:
    """A system error on a user's path, in Chinese, with the path (files/oserrors.py: the one place)."""
    from wufei_docs.files import oserrors

    return oserrors.message(e, action="无法访问")


def out(text: str) -> None:
    sys.stdout.write(printable(text) + "\n")


def version_callback(value: bool) -> None:
    if value:
        from wufei_docs._version import __version__

        out(f"wufei-docs {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="显示版本号并退出。")
    ] = False,
) -> None:
    """赣州市“无废工厂”申报材料生成工具。"""


@app.command("init")
def init_cmd(
    name: Annotated[Path, typer.Argument(help="要生成的申报数据文件名（.yaml 或 .xlsx）。")] = Path("申报数据.yaml"),
    xlsx: Annotated[bool, typer.Option("--xlsx", help="生成 Excel 工作簿（含下拉选项），而不是 YAML。")] = False,
    rubric: Annotated[str, typer.Option(help="评价指标编号。")] = "ganzhou-2023",
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖。")] = False,
) -> None:
    """生成一份待填写的申报数据模板（每一项都有中文注释）。"""
    with handled():
        from wufei_docs.loading.skeleton import write_skeleton

        target = write_skeleton(name, xlsx=xlsx, rubric_id=rubric, force=force)
        out(f"已生成 {target}，填写后运行：wufei validate {target}")


@app.command("validate")
def validate_cmd(
    files: Annotated[list[Path], typer.Argument(help="一个或多个申报数据文件（.yaml 或 .xlsx）。")],
) -> None:
    """检查申报数据或验收评估文件（evaluation.yaml）：一次列出所有问题（字段路径及行号/单元格）；有问题时退出码为 1。"""
    from wufei_docs.errors import WufeiError
    from wufei_docs.loading import validate_any
    from wufei_docs.model import Evaluation

    failed = 0
    for path in files:
        try:
            checked = validate_any(path)
        except WufeiError as e:
            failed += 1
            err(str(e))
            continue
        if isinstance(checked, Evaluation):
            out(f"✓ {path}: 校验通过（{checked.county}验收评估，{len(checked.enterprises)} 家企业）")
            continue
        out(f"✓ {path}: 校验通过（{checked.enterprise.unit.name}）")
        for warning in checked.warnings:
            out(f"  提示：{warning}")
    if len(files) > 1:
        out(f"共 {len(files)} 个文件，{len(files) - failed} 个通过，{failed} 个有问题。")
    if failed:
        raise typer.Exit(1)


@app.command("score")
def score_cmd(
    file: Annotated[Path, typer.Argument(help="申报数据文件（.yaml 或 .xlsx）。")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（格式见 FORMAT.md §3）。")] = False,
) -> None:
    """计算得分：各类别及各项得分、总分、结论和提示。"""
    with handled():
        from wufei_docs.package.build import score_file

        scored = score_file(file)
        if as_json:
            out(json.dumps(scored.to_json(), ensure_ascii=False, indent=2))
            return
        from rich.console import Console

        from wufei_docs.cli.report import print_report

        console = Console(highlight=False)
        for w in scored.checked.warnings:
            console.print(f"提示：{w}", markup=False)
        print_report(console, scored.result, scored.checked.rubric)


def main() -> None:
    """Console-script entry point: usage errors are explained in Chinese (exit 2), Ctrl-C is a short note."""
    try:
        result = app(standalone_mode=False)
    except KeyboardInterrupt:
        err("已中断。")
        sys.exit(130)
    except Exception as e:  # click's usage errors; anything else is a real bug and keeps its traceback
        if not hasattr(e, "format_message") or not hasattr(e, "exit_code"):
            raise
        from wufei_docs.cli.usage import explain

        err(explain(e))
        _exit(e.exit_code)
    _exit(result if isinstance(result, int) else 0)


def _exit(code: int) -> NoReturn:
    """Exit without the interpreter's teardown, which frees every object one by one (~40 ms after a bundle,
    a tenth of a re-run). Everything is written by then; exit handlers still run and output is flushed."""
    import atexit
    import contextlib
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
