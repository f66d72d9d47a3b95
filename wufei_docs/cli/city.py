"""`wufei city …`: the city register (import, list, withdraw, publish, delist, spotcheck, result, status, history).

Each command opens the register, runs one library call inside one transaction, and prints the outcome.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wufei_docs.cli.app import app, err, handled, out
from wufei_docs.files.names import DEFAULT_DB as REGISTER_DB

if TYPE_CHECKING:
    from wufei_docs.city.importer import ImportReport
    from wufei_docs.city.status import Status

city_app = typer.Typer(
    name="city",
    help="市级“无废城市细胞”登记库：导入县级推荐包、查看单位清单、撤回、公布名单、摘牌、抽查、查看创建进度。",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(city_app, name="city")


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"“{value}” 不是有效日期，应为 YYYY-MM-DD") from None


Db = Annotated[Path, typer.Option("--db", help="登记库文件（SQLite）。", show_default=True)]
By = Annotated[str | None, typer.Option("--by", metavar="NAME", help="经办人（记入变更记录）；默认为当前系统用户名。")]
When = Annotated[
    str | None,
    typer.Option(
        "--date", metavar="YYYY-MM-DD", help="业务日期 YYYY-MM-DD（记入变更记录和文件）；默认今天。", callback=_date
    ),
]
Wait = Annotated[float, typer.Option("--wait", help="登记库被其他命令占用时最多等待的秒数。", min=0)]
Reason = Annotated[str | None, typer.Option("--reason", metavar="TEXT", help="原因（记入变更记录）。")]
Templates = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        metavar="DIR",
        help="使用此文件夹中修改过的模板（wufei templates export 导出；缺少的用内置模板）。",
    ),
]
DEFAULT_DB = Path(REGISTER_DB)


def _day(when: object) -> dt.date:
    """The --date value (already parsed by its callback), or today."""
    return when if isinstance(when, dt.date) else dt.date.today()


@contextmanager
def _register(db: Path, wait: float, *, write: bool = True, create: bool = False) -> Iterator[Any]:
    """The register, opened for one command that is one transaction (waiting up to `wait` s for others)."""
    from wufei_docs.city import open_register, transaction

    with open_register(db, create=create, wait=wait) as conn, transaction(conn, write=write):
        yield conn


def _change(by: str | None, when: object, reason: str | None = None) -> Any:
    import getpass

    from wufei_docs.city import Change

    return Change(by=by or _user(getpass), date=_day(when), reason=reason)


def _user(getpass: Any) -> str:
    try:
        return str(getpass.getuser())
    except (KeyError, OSError):
        return "未署名"


@city_app.command("import")
def import_cmd(
    bundles: Annotated[
        list[Path], typer.Argument(help="县级推荐包：wufei bundle 生成的文件夹或 zip 文件。", metavar="BUNDLE")
    ],
    db: Db = DEFAULT_DB,
    update: Annotated[
        bool, typer.Option("--update", help="接受冲突中的更改（分数、名称、县、材料），须同时给出 --reason。")
    ] = False,
    reason: Reason = None,
    by: By = None,
    when: When = None,
    wait: Wait = 30.0,
) -> None:
    """导入县级推荐包中的推荐单位（状态“推荐”）。先核对推荐包（分数范围、结论、县区、日期、每个文件的 sha256），有任何问题整包不导入、
    逐条列出；重复导入不作更改；撤回、摘牌、重新创建的单位可凭日期更晚的推荐包重新推荐；有冲突时列出冲突、退出码为 1（其余单位照常导入）。"""
    with handled():
        from wufei_docs.city import import_bundles, read_bundles

        read = read_bundles(bundles, _day(when))
        with _register(db, wait, create=True) as conn:
            report = import_bundles(conn, read, _change(by, when, reason), update=update)
        _print_import(report, db)
    if report.conflicts:
        raise typer.Exit(1)


def _print_import(report: ImportReport, db: Path) -> None:
    for b in report.bundles:
        seen = "" if b.new else "（此前已导入过）"
        out(
            f"推荐包 {b.path}（{b.county}，{b.date}）{seen}：新增 {len(b.added)} 个，重新推荐 {len(b.again)} 个，"
            f"更正 {len(b.updated)} 个，未变 {len(b.unchanged)} 个，未推荐 {len(b.not_recommended)} 个，"
            f"冲突 {len(b.conflicts)} 个"
        )
        for u in b.added:
            out(f"  + {u.name}（{u.uscc}，{u.county}）核定分 {_n(u.evaluated_total)}")
        for u in b.again:
            out(f"  ↻ {u.name}（{u.uscc}）重新推荐，核定分 {_n(u.evaluated_total)}")
        for u in b.updated:
            out(f"  ✎ {u.name}（{u.uscc}）已按新推荐包更正")
        for line in b.not_recommended:
            out(f"  - 未推荐：{line}")
        for note in b.notes:
            out(f"  提示：{note}")
        for c in b.conflicts:
            err(f"  冲突：{c}")
    total = len(report.conflicts)
    if total:
        err(f"共 {total} 个冲突，登记库中相应单位未作更改；核实后可用 --update --reason … 接受新数据。")
    out(f"登记库：{db}")


def _n(value: float | None) -> str:
    from wufei_docs.city.docfmt import number

    return number(value)


@city_app.command("list")
def list_cmd(
    status: Annotated[
        str | None,
        typer.Option("--status", metavar="S", help="只列出此状态的单位（推荐、撤回、公布、抽查中、摘牌、重新创建）。"),
    ] = None,
    county: Annotated[str | None, typer.Option("--county", metavar="C", help="只列出此县（市、区）的单位。")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 数组输出，每个单位一个对象。")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", metavar="FILE", help="同时把清单写成 Excel 工作簿。")] = None,
    db: Db = DEFAULT_DB,
    wait: Wait = 30.0,
) -> None:
    """登记库单位清单：统一社会信用代码、单位名称、县（市、区）、状态、核定分、批次、最近变更及其日期。"""
    with handled():
        from wufei_docs.city.listing import list_units, list_xlsx

        with _register(db, wait, write=False) as conn:
            found = list_units(conn, status=status, county=county)
        if xlsx is not None:
            _write_file(xlsx, list_xlsx(found, dt.date.today()))
        if as_json:
            out(json.dumps([r.to_json() for r in found], ensure_ascii=False, indent=2))
        else:
            _print_list(found, status, county)
        if xlsx is not None and not as_json:
            out(f"已写入：{xlsx}")


def _write_file(target: Path, data: bytes) -> None:
    from wufei_docs.errors import OutputError
    from wufei_docs.files.fsutil import atomic_write_bytes

    if target.suffix.lower() != ".xlsx":
        raise OutputError(f"{target}：Excel 文件名应以 .xlsx 结尾")
    try:
        atomic_write_bytes(target, data)
    except OSError as e:
        raise OutputError(f"无法写入 {target}：{e.strerror or e}") from None


def _print_list(found: list[Any], status: str | None, county: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from wufei_docs.city.listing import HEADERS

    console = Console(highlight=False, markup=False)  # names are shown as typed, never as rich markup
    if not console.is_terminal:  # piped or redirected: the whole table, one line per unit
        console = Console(highlight=False, markup=False, width=200)
    which = "、".join(x for x in (county, status) if x)
    table = Table(title=f"登记库单位清单{f'（{which}）' if which else ''}：共 {len(found)} 家")
    for i, head in enumerate(HEADERS):
        table.add_column(head, justify="right" if i in (4, 5) else "left", overflow="fold")
    for row in found:
        table.add_row(*(_n(c) if i in (4, 5) else str(c) for i, c in enumerate(row.cells())))
    console.print(table)


def _one_unit(
    change: Any, uscc: str, reason: str, db: Path, by: str | None, when: str | None, wait: float, done: str
) -> None:
    """A command that changes one unit's status with a reason (withdraw, delist): one library call."""
    from wufei_docs.city import normalise_uscc

    code = normalise_uscc(uscc)
    with _register(db, wait) as conn:
        unit = change(conn, code, _change(by, when, reason))
    out(f"{done}：{unit.name}（{unit.uscc}，{unit.county}），原因：{reason}")


@city_app.command("withdraw")
def withdraw_cmd(
    uscc: Annotated[str, typer.Argument(metavar="USCC", help="要撤回推荐的单位的统一社会信用代码。")],
    reason: Annotated[str, typer.Option("--reason", help="撤回原因（必填）。")],
    db: Db = DEFAULT_DB,
    by: By = None,
    when: When = None,
    wait: Wait = 30.0,
) -> None:
    """撤回：县（市、区）在公布前撤回对某单位的推荐（状态“推荐” → “撤回”，不予公布；之后的推荐包可再次推荐）。"""
    with handled():
        from wufei_docs.city.register import withdraw

        _one_unit(withdraw, uscc, reason, db, by, when, wait, "已撤回")


@city_app.command("publish")
def publish_cmd(
    batch: Annotated[int, typer.Option("--batch", help="批次号（第 N 批，连续编号）。", min=1)],
    output: Annotated[Path, typer.Option("-o", "--output", help="名单和报送函的输出文件夹。")],
    uscc: Annotated[
        list[str] | None, typer.Option("--uscc", help="只公布这些单位（可重复）；默认公布全部“推荐”单位。")
    ] = None,
    db: Db = DEFAULT_DB,
    reason: Reason = None,
    by: By = None,
    when: When = None,
    wait: Wait = 30.0,
    templates: Templates = None,
) -> None:
    """公布第 N 批建设单位名单（docx + xlsx）并生成致领导小组办公室的报送函；公布的单位状态改为“公布”。"""
    with handled():
        from wufei_docs.city import normalise_uscc, publish

        only = [normalise_uscc(u) for u in uscc] if uscc else None
        with _register(db, wait) as conn:
            report = publish(conn, batch, output, _change(by, when, reason), only=only, templates=templates)
        if report.reissued:
            out(f"第{batch}批此前已公布（{len(report.listed)} 家），登记库未作更改，已重新生成文件：")
        else:
            out(f"已公布第{batch}批建设单位名单，共 {len(report.listed)} 家：")
            for u in report.listed:
                out(f"  {u.seq}. {u.name}（{u.uscc}，{u.county}）核定分 {_n(u.evaluated_total)}")
        for f in report.files:
            out(f"  {f}")


@city_app.command("delist")
def delist_cmd(
    uscc: Annotated[str, typer.Argument(metavar="USCC", help="要摘牌单位的统一社会信用代码。")],
    reason: Annotated[str, typer.Option("--reason", help="摘牌原因（必填，如严重违法违规、重大事故）。")],
    db: Db = DEFAULT_DB,
    by: By = None,
    when: When = None,
    wait: Wait = 30.0,
) -> None:
    """摘牌：已公布的单位因严重违法违规或重大事故被摘牌（不再计入创建目标）。"""
    with handled():
        from wufei_docs.city import delist

        _one_unit(delist, uscc, reason, db, by, when, wait, "已摘牌")


@city_app.command("spotcheck")
def spotcheck_cmd(
    sample: Annotated[int, typer.Option("--sample", help="抽取的单位数。")],
    seed: Annotated[int, typer.Option("--seed", help="随机数种子（同一登记库、同一种子 → 同一抽取结果）。")],
    output: Annotated[Path, typer.Option("-o", "--output", help="抽查通知的输出文件夹。")] = Path("."),
    db: Db = DEFAULT_DB,
    reason: Reason = None,
    by: By = None,
    when: When = None,
    wait: Wait = 30.0,
    templates: Templates = None,
) -> None:
    """从“公布”状态的单位中按种子随机抽查（可复核），被抽中的单位状态改为“抽查中”，并生成抽查通知.docx。"""
    with handled():
        from wufei_docs.city import spotcheck

        with _register(db, wait) as conn:
            report = spotcheck(conn, sample, seed, output, _change(by, when, reason), templates=templates)
        out(
            f"第{report.check}次抽查：从 {report.population} 家已公布单位中抽取 {len(report.drawn)} 家（种子 {seed}）："
        )
        for d in report.drawn:
            out(f"  {d.seq}. {d.name}（{d.uscc}，{d.county}）")
        for f in report.files:
            out(f"  {f}")


@city_app.command("result")
def result_cmd(
    uscc: Annotated[str, typer.Argument(metavar="USCC", help="被抽查单位的统一社会信用代码。")],
    passed: Annotated[bool, typer.Option("--pass/--fail", help="抽查合格（恢复“公布”）或不合格（“重新创建”）。")],
    reason: Annotated[str | None, typer.Option("--reason", help="说明（不合格时必填）。")] = None,
    db: Db = DEFAULT_DB,
    by: By = None,
    when: When = None,
    wait: Wait = 30.0,
) -> None:
    """登记抽查结果：合格 → “公布”；不合格 → “重新创建”（可凭之后的推荐包重新导入）。"""
    with handled():
        from wufei_docs.city import normalise_uscc, record_result

        code = normalise_uscc(uscc)
        with _register(db, wait) as conn:
            unit = record_result(conn, code, passed, _change(by, when, reason))
        verdict = "合格，恢复“公布”" if passed else "不合格，须重新创建"
        out(f"已登记抽查结果：{unit.name}（{unit.uscc}）{verdict}")


@city_app.command("status")
def status_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出。")] = False,
    db: Db = DEFAULT_DB,
    when: When = None,
    wait: Wait = 30.0,
) -> None:
    """各县（市、区）各状态单位数、距 12 家目标的进度、申报截止剩余天数。"""
    with handled():
        from wufei_docs.city import status

        with _register(db, wait, write=False) as conn:
            result = status(conn, _day(when))
        if as_json:
            out(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        else:
            _print_status(result)


def _print_status(s: Status) -> None:
    from rich.console import Console
    from rich.table import Table

    from wufei_docs.city import STATUSES
    from wufei_docs.city.documents import progress_sentence

    console = Console(highlight=False, soft_wrap=True)
    table = Table(title=f"登记库状态（{s.date}）", show_footer=True)
    totals = s.totals
    table.add_column("县（市、区）", footer="合计")
    for name in STATUSES:
        table.add_column(name, justify="right", footer=str(totals[name]))
    table.add_column("合计", justify="right", footer=str(sum(totals.values())))
    for county, counts in s.counties:
        table.add_row(county, *(str(counts[n]) for n in STATUSES), str(sum(counts.values())))
    console.print(table)
    p = s.progress
    console.print(f"创建进度：已公布“无废工厂” {p.published} / {p.target} 家（{_n(p.percent)}%）", markup=False)
    console.print(progress_sentence(p, s.date), markup=False)
    for b in s.batches:
        console.print(f"第{b['batch']}批：{b['date']} 公布 {b['units']} 家（{b['by']}）", markup=False)
    for c in s.spotchecks:
        console.print(f"第{c['check']}次抽查：{c['date']}，种子 {c['seed']}，抽取 {len(c['sample'])} 家", markup=False)
    for problem in s.problems:
        err(f"登记库不一致：{problem}")


@city_app.command("history")
def history_cmd(
    uscc: Annotated[
        str | None, typer.Argument(metavar="USCC", help="只看这个单位（统一社会信用代码）；省略则列出全部。")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出。")] = False,
    db: Db = DEFAULT_DB,
    wait: Wait = 30.0,
) -> None:
    """变更记录（只增不删）：日期、经办人、原因、状态变化。"""
    with handled():
        from wufei_docs.city import history, normalise_uscc

        code = normalise_uscc(uscc) if uscc else None
        with _register(db, wait, write=False) as conn:
            events = history(conn, code)
        if as_json:
            out(json.dumps(events, ensure_ascii=False, indent=2))
            return
        for e in events:
            move = f"{e['from_status'] or '—'} → {e['to_status']}" if e["to_status"] else ""
            batch = f" 第{e['batch']}批" if e["batch"] else ""
            out(
                f"{e['date']} {e['action']} {e['uscc'] or '（全库）'} {move}{batch} 经办：{e['by']} 原因：{e['reason']}"
            )
