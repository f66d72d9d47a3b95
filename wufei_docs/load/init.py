"""`wufei init`: write a fresh data file to fill in, never overwriting one by accident."""

from __future__ import annotations

from pathlib import Path

from wufei_docs.errors import OutputError
from wufei_docs.load.skeleton import skeleton_yaml
from wufei_docs.scoring.rubric import load_rubric


def write_skeleton(path: Path, *, xlsx: bool = False, rubric_id: str = "ganzhou-2023", force: bool = False) -> Path:
    rubric = load_rubric(rubric_id)
    if xlsx and path.suffix.lower() != ".xlsx":
        path = path.with_suffix(".xlsx")
    if path.exists() and not force:
        raise OutputError(f"{path} 已存在；如需覆盖请加 --force")
    if path.suffix.lower() == ".xlsx":
        from wufei_docs.excel.workbook import write_workbook

        write_workbook(path, None, rubric)
        return path
    try:
        path.write_text(skeleton_yaml(rubric, path.name), encoding="utf-8")
    except OSError as e:  # no such folder, a file where a folder should be, a folder with that name…
        raise OutputError(f"无法写入 {path}：{e.strerror or e}") from None
    return path
