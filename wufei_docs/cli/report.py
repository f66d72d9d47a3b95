"""The human-readable score report printed by `wufei score` (a rich table)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wufei_docs.scoring.rubric import Rubric
from wufei_docs.scoring.score import VETO, ScoreResult

if TYPE_CHECKING:
    from rich.console import Console

SOURCE_LABELS = {
    "claimed": "自评",
    "derived": "计算",
    "na": "不适用",
    "missing": "未自评",
    "evaluated": "核定",
}
VERDICT_STYLES = {"达标": "bold green", "未达标": "bold yellow", VETO: "bold red"}


def print_report(console: Console, result: ScoreResult, rubric: Rubric) -> None:
    from rich.table import Table
    from rich.text import Text

    console.print(Text.assemble((result.unit, "bold"), f"（{result.uscc}）  评价指标：{rubric.title}"))
    hard = Table(title="硬性指标（一票否决）", show_lines=False, expand=False)
    for col in ("编号", "内容", "适用", "结论"):
        hard.add_column(col)
    for v, h in zip(result.vetoes, rubric.hard_items, strict=True):
        state = "—" if not v.applies else ("满足" if v.met else "[red]不满足[/]")
        hard.add_row(v.id, h.title, "是" if v.applies else "否", state)
    console.print(hard)

    table = Table(title="评分明细", show_lines=False)
    for col, just in (
        ("编号", "left"),
        ("内容", "left"),
        ("满分", "right"),
        ("得分", "right"),
        ("来源", "left"),
        ("说明", "left"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for cat in rubric.categories:
        cat_score = next(c for c in result.categories if c.id == cat.id)
        label = f"{cat.id} {cat.name}{'（附加分）' if cat.bonus else ''}"
        table.add_row(
            f"[bold]{cat.id}[/]",
            f"[bold]{label}[/]",
            f"{cat.max:g}",
            f"[bold]{cat_score.score:g}[/]",
            "",
            "",
            end_section=False,
        )
        for item in cat.items:
            s = result.item(item.id)
            score = "—" if s.source == "na" and s.score == 0 else f"{s.score:g}"
            source = SOURCE_LABELS[s.source]
            style = "dim" if s.source == "na" else ("yellow" if s.source == "missing" else "")
            table.add_row(item.id, item.title, f"{item.max:g}", score, source, Text(_short(s.note)), style=style)
        table.add_section()
    console.print(table)

    base_line = f"基本分 {result.base:g}"
    if result.base_applicable_max != rubric.base_max:
        base_line += (
            f"（合理缺项按比例折算：{result.base_raw:g} / {result.base_applicable_max:g} × {rubric.base_max:g}）"
        )
    console.print(
        f"{base_line}  附加分 {result.bonus:g}  [bold]总分 {result.total:g}[/]（达标线 {result.threshold:g}）"
    )
    style = VERDICT_STYLES.get(result.verdict, "bold")
    verdict = f"结论：[{style}]{result.verdict}[/]"
    if result.vetoed:
        verdict += "（硬性指标 " + "、".join(v.id for v in result.vetoed) + " 不满足，一票否决）"
    console.print(verdict)
    if result.warnings:
        console.print(f"[yellow]提示（{len(result.warnings)} 条）：[/]")
        for w in result.warnings:
            console.print(f"  · {w}", markup=False, highlight=False)


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
